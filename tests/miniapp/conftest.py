"""The Mini App in a real browser: Debian's Chromium driven by Playwright, at a phone's viewport,
against a live hotelbot (gateway + bot + consumers, on PostgreSQL with RabbitMQ) talking to the
Bot API stand-in. Pages are opened the way Telegram opens them: the button's URL with the launch
parameters in the fragment, `tgWebAppData` signed here with the bot token as Telegram signs it."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import pytest

from api.auth import sign_init_data
from tests.api.conftest import ADMIN, MANAGER, OTHER_MANAGER, Gateway, eventually, running_gateway
from tests.botapi import User
from tests.conftest import TOKEN, truncate_all
from tests.e2e.conftest import pick_day, say, tap

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PUBLIC = "https://hotel.example/app/"  # MINI_APP_URL: what the bot puts on its buttons
PHONE = {"width": 390, "height": 844}
LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#999999",
    "link_color": "#2481cc",
    "button_color": "#2481cc",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#efeff3",
}
DARK = {
    "bg_color": "#212d3b",
    "text_color": "#ffffff",
    "hint_color": "#7d8b99",
    "link_color": "#5eabe1",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#151e27",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does)")
    for item in items:
        if "tests/miniapp/" in str(item.path).replace("\\", "/"):
            item.add_marker(skip)


def init_data(user_id: int, first_name: str, language_code: str = "en") -> str:
    """What Telegram hands a Mini App: the user, when, and a hash keyed by the bot token."""
    user = {"id": user_id, "first_name": first_name, "language_code": language_code, "allows_write_to_pm": True}
    fields = {
        "query_id": f"AAH{uuid.uuid4().hex[:20]}",
        "user": json.dumps(user, separators=(",", ":")),
        "auth_date": str(int(time.time())),
    }
    return sign_init_data(fields, TOKEN)


@dataclass
class MiniApp:
    gateway: Gateway
    browser: Any
    hotel_id: int
    other_hotel_id: int
    rooms: dict[str, str]  # number -> room id

    @property
    def api(self) -> Any:
        return self.gateway.api

    def local(self, public_url: str) -> str:
        """The button's public https address, served by this test's gateway."""
        parts = urlsplit(public_url)
        return f"{self.gateway.url}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    async def open(
        self,
        public_url: str,
        user: tuple[int, str] | None,
        lang: str = "en",
        theme: dict[str, str] | None = None,
    ) -> Any:
        """A new phone-sized page at `public_url`, launched as Telegram would (no initData: None)."""
        context = await self.browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale=lang
        )
        page = await context.new_page()
        fragment = ["tgWebAppVersion=8.0", "tgWebAppPlatform=android"]
        if user is not None:
            fragment.insert(0, "tgWebAppData=" + quote(init_data(user[0], user[1], lang), safe=""))
        fragment.append("tgWebAppThemeParams=" + quote(json.dumps(theme or LIGHT), safe=""))
        await page.goto(self.local(public_url) + "#" + "&".join(fragment))
        return page

    async def screenshot(self, page: Any, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def _hotel(g: Gateway, name: str, manager: int, rooms: tuple[str, ...]) -> tuple[int, dict[str, str]]:
    r = await g.call(
        "POST",
        "/api/v1/admin/hotels",
        ADMIN,
        "admin",
        json={"name": name, "city": "Busan", "timezone": "Asia/Seoul", "currency": "KRW"},
    )
    assert r.status_code == 201, r.text
    hotel_id = r.json()["id"]
    r = await g.call("PUT", f"/api/v1/admin/hotels/{hotel_id}/managers/{manager}", ADMIN, "admin")
    assert r.status_code == 200, r.text
    found = {}
    for number in rooms:
        r = await g.call(
            "POST",
            f"/api/v1/manager/hotels/{hotel_id}/rooms",
            manager,
            "manager",
            json={"number": number, "room_type": "double", "capacity": 2, "price_per_night": 120_000},
        )
        assert r.status_code == 201, r.text
        found[number] = r.json()["room_id"]
    return hotel_id, found


@contextlib.asynccontextmanager
async def live_mini_app(**settings: Any) -> AsyncIterator[MiniApp]:
    """A live hotelbot with Seaside Inn (rooms 101-103, managed by Mia) and Harbor House (no rooms,
    managed by Olga), MINI_APP_URL set, and Chromium launched."""
    from playwright.async_api import async_playwright

    async with running_gateway(mini_app_url=PUBLIC, **settings) as g:
        hotel_id, rooms = await _hotel(g, "Seaside Inn", MANAGER, ("101", "102", "103"))
        other_hotel_id, _ = await _hotel(g, "Harbor House", OTHER_MANAGER, ())

        async def bookable() -> bool:
            r = await g.call("GET", f"/api/v1/hotels/{hotel_id}/calendar", MANAGER)
            return r.status_code == 200 and len(r.json()["rooms"]) == 3

        await eventually(bookable)  # the reservation context's catalog heard of the rooms
        playwright = await async_playwright().start()
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield MiniApp(g, browser, hotel_id, other_hotel_id, rooms)
        finally:
            await browser.close()
            await playwright.stop()


@pytest.fixture(scope="module")
async def mini_app(pg_url: str, amqp_vhost: str) -> AsyncIterator[MiniApp]:
    """One live hotelbot for the module, on PostgreSQL with RabbitMQ, the sandbox provider."""
    await truncate_all(pg_url)
    prefix = f"m{uuid.uuid4().hex[:8]}"
    amqp = {"amqp_url": amqp_vhost, "amqp_queue_prefix": prefix, "amqp_exchange": f"{prefix}.events"}
    async with live_mini_app(database_url=pg_url, **amqp) as app:
        yield app


def seoul_today() -> date:
    return datetime.now(ZoneInfo("Asia/Seoul")).date()


async def chat_user(app: MiniApp, user_id: int, name: str) -> User:
    """A Telegram user who started the bot and chose English."""
    user = app.api.user(user_id, name)
    menu = await say(user, "/start", "Pick your language")
    await tap(user, menu, "English", "Language set")
    return user


async def book_in_chat(app: MiniApp, guest: User, check_in: date, nights: int, room: str) -> str:
    """The chat's own booking, button by button; the reservation code from its receipt."""
    calendar = await say(guest, "/book", "pick your check-in day")
    calendar = await pick_day(guest, calendar, check_in, "Now pick your check-out day")
    ask = await pick_day(guest, calendar, check_in + timedelta(days=nights), "How many guests")
    rooms = await tap(guest, ask, "2", "Free from")
    confirm = await tap(guest, rooms, room, "Please check")
    receipt = await tap(guest, confirm, "Pay", "Paid — thank you!")
    return receipt.text.split("Reservation ")[1].split()[0]


async def show_day(page: Any, day: date) -> Any:
    """The calendar's button for `day`, turning months until it shows."""
    from playwright.async_api import expect

    await expect(page.locator("#content")).to_be_visible()
    await expect(page.locator("#calendar .day").first).to_be_attached()
    cell = page.locator(f'#calendar [data-day="{day.isoformat()}"]')
    for _ in range(3):
        if await cell.count():
            return cell
        await page.click("#next")
    raise AssertionError(f"{day} never showed on the calendar")
