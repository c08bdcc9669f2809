from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from domain.hotel.events import RoomCreated, RoomUpdated
from domain.payment.events import PaymentApproved, PaymentRefunded
from domain.reservation.events import ReservationCancelled, ReservationConfirmed, ReservationPlaced
from domain.shared.events import Event
from domain.view.model import ReservationView, project_reservation, project_room

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def _story() -> list[Event]:
    rid, pid = uuid4(), uuid4()
    return [
        PaymentApproved(reservation_id=rid, payment_id=pid, guest_id=7, amount=100, currency="EUR", occurred_at=T0),
        ReservationPlaced(
            reservation_id=rid,
            guest_id=7,
            guest_name="Ann",
            hotel_id=3,
            hotel_name="Seaside",
            room_id=uuid4(),
            room_number="101",
            check_in=date(2026, 12, 10),
            check_out=date(2026, 12, 11),
            guests=1,
            total_price=100,
            currency="EUR",
            payment_id=pid,
            occurred_at=T0,
        ),
        ReservationConfirmed(
            reservation_id=rid, guest_id=7, hotel_id=3, decided_by_name="Mia", occurred_at=T0 + timedelta(minutes=1)
        ),
        ReservationCancelled(reservation_id=rid, guest_id=7, hotel_id=3, occurred_at=T0 + timedelta(minutes=2)),
        PaymentRefunded(
            reservation_id=rid,
            payment_id=pid,
            guest_id=7,
            amount=100,
            currency="EUR",
            occurred_at=T0 + timedelta(minutes=3),
        ),
    ]


def _apply(events: list[Event]) -> ReservationView | None:
    row = None
    for e in events:
        row = project_reservation(e, row) or row
    return row


def test_the_view_ends_in_the_same_state_whatever_order_the_events_arrive_in() -> None:
    story = _story()
    expected = _apply(story)
    assert expected is not None
    assert (expected.status, expected.payment_status, expected.room_number, expected.hotel_id) == (
        "cancelled",
        "refunded",
        "101",
        3,
    )
    for order in itertools.permutations(story):
        row = _apply(list(order))
        assert row is not None
        assert (row.status, row.payment_status, row.room_number, row.hotel_id, row.decided_by_name) == (
            "cancelled",
            "refunded",
            "101",
            3,
            "Mia",
        ), [type(e).__name__ for e in order]


def test_a_redelivered_event_changes_nothing() -> None:
    story = _story()
    once = _apply(story)
    assert _apply(story + story) == once


def test_an_older_room_snapshot_is_ignored_by_the_board() -> None:
    base = dict(
        room_id=uuid4(),
        hotel_id=1,
        hotel_name="H",
        timezone="UTC",
        currency="EUR",
        number="1",
        room_type="double",
        capacity=2,
        price_per_night=100,
        in_service=True,
    )
    created = project_room(RoomCreated(**base, revision=1), None)
    updated = project_room(RoomUpdated(**{**base, "price_per_night": 150}, revision=2), created)
    assert updated is not None and updated.price_per_night == 150
    assert project_room(RoomCreated(**base, revision=1), updated) is None
