"""Hotel rules as a guest meets them in the chat: a stay priced night by night (a season, a weekend
night, an extra guest) shown as a breakdown with the times and the cancellation policy before
paying, on the invoice and on the receipt; a cancellation inside the fee window that refunds
through the provider exactly what the policy gives back; a no-show told to the guest and the
managers; a stay the hotel's limits refuse, explained."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import callbacks as cb
from domain.hotel import commands as hc
from domain.shared.terms import CancellationPolicy, ExtraGuests, HotelTerms, MinStay, Rate, Season, WeekendRate
from tests.botapi import Message, User
from tests.e2e.conftest import GUEST, MANAGER, World, pick_day, say, tap
from tests.e2e.test_scenario import seoul_today, setup_hotel
from tests.e2e.test_telegram_payments import invoice_for, pay, paying_factory  # noqa: F401 (a fixture)
from tests.stripe_stub import StripeStub

pytestmark = pytest.mark.e2e

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def short(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


async def set_terms(world: World, **changes: Any) -> HotelTerms:
    """The hotel's terms changed through the hotel's own command; waits until the reservation
    context (what guests book on) has them."""
    c = world.runtime.container
    current = await c.hotels.terms(1)
    await c.handle(
        hc.ChangeTerms(
            hotel_id=1,
            terms=current.with_changes(**changes),
            expected_revision=current.revision,
            actor_id=MANAGER,
        )
    )
    stored = await c.hotels.terms(1)
    for _ in range(400):
        if (await c.availability.terms(1)).revision == stored.revision:
            return stored
        await asyncio.sleep(0.05)
    raise AssertionError("the reservation context never saw the hotel's new terms")


async def start_booking(world: World, guest_id: int, name: str) -> tuple[User, Message]:
    guest = world.api.user(guest_id, name)
    menu = await say(guest, "/start", "Pick your language")
    await tap(guest, menu, "English", "Language set")
    return guest, await say(guest, "/book", "pick your check-in day")


async def to_confirm(world: World, check_in: date, nights: int, guests: str) -> tuple[User, Message]:
    guest, calendar = await start_booking(world, GUEST, "Gus")
    calendar = await pick_day(guest, calendar, check_in, "Now pick your check-out day")
    ask = await pick_day(guest, calendar, check_in + timedelta(days=nights), "How many guests")
    rooms = await tap(guest, ask, guests, "Free from")
    return guest, await tap(guest, rooms, "101", "Please check")


async def listing_with(guest: User, code: str) -> Message:
    """/my, once the view (filled by events) has the reservation."""
    for _ in range(100):
        listing = await say(guest, "/my", "")
        if code in listing.text:
            return listing
        await asyncio.sleep(0.05)
    raise AssertionError(f"{code} never appeared in /my")


async def test_a_seasonal_stay_shows_its_breakdown_times_and_policy_before_paying_and_on_the_receipt(
    world: World,
) -> None:
    await setup_hotel(world)
    start = seoul_today() + timedelta(days=12)
    saturday_like = start + timedelta(days=2)
    await set_terms(
        world,
        seasons=(Season("Festival", start + timedelta(days=1), start + timedelta(days=1), Rate(amount=200_000)),),
        weekend_days=frozenset({saturday_like.weekday()}),
        weekend_rates=(WeekendRate(Rate(amount=150_000)),),
        extra_guests=(ExtraGuests(included=1, per_night=10_000),),
        check_in_time="14:00",
        check_out_time="10:30",
        policy=CancellationPolicy(free_days=3),
    )
    guest, confirm = await to_confirm(world, start, 3, "2")

    lines = (
        f"1 × 120,000 KRW + 1 × 200,000 KRW (Festival) + 1 × 150,000 KRW ({DAYS[saturday_like.weekday()]})"
        " + 3 × 10,000 KRW (1 extra guest(s))"
    )
    policy = (
        f"Free cancellation until {short(start - timedelta(days=3))}; after that the first night (130,000 KRW) is kept."
    )
    assert lines in confirm.text and "Total: 500,000 KRW" in confirm.text
    assert "Check-in from 14:00, check-out by 10:30 (hotel time)." in confirm.text
    assert policy in confirm.text
    assert "Pay 500,000 KRW and book" in confirm.buttons()

    receipt = await tap(guest, confirm, "Pay", "Paid — thank you!")
    assert lines in receipt.text and "Paid: 500,000 KRW" in receipt.text and policy in receipt.text
    code = receipt.text.split("Reservation ")[1].split()[0]
    manager = world.api.users[MANAGER]
    request = await manager.expect(f"New reservation {code}", timeout=20)
    assert "Paid: 500,000 KRW" in request.text

    # /my, read from the view: the same breakdown and policy, while it can still be cancelled.
    listing = await listing_with(guest, code)
    assert "500,000 KRW" in listing.text and "waiting for the hotel" in listing.text
    assert lines in listing.text and policy in listing.text


async def test_a_cancellation_inside_the_fee_window_refunds_what_the_policy_gives_back_through_the_provider(
    paying_factory: Any,  # noqa: F811 (the fixture)
) -> None:
    async with paying_factory() as (world, stripe):
        await _cancel_inside_the_fee_window(world, stripe)


async def _cancel_inside_the_fee_window(world: World, stripe: StripeStub) -> None:
    await setup_hotel(world)
    start = seoul_today() + timedelta(days=3)
    await set_terms(
        world,
        seasons=(Season("Festival", start + timedelta(days=1), start + timedelta(days=1), Rate(amount=200_000)),),
        policy=CancellationPolicy(free_days=7),  # the free days are already over
    )

    # The invoice: a line per rate, adding up to the total the confirm screen showed.
    invoice = await invoice_for(world, GUEST, "Gus", start, 2, "101")
    assert invoice.params["prices"] == [
        {"label": "1 night(s) × 120,000 KRW", "amount": 120_000},
        {"label": "1 night(s) × 200,000 KRW (Festival)", "amount": 200_000},
    ]
    assert invoice.invoice is not None and invoice.invoice["total_amount"] == 320_000
    guest = world.api.users[GUEST]
    _, provider_charge, receipt = await pay(guest, invoice)
    assert "1 × 120,000 KRW + 1 × 200,000 KRW (Festival)" in receipt.text and "Paid: 320,000 KRW" in receipt.text
    assert "If you cancel, the first night (120,000 KRW) is kept." in receipt.text
    code = receipt.text.split("Reservation ")[1].split()[0]

    # Accepted by the hotel: from now on the policy's fee applies.
    manager = world.api.users[MANAGER]
    request = await manager.expect(f"New reservation {code}", timeout=20)
    await tap(manager, request, "✅ Approve", "Approved by Mia")
    await guest.expect(f"confirmed your reservation {code}", timeout=20)

    # Before confirming, the guest sees what is kept and what comes back.
    listing = await listing_with(guest, code)
    question = await tap(guest, listing, f"Cancel {code}", "will be refunded")
    assert "Under the hotel's cancellation policy 120,000 KRW is kept; 200,000 KRW will be refunded." in question.text
    outcome = await tap(guest, question, "Yes, cancel it", f"Reservation {code} is cancelled")
    assert "120,000 KRW is kept under the cancellation policy; the refund of 200,000 KRW is on its way." in outcome.text

    # The provider refunds exactly that part of the charge, and the guest is told.
    await guest.expect(
        f"💸 200,000 KRW has been refunded for reservation {code}; 120,000 KRW was kept under the cancellation policy.",
        timeout=20,
    )
    assert stripe.refunded(provider_charge) == 200_000
    assert [r["amount"] for r in stripe.requests if r["charge"] == provider_charge] == ["200000"]
    for _ in range(100):  # /my follows from the view
        listing = await say(guest, "/my", code)
        if "Kept under the cancellation policy" in listing.text:
            break
        await asyncio.sleep(0.05)
    assert "Kept under the cancellation policy: 120,000 KRW · refunded: 200,000 KRW" in listing.text
    assert "cancelled" in listing.text and f"Cancel {code}" not in listing.buttons()


async def test_a_no_show_is_told_to_the_guest_and_the_managers_with_the_fee_kept_and_the_refund(
    world: World,
) -> None:
    await setup_hotel(world)
    start = seoul_today() + timedelta(days=3)
    await set_terms(world, policy=CancellationPolicy(free_days=7, fee="percent", percent=50))
    guest, confirm = await to_confirm(world, start, 2, "2")
    assert "If you cancel, 50% of the total (120,000 KRW) is kept." in confirm.text
    receipt = await tap(guest, confirm, "Pay", "Paid — thank you!")
    code = receipt.text.split("Reservation ")[1].split()[0]
    manager = world.api.users[MANAGER]
    request = await manager.expect(f"New reservation {code}", timeout=20)
    await tap(manager, request, "✅ Approve", "Approved by Mia")
    await guest.expect(f"confirmed your reservation {code}", timeout=20)

    # The day after arrival, past the no-show hour, the guest has not been checked in.
    day_after = datetime.combine(start + timedelta(days=1), datetime.min.time(), ZoneInfo("Asia/Seoul"))
    await world.runtime.container.handle(hc.MarkNoShows(now=day_after + timedelta(hours=12), hour=11))

    told = await guest.expect("closed as a no-show", timeout=20)
    assert "Under the cancellation policy 120,000 KRW is kept; 120,000 KRW will be refunded." in told.text
    await guest.expect(f"💸 120,000 KRW has been refunded for reservation {code}; 120,000 KRW was kept", timeout=20)
    managers = await manager.expect(f"No-show: reservation {code}", timeout=20)
    assert "Gus" in managers.text and "Kept: 120,000 KRW; refunded to the guest: 120,000 KRW." in managers.text
    for _ in range(100):
        listing = await say(guest, "/my", code)
        if "no-show" in listing.text:
            break
        await asyncio.sleep(0.05)
    assert "🚷 no-show" in listing.text and "Kept under the cancellation policy: 120,000 KRW" in listing.text


async def test_a_stay_shorter_or_longer_than_the_hotel_allows_is_explained_in_the_calendar_and_for_typed_dates(
    world: World,
) -> None:
    await setup_hotel(world)
    start = seoul_today() + timedelta(days=3)
    while start.day > 27:  # the next day is on the same page of the calendar
        start += timedelta(days=1)
    holidays = start + timedelta(days=14)
    await set_terms(
        world,
        max_nights=5,
        min_stays=(
            MinStay(2, arrival_weekday=start.weekday()),
            MinStay(3, first_day=holidays, last_day=holidays + timedelta(days=9)),
        ),
    )
    weekday = WEEKDAYS[start.weekday()]
    guest, calendar = await start_booking(world, GUEST, "Gus")
    calendar = await pick_day(guest, calendar, start, "Now pick your check-out day")
    assert f"At least 2 nights for {weekday} arrivals." in calendar.text

    # The next day is offered as taken-for-a-reason: pressing it says why, and nothing changes.
    why = cb.pack(cb.NOOP, "why", start + timedelta(days=1))
    assert why in [b.get("callback_data") for row in (calendar.reply_markup or {})["inline_keyboard"] for b in row]
    answers = len(guest.answers)
    await guest.press(calendar, why)
    for _ in range(200):
        if len(guest.answers) > answers:
            break
        await asyncio.sleep(0.02)
    too_short = f"This stay is too short: at least 2 nights for {weekday} arrivals."
    assert guest.answers[-1]["text"] == too_short and guest.answers[-1]["show_alert"]

    # Typed: refused with the same reason, and the calendar still waits for a check-out day.
    again = await say(guest, (start + timedelta(days=1)).isoformat(), too_short)
    assert "Now pick your check-out day" in again.text
    longer = await say(guest, (start + timedelta(days=7)).isoformat(), "A stay can be at most 5 nights; this one is 7.")
    assert "Now pick your check-out day" in longer.text
    await say(guest, (start + timedelta(days=2)).isoformat(), "How many guests")

    # A minimum for arrivals in a date range names the range.
    await say(guest, "/book", "pick your check-in day")
    await say(guest, holidays.isoformat(), "Now pick your check-out day")
    span = f"{short(holidays)} – {short(holidays + timedelta(days=9))}"
    await say(
        guest,
        (holidays + timedelta(days=2)).isoformat(),
        f"This stay is too short: at least 3 nights for arrivals {span}.",
    )


async def test_a_season_added_after_the_confirm_screen_is_shown_with_its_breakdown_and_asked_again(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    await setup_hotel(world)
    start = seoul_today() + timedelta(days=6)
    guest, confirm = await to_confirm(world, start, 2, "2")
    assert "2 × 120,000 KRW" in confirm.text and "Total: 240,000 KRW" in confirm.text

    # Meanwhile the hotel prices the second night as an event: nothing is charged at the old total.
    concert = start + timedelta(days=1)
    await set_terms(world, seasons=(Season("Concert", concert, concert, Rate(percent=50)),))
    asked = await tap(guest, confirm, "Pay", "price changed to 300,000 KRW")
    assert "1 × 120,000 KRW + 1 × 180,000 KRW (Concert)" in asked.text and "Total: 300,000 KRW" in asked.text
    assert not [m for m in guest.inbox if "Paid" in m.text]
    receipt = await tap(guest, asked, "Pay 300,000 KRW", "Paid — thank you!")
    assert "Paid: 300,000 KRW" in receipt.text and "1 × 180,000 KRW (Concert)" in receipt.text
