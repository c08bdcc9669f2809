"""The seed's whole scenario, through Telegram messages and button presses, on SQLite with the
in-process bus and on PostgreSQL with RabbitMQ."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import ADMIN, GUEST, GUEST2, MANAGER, World, pick_day, say, tap

pytestmark = pytest.mark.e2e


def seoul_today() -> date:
    from datetime import datetime

    return datetime.now(ZoneInfo("Asia/Seoul")).date()


async def setup_hotel(world: World) -> None:
    api = world.api
    admin, manager = api.user(ADMIN, "Ada"), api.user(MANAGER, "Mia")
    await say(admin, "/addhotel Seaside Inn | Busan | Asia/Seoul | KRW", "Hotel 1 added")
    await say(admin, f"/grant {MANAGER} 1", "now manages hotel 1")
    menu = await say(manager, "/start", "Pick your language")
    await tap(manager, menu, "English", "Language set")
    for number in ("101", "102"):
        await say(manager, "/addroom", "What is its number")
        await say(manager, number, "What type")
        await say(manager, "double", "How many guests")
        await say(manager, "two", "whole number")  # text where a number belongs: asked again
        await say(manager, "2", "Price per night in KRW")
        await say(manager, "-5", "above zero")
        await say(manager, "120000", f"Room {number} (double, up to 2, 120,000 KRW/night) is added")


async def book(world: World, guest_id: int, name: str, check_in: date, nights: int, room: str) -> str:
    guest = world.api.user(guest_id, name)
    menu = await say(guest, "/start", "Pick your language")
    await tap(guest, menu, "English", "Language set")
    calendar = await say(guest, "/book", "pick your check-in day")
    calendar = await pick_day(guest, calendar, check_in, "Now pick your check-out day")
    ask = await pick_day(guest, calendar, check_in + timedelta(days=nights), "How many guests")
    await say(guest, "9", "take 1 to 2 guests")  # too many guests: asked again
    rooms = await tap(guest, ask, "2", "Free from")
    confirm = await tap(guest, rooms, room, "Please check")
    assert f"Total: {120_000 * nights:,} KRW" in confirm.text
    receipt = await tap(guest, confirm, "Pay", "Paid — thank you!")
    assert "waiting for the hotel's approval" in receipt.text
    return receipt.text.split("Reservation ")[1].split()[0]


async def test_the_whole_scenario(world: World) -> None:
    api = world.api
    await setup_hotel(world)
    manager = api.users[MANAGER]
    start = seoul_today() + timedelta(days=3)

    # A guest books and pays; the manager gets the request and approves it.
    code1 = await book(world, GUEST, "Gus", start, 2, "101")
    request = await manager.expect(f"New reservation {code1}")
    approved = await tap(manager, request, "✅ Approve", "Approved by Mia")
    assert approved.reply_markup is None or not approved.buttons()
    guest = api.users[GUEST]
    await guest.expect(f"confirmed your reservation {code1}")

    # A second guest books; the manager rejects with a reason; the guest is told and refunded.
    code2 = await book(world, GUEST2, "Gia", start, 1, "102")
    request2 = await manager.expect(f"New reservation {code2}")
    ask = await tap(manager, request2, "❌ Reject", "Why are you rejecting")
    await tap(manager, ask, "We are fully booked", "Done")
    guest2 = api.users[GUEST2]
    await guest2.expect(f"could not accept reservation {code2}: We are fully booked")
    await guest2.expect(f"refunded for reservation {code2}")
    await manager.expect("Rejected by Mia")

    # The first guest cancels the confirmed booking and sees the refund.
    listing = await say(guest, "/my", code1)
    assert "confirmed" in listing.text
    question = await tap(guest, listing, f"Cancel {code1}", "will be refunded")
    await tap(guest, question, "Yes, cancel it", f"Reservation {code1} is cancelled")
    await guest.expect(f"refunded for reservation {code1}")

    # /my and /board show the right states, read from the view.
    async def states_settled() -> None:
        for _ in range(100):
            listing = await say(guest, "/my", code1)
            if "cancelled" in listing.text and "refunded" in listing.text:
                return
        raise AssertionError(listing.text)

    await states_settled()
    listing2 = await say(guest2, "/my", code2)
    assert "rejected" in listing2.text and "refunded" in listing2.text and code1 not in listing2.text
    board = await say(manager, "/board", "Seaside Inn")
    assert "Room 101" in board.text and "Room 102" in board.text
    assert f"{code1}" in board.text and f"{code2}" in board.text
    assert "cancelled" in board.text and "rejected" in board.text
