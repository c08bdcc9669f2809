"""The booking page prices a stay by the hotel's rules, as the chat and the API do: a guest beyond
those the price includes is added to the total shown, and that total is what is booked (no "the
price changed" on the way)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.async_api import expect

from tests.api.conftest import GUEST, MANAGER, eventually
from tests.miniapp.conftest import PUBLIC, MiniApp, chat_user, seoul_today, show_day

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def two_nights_from(days_ahead: int) -> date:
    """A check-in whose two-night stay ends in the same month (the calendar shows one month)."""
    day = seoul_today() + timedelta(days=days_ahead)
    if (day + timedelta(days=2)).month != day.month:
        day = (day + timedelta(days=3)).replace(day=1)
    return day


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
    check_in = two_nights_from(20)
    await (await show_day(page, check_in)).click()
    await (await show_day(page, check_in + timedelta(days=2))).click()
    await page.click('#rooms [data-room="101"]')
    await expect(page.locator("#total")).to_have_text("₩300,000")  # 2 x 120,000 + 2 x 30,000
    await page.click("#book")
    await expect(page.locator("#message")).to_contain_text("Booked! Reservation R-")
    receipt = await guest.expect("Paid — thank you!", timeout=20)
    assert "300,000 KRW" in receipt.text


async def test_a_stay_shorter_than_the_hotel_takes_is_explained_in_the_guests_language(mini_app: MiniApp) -> None:
    app = mini_app
    path = f"/api/v1/manager/hotels/{app.hotel_id}/terms"
    current = (await app.gateway.call("GET", path, MANAGER, "manager")).json()
    # whole terms: a minimum of 3 nights, and an extra-guest rule whose `included` marks this revision
    change = {
        "expected_revision": current["revision"],
        "min_nights": 3,
        "extra_guests": [{"included": 2, "per_night": 1}],
    }
    r = await app.gateway.call("PUT", path, MANAGER, "manager", json=change)
    assert r.status_code == 200, r.text

    async def copied() -> bool:
        r = await app.gateway.call("GET", f"/api/v1/hotels/{app.hotel_id}/calendar", GUEST)
        return bool(r.json()["rooms"][0]["guests_included"] == 2)  # the copy is the new revision

    await eventually(copied)
    page = await app.open(PUBLIC, (GUEST, "Gus"), lang="ko")
    await expect(page.locator("#content")).to_be_visible()
    check_in = two_nights_from(9)
    await (await show_day(page, check_in)).click()
    await (await show_day(page, check_in + timedelta(days=2))).click()
    await page.click('#rooms [data-room="101"]')
    await page.click("#book")
    await expect(page.locator("#message")).to_contain_text("최소 3박부터")
