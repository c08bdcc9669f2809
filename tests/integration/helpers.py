from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from consumers import reservation as reservation_consumer
from domain.hotel import commands as hc
from domain.hotel.model import Hotel, Room
from domain.reservation.commands import PlaceReservation
from domain.reservation.events import ReservationPlaced
from infra.messaging.consumer import transactional
from main.bootstrap import Container

MANAGER = 5000


async def seed_hotel(
    container: Container,
    rooms: int = 1,
    capacity: int = 2,
    price: int = 10_000,
    tz: str = "Europe/Berlin",
    sync_catalog: bool = True,
) -> tuple[Hotel, list[Room]]:
    """A hotel with a manager and rooms, returned once the reservation context knows the rooms:
    filled from the hotel's RoomCreated events exactly as its consumer would, or, with
    `sync_catalog=False`, by the running bus (and then waited for)."""
    hotel = await container.handle(hc.AddHotel(name="Seaside", city="Busan", timezone=tz, currency="EUR"))
    await container.handle(hc.GrantManager(hotel_id=hotel.id, user_id=MANAGER))
    created = []
    for n in range(rooms):
        room = await container.handle(
            hc.CreateRoom(
                hotel_id=hotel.id,
                number=str(101 + n),
                room_type="double",
                capacity=capacity,
                price_per_night=price,
                actor_id=MANAGER,
            )
        )
        created.append(room)
        if sync_catalog:
            consumer = transactional("reservation", container.reservation_uow, reservation_consumer.POLICIES)
            await consumer.handle(room.events[-1])
    for room in created:
        await wait_for_catalog(container, room)
    return hotel, created


def stay(container: Container, days_ahead: int = 10, nights: int = 2) -> tuple[date, date]:
    check_in = container.clock.now().date() + timedelta(days=days_ahead)
    return check_in, check_in + timedelta(days=nights)


def place(room: Room, guest: int, check_in: date, check_out: date, guests: int = 1, **kw: Any) -> PlaceReservation:
    return PlaceReservation(
        guest_id=guest,
        guest_name=f"Guest {guest}",
        room_id=room.id,
        check_in=check_in,
        check_out=check_out,
        guests=guests,
        **kw,
    )


async def eventually(check: Any, timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll an async check until it returns something truthy; fail with its last answer."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Any = None
    while loop.time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"not reached within {timeout}s; last answer: {last!r}")


async def wait_for_catalog(container: Container, room: Room) -> None:
    await eventually(lambda: container.availability.room(room.id))


def placed_event(guest: int) -> ReservationPlaced:
    """A ReservationPlaced of a reservation of its own, for feeding consumers directly."""
    return ReservationPlaced(
        reservation_id=uuid4(),
        guest_id=guest,
        guest_name=f"Guest {guest}",
        hotel_id=1,
        hotel_name="Seaside",
        room_id=uuid4(),
        room_number="101",
        check_in=date(2027, 3, 1),
        check_out=date(2027, 3, 3),
        guests=1,
        total_price=20_000,
        currency="EUR",
        payment_id=uuid4(),
    )
