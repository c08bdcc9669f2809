"""The booking page prices a stay by the hotel's rules, as the chat and the API do: a guest beyond
those the price includes is added to the total shown, and that total is what is booked (no "the
price changed" on the way)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import expect

from tests.api.conftest import GUEST, MANAGER, eventually
from tests.miniapp.conftest import PUBLIC, MiniApp, chat_user, seoul_today, show_day

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


async def test_a_guest_beyond_those_included_is_in_the_total_shown_and_booked(mini_app: MiniApp) -> None:
    app = mini_app
    path = f"/api/v1/manager/hotels/{app.hotel_id}/terms"
    change = {"expected_revision": 0, "extra_guests": [{"included": 1, "per_night": 30_000}]}
    r = await app.gateway.call("PUT", path, MANAGER, "manager", json=change)
    assert r.status_code == 200, r.text

    async def priced() -> bool:
        r = await app.gateway.call("GET", f"/api/v1/hotels/{app.hotel_id}/calendar", GUEST)
        return all(room["guests_included"] == 1 for room in r.json()["rooms"])

    await eventually(priced)  # the reservation side's copy of the terms has the rule
    guest = await chat_user(app, GUEST, "Gus")
    page = await app.open(PUBLIC, (GUEST, "Gus"))
    await expect(page.locator("#content")).to_be_visible()
    await page.select_option("#guests", "2")
    check_in = seoul_today() + timedelta(days=20)
    await (await show_day(page, check_in)).click()
    await (await show_day(page, check_in + timedelta(days=2))).click()
    await page.click('#rooms [data-room="101"]')
    await expect(page.locator("#total")).to_have_text("₩300,000")  # 2 x 120,000 + 2 x 30,000
    await page.click("#book")
    await expect(page.locator("#message")).to_contain_text("Booked! Reservation R-")
    receipt = await guest.expect("Paid — thank you!", timeout=20)
    assert "300,000 KRW" in receipt.text
