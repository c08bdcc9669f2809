from __future__ import annotations

from uuid import uuid4

import pytest

from consumers.payment import refund
from domain.payment.events import PaymentRefunded
from domain.payment.model import PaymentStatus
from domain.reservation.events import ReservationCancelled, ReservationRejected
from domain.shared.errors import PaymentUnavailable
from tests.unit.conftest import GUEST, World


async def test_charging_twice_for_one_reservation_charges_once(world: World) -> None:
    rid = uuid4()
    first = await world.gateway.charge(reservation_id=rid, guest_id=GUEST, amount=500, currency="KRW")
    second = await world.gateway.charge(reservation_id=rid, guest_id=GUEST, amount=500, currency="KRW")
    assert first == second
    assert world.provider.charged == {f"charge:{rid}": 500}
    assert len(world.payment_uow.outbox) == 1


async def test_a_cancelled_or_rejected_reservation_is_refunded_once(world: World) -> None:
    for event_type in (ReservationCancelled, ReservationRejected):
        rid = uuid4()
        await world.gateway.charge(reservation_id=rid, guest_id=GUEST, amount=700, currency="KRW")
        kwargs = {"reservation_id": rid, "guest_id": GUEST, "hotel_id": 1}
        event = event_type(**kwargs, reason="x") if event_type is ReservationRejected else event_type(**kwargs)
        for _ in range(2):
            await refund(event, world.payment_uow, world.provider, world.clock)
        stored = world.payment_uow.store["payments"][rid]
        assert stored.status is PaymentStatus.REFUNDED
        refunds = [e for e in world.payment_uow.outbox if isinstance(e, PaymentRefunded) and e.reservation_id == rid]
        assert len(refunds) == 1 and refunds[0].amount == 700
    assert len(world.provider.refunded) == 2


async def test_no_payment_no_refund(world: World) -> None:
    await refund(
        ReservationCancelled(reservation_id=uuid4(), guest_id=GUEST, hotel_id=1),
        world.payment_uow,
        world.provider,
        world.clock,
    )
    assert world.provider.calls == 0


async def test_a_cancellation_fee_keeps_part_and_refunds_the_rest_through_the_same_path(world: World) -> None:
    rid = uuid4()
    await world.gateway.charge(reservation_id=rid, guest_id=GUEST, amount=700, currency="KRW")
    cancelled = ReservationCancelled(
        reservation_id=rid, guest_id=GUEST, hotel_id=1, fee=200, refund_amount=500, currency="KRW"
    )
    for _ in range(2):
        await refund(cancelled, world.payment_uow, world.provider, world.clock)
    assert list(world.provider.refunded.values()) == [500]
    refunds = [e for e in world.payment_uow.outbox if isinstance(e, PaymentRefunded)]
    assert [(e.amount, e.kept) for e in refunds] == [(500, 200)]
    assert world.payment_uow.store["payments"][rid].refunded_amount == 500


async def test_a_non_refundable_cancellation_gives_nothing_back_and_calls_no_provider(world: World) -> None:
    rid = uuid4()
    await world.gateway.charge(reservation_id=rid, guest_id=GUEST, amount=700, currency="KRW")
    cancelled = ReservationCancelled(
        reservation_id=rid, guest_id=GUEST, hotel_id=1, fee=700, refund_amount=0, currency="KRW"
    )
    await refund(cancelled, world.payment_uow, world.provider, world.clock)
    assert world.provider.refunded == {}
    assert world.payment_uow.store["payments"][rid].status is PaymentStatus.APPROVED


async def test_a_charge_whose_answer_was_lost_is_reversed_so_nothing_stays_charged(world: World) -> None:
    rid = uuid4()
    world.provider.mode = "fail"
    with pytest.raises(PaymentUnavailable):
        await world.gateway.charge(reservation_id=rid, guest_id=GUEST, amount=900, currency="KRW")
    assert world.provider.voided == [f"charge:{rid}"]
    assert world.payment_uow.store["payments"] == {} and world.payment_uow.outbox == []
