"""Check-in and check-out on the managers' grid: a confirmed guest arriving today gets Check in,
then Check out; a stay that begins later gets neither."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import expect

from tests.api.conftest import GUEST, MANAGER
from tests.miniapp.conftest import MiniApp, book_in_chat, chat_user, seoul_today, tap

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


async def test_a_guest_arriving_today_is_checked_in_and_out_on_the_grid(mini_app: MiniApp) -> None:
    app = mini_app
    manager = await chat_user(app, MANAGER, "Mia")
    guest = await chat_user(app, GUEST, "Gus")
    today = seoul_today()
    later = today + timedelta(days=5)
    codes = {}
    for day, room in ((today, "102"), (later, "103")):
        code = await book_in_chat(app, guest, day, 2, room)
        await tap(manager, await manager.expect(f"New reservation {code}", timeout=20), "✅ Approve", "Approved by")
        codes[room] = code

    page = await app.open(f"https://hotel.example/app/grid.html?hotel={app.hotel_id}", (MANAGER, "Mia"))
    arriving = page.locator(f'#grid tr[data-room="102"] td[data-night="{today}"]')
    await expect(arriving).to_have_attribute("data-state", "confirmed", timeout=20_000)
    await arriving.locator("button").click()
    await expect(page.locator("#sheet")).to_contain_text(codes["102"])
    await expect(page.locator("#check-in")).to_be_visible()
    await expect(page.locator("#check-out")).to_be_hidden()
    await page.click("#check-in")
    await expect(page.locator("#sheet-message")).to_contain_text("Checked in.")
    await expect(page.locator("#check-in")).to_be_hidden()
    await expect(page.locator("#check-out")).to_be_visible()
    await page.click("#check-out")
    await expect(page.locator("#sheet-message")).to_contain_text("Checked out")
    await expect(page.locator("#stay-actions")).to_be_hidden()
    await page.click("#sheet-close")

    begins_later = page.locator(f'#grid tr[data-room="103"] td[data-night="{later}"]')
    await expect(begins_later).to_have_attribute("data-state", "confirmed", timeout=20_000)
    await begins_later.locator("button").click()
    await expect(page.locator("#sheet")).to_contain_text(codes["103"])
    await expect(page.locator("#stay-actions")).to_be_hidden()
    await page.context.close()
