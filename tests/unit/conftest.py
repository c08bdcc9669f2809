from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from consumers import reservation as reservation_consumer
from domain.hotel import commands as hc
from domain.hotel import handlers as hotel
from domain.hotel.model import Room
from domain.payment import handlers as payment
from domain.reservation import handlers as reservation
from domain.reservation.commands import PlaceReservation
from domain.reservation.model import BookingPolicy, Reservation
from infra.clock import FixedClock
from tests.unit.fakes import FakeHotelUoW, FakePaymentUoW, FakeProvider, FakeReservationUoW

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
MANAGER = 500
GUEST = 1001
OTHER_GUEST = 1002


class FakeGateway:
    """The payment context answering the reservation context, in memory."""

    def __init__(self, uow: FakePaymentUoW, provider: FakeProvider, clock: FixedClock) -> None:
        self.uow, self.provider, self.clock = uow, provider, clock

    async def charge(self, *, reservation_id: UUID, guest_id: int, amount: int, currency: str) -> UUID:
        cmd = payment.ChargePayment(reservation_id=reservation_id, guest_id=guest_id, amount=amount, currency=currency)
        return (await payment.charge(cmd, self.uow, self.provider, self.clock)).id

    async def approved_payment(self, reservation_id: UUID) -> UUID | None:
        found = await payment.approved_payment(reservation_id, self.uow)
        return found.id if found else None


@dataclass
class World:
    clock: FixedClock
    hotel_uow: FakeHotelUoW
    reservation_uow: FakeReservationUoW
    payment_uow: FakePaymentUoW
    provider: FakeProvider
    gateway: FakeGateway
    policy: BookingPolicy
    hotel_id: int = 0
    room: Room | None = None

    async def add_room(self, number: str = "101", capacity: int = 2, price: int = 10_000) -> Room:
        room = await hotel.create_room(
            hc.CreateRoom(
                hotel_id=self.hotel_id,
                number=number,
                room_type="double",
                capacity=capacity,
                price_per_night=price,
                actor_id=MANAGER,
            ),
            self.hotel_uow,
        )
        # The reservation context learns of the room from the event, as it would over the bus.
        async with self.reservation_uow as uow:
            await reservation_consumer.room_changed(room.events[-1], uow)  # type: ignore[arg-type]
            await uow.commit()
        return room

    async def place(
        self,
        check_in: date = date(2026, 12, 10),
        nights: int = 2,
        guests: int = 2,
        guest: int = GUEST,
        room_id: UUID | None = None,
        reservation_id: UUID | None = None,
    ) -> Reservation:
        assert self.room is not None
        cmd = PlaceReservation(
            guest_id=guest,
            guest_name="Ann Guest",
            room_id=room_id or self.room.id,
            check_in=check_in,
            check_out=check_in + timedelta(days=nights),
            guests=guests,
            reservation_id=reservation_id,
        )
        return await reservation.place_reservation(cmd, self.reservation_uow, self.gateway, self.clock, self.policy)


@pytest.fixture
async def world() -> World:
    clock = FixedClock(NOW)
    payment_uow, provider = FakePaymentUoW(), FakeProvider()
    w = World(
        clock,
        FakeHotelUoW(),
        FakeReservationUoW(),
        payment_uow,
        provider,
        FakeGateway(payment_uow, provider, clock),
        BookingPolicy(max_nights=30),
    )
    h = await hotel.add_hotel(
        hc.AddHotel(name="Seaside", city="Busan", timezone="Asia/Seoul", currency="KRW"), w.hotel_uow
    )
    w.hotel_id = h.id or 0
    await hotel.grant_manager(hc.GrantManager(hotel_id=w.hotel_id, user_id=MANAGER), w.hotel_uow)
    w.room = await w.add_room()
    return w
