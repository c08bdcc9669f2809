"""What managers and guests are told is true, in the order things happened: a manager copy ends
showing what became of the reservation, and nobody is told of a state it has already left."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from consumers import NAMES
from domain.hotel import commands as hc
from domain.reservation.commands import CancelReservation
from main.processes import Runtime
from tests.botapi import Message, User
from tests.conftest import truncate_all
from tests.e2e.conftest import World, running_world, tap
from tests.integration.helpers import MANAGER, eventually, place, seed_hotel, stay

pytestmark = pytest.mark.e2e
GUEST_ID = 77


async def _requested(world: World) -> tuple[Any, User, User, Message]:
    """A paid reservation whose request reached the hotel's manager, with its buttons."""
    api, c = world.api, world.runtime.container
    manager, guest = api.user(MANAGER, "Mia"), api.user(GUEST_ID, "Ann")
    _, (room,) = await seed_hotel(c, sync_catalog=False)
    r = await c.handle(place(room, GUEST_ID, *stay(c)))
    request = await manager.expect("New reservation", timeout=20)
    assert request.buttons() == ["✅ Approve", "❌ Reject"]
    return r, manager, guest, request


async def _status(world: World, reservation_id: Any, status: str) -> None:
    async def reached() -> bool:
        async with world.runtime.container.reservation_uow() as uow:
            r = await uow.reservations.get(reservation_id)
        return r is not None and r.status.value == status

    await eventually(reached, timeout=20)


async def _shows(message: Message, *parts: str, timeout: float = 20) -> None:
    async def shown() -> bool:
        return all(p in message.text for p in parts)

    try:
        await eventually(shown, timeout=timeout)
    except AssertionError:
        raise AssertionError(f"the manager's copy ends as {message.text!r}, without {parts}") from None


async def test_a_guest_cancelling_a_confirmed_reservation_is_shown_on_every_manager_copy_and_told_to_managers(
    world: World,
) -> None:
    r, manager, guest, request = await _requested(world)
    await tap(manager, request, "✅ Approve", "Approved by Mia")
    await _status(world, r.id, "confirmed")
    await guest.expect("confirmed your reservation")
    await world.runtime.container.handle(CancelReservation(reservation_id=r.id, guest_id=GUEST_ID))

    await manager.expect("The guest cancelled reservation", timeout=20)
    await _shows(request, "Approved by Mia", "Cancelled by the guest")
    assert request.buttons() == []


async def test_a_cancellation_at_the_instant_a_manager_approves_ends_shown_as_cancelled(sqlite_world: World) -> None:
    world = sqlite_world
    r, _, guest, request = await _requested(world)
    c = world.runtime.container
    approve = c.handle(hc.ApproveReservation(reservation_id=r.id, manager_id=MANAGER, manager_name="Mia"))
    cancel = c.handle(CancelReservation(reservation_id=r.id, guest_id=GUEST_ID))
    await asyncio.gather(approve, cancel, return_exceptions=True)  # whichever the hotel hears first

    await _status(world, r.id, "cancelled")
    await guest.expect("has been refunded", timeout=20)  # cancelled outside the chat: the refund says so
    await _shows(request, "Cancelled by the guest")
    assert request.buttons() == []
    assert not [m for m in guest.inbox if "confirmed your reservation" in m.text]


async def test_a_request_withdrawn_while_it_awaited_a_decision_never_stays_a_bare_request(
    pg_url: str, amqp: Any
) -> None:
    """The notifier hears of the cancellation before the hotel consumer does (it is down): the
    managers' copy must not lose its buttons while it still reads as an open request, and must
    end showing that the guest cancelled once the hotel catches up."""
    await truncate_all(pg_url)
    async with running_world(database_url=pg_url, **amqp()) as world:
        r, _, guest, request = await _requested(world)
        await world.runtime.stop()
        without_hotel = tuple(n for n in NAMES if n != "hotel")
        world.runtime = Runtime(world.settings, consumers=without_hotel, relay_sweep_s=0.5)
        await world.runtime.start()
        await world.runtime.container.handle(CancelReservation(reservation_id=r.id, guest_id=GUEST_ID))
        await guest.expect("has been refunded", timeout=20)  # cancelled outside the chat: the refund says so
        if "Cancelled by the guest" not in request.text:
            assert request.buttons() == ["✅ Approve", "❌ Reject"], f"a bare request: {request.text!r}"

        await world.restart()  # the hotel consumer is back and withdraws the request
        await _shows(request, "Cancelled by the guest")
        assert request.buttons() == []


async def test_a_guest_told_cancelled_is_never_told_confirmed_afterwards(sqlite_url: str) -> None:
    """Telegram refuses the 'confirmed' notice once (a 502); before it is tried again, the guest
    cancels. The late 'confirmed' is stale: the guest's last word must be the cancellation."""
    async with running_world(database_url=sqlite_url, retry_delays_s=(3.0, 3.0, 3.0)) as world:
        r, _, guest, request = await _requested(world)
        c = world.runtime.container
        world.api.fail_next["sendMessage"] = [{"error_code": 502, "description": "Bad Gateway"}]
        await c.handle(hc.ApproveReservation(reservation_id=r.id, manager_id=MANAGER, manager_name="Mia"))
        await _status(world, r.id, "confirmed")
        await _shows(request, "Approved by Mia")

        async def refused() -> bool:  # the confirmed notice was tried, and refused
            return world.api.fail_next["sendMessage"] == []

        await eventually(refused, timeout=20)
        await c.handle(CancelReservation(reservation_id=r.id, guest_id=GUEST_ID))
        await guest.expect("has been refunded", timeout=20)

        confirmed = await _event_id(c, r.id, "reservation.confirmed")

        async def confirmed_notice_handled() -> bool:
            async with c.hotel_uow() as uow:
                return bool(await uow.seen("notifier", confirmed))

        await eventually(confirmed_notice_handled, timeout=30)
        told = [m.text for m in guest.inbox]
        cancelled_at = next(i for i, text in enumerate(told) if "has been refunded" in text)
        assert not [t for t in told[cancelled_at:] if "confirmed your reservation" in t], told


async def _event_id(c: Any, reservation_id: Any, routing_key: str) -> Any:
    from sqlalchemy import select

    from infra.db.tables import reservation_messaging

    outbox = reservation_messaging.outbox
    async with c.engine("reservation").connect() as conn:
        return await conn.scalar(
            select(outbox.c.event_id).where(
                outbox.c.correlation_key == str(reservation_id), outbox.c.routing_key == routing_key
            )
        )
