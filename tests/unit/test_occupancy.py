"""The Mini App's night-by-night reads: what a guest may pick, and what a manager's grid shows."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

from api.occupancy import calendar, days, grid, held_map
from domain.reservation.model import CatalogRoom

TODAY = date(2026, 12, 4)


def room(number: str, in_service: bool = True) -> CatalogRoom:
    return CatalogRoom(uuid4(), 1, "Seaside Inn", "Asia/Seoul", "KRW", number, "double", 2, 120_000, in_service, 1)


def test_a_guest_can_pick_only_nights_nobody_holds_from_today_to_the_horizon() -> None:
    free, closed = room("101"), room("102", in_service=False)
    held = held_map([(free.room_id, TODAY + timedelta(days=1), uuid4(), "placed")])
    nights = days(TODAY - timedelta(days=1), 4)
    [offer] = calendar([free, closed], held, nights, TODAY, TODAY + timedelta(days=1))
    assert offer.number == "101"  # a room out of service is not offered at all
    assert [(n.night, n.free) for n in offer.nights] == [
        (TODAY - timedelta(days=1), False),  # yesterday
        (TODAY, True),
        (TODAY + timedelta(days=1), False),  # held
        (TODAY + timedelta(days=2), False),  # past the booking horizon
    ]
    assert {n.price for n in offer.nights} == {120_000}


def test_the_grid_names_each_nights_state_and_the_reservation_holding_it() -> None:
    r101, r102 = room("101"), room("102", in_service=False)
    paying, waiting, confirmed = uuid4(), uuid4(), uuid4()
    held = held_map(
        [
            (r101.room_id, TODAY, paying, "pending_payment"),
            (r101.room_id, TODAY + timedelta(days=1), waiting, "placed"),
            (r101.room_id, TODAY + timedelta(days=2), confirmed, "confirmed"),
            (r102.room_id, TODAY + timedelta(days=3), confirmed, "confirmed"),
        ]
    )
    rows = grid([r101, r102], held, days(TODAY, 5))
    assert [(c.state, c.reservation_id) for c in rows[0].cells] == [
        ("held", paying),
        ("awaiting", waiting),
        ("confirmed", confirmed),
        ("free", None),
        ("free", None),
    ]
    # Out of service, but a stay booked before still shows.
    assert [c.state for c in rows[1].cells] == ["out_of_service"] * 3 + ["confirmed", "out_of_service"]
