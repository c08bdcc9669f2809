"""The Mini App's prices follow the hotel's rules: each night of the calendar at the hotel's price
for it, and an offer's total the quote a booking is made at, so the page books without a "price
changed"."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.hotel import commands as hc
from domain.shared.terms import ExtraGuests, Rate, Season
from tests.api.conftest import GUEST, MANAGER, Gateway, eventually, hotel_with_room

pytestmark = pytest.mark.e2e


async def test_calendar_nights_and_offers_are_priced_by_the_hotels_rules_and_book_at_that_total(
    sqlite_gateway: Gateway,
) -> None:
    g = sqlite_gateway
    hotel_id, room_id = await hotel_with_room(g)
    start = datetime.now(ZoneInfo("Asia/Seoul")).date() + timedelta(days=5)
    festival = start + timedelta(days=1)
    c = g.runtime.container
    current = await c.hotels.terms(hotel_id)
    terms = current.with_changes(
        seasons=(Season("Festival", festival, festival, Rate(percent=50)),),
        weekend_days=frozenset(),
        extra_guests=(ExtraGuests(included=1, per_night=1_000),),
        max_nights=4,
    )
    await c.handle(hc.ChangeTerms(hotel_id=hotel_id, terms=terms, expected_revision=current.revision, actor_id=MANAGER))

    async def priced() -> Any:
        r = await g.call("GET", f"/api/v1/hotels/{hotel_id}/calendar", GUEST, params={"start": start.isoformat()})
        body = r.json()
        prices = {date.fromisoformat(n["night"]): n["price"] for n in body["rooms"][0]["nights"]}
        return body if prices[festival] == 18_000 else None

    calendar = await eventually(priced)
    nights = {n["night"]: n["price"] for n in calendar["rooms"][0]["nights"]}
    assert nights[start.isoformat()] == 12_000 and nights[festival.isoformat()] == 18_000
    assert calendar["max_nights"] == 4  # the hotel's longest stay

    stay = {"check_in": start.isoformat(), "check_out": (start + timedelta(days=2)).isoformat(), "guests": 2}
    r = await g.call("GET", f"/api/v1/hotels/{hotel_id}/availability", GUEST, params=stay)
    [offer] = r.json()["items"]
    assert [n["price"] for n in offer["nights"]] == [12_000, 18_000]
    assert offer["total"] == 12_000 + 18_000 + 2 * 1_000  # one guest beyond the one included

    body = {"room_id": room_id, **stay, "total": offer["total"], "currency": "EUR"}
    r = await g.call("POST", "/api/v1/reservations", GUEST, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["total_price"] == 32_000
