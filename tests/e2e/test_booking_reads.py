"""What each step of a booking reads of the reservation context's catalog: one statement a step;
two for /book (the hotels with their timezones, then the check-in calendar's full nights) and for
the typed check-in day (the terms, then the nights the check-out calendar shows, which tell
whether that day is full); one when paying. Each read costs a round trip and a transaction of
the database's, and every guest's every step pays for it (see the README's Benchmarks)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from tests.e2e.conftest import GUEST, World, say, tap
from tests.e2e.test_scenario import seoul_today, setup_hotel

pytestmark = pytest.mark.e2e

CATALOG = ("reservation_rooms", "reservation_nights", "reservation_hotel_terms")


@pytest.mark.settings(scheduler_tick_s=3600)  # no timed work reads the catalog meanwhile
async def test_each_booking_step_reads_the_catalog_once_or_twice(world: World) -> None:
    await setup_hotel(world)
    guest = world.api.user(GUEST, "Gus")
    menu = await say(guest, "/start", "Pick your language")
    await tap(guest, menu, "English", "Language set")
    check_in = seoul_today() + timedelta(days=10)

    reads: list[str] = []

    def counted(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT") and any(table in statement for table in CATALOG):
            reads.append(statement)

    engine = world.runtime.container.engine("reservation").sync_engine  # its reader's too
    event.listen(engine, "before_cursor_execute", counted)
    try:
        steps = [
            # the hotels with their timezones, then the check-in calendar's full nights
            (lambda: say(guest, "/book", "pick your check-in day"), 2),
            (lambda: say(guest, check_in.isoformat(), "Now pick your check-out day"), 2),
            (lambda: say(guest, (check_in + timedelta(days=2)).isoformat(), "How many guests"), 1),
            (lambda: say(guest, "2", "Free from"), 1),
        ]
        for step, expected in steps:
            reads.clear()
            await step()
            assert len(reads) == expected, reads
        rooms = guest.inbox[-1]
        reads.clear()
        confirm = await tap(guest, rooms, "101", "Please check")
        assert len(reads) == 1, reads
        assert "Total: 240,000 KRW" in confirm.text  # quoted on the terms read with the rooms
        # Paying reads the room and its terms once more, in the transaction that holds the nights
        # (the guest pays what the catalog says now); the receipt names the room the confirm
        # screen named, without reading it again.
        reads.clear()
        receipt = await tap(guest, confirm, "Pay", "Paid — thank you!")
        assert len(reads) == 1, reads
        assert "Seaside Inn, room 101" in receipt.text, receipt.text
    finally:
        event.remove(engine, "before_cursor_execute", counted)
