from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from consumers import reservation as reservation_consumer
from domain.hotel.events import ReservationApproved, ReservationRejectedByHotel, RoomUpdated
from domain.reservation import handlers as reservation
from domain.reservation.commands import CancelReservation
from domain.reservation.events import (
    ReservationCancelled,
    ReservationConfirmed,
    ReservationPlaced,
    ReservationRejected,
)
from domain.reservation.model import ReservationStatus
from domain.shared import errors
from tests.unit.conftest import GUEST, NOW, OTHER_GUEST, World


def nights_held(w: World) -> int:
    return len(w.reservation_uow.store["nights"])


def assert_nothing_left(w: World) -> None:
    assert w.reservation_uow.store["reservations"] == {}
    assert nights_held(w) == 0
    assert w.reservation_uow.outbox == []
    assert w.payment_uow.outbox == []


async def test_a_paid_reservation_is_placed_holds_its_nights_and_announces_itself(world: World) -> None:
    r = await world.place(nights=3)
    assert r.status is ReservationStatus.PLACED
    assert r.total_price == 3 * 10_000 and r.currency == "KRW"
    assert nights_held(world) == 3
    (placed,) = world.reservation_uow.outbox
    assert isinstance(placed, ReservationPlaced)
    assert placed.reservation_id == r.id and placed.room_number == "101" and placed.payment_id == r.payment_id
    assert [type(e).__name__ for e in world.payment_uow.outbox] == ["PaymentApproved"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"nights": 0}, errors.CheckOutNotAfterCheckIn),
        ({"nights": -2}, errors.CheckOutNotAfterCheckIn),
        ({"check_in": date(2026, 11, 30)}, errors.CheckInInPast),
        ({"nights": 31}, errors.StayTooLong),
        ({"guests": 3}, errors.GuestCountOutOfRange),
        ({"guests": 0}, errors.GuestCountOutOfRange),
        ({"room_id": uuid4()}, errors.NotFound),
        ({"check_in": date(2029, 1, 1)}, errors.BookingTooFarAhead),
    ],
)
async def test_a_stay_that_breaks_a_rule_is_refused_with_a_reason_and_changes_nothing(
    world: World, kwargs: dict, error: type[errors.DomainError]
) -> None:
    with pytest.raises(error) as raised:
        await world.place(**kwargs)
    assert type(raised.value) is error
    assert_nothing_left(world)
    assert world.provider.calls == 0


async def test_past_is_judged_in_the_hotels_timezone(world: World) -> None:
    # 2026-12-01 10:00 UTC is already 19:00 in Seoul; 2026-11-30 is past there, 12-01 is today.
    world.clock.set(NOW.replace(hour=16))  # 01:00 on 12-02 in Seoul
    with pytest.raises(errors.CheckInInPast):
        await world.place(check_in=date(2026, 12, 1))
    r = await world.place(check_in=date(2026, 12, 2))
    assert r.status is ReservationStatus.PLACED


async def test_a_room_out_of_service_takes_no_bookings(world: World) -> None:
    room = world.room
    assert room is not None
    async with world.reservation_uow as uow:
        catalog_room = await uow.catalog.get(room.id)
        assert catalog_room is not None
        await reservation_consumer.room_changed(
            RoomUpdated(**{**catalog_room.__dict__, "in_service": False, "revision": 2}), uow
        )
        await uow.commit()
    with pytest.raises(errors.RoomOutOfService):
        await world.place()


async def test_a_night_already_held_cannot_be_booked_again(world: World) -> None:
    await world.place(check_in=date(2026, 12, 10), nights=3)
    with pytest.raises(errors.RoomTaken):
        await world.place(check_in=date(2026, 12, 12), nights=2, guest=OTHER_GUEST)
    assert nights_held(world) == 3
    # the night the first guest checks out is free
    r = await world.place(check_in=date(2026, 12, 13), nights=1, guest=OTHER_GUEST)
    assert r.status is ReservationStatus.PLACED


@pytest.mark.parametrize(("mode", "error"), [("decline", errors.PaymentDeclined), ("fail", errors.PaymentUnavailable)])
async def test_a_reservation_whose_payment_failed_leaves_nothing_behind(
    world: World, mode: str, error: type[errors.DomainError]
) -> None:
    world.provider.mode = mode
    with pytest.raises(error):
        await world.place()
    assert_nothing_left(world)
    world.provider.mode = "ok"
    assert (await world.place()).status is ReservationStatus.PLACED  # the nights are free again


async def test_a_guest_cancels_their_reservation_and_its_nights_are_freed(world: World) -> None:
    r = await world.place()
    cancelled = await reservation.cancel_reservation(
        CancelReservation(reservation_id=r.id, guest_id=GUEST), world.reservation_uow, world.clock
    )
    assert cancelled.status is ReservationStatus.CANCELLED
    assert nights_held(world) == 0
    assert isinstance(world.reservation_uow.outbox[-1], ReservationCancelled)


async def test_nobody_cancels_someone_elses_reservation(world: World) -> None:
    r = await world.place()
    with pytest.raises(errors.NotFound):
        await reservation.cancel_reservation(
            CancelReservation(reservation_id=r.id, guest_id=OTHER_GUEST), world.reservation_uow, world.clock
        )
    assert world.reservation_uow.store["reservations"][r.id].status is ReservationStatus.PLACED


async def test_cancelling_is_refused_once_check_in_day_starts_at_the_hotel(world: World) -> None:
    r = await world.place(check_in=date(2026, 12, 2))
    world.clock.set(NOW.replace(hour=15, minute=30))  # 00:30 on 12-02 in Seoul
    with pytest.raises(errors.CancelTooLate):
        await reservation.cancel_reservation(
            CancelReservation(reservation_id=r.id, guest_id=GUEST), world.reservation_uow, world.clock
        )


async def test_the_hotels_approval_confirms_a_placed_reservation(world: World) -> None:
    r = await world.place()
    async with world.reservation_uow as uow:
        await reservation_consumer.approved(
            ReservationApproved(reservation_id=r.id, hotel_id=world.hotel_id, decided_by=500, decided_by_name="Mia"),
            uow,
        )
        await uow.commit()
    assert world.reservation_uow.store["reservations"][r.id].status is ReservationStatus.CONFIRMED
    assert isinstance(world.reservation_uow.outbox[-1], ReservationConfirmed)


async def test_the_hotels_rejection_rejects_and_frees_the_nights(world: World) -> None:
    r = await world.place()
    async with world.reservation_uow as uow:
        await reservation_consumer.rejected(
            ReservationRejectedByHotel(
                reservation_id=r.id,
                hotel_id=world.hotel_id,
                decided_by=500,
                decided_by_name="Mia",
                reason="closed for works",
            ),
            uow,
        )
        await uow.commit()
    stored = world.reservation_uow.store["reservations"][r.id]
    assert stored.status is ReservationStatus.REJECTED and stored.reason == "closed for works"
    assert nights_held(world) == 0
    assert isinstance(world.reservation_uow.outbox[-1], ReservationRejected)


async def test_a_decision_arriving_after_the_guest_cancelled_changes_nothing(world: World) -> None:
    r = await world.place()
    await reservation.cancel_reservation(
        CancelReservation(reservation_id=r.id, guest_id=GUEST), world.reservation_uow, world.clock
    )
    events_before = len(world.reservation_uow.outbox)
    async with world.reservation_uow as uow:
        await reservation_consumer.approved(
            ReservationApproved(reservation_id=r.id, hotel_id=1, decided_by=500, decided_by_name="Mia"), uow
        )
        await uow.commit()
    assert world.reservation_uow.store["reservations"][r.id].status is ReservationStatus.CANCELLED
    assert len(world.reservation_uow.outbox) == events_before


async def test_illegal_transitions_are_refused_with_a_clear_error(world: World) -> None:
    r = await world.place()
    stored = world.reservation_uow.store["reservations"][r.id]
    stored.reject("no")
    with pytest.raises(errors.IllegalTransition) as refused:
        stored.cancel(GUEST, NOW, "UTC")
    assert refused.value.params == {"status": "rejected", "action": "cancelled"}
    with pytest.raises(errors.IllegalTransition):
        stored.confirm("Mia")
    r2 = await world.place(check_in=date(2026, 12, 20))
    await reservation.cancel_reservation(
        CancelReservation(reservation_id=r2.id, guest_id=GUEST), world.reservation_uow, world.clock
    )
    with pytest.raises(errors.IllegalTransition):
        await reservation.cancel_reservation(
            CancelReservation(reservation_id=r2.id, guest_id=GUEST), world.reservation_uow, world.clock
        )


async def test_a_hold_left_by_a_crash_is_placed_if_paid_and_released_if_not(world: World) -> None:
    from domain.reservation.model import Reservation

    async with world.reservation_uow as uow:
        room = await uow.catalog.get(world.room.id)  # type: ignore[union-attr]
        assert room is not None
        paid = Reservation.request(
            room=room,
            guest_id=GUEST,
            guest_name="A",
            check_in=date(2026, 12, 10),
            check_out=date(2026, 12, 11),
            guests=1,
            now=NOW,
            policy=world.policy,
        )
        unpaid = Reservation.request(
            room=room,
            guest_id=GUEST,
            guest_name="A",
            check_in=date(2026, 12, 12),
            check_out=date(2026, 12, 13),
            guests=1,
            now=NOW,
            policy=world.policy,
        )
        for r in (paid, unpaid):
            await uow.reservations.add(r)
            await uow.nights.hold(r)
        await uow.commit()
    await world.gateway.charge(reservation_id=paid.id, guest_id=GUEST, amount=1, currency="KRW")
    world.clock.advance(timedelta(minutes=10))
    placed, released = await reservation.settle_stale_payments(
        world.reservation_uow, world.gateway, world.clock.now() - timedelta(minutes=5)
    )
    assert (len(placed), len(released)) == (1, 1)
    store = world.reservation_uow.store
    assert store["reservations"][paid.id].status is ReservationStatus.PLACED
    assert unpaid.id not in store["reservations"] and nights_held(world) == 1


async def test_an_older_room_snapshot_never_overwrites_a_newer_one(world: World) -> None:
    room = world.room
    assert room is not None
    async with world.reservation_uow as uow:
        current = await uow.catalog.get(room.id)
        assert current is not None
        newer = RoomUpdated(**{**current.__dict__, "price_per_night": 20_000, "revision": 3})
        older = RoomUpdated(**{**current.__dict__, "price_per_night": 15_000, "revision": 2})
        await reservation_consumer.room_changed(newer, uow)
        await reservation_consumer.room_changed(older, uow)
        await uow.commit()
    assert world.reservation_uow.store["catalog"][room.id].price_per_night == 20_000


async def test_paid_but_not_recorded_keeps_the_hold_and_the_sweep_places_it(world: World) -> None:
    uow = world.reservation_uow
    original = uow.commit
    calls = 0

    async def commit_fails_once_paid() -> None:
        nonlocal calls
        calls += 1
        if calls == 2:  # the commit after the payment: the database went away
            raise ConnectionError("database gone")
        await original()

    uow.commit = commit_fails_once_paid  # type: ignore[method-assign]
    with pytest.raises(errors.PaymentTakenBookingPending):
        await world.place()
    (held,) = uow.store["reservations"].values()
    assert held.status is ReservationStatus.PENDING_PAYMENT and nights_held(world) == 2
    assert world.provider.voided == []  # the money was taken, rightly: the booking will stand
    world.clock.advance(timedelta(minutes=10))
    settled = await reservation.settle_stale_payments(uow, world.gateway, world.clock.now())
    assert (len(settled.placed), len(settled.released)) == (1, 0)
    assert uow.store["reservations"][held.id].status is ReservationStatus.PLACED


async def test_pay_pressed_again_after_a_lost_answer_is_the_same_booking_charged_once(world: World) -> None:
    """The process that took the first press died before answering: the guest presses Pay again."""
    rid = uuid4()
    first = await world.place(reservation_id=rid)
    again = await world.place(reservation_id=rid)
    assert again.id == first.id and again.status is ReservationStatus.PLACED
    assert world.provider.calls == 1 and nights_held(world) == 2
    assert len(world.reservation_uow.store["reservations"]) == 1
    with pytest.raises(errors.NotFound):  # someone else's booking is not theirs to see
        await world.place(reservation_id=rid, guest=OTHER_GUEST)


async def test_pay_pressed_again_while_the_first_payment_is_being_settled_charges_nothing(world: World) -> None:
    uow = world.reservation_uow
    original = uow.commit
    calls = 0

    async def commit_fails_once_paid() -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("database gone")
        await original()

    uow.commit = commit_fails_once_paid  # type: ignore[method-assign]
    rid = uuid4()
    with pytest.raises(errors.PaymentTakenBookingPending):
        await world.place(reservation_id=rid)
    with pytest.raises(errors.PaymentBeingSettled):
        await world.place(reservation_id=rid)
    assert world.provider.calls == 1 and nights_held(world) == 2


async def test_pay_pressed_again_after_the_booking_was_cancelled_changes_nothing(world: World) -> None:
    rid = uuid4()
    await world.place(reservation_id=rid)
    await reservation.cancel_reservation(
        CancelReservation(reservation_id=rid, guest_id=GUEST), world.reservation_uow, world.clock
    )
    with pytest.raises(errors.AlreadyDecided):
        await world.place(reservation_id=rid)
    assert world.provider.calls == 1 and nights_held(world) == 0
