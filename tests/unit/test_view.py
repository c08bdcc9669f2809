from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from domain.hotel.events import RoomCreated, RoomUpdated
from domain.payment.events import PaymentApproved, PaymentRefunded
from domain.reservation.events import (
    ReservationCancelled,
    ReservationCheckedIn,
    ReservationCheckedOut,
    ReservationConfirmed,
    ReservationNoShow,
    ReservationPlaced,
    ReservationRejected,
)
from domain.shared.events import Event
from domain.shared.terms import CancellationPolicy
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


# --- hotel rules: the price lines, the policy, fees and refunds, the stay ------------------------

LINES = [
    {"kind": "base", "nights": 1, "price": 100},
    {"kind": "weekend", "nights": 1, "price": 150, "weekdays": [5]},
    {"kind": "extra_guests", "nights": 2, "price": 20, "extra": 1},
]
POLICY = {"kind": "free_until", "free_days": 3, "fee": "percent", "percent": 50}


def _placed(rid: UUID, pid: UUID, **changes: Any) -> ReservationPlaced:
    fields: dict[str, Any] = dict(
        reservation_id=rid,
        guest_id=7,
        guest_name="Ann",
        hotel_id=3,
        hotel_name="Seaside",
        room_id=uuid4(),
        room_number="101",
        check_in=date(2026, 12, 11),
        check_out=date(2026, 12, 13),
        guests=2,
        total_price=290,
        currency="EUR",
        payment_id=pid,
        occurred_at=T0,
        price_lines=LINES,
        policy=POLICY,
    )
    return ReservationPlaced(**{**fields, **changes})


def _confirmed(rid: UUID) -> ReservationConfirmed:
    return ReservationConfirmed(
        reservation_id=rid, guest_id=7, hotel_id=3, decided_by_name="Mia", occurred_at=T0 + timedelta(minutes=1)
    )


def _every_order(story: list[Event]) -> ReservationView:
    """The row the story ends in, the same whatever order its events arrive in (and redelivered)."""
    expected = _apply(story)
    assert expected is not None
    for order in itertools.permutations(story):
        assert _apply(list(order)) == expected, [type(e).__name__ for e in order]
    assert _apply(story + story) == expected
    return expected


def test_the_view_shows_the_price_lines_and_the_policy_the_stay_was_booked_under() -> None:
    row = _apply([_placed(uuid4(), uuid4())])
    assert row is not None
    assert [(line.kind, line.nights, line.price) for line in row.price_lines] == [
        ("base", 1, 100),
        ("weekend", 1, 150),
        ("extra_guests", 2, 20),
    ]
    assert row.price_lines[1].weekdays == (5,) and row.price_lines[2].extra == 1
    assert row.quote.total == row.total_price == 290
    assert row.policy == CancellationPolicy(free_days=3, fee="percent", percent=50)
    assert (row.fee, row.refund_amount, row.refund_due, row.refunded_amount) == (None, None, None, None)


def test_a_stay_checked_in_and_out_early_ends_checked_out_whatever_the_order() -> None:
    rid, pid = uuid4(), uuid4()
    row = _every_order(
        [
            _placed(rid, pid),
            _confirmed(rid),
            ReservationCheckedIn(
                reservation_id=rid, guest_id=7, hotel_id=3, on=date(2026, 12, 11), occurred_at=T0 + timedelta(days=10)
            ),
            ReservationCheckedOut(
                reservation_id=rid,
                guest_id=7,
                hotel_id=3,
                on=date(2026, 12, 12),
                early=True,
                occurred_at=T0 + timedelta(days=11),
            ),
        ]
    )
    assert (row.status, row.checked_in_on, row.left_on, row.payment_status) == (
        "checked_out",
        date(2026, 12, 11),
        date(2026, 12, 12),
        "approved",
    )
    assert row.left_on < row.check_out  # type: ignore[operator]  # left early
    assert row.refund_due is None and row.updated_at == T0 + timedelta(days=11)


def test_a_cancellation_inside_the_fee_window_shows_the_fee_the_refund_and_what_was_refunded() -> None:
    rid, pid = uuid4(), uuid4()
    row = _every_order(
        [
            _placed(rid, pid),
            _confirmed(rid),
            ReservationCancelled(
                reservation_id=rid,
                guest_id=7,
                hotel_id=3,
                fee=145,
                refund_amount=145,
                currency="EUR",
                occurred_at=T0 + timedelta(days=8),
            ),
            PaymentRefunded(
                reservation_id=rid,
                payment_id=pid,
                guest_id=7,
                amount=145,
                currency="EUR",
                kept=145,
                occurred_at=T0 + timedelta(days=8, seconds=5),
            ),
        ]
    )
    assert (row.status, row.payment_status) == ("cancelled", "refunded")
    assert (row.fee, row.refund_amount, row.refund_due) == (145, 145, 145)
    assert (row.refunded_amount, row.kept_amount) == (145, 145)


def test_a_no_show_keeps_the_fee_and_a_non_refundable_one_leaves_the_payment_kept() -> None:
    rid, pid = uuid4(), uuid4()
    no_show = ReservationNoShow(
        reservation_id=rid,
        guest_id=7,
        hotel_id=3,
        fee=100,
        refund_amount=190,
        currency="EUR",
        occurred_at=T0 + timedelta(days=11),
    )
    refunded = PaymentRefunded(
        reservation_id=rid, payment_id=pid, guest_id=7, amount=190, currency="EUR", kept=100, occurred_at=T0
    )
    row = _every_order([_placed(rid, pid), _confirmed(rid), no_show, refunded])
    assert (row.status, row.fee, row.refund_due, row.refunded_amount, row.payment_status) == (
        "no_show",
        100,
        190,
        190,
        "refunded",
    )
    # Non-refundable: nothing goes back, so no refund is ever made and none is awaited.
    kept_all = replace(no_show, fee=290, refund_amount=0)
    row = _every_order([_placed(rid, pid, policy={**POLICY, "kind": "non_refundable"}), _confirmed(rid), kept_all])
    assert (row.status, row.fee, row.refund_due, row.payment_status) == ("no_show", 290, 0, "approved")


def test_a_late_stay_event_never_reopens_a_reservation_that_ended() -> None:
    rid, pid = uuid4(), uuid4()
    cancelled = ReservationCancelled(reservation_id=rid, guest_id=7, hotel_id=3, fee=0, refund_amount=290)
    checked_in = ReservationCheckedIn(reservation_id=rid, guest_id=7, hotel_id=3, on=date(2026, 12, 11))
    row = _apply([_placed(rid, pid), cancelled, checked_in])
    assert row is not None and row.status == "cancelled"


def test_a_rejection_and_an_old_cancellation_give_everything_back() -> None:
    rid, pid = uuid4(), uuid4()
    rejected = ReservationRejected(reservation_id=rid, guest_id=7, hotel_id=3, reason="full")
    row = _apply([_placed(rid, pid), rejected])
    assert row is not None and (row.fee, row.refund_due) == (None, 290)
    v1_cancel = ReservationCancelled(reservation_id=rid, guest_id=7, hotel_id=3)  # no fee, no refund amount
    row = _apply([_placed(rid, pid), _confirmed(rid), v1_cancel])
    assert row is not None and (row.status, row.fee, row.refund_due) == ("cancelled", None, 290)
