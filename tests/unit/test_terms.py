"""A hotel's terms: every price and policy rule, at its boundaries, and through the handlers that
apply them (a quote kept after the rules change, the refund at the last free day in the hotel's
timezone, check-in, check-out and the no-show)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from consumers import reservation as reservation_consumer
from domain.hotel import commands as hc
from domain.hotel import handlers as hotel
from domain.reservation import handlers as reservation
from domain.reservation.commands import CancelReservation, QuoteCancellation
from domain.reservation.events import ReservationCancelled, ReservationNoShow, ReservationPlaced
from domain.reservation.model import ReservationStatus
from domain.shared.errors import InvalidTerms, NotAllowed, NotStaying, StayTooLong, StayTooShort
from domain.shared.terms import (
    NON_REFUNDABLE,
    CancellationPolicy,
    ExtraGuests,
    HotelTerms,
    MinStay,
    Quote,
    Rate,
    Season,
    WeekendRate,
)
from tests.unit.conftest import GUEST, MANAGER, World

ROOM = uuid4()
OTHER_ROOM = uuid4()
BASE = 120_000
# 2026-12-24 is a Thursday; the nights of Friday 25 and Saturday 26 are weekend nights.
XMAS = Season("Christmas", date(2026, 12, 24), date(2026, 12, 26), Rate(amount=200_000))


def lines(quote: Quote) -> list[tuple[str, int, int]]:
    return [(line.kind, line.nights, line.price) for line in quote.lines]


def test_a_stay_without_rules_costs_the_base_price_every_night() -> None:
    quote = HotelTerms().quote(ROOM, BASE, date(2026, 12, 7), date(2026, 12, 10), 2)
    assert lines(quote) == [("base", 3, BASE)] and quote.total == 3 * BASE and quote.first_night == BASE


def test_a_weekend_night_costs_the_weekend_price_and_its_line_names_the_day() -> None:
    terms = HotelTerms(weekend_rates=(WeekendRate(Rate(amount=150_000)),))
    # Wed 9, Thu 10, Fri 11 nights... Wednesday 2026-12-09 to Saturday 12-12: Wed, Thu base; Fri weekend
    quote = terms.quote(ROOM, BASE, date(2026, 12, 9), date(2026, 12, 12), 1)
    assert lines(quote) == [("base", 2, BASE), ("weekend", 1, 150_000)]
    assert quote.lines[1].weekdays == (4,)  # Friday
    assert quote.total == 2 * BASE + 150_000


def test_the_hotel_says_which_nights_are_the_weekend() -> None:
    terms = HotelTerms(weekend_days=frozenset({5, 6}), weekend_rates=(WeekendRate(Rate(percent=25)),))
    quote = terms.quote(ROOM, BASE, date(2026, 12, 11), date(2026, 12, 14), 1)  # Fri, Sat, Sun nights
    assert lines(quote) == [("base", 1, BASE), ("weekend", 2, 150_000)]
    assert quote.lines[1].weekdays == (5, 6)


def test_a_stay_spanning_a_season_boundary_pays_each_night_its_own_price() -> None:
    terms = HotelTerms(seasons=(XMAS,))
    quote = terms.quote(ROOM, BASE, date(2026, 12, 22), date(2026, 12, 25), 2)  # 22, 23 base; 24 season
    assert lines(quote) == [("base", 2, BASE), ("season", 1, 200_000)]
    assert quote.lines[1].name == "Christmas"
    assert terms.quote(ROOM, BASE, date(2026, 12, 26), date(2026, 12, 28), 2).lines[0].kind == "season"  # last night
    assert terms.quote(ROOM, BASE, date(2026, 12, 27), date(2026, 12, 28), 2).lines[0].kind == "base"  # the day after


def test_a_season_wins_over_the_weekend_and_a_rule_for_the_room_over_one_for_every_room() -> None:
    for_room = Season("Suite festival", date(2026, 12, 25), date(2026, 12, 25), Rate(amount=300_000), room_id=ROOM)
    terms = HotelTerms(seasons=(XMAS, for_room), weekend_rates=(WeekendRate(Rate(amount=150_000)),))
    assert terms.night_price(ROOM, BASE, date(2026, 12, 25))[0] == 300_000
    assert terms.night_price(OTHER_ROOM, BASE, date(2026, 12, 25))[0] == 200_000
    assert terms.night_price(OTHER_ROOM, BASE, date(2027, 1, 1))[0] == 150_000  # a Friday, no season


def test_guests_beyond_those_included_cost_more_every_night_and_the_first_night_includes_them() -> None:
    terms = HotelTerms(extra_guests=(ExtraGuests(included=2, per_night=20_000),))
    quote = terms.quote(ROOM, BASE, date(2026, 12, 7), date(2026, 12, 10), 4)
    assert lines(quote) == [("base", 3, BASE), ("extra_guests", 3, 40_000)]
    assert quote.lines[1].extra == 2
    assert quote.total == 3 * BASE + 3 * 40_000 and quote.first_night == BASE + 40_000
    assert lines(terms.quote(ROOM, BASE, date(2026, 12, 7), date(2026, 12, 10), 2)) == [("base", 3, BASE)]


def test_a_percentage_rounds_half_up_in_minor_units() -> None:
    assert Rate(percent=25).price(99) == 124  # 123.75
    assert Rate(percent=-10).price(105) == 95  # 94.5 -> 95
    assert Rate(percent=-90).price(1) == 1  # never free


@pytest.mark.parametrize(
    "build",
    [
        lambda: Rate(),
        lambda: Rate(amount=0),
        lambda: Rate(percent=-95),
        lambda: Season("x", date(2026, 12, 2), date(2026, 12, 1), Rate(amount=1)),
        lambda: Season("   ", date(2026, 12, 1), date(2026, 12, 1), Rate(amount=1)),
        lambda: MinStay(1, arrival_weekday=4),
        lambda: MinStay(2),
        lambda: CancellationPolicy(free_days=0),
        lambda: CancellationPolicy(fee="percent", percent=101),
        lambda: HotelTerms(check_in_time="25:00"),
        lambda: HotelTerms(min_nights=3, max_nights=2),
    ],
)
def test_a_rule_that_makes_no_sense_is_refused(build: object) -> None:
    with pytest.raises(InvalidTerms):
        build()  # type: ignore[operator]


def test_a_minimum_stay_by_arrival_day_or_dates_is_explained() -> None:
    terms = HotelTerms(
        min_stays=(
            MinStay(2, arrival_weekday=4),  # Friday arrivals
            MinStay(3, first_day=date(2026, 12, 24), last_day=date(2027, 1, 2)),
        )
    )
    with pytest.raises(StayTooShort) as friday:
        terms.check_stay(ROOM, date(2026, 12, 11), date(2026, 12, 12), 30)
    assert friday.value.params == {"min_nights": 2, "arrival_weekday": 4, "first_day": None, "last_day": None}
    terms.check_stay(ROOM, date(2026, 12, 11), date(2026, 12, 13), 30)
    terms.check_stay(ROOM, date(2026, 12, 10), date(2026, 12, 11), 30)  # a Thursday: one night is fine
    with pytest.raises(StayTooShort) as holidays:
        terms.check_stay(ROOM, date(2026, 12, 25), date(2026, 12, 27), 30)  # a Friday in the range: 3 wins
    assert holidays.value.params["min_nights"] == 3 and holidays.value.params["first_day"] == "2026-12-24"
    with pytest.raises(StayTooLong):
        HotelTerms(max_nights=7).check_stay(ROOM, date(2026, 12, 1), date(2026, 12, 9), 30)


def test_the_policy_is_free_until_the_last_free_day_then_keeps_its_fee() -> None:
    quote = HotelTerms(seasons=(XMAS,)).quote(ROOM, BASE, date(2026, 12, 24), date(2026, 12, 27), 2)
    assert quote.total == 600_000
    first_night = CancellationPolicy(free_days=7, fee="first_night")
    assert first_night.last_free_day(date(2026, 12, 24)) == date(2026, 12, 17)
    assert first_night.fee_for(quote, date(2026, 12, 24), date(2026, 12, 17)) == 0
    assert first_night.fee_for(quote, date(2026, 12, 24), date(2026, 12, 18)) == 200_000
    half = CancellationPolicy(free_days=3, fee="percent", percent=50)
    assert half.fee_for(quote, date(2026, 12, 24), date(2026, 12, 21)) == 0
    assert half.fee_for(quote, date(2026, 12, 24), date(2026, 12, 22)) == 300_000
    assert NON_REFUNDABLE.last_free_day(date(2026, 12, 24)) is None
    assert NON_REFUNDABLE.fee_for(quote, date(2026, 12, 24), date(2026, 11, 1)) == 600_000


def test_terms_survive_their_wire_form() -> None:
    terms = HotelTerms(
        revision=4,
        seasons=(XMAS, Season("Fest", date(2027, 5, 1), date(2027, 5, 3), Rate(percent=30), room_id=ROOM)),
        weekend_days=frozenset({5}),
        weekend_rates=(WeekendRate(Rate(amount=150_000), room_id=OTHER_ROOM),),
        extra_guests=(ExtraGuests(2, 20_000),),
        min_nights=2,
        max_nights=14,
        min_stays=(MinStay(3, arrival_weekday=4), MinStay(4, first_day=date(2027, 1, 1), last_day=date(2027, 1, 3))),
        check_in_time="14:00",
        check_out_time="10:30",
        policy=CancellationPolicy(free_days=5, fee="percent", percent=30),
    )
    assert HotelTerms.from_dict(terms.to_dict()) == terms
    quote = terms.quote(ROOM, BASE, date(2027, 4, 30), date(2027, 5, 3), 3)
    assert Quote.from_dicts(quote.to_dicts()) == quote


# --- through the handlers ----------------------------------------------------------------------


async def set_terms(world: World, terms: HotelTerms) -> HotelTerms:
    async with world.hotel_uow as uow:
        current = await uow.terms.get(world.hotel_id)
    stored = await hotel.change_terms(
        hc.ChangeTerms(
            hotel_id=world.hotel_id,
            terms=terms,
            expected_revision=current.revision if current else 0,
            actor_id=MANAGER,
        ),
        world.hotel_uow,
    )
    # the reservation context takes the copy from the event, as it would over the bus
    async with world.reservation_uow as uow:
        await reservation_consumer.terms_changed(world.hotel_uow.outbox[-1], uow)  # type: ignore[arg-type]
        await uow.commit()
    return stored


async def test_a_reservation_keeps_its_quote_and_policy_when_the_rules_change_later(world: World) -> None:
    await set_terms(world, HotelTerms(seasons=(XMAS,), policy=CancellationPolicy(free_days=7)))
    placed = await world.place(check_in=date(2026, 12, 23), nights=2)  # 23 base 10,000; 24 season
    assert placed.total_price == 10_000 + 200_000
    announced = [e for e in world.reservation_uow.outbox if isinstance(e, ReservationPlaced)][-1]
    assert announced.price_lines == [
        {"kind": "base", "nights": 1, "price": 10_000},
        {"kind": "season", "nights": 1, "price": 200_000, "name": "Christmas"},
    ]
    assert announced.policy == {"kind": "free_until", "free_days": 7, "fee": "first_night", "percent": 100}
    await set_terms(world, HotelTerms(policy=NON_REFUNDABLE))
    async with world.reservation_uow as uow:
        stored = await uow.reservations.get(placed.id)
    assert stored is not None and stored.total_price == 210_000 and stored.policy.free_days == 7


async def test_a_manager_of_another_hotel_cannot_change_the_terms_and_a_stale_edit_is_refused(world: World) -> None:
    with pytest.raises(NotAllowed):
        await hotel.change_terms(
            hc.ChangeTerms(hotel_id=world.hotel_id, terms=HotelTerms(), expected_revision=0, actor_id=GUEST),
            world.hotel_uow,
        )
    await set_terms(world, HotelTerms(min_nights=2))
    with pytest.raises(InvalidTerms) as stale:
        await hotel.change_terms(
            hc.ChangeTerms(hotel_id=world.hotel_id, terms=HotelTerms(), expected_revision=0, actor_id=MANAGER),
            world.hotel_uow,
        )
    assert stale.value.params["rule"] == "stale"


async def test_the_admins_default_policy_is_where_a_new_hotel_starts(world: World) -> None:
    await hotel.set_default_policy(hc.SetDefaultPolicy(policy=NON_REFUNDABLE), world.hotel_uow)
    added = await hotel.add_hotel(
        hc.AddHotel(name="Hill", city="Seoul", timezone="Asia/Seoul", currency="KRW"), world.hotel_uow
    )
    async with world.hotel_uow as uow:
        terms = await uow.terms.get(added.id or 0)
    assert terms is not None and terms.policy == NON_REFUNDABLE


async def confirm(world: World, reservation_id: object) -> None:
    """The hotel's approval, carried to the reservation context as over the bus."""
    async with world.hotel_uow as uow:
        request = await uow.approvals.get(reservation_id)  # type: ignore[arg-type]
    if request is None:
        placed = [e for e in world.reservation_uow.outbox if isinstance(e, ReservationPlaced)][-1]
        from consumers import hotel as hotel_consumer

        async with world.hotel_uow as uow:
            await hotel_consumer.placed(placed, uow)
            await uow.commit()
    approved = await hotel.approve_reservation(
        hc.ApproveReservation(reservation_id=reservation_id, manager_id=MANAGER, manager_name="Mia"),  # type: ignore[arg-type]
        world.hotel_uow,
        world.clock,
    )
    async with world.reservation_uow as uow:
        await reservation_consumer.approved(approved.events[-1], uow)  # type: ignore[arg-type]
        await uow.commit()


async def test_the_refund_at_the_last_free_day_is_judged_in_the_hotels_timezone(world: World) -> None:
    # Asia/Seoul is UTC+9: 2026-12-07 15:00 UTC is already the 8th at the hotel.
    await set_terms(world, HotelTerms(policy=CancellationPolicy(free_days=3, fee="percent", percent=50)))
    for at, fee in [(datetime(2026, 12, 7, 14, 59, tzinfo=UTC), 0), (datetime(2026, 12, 7, 15, 0, tzinfo=UTC), 10_000)]:
        world.clock.set(datetime(2026, 12, 1, tzinfo=UTC))
        placed = await world.place(check_in=date(2026, 12, 10), nights=2)  # 20,000
        await confirm(world, placed.id)
        world.clock.set(at)
        asked = await reservation.quote_cancellation(
            QuoteCancellation(reservation_id=placed.id, guest_id=GUEST), world.reservation_uow, world.clock
        )
        assert (asked.fee, asked.refund, asked.last_free_day) == (fee, 20_000 - fee, date(2026, 12, 7))
        await reservation.cancel_reservation(
            CancelReservation(reservation_id=placed.id, guest_id=GUEST), world.reservation_uow, world.clock
        )
        cancelled = [e for e in world.reservation_uow.outbox if isinstance(e, ReservationCancelled)][-1]
        assert (cancelled.fee, cancelled.refund_amount) == (fee, 20_000 - fee)


async def test_a_request_the_hotel_has_not_accepted_yet_is_withdrawn_free_even_when_non_refundable(
    world: World,
) -> None:
    await set_terms(world, HotelTerms(policy=NON_REFUNDABLE))
    placed = await world.place(check_in=date(2026, 12, 10), nights=2)
    await reservation.cancel_reservation(
        CancelReservation(reservation_id=placed.id, guest_id=GUEST), world.reservation_uow, world.clock
    )
    cancelled = [e for e in world.reservation_uow.outbox if isinstance(e, ReservationCancelled)][-1]
    assert (cancelled.fee, cancelled.refund_amount) == (0, 20_000)


async def stay_event(world: World, kind: type) -> None:
    async with world.reservation_uow as uow:
        event = [e for e in world.hotel_uow.outbox if isinstance(e, kind)][-1]
        await reservation_consumer.POLICIES[kind](event, uow)
        await uow.commit()


async def test_check_in_and_an_early_check_out_free_the_remaining_nights(world: World) -> None:
    from domain.hotel.events import GuestCheckedIn, GuestCheckedOut

    placed = await world.place(check_in=date(2026, 12, 10), nights=4)
    await confirm(world, placed.id)
    checkin = hc.CheckInGuest(reservation_id=placed.id, manager_id=MANAGER, manager_name="Mia")
    world.clock.set(datetime(2026, 12, 9, 6, tzinfo=UTC))  # the 9th at the hotel: too early
    with pytest.raises(NotStaying):
        await hotel.check_in_guest(checkin, world.hotel_uow, world.clock)
    world.clock.set(datetime(2026, 12, 10, 6, tzinfo=UTC))
    with pytest.raises(NotAllowed):
        await hotel.check_in_guest(
            hc.CheckInGuest(reservation_id=placed.id, manager_id=GUEST, manager_name="x"), world.hotel_uow, world.clock
        )
    await hotel.check_in_guest(checkin, world.hotel_uow, world.clock)
    await stay_event(world, GuestCheckedIn)
    world.clock.set(datetime(2026, 12, 12, 2, tzinfo=UTC))  # leaves on the 12th, two nights early
    await hotel.check_out_guest(
        hc.CheckOutGuest(reservation_id=placed.id, manager_id=MANAGER, manager_name="Mia"),
        world.hotel_uow,
        world.clock,
    )
    await stay_event(world, GuestCheckedOut)
    async with world.reservation_uow as uow:
        stored = await uow.reservations.get(placed.id)
    assert (
        stored is not None and stored.status is ReservationStatus.CHECKED_OUT and stored.left_on == date(2026, 12, 12)
    )
    held = sorted(night for (_, night), rid in world.reservation_uow.store["nights"].items() if rid == placed.id)
    assert held == [date(2026, 12, 10), date(2026, 12, 11)]


async def test_a_no_show_is_marked_once_after_the_hour_the_day_after_arrival_and_keeps_the_fee(world: World) -> None:
    from domain.hotel.events import GuestNoShow

    await set_terms(world, HotelTerms(policy=CancellationPolicy(free_days=2, fee="first_night")))
    placed = await world.place(check_in=date(2026, 12, 10), nights=3)  # 30,000
    await confirm(world, placed.id)
    mark = hc.MarkNoShows(now=datetime(2026, 12, 11, 2, 59, tzinfo=UTC), hour=12)  # 11:59 on the 11th
    assert await hotel.mark_no_shows(mark, world.hotel_uow) == []
    mark = hc.MarkNoShows(now=datetime(2026, 12, 11, 3, 0, tzinfo=UTC), hour=12)  # 12:00 on the 11th
    assert await hotel.mark_no_shows(mark, world.hotel_uow) == [placed.id]
    assert await hotel.mark_no_shows(mark, world.hotel_uow) == []  # once
    await stay_event(world, GuestNoShow)
    no_show = [e for e in world.reservation_uow.outbox if isinstance(e, ReservationNoShow)]
    assert [(e.fee, e.refund_amount) for e in no_show] == [(10_000, 20_000)]
    held = sorted(night for (_, night), rid in world.reservation_uow.store["nights"].items() if rid == placed.id)
    assert held == [date(2026, 12, 10)]  # the nights from the 11th on are free again
    with pytest.raises(NotStaying):
        await hotel.check_in_guest(
            hc.CheckInGuest(reservation_id=placed.id, manager_id=MANAGER, manager_name="Mia"),
            world.hotel_uow,
            world.clock,
        )
