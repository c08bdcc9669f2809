"""The managers' occupancy grid in Chromium: it shows bookings made in the chat, Approve on the grid
reaches the guest and the managers' copies in the chat, and nobody but the hotel's managers gets it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.async_api import expect

from tests.api.conftest import GUEST, MANAGER, OTHER_MANAGER
from tests.miniapp.conftest import DARK, LIGHT, MiniApp, book_in_chat, chat_user, init_data, say, seoul_today

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


async def grid_url(app: MiniApp, manager: Any) -> str:
    """The web_app button /board puts under the board."""
    board = await say(manager, "/board", "Seaside Inn")
    rows = (board.reply_markup or {}).get("inline_keyboard", [])
    [url] = [b["web_app"]["url"] for row in rows for b in row if "web_app" in b]
    return str(url)


async def test_the_grid_shows_chat_bookings_and_approving_there_tells_the_guest_and_the_managers(
    mini_app: MiniApp,
) -> None:
    app = mini_app
    manager = await chat_user(app, MANAGER, "Mia")
    guest = await chat_user(app, GUEST, "Gus")
    check_in = seoul_today() + timedelta(days=4)
    code = await book_in_chat(app, guest, check_in, 2, "101")
    request = await manager.expect(f"New reservation {code}", timeout=20)

    url = await grid_url(app, manager)
    assert url.startswith("https://hotel.example/app/grid.html?hotel=")
    page = await app.open(url, (MANAGER, "Mia"))
    today = seoul_today().isoformat()
    await expect(page.locator(f'#grid thead th.today[data-night="{today}"]')).to_have_count(1)
    row = page.locator('#grid tr[data-room="101"]')
    for night in (check_in, check_in + timedelta(days=1)):
        await expect(row.locator(f'td[data-night="{night}"]')).to_have_attribute("data-state", "awaiting")
    await expect(row.locator(f'td[data-night="{check_in + timedelta(days=2)}"]')).to_have_attribute(
        "data-state", "free"
    )
    await expect(page.locator('#grid tr[data-room="102"] td[data-state="free"]')).to_have_count(30)

    # Tapping the booking: guest, dates, amount; Approve.
    await row.locator(f'td[data-night="{check_in}"] button').click()
    sheet = page.locator("#sheet")
    await expect(sheet).to_be_visible()
    await expect(sheet).to_contain_text("Gus")
    await expect(sheet).to_contain_text("₩240,000")
    await expect(sheet).to_contain_text("Awaiting decision")
    await app.screenshot(page, "grid-en-light")
    await page.click("#approve")
    await expect(page.locator("#sheet-message")).to_contain_text("Approved")

    await guest.expect(f"confirmed your reservation {code}", timeout=20)
    await manager.expect("Approved by Mia", timeout=20)
    assert "Approved by Mia" in request.text and not request.buttons()
    # The grid follows by itself.
    first_night = row.locator(f'td[data-night="{check_in}"]')
    await expect(first_night).to_have_attribute("data-state", "confirmed", timeout=20_000)
    await page.context.close()


async def test_the_grid_shows_rooms_out_of_service_and_moves_by_thirty_days(mini_app: MiniApp) -> None:
    g = mini_app.gateway
    room = f"/api/v1/manager/rooms/{mini_app.rooms['103']}"
    r = await g.call("PATCH", room, MANAGER, "manager", json={"in_service": False})
    assert r.status_code == 200, r.text
    page = await mini_app.open(f"https://hotel.example/app/grid.html?hotel={mini_app.hotel_id}", (MANAGER, "Mia"))
    out = page.locator('#grid tr[data-room="103"] td[data-state="out_of_service"]')
    await expect(out).to_have_count(30, timeout=20_000)  # the catalog hears of it through an event
    today = seoul_today()
    await page.click("#later")
    await expect(page.locator("#grid thead th[data-night]").first).to_have_attribute(
        "data-night", str(today + timedelta(days=30))
    )
    await expect(page.locator("#grid thead th.today")).to_have_count(0)
    await page.click("#earlier")
    await expect(page.locator("#grid thead th.today")).to_have_count(1)
    r = await g.call("PATCH", room, MANAGER, "manager", json={"in_service": True})
    assert r.status_code == 200, r.text
    await page.context.close()


LOOKS = [("en", DARK, "dark"), ("ko", LIGHT, "light"), ("ko", DARK, "dark")]


@pytest.mark.parametrize(("lang", "theme", "name"), LOOKS)
async def test_the_grid_follows_the_language_and_the_theme(
    mini_app: MiniApp, lang: str, theme: dict[str, str], name: str
) -> None:
    url = f"https://hotel.example/app/grid.html?hotel={mini_app.hotel_id}&lang={lang}"
    page = await mini_app.open(url, (MANAGER, "Mia"), lang, theme)
    await expect(page.locator('#grid tr[data-room="101"]')).to_be_visible()
    await expect(page.locator("h1")).to_contain_text("객실 현황" if lang == "ko" else "Occupancy")
    assert await page.evaluate("document.documentElement.dataset.scheme") == name
    await mini_app.screenshot(page, f"grid-{lang}-{name}")
    await page.context.close()


@pytest.mark.parametrize("who", ["a guest", "another hotel's manager"])
async def test_nobody_but_the_hotels_managers_gets_the_grid(mini_app: MiniApp, who: str) -> None:
    user = (GUEST, "Gus") if who == "a guest" else (OTHER_MANAGER, "Olga")
    url = f"https://hotel.example/app/grid.html?hotel={mini_app.hotel_id}"
    page = await mini_app.open(url, user)
    await expect(page.locator("#message")).to_contain_text("Only this hotel's managers can see its occupancy")
    await expect(page.locator("#content")).to_be_hidden()
    await expect(page.locator("#grid td")).to_have_count(0)
    await page.context.close()

    # Nor through the API with the token their initData is exchanged for.
    g = mini_app.gateway
    r = await g.http.post("/api/v1/auth/telegram", json={"init_data": init_data(*user)})
    token = r.json()["access_token"]
    r = await g.http.get(
        f"/api/v1/manager/hotels/{mini_app.hotel_id}/occupancy", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 403
