"""What the bot promised a guest holds: the price on the Pay button is the price charged."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from domain.hotel import commands as hc
from domain.reservation.commands import PlaceReservation
from tests.botapi import Message, User
from tests.conftest import PG_ADMIN_URL, truncate_all
from tests.e2e.conftest import GUEST, MANAGER, World, pick_day, running_world, say, tap
from tests.e2e.test_scenario import book, seoul_today, setup_hotel

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


async def edit(world: World, user: User, message_id: int, text: str, expect: str | None) -> Message | None:
    """The user edits one of their earlier messages; waits for the bot's answer (if one is due)."""
    after = len(user.inbox)
    now = int(time.time())
    world.api.inject(
        {
            "edited_message": {
                "message_id": message_id,
                "date": now - 5,
                "edit_date": now,
                "chat": user.as_chat(),
                "from": user.as_from(),
                "text": text,
            }
        }
    )
    if expect is None:
        await world.api.wait_idle()
        return None
    return await user.expect(expect, after=after)


async def test_an_edited_check_in_date_is_noted_and_the_calendar_still_waits(sqlite_world: World) -> None:
    world = sqlite_world
    await setup_hotel(world)
    guest = world.api.user(GUEST, "Gus")
    check_in = seoul_today() + timedelta(days=5)
    await say(guest, "/book", "pick your check-in day")
    after = len(guest.inbox)
    typo = await guest.send(check_in.isoformat().replace("-", "--"))
    await guest.expect("could not read that date", after=after)
    await edit(world, guest, typo, check_in.isoformat(), "I saw you edited a message")
    await edit(world, guest, typo, check_in.isoformat() + " ", None)  # told once per message
    assert sum("edited a message" in m.text for m in guest.inbox) == 1
    assert not [m for m in guest.inbox if "went wrong" in m.text or "did not understand" in m.text]
    await say(guest, check_in.isoformat(), "Now pick your check-out day")


async def test_an_edited_rejection_reason_is_noted_and_the_decision_stands(sqlite_world: World) -> None:
    world = sqlite_world
    await setup_hotel(world)
    manager = world.api.users[MANAGER]
    code = await book(world, GUEST, "Gus", seoul_today() + timedelta(days=3), 1, "101")
    request = await manager.expect(f"New reservation {code}")
    prompt = await tap(manager, request, "❌ Reject", "Pick a reason, or type your own")
    after = len(manager.inbox)
    reply = await manager.send("The pool is closed", reply_to=prompt)
    await manager.expect("Done", after=after)
    await edit(world, manager, reply, "The spa is closed", "I saw you edited a message")
    await world.api.wait_idle()
    assert not [m for m in manager.inbox if "went wrong" in m.text]
    await world.api.users[GUEST].expect(f"could not accept reservation {code}: The pool is closed")


async def test_an_edit_during_addroom_is_not_taken_as_the_next_answer(sqlite_world: World) -> None:
    world = sqlite_world
    await setup_hotel(world)
    manager = world.api.users[MANAGER]
    await say(manager, "/addroom", "What is its number")
    after = len(manager.inbox)
    number = await manager.send("303")
    await manager.expect("What type", after=after)
    await edit(world, manager, number, "304", "I saw you edited a message")
    await say(manager, "suite", "How many guests")
    await say(manager, "2", "Price per night")
    await say(manager, "150000", "Room 303 (suite, up to 2, 150,000 KRW/night) is added")


async def test_in_a_group_the_bot_answers_once_with_a_link_to_a_private_chat(sqlite_world: World) -> None:
    world = sqlite_world
    api = world.api
    await setup_hotel(world)
    guest = api.user(GUEST, "Gus")
    group = {"id": -100555, "type": "supergroup", "title": "Trip planning"}
    for text in ("/book", "who is coming?"):
        api.inject(
            {
                "message": {
                    "message_id": api.next_message_id(group["id"]),  # type: ignore[arg-type]
                    "date": int(time.time()),
                    "chat": group,
                    "from": guest.as_from(),
                    "text": text,
                    **({"entities": [{"type": "bot_command", "offset": 0, "length": 5}]} if text[0] == "/" else {}),
                }
            }
        )
    await api.wait_idle()
    (answer,) = [m for m in api.sent if m.chat_id == group["id"]]
    assert "private chat" in answer.text
    (button,) = (answer.reply_markup or {})["inline_keyboard"][0]
    assert button["url"] == "https://t.me/hotel_test_bot?start=book"
    assert guest.inbox == []  # nothing started anywhere
    # The link opens the private chat with "/start book": the booking begins there.
    await say(guest, "/start book", "pick your check-in day")


async def test_a_past_day_on_the_calendar_is_a_plain_number_and_pressing_it_changes_nothing(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    await setup_hotel(world)
    guest = world.api.user(GUEST, "Gus")
    calendar = await say(guest, "/book", "pick your check-in day")
    today = seoul_today()
    if today.day == 1:
        pytest.skip("no past day in the first month shown")
    yesterday = str(today.day - 1)
    assert yesterday in calendar.buttons() and not any(b.startswith("·") for b in calendar.buttons())
    before = (calendar.text, str(calendar.reply_markup))
    await guest.press(calendar, yesterday)
    await world.api.wait_idle()
    assert guest.answers[-1]["text"] == "That day has already passed. Please pick a later day."
    assert (calendar.text, str(calendar.reply_markup)) == before
    await say(guest, today.isoformat(), "Now pick your check-out day")


@pytest.fixture
async def pg_world(pg_url: str, amqp: Callable[..., dict[str, Any]]) -> AsyncIterator[World]:
    await truncate_all(pg_url)
    async with running_world(database_url=pg_url, **amqp()) as w:
        yield w


async def _drop_every_connection(url: str) -> int:
    """What a database restart does to the pool: every server process behind it is gone."""
    database = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        killed = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await conn.close()
    await asyncio.sleep(0.2)  # the server has closed the sockets
    return int(killed)


async def test_guests_notice_nothing_when_the_database_drops_every_connection(pg_world: World) -> None:
    world = pg_world
    await setup_hotel(world)
    guests = [world.api.user(GUEST + n, f"Guest {n}") for n in range(6)]
    check_in = seoul_today() + timedelta(days=4)

    async def everyone(step: Callable[[Any, int], Any]) -> list[Any]:
        return list(await asyncio.gather(*(step(g, n) for n, g in enumerate(guests))))

    await everyone(lambda g, n: say(g, "/book", "pick your check-in day"))
    assert await _drop_every_connection(world.settings.database_url) > 0
    await everyone(lambda g, n: say(g, (check_in + timedelta(days=n)).isoformat(), "Now pick your check-out day"))
    assert await _drop_every_connection(world.settings.database_url) > 0
    asks = await everyone(lambda g, n: say(g, (check_in + timedelta(days=n + 1)).isoformat(), "How many guests"))
    rooms = await everyone(lambda g, n: tap(g, asks[n], "1", "Free from"))
    confirms = await everyone(lambda g, n: tap(g, rooms[n], "101", "Please check"))
    assert await _drop_every_connection(world.settings.database_url) > 0
    await everyone(lambda g, n: tap(g, confirms[n], "Pay", "Paid — thank you!"))
    assert not [m for g in guests for m in g.inbox if "went wrong" in m.text]
