"""The guest's booking page in Chromium: booked dates cannot be picked, a booking made on the page
reaches the chat (receipt) and the managers, and nights taken in the chat meanwhile make the
page's booking fail with a clear message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.async_api import expect

from tests.api.conftest import GUEST, GUEST2, MANAGER
from tests.miniapp.conftest import (
    DARK,
    LIGHT,
    PUBLIC,
    MiniApp,
    book_in_chat,
    chat_user,
    seoul_today,
    show_day,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


async def test_the_menu_button_opens_the_booking_page(mini_app: MiniApp) -> None:
    button = mini_app.api.menu_buttons.get(None)
    assert button is not None and button["type"] == "web_app"
    assert button["web_app"]["url"] == PUBLIC


async def test_a_booking_on_the_page_reaches_the_chat_and_the_managers_and_a_hold_taken_meanwhile_fails_it(
    mini_app: MiniApp,
) -> None:
    app = mini_app
    manager = await chat_user(app, MANAGER, "Mia")
    guest = await chat_user(app, GUEST, "Gus")
    other = await chat_user(app, GUEST2, "Gia")
    today = seoul_today()

    # Every room is booked for the nights +3 and +4 (through the API): those days cannot be picked.
    full = today + timedelta(days=3)
    for room_id in app.rooms.values():
        body = {"room_id": room_id, "check_in": str(full), "check_out": str(full + timedelta(days=2)), "guests": 1}
        r = await app.gateway.call("POST", "/api/v1/reservations", GUEST2, json=body)
        assert r.status_code == 201, r.text

    page = await app.open(PUBLIC, (GUEST, "Gus"))
    await expect(page.locator("#content")).to_be_visible()
    assert await (await show_day(page, full)).is_disabled()
    assert await (await show_day(page, full + timedelta(days=1))).is_disabled()
    assert await (await show_day(page, full + timedelta(days=2))).is_enabled()

    # Check-in +7, check-out +9, room 101: the total, then Book.
    check_in = today + timedelta(days=7)
    await (await show_day(page, check_in)).click()
    await (await show_day(page, check_in + timedelta(days=2))).click()
    await page.click('#rooms [data-room="101"]')
    await expect(page.locator("#total")).to_have_text("₩240,000")
    await app.screenshot(page, "booking-en-light")
    await page.click("#book")
    await expect(page.locator("#message")).to_contain_text("Booked! Reservation R-")
    code = (await page.locator("#message").inner_text()).split("Reservation ")[1].split(".")[0]
    receipt = await guest.expect(f"Reservation {code}", timeout=20)
    assert "Paid — thank you!" in receipt.text and "Seaside Inn, room 101" in receipt.text
    assert "240,000 KRW" in receipt.text
    request = await manager.expect(f"New reservation {code}", timeout=20)
    assert "Gus" in request.text and "✅ Approve" in request.buttons()

    # The guest picks +10 → +12 in room 102; meanwhile another guest books room 102 for +11 in the chat.
    check_in = today + timedelta(days=10)
    await (await show_day(page, check_in)).click()
    await (await show_day(page, check_in + timedelta(days=2))).click()
    await page.click('#rooms [data-room="102"]')
    taken = await book_in_chat(app, other, check_in + timedelta(days=1), 1, "102")
    await manager.expect(f"New reservation {taken}", timeout=20)
    await page.click("#book")
    await expect(page.locator("#message")).to_contain_text("Someone has just booked this room for these dates")
    await expect(page.locator(".notice.error")).to_be_visible()
    # The page shows what is free now: room 102 is no longer offered for those nights.
    await expect(page.locator('#rooms [data-room="101"]')).to_be_visible()
    await expect(page.locator('#rooms [data-room="102"]')).to_have_count(0)
    assert not [m for m in guest.inbox if "Paid" in m.text and code not in m.text]  # nothing else was booked
    await page.context.close()


LOOKS = [("en", DARK, "dark"), ("ko", LIGHT, "light"), ("ko", DARK, "dark")]


@pytest.mark.parametrize(("lang", "theme", "name"), LOOKS)
async def test_the_booking_page_follows_the_language_and_the_theme(
    mini_app: MiniApp, lang: str, theme: dict[str, str], name: str
) -> None:
    page = await mini_app.open(PUBLIC, (GUEST, "Gus"), lang, theme)
    await expect(page.locator("#content")).to_be_visible()
    assert await page.evaluate("document.documentElement.dataset.scheme") == name
    check_in = seoul_today() + timedelta(days=14)
    await (await show_day(page, check_in)).click()
    await (await show_day(page, check_in + timedelta(days=2))).click()
    await page.click('#rooms [data-room="103"]')
    await expect(page.locator("h1")).to_have_text("객실 예약" if lang == "ko" else "Book a room")
    await expect(page.locator("#book")).to_have_text("예약하기" if lang == "ko" else "Book")
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(33, 45, 59)" if theme is DARK else "rgb(255, 255, 255)")
    await mini_app.screenshot(page, f"booking-{lang}-{name}")
    await page.context.close()


@pytest.mark.parametrize("path", ["", "grid.html"])
async def test_outside_telegram_the_page_says_so_and_shows_no_data(mini_app: MiniApp, path: str) -> None:
    page = await mini_app.open(PUBLIC + path, None)
    asked: list[str] = []

    def record(request: Any) -> None:
        asked.append(request.url)

    page.on("request", record)
    await page.reload()
    await expect(page.locator("#message")).to_contain_text("Open this page from the hotel bot in Telegram")
    await expect(page.locator("#content")).to_be_hidden()
    assert asked and not [url for url in asked if "/api/" in url]
    await page.context.close()
