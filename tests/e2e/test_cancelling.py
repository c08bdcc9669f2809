"""A guest who cancels reads one answer: the "Cancel …?" question becomes the outcome, and the
refund notice follows. No separate "is cancelled" message repeats what the guest just did."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.conftest import GUEST, World, say, tap
from tests.e2e.test_scenario import book, seoul_today, setup_hotel

pytestmark = pytest.mark.e2e


async def test_cancelling_edits_the_question_into_the_outcome_and_only_the_refund_follows(world: World) -> None:
    await setup_hotel(world)
    code = await book(world, GUEST, "Gus", seoul_today() + timedelta(days=3), 2, "101")
    guest = world.api.users[GUEST]
    listing = await say(guest, "/my", "")
    for _ in range(100):  # the list is read from the view, which the events fill a moment later
        if code in listing.text:
            break
        listing = await say(guest, "/my", "")
    question = await tap(guest, listing, f"Cancel {code}", "will be refunded")
    after = len(guest.inbox)
    outcome = await tap(guest, question, "Yes, cancel it", f"Reservation {code} is cancelled")
    assert outcome.message_id == question.message_id  # the question itself, edited
    assert "The refund of 240,000 KRW is on its way" in outcome.text and not outcome.buttons()
    await guest.expect(f"240,000 KRW has been refunded for reservation {code}", after=after)
    await world.api.wait_idle()
    assert [m.text for m in guest.inbox[after:]] == [f"💸 240,000 KRW has been refunded for reservation {code}."]
