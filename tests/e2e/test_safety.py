"""Every button is checked on the server; bad input is answered politely and changes nothing;
a restart loses no guest half-way through a booking; stale buttons are refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot import callbacks as cb
from tests.e2e.conftest import ADMIN, GUEST, GUEST2, MANAGER, OTHER_MANAGER, World, say, tap
from tests.e2e.test_scenario import book, seoul_today, setup_hotel

pytestmark = pytest.mark.e2e


async def _reservation_id(world: World, code: str):  # type: ignore[no-untyped-def]
    rows = await world.runtime.container.views.guest_reservations(GUEST)
    for _ in range(100):
        found = [r for r in rows if code.endswith(r.reservation_id.hex[:8].upper())]
        if found:
            return found[0].reservation_id
        await asyncio.sleep(0.05)
        rows = await world.runtime.container.views.guest_reservations(GUEST)
    raise AssertionError(code)


async def test_nobody_decides_or_cancels_what_is_not_theirs(world: World) -> None:
    api = world.api
    await setup_hotel(world)
    admin, manager = api.users[ADMIN], api.users[MANAGER]
    await say(admin, "/addhotel Hill Lodge | Seoul | Asia/Seoul | KRW", "Hotel 2 added")
    await say(admin, f"/grant {OTHER_MANAGER} 2", "now manages hotel 2")
    code = await book(world, GUEST, "Gus", seoul_today() + timedelta(days=3), 1, "101")
    request = await manager.expect(f"New reservation {code}")
    approve_data = request.button_data("✅ Approve")
    rid = await _reservation_id(world, code)

    # A guest forges the manager's Approve button.
    intruder = api.users.get(GUEST2) or api.user(GUEST2, "Gia")
    note = await say(intruder, "/help", "/book")
    await intruder.press_data(note, approve_data)
    # Another hotel's manager presses it.
    other = api.user(OTHER_MANAGER, "Oto")
    note2 = await say(other, "/help", "/board")
    await other.press_data(note2, approve_data)
    # A guest tries to cancel someone else's reservation, and a forged, unparseable button.
    await intruder.press_data(note, cb.pack(cb.CANCEL_YES, rid))
    await intruder.press_data(note, "ap:not-a-uuid")
    await api.wait_idle()
    answers = [a["text"] for a in intruder.answers] + [a["text"] for a in other.answers]
    assert answers[0] == "Sorry, you are not allowed to do that." and answers[-1].startswith("Sorry, you are not")
    assert "This button is no longer valid. Nothing was changed." in answers
    approval = await world.runtime.container.hotels.approval(rid)
    assert approval is not None and approval.status.value == "pending"
    row = await world.runtime.container.views.reservation(rid)
    assert row is not None and row.status == "placed"
    assert code not in " ".join(m.text for m in intruder.inbox)  # nobody learns other guests' data

    # A guest runs an admin command.
    await say(intruder, "/addhotel Evil | X | UTC | EUR", "not allowed")
    assert len(await world.runtime.container.hotels.hotels()) == 2

    # The manager's decision is final; a second press is answered politely.
    decided = await tap(manager, request, "✅ Approve", "Approved by Mia")
    await manager.press_data(decided, approve_data)
    await api.wait_idle()
    assert manager.answers[-1]["text"].startswith("Too late: this reservation was already approved")


async def test_bad_input_is_answered_and_the_conversation_stays_where_it_was(world: World) -> None:
    api = world.api
    await setup_hotel(world)
    guest = api.user(GUEST, "Gus")
    await say(guest, "/book", "pick your check-in day")
    await say(guest, "tomorrow-ish", "could not read that date")
    await say(guest, "2020-01-01", "has already passed")
    await say(guest, "2026-02-30", "could not read that date")
    check_in = seoul_today() + timedelta(days=5)
    await say(guest, check_in.isoformat(), "Now pick your check-out day")
    await say(guest, (check_in - timedelta(days=1)).isoformat(), "must be after the check-in day")
    await say(guest, (check_in + timedelta(days=40)).isoformat(), "at most 30 nights")
    await say(guest, "x" * 5000, "too long")
    await say(guest, (check_in + timedelta(days=2)).isoformat(), "How many guests")
    await say(guest, "a lot", "whole number")
    await say(guest, "0", "take 1 to 2 guests")
    await say(guest, "2", "Free from")
    await say(guest, "/cancel", "Nothing was booked")
    await say(guest, "/cancel", "nothing to stop")


async def test_a_restart_mid_booking_continues_where_the_guest_was_and_old_buttons_are_refused(
    world: World,
) -> None:
    api = world.api
    await setup_hotel(world)
    guest = api.user(GUEST, "Gus")
    check_in = seoul_today() + timedelta(days=4)
    await say(guest, "/book", "pick your check-in day")
    calendar = await say(guest, check_in.isoformat(), "Now pick your check-out day")
    await world.restart()
    ask = await say(guest, (check_in + timedelta(days=1)).isoformat(), "How many guests")
    rooms = await tap(guest, ask, "1", "Free from")
    confirm = await tap(guest, rooms, "101", "Please check")
    await tap(guest, confirm, "Pay", "Paid — thank you!")
    # The old calendar's buttons belong to a finished conversation.
    await guest.press_data(calendar, cb.pack(cb.DAY, check_in + timedelta(days=2)))
    await api.wait_idle()
    assert guest.answers[-1]["text"] == "This button is no longer valid. Nothing was changed."


async def test_a_flooding_user_is_slowed_and_others_are_not(world: World) -> None:
    api = world.api
    flooder, calm = api.user(GUEST, "Flo"), api.user(GUEST2, "Cal")
    for _ in range(30):
        await flooder.send("/help")
    reply = await say(calm, "/help", "/book", timeout=5)
    answered_to_flooder_by_then = sum(1 for m in flooder.inbox if "/book" in m.text)
    assert answered_to_flooder_by_then < 30  # the flooder still waits; the calm user did not
    await flooder.expect("/book", after=29, timeout=30)
    assert reply.text.startswith("/book")


async def test_a_typed_rejection_reason_must_answer_the_prompt_and_other_texts_go_where_they_belong(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    api = world.api
    await setup_hotel(world)
    manager = api.users[MANAGER]
    code = await book(world, GUEST, "Gus", seoul_today() + timedelta(days=3), 1, "101")
    request = await manager.expect(f"New reservation {code}")
    prompt = await tap(manager, request, "❌ Reject", "or type your own")
    # The manager turns to something else first: those texts are not a rejection reason.
    await say(manager, "/addroom", "What is its number")
    await say(manager, "303", "What type")
    await say(manager, "/cancel", "Nothing was booked")
    rid = await _reservation_id(world, code)
    approval = await world.runtime.container.hotels.approval(rid)
    assert approval is not None and approval.status.value == "pending"
    # Then answers the prompt itself.
    after = len(manager.inbox)
    await manager.send("The pool is closed that week", reply_to=prompt)
    await manager.expect("Done", after=after)
    await api.users[GUEST].expect(f"could not accept reservation {code}: The pool is closed that week")
