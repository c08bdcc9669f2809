"""A reservation is made on exactly the terms the guest confirmed, or not at all."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.reservation import handlers as reservation
from domain.reservation.commands import PlaceReservation
from domain.reservation.model import ReservationStatus
from domain.shared import errors
from tests.unit.conftest import GUEST, World


def _cmd(world: World, total: int, currency: str = "KRW") -> PlaceReservation:
    assert world.room is not None
    return PlaceReservation(
        guest_id=GUEST,
        guest_name="Ann Guest",
        room_id=world.room.id,
        check_in=date(2026, 12, 10),
        check_out=date(2026, 12, 10) + timedelta(days=2),
        guests=2,
        total=total,
        currency=currency,
    )


async def _place(world: World, cmd: PlaceReservation):  # type: ignore[no-untyped-def]
    return await reservation.place_reservation(cmd, world.reservation_uow, world.gateway, world.clock, world.policy)


async def test_a_total_other_than_the_confirmed_one_holds_and_charges_nothing(world: World) -> None:
    with pytest.raises(errors.QuoteChanged) as raised:
        await _place(world, _cmd(world, total=2 * 9_000))
    assert raised.value.params == {"total": 2 * 10_000, "currency": "KRW"}
    with pytest.raises(errors.QuoteChanged):
        await _place(world, _cmd(world, total=2 * 10_000, currency="USD"))
    assert world.reservation_uow.store["reservations"] == {}
    assert len(world.reservation_uow.store["nights"]) == 0
    assert world.provider.calls == 0


async def test_the_confirmed_total_is_the_total_charged(world: World) -> None:
    r = await _place(world, _cmd(world, total=2 * 10_000))
    assert r.status is ReservationStatus.PLACED and r.total_price == 20_000
    assert list(world.provider.charged.values()) == [20_000]
