"""What the bot promised a guest holds: the price on the Pay button is the price charged."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.hotel import commands as hc
from domain.reservation.commands import PlaceReservation
from tests.e2e.conftest import GUEST, MANAGER, World, pick_day, say, tap
from tests.e2e.test_scenario import seoul_today, setup_hotel

pytestmark = pytest.mark.e2e


async def _set_room(world: World, number: str, **changes: object) -> None:
    """The manager changes a room through the hotel's command; waits until guests' catalog has it."""
    c = world.runtime.container
    (room,) = [r for r in await c.hotels.rooms(1) if r.number == number]
    await c.handle(hc.UpdateRoom(room_id=room.id, actor_id=MANAGER, **changes))  # type: ignore[arg-type]
    for _ in range(200):
        seen = await c.availability.room(room.id)
        if seen is not None and all(getattr(seen, k) == v for k, v in changes.items()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the catalog never saw {changes}")


async def _to_confirm(world: World, nights: int = 1) -> tuple[object, object]:
    guest = world.api.user(GUEST, "Gus")
    check_in = seoul_today() + timedelta(days=3)
    calendar = await say(guest, "/book", "pick your check-in day")
    calendar = await pick_day(guest, calendar, check_in, "Now pick your check-out day")
    ask = await pick_day(guest, calendar, check_in + timedelta(days=nights), "How many guests")
    rooms = await tap(guest, ask, "2", "Free from")
    confirm = await tap(guest, rooms, "101", "Please check")
    assert "Pay 120,000 KRW and book" in confirm.buttons()
    return guest, confirm


async def test_a_price_raised_after_the_confirm_screen_is_shown_and_asked_again_never_charged(world: World) -> None:
    await setup_hotel(world)
    guest, confirm = await _to_confirm(world)
    await _set_room(world, "101", price_per_night=999_000)

    asked = await tap(guest, confirm, "Pay", "price changed to 999,000 KRW")  # type: ignore[arg-type]
    assert "Nothing was charged" in asked.text
    assert "Pay 999,000 KRW and book" in asked.buttons()
    assert not [m for m in guest.inbox if "Paid" in m.text]  # type: ignore[attr-defined]
    assert await world.runtime.container.views.guest_reservations(GUEST) == []
    # The guest agrees to the new total: exactly that is charged.
    receipt = await tap(guest, asked, "Pay 999,000 KRW", "Paid — thank you!")  # type: ignore[arg-type]
    assert "Paid: 999,000 KRW" in receipt.text


async def test_a_room_taken_out_of_service_after_the_confirm_screen_is_explained_and_not_charged(
    world: World,
) -> None:
    await setup_hotel(world)
    guest, confirm = await _to_confirm(world)
    await _set_room(world, "101", in_service=False)
    rooms = await tap(guest, confirm, "Pay", "room 101 is no longer available")  # type: ignore[arg-type]
    assert "Nothing was charged" in rooms.text and rooms.buttons()[0].startswith("102")
    assert not [m for m in guest.inbox if "Paid" in m.text]  # type: ignore[attr-defined]


async def test_a_guest_with_many_reservations_can_cancel_one_from_a_long_list(world: World) -> None:
    await setup_hotel(world)
    c = world.runtime.container
    (room,) = [r for r in await c.hotels.rooms(1) if r.number == "101"]
    start = seoul_today() + timedelta(days=3)
    for n in range(12):
        check_in = start + timedelta(days=n)
        await c.handle(
            PlaceReservation(
                guest_id=GUEST,
                guest_name="Gus",
                room_id=room.id,
                check_in=check_in,
                check_out=check_in + timedelta(days=1),
                guests=1,
            )
        )
    for _ in range(200):
        if len(await c.views.guest_reservations(GUEST)) == 12:
            break
        await asyncio.sleep(0.05)
    guest = world.api.user(GUEST, "Gus")
    listing = await say(guest, "/my", "Your reservations")
    assert len(listing.text) > 1000
    code = listing.buttons()[-1].removeprefix("Cancel ")
    question = await tap(guest, listing, f"Cancel {code}", "will be refunded")
    await tap(guest, question, "Yes, cancel it", f"Reservation {code} is cancelled")
    assert not [m for m in guest.inbox if "too long" in m.text]
