"""Hotel rules on real storage and the running bus (SQLite + in-process bus, PostgreSQL +
RabbitMQ): terms reach the reservation side and price a stay; a rule changed later leaves a placed
reservation's price alone; a cancellation inside the fee window refunds part of the payment; a
no-show is marked by timed work on a controllable clock, once, with two scheduler replicas; an
early check-out frees the remaining nights."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.hotel import commands as hc
from domain.reservation.commands import CancelReservation
from domain.reservation.model import ReservationStatus
from domain.shared.terms import CancellationPolicy, HotelTerms, Rate, Season
from infra.clock import FixedClock
from main.bootstrap import Container
from main.jobs import Jobs
from main.processes import Runtime
from tests.botapi import FakeBotApi
from tests.conftest import make_settings
from tests.integration.helpers import MANAGER, eventually, place, seed_hotel

pytestmark = pytest.mark.integration
GUEST = 4343
# Europe/Berlin, winter: UTC+1.
BOOKED_AT = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
CHECK_IN = date(2027, 1, 20)  # a Wednesday


@pytest.fixture(params=["sqlite", "postgresql"])
async def runtime(request: Any, sqlite_url: str, pg: str) -> AsyncIterator[Runtime]:
    api = FakeBotApi()
    await api.start()
    url = sqlite_url if request.param == "sqlite" else pg
    settings = make_settings(database_url=url, telegram_api_base_url=api.base_url)
    clock = FixedClock(BOOKED_AT)
    rt = Runtime(settings, bot=False, scheduler=False, container=Container(settings, clock=clock), relay_sweep_s=0.2)
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop()
        await api.stop()


async def set_terms(c: Container, hotel_id: int, terms: HotelTerms) -> HotelTerms:
    current = await c.hotels.terms(hotel_id)
    stored: HotelTerms = await c.handle(
        hc.ChangeTerms(hotel_id=hotel_id, terms=terms, expected_revision=current.revision, actor_id=MANAGER)
    )

    async def copied() -> bool:
        return (await c.availability.terms(hotel_id)).revision == stored.revision

    await eventually(copied)
    return stored


async def status(c: Container, reservation_id: Any) -> ReservationStatus | None:
    async with c.reservation_uow() as uow:
        found = await uow.reservations.get(reservation_id)
    return found.status if found else None


async def confirmed(c: Container, reservation_id: Any) -> None:
    await eventually(lambda: c.hotels.approval(reservation_id))
    await c.handle(hc.ApproveReservation(reservation_id=reservation_id, manager_id=MANAGER, manager_name="Mia"))

    async def done() -> bool:
        return await status(c, reservation_id) is ReservationStatus.CONFIRMED

    await eventually(done)


async def refunded(c: Container, reservation_id: Any) -> Any:
    async def found() -> Any:
        async with c.payment_uow() as uow:
            payment = await uow.payments.by_reservation(reservation_id)
        return payment if payment is not None and payment.refunded_amount is not None else None

    return await eventually(found)


async def test_a_seasonal_price_is_charged_and_a_later_change_leaves_the_booking_alone(runtime: Runtime) -> None:
    c = runtime.container
    hotel, (room,) = await seed_hotel(c, sync_catalog=False, price=10_000)
    await set_terms(c, hotel.id, HotelTerms(seasons=(Season("Fair", CHECK_IN, CHECK_IN, Rate(percent=50)),)))
    placed = await c.handle(place(room, GUEST, CHECK_IN, CHECK_IN + timedelta(days=3)))
    assert placed.total_price == 15_000 + 2 * 10_000
    assert [(line.kind, line.nights, line.price) for line in placed.price_lines.lines] == [
        ("season", 1, 15_000),
        ("base", 2, 10_000),
    ]
    await set_terms(c, hotel.id, HotelTerms(seasons=(Season("Fair", CHECK_IN, CHECK_IN, Rate(percent=200)),)))
    async with c.reservation_uow() as uow:
        stored = await uow.reservations.get(placed.id)
    assert stored is not None and stored.total_price == 35_000
    assert stored.price_lines == placed.price_lines


async def test_a_cancellation_inside_the_fee_window_refunds_what_the_policy_gives_back(runtime: Runtime) -> None:
    c = runtime.container
    hotel, (room,) = await seed_hotel(c, sync_catalog=False, price=10_000)
    await set_terms(c, hotel.id, HotelTerms(policy=CancellationPolicy(free_days=7, fee="percent", percent=30)))
    placed = await c.handle(place(room, GUEST, CHECK_IN, CHECK_IN + timedelta(days=2)))  # 20,000
    await confirmed(c, placed.id)
    # the last free day is the 13th at the hotel; 2027-01-13 23:30 UTC is the 14th in Berlin
    assert isinstance(c.clock, FixedClock)
    c.clock.set(datetime(2027, 1, 13, 23, 30, tzinfo=UTC))
    await c.handle(CancelReservation(reservation_id=placed.id, guest_id=GUEST))
    payment = await refunded(c, placed.id)
    assert (payment.amount, payment.refunded_amount) == (20_000, 14_000)
    assert await status(c, placed.id) is ReservationStatus.CANCELLED


async def test_a_no_show_is_marked_once_by_two_schedulers_and_keeps_the_first_night(runtime: Runtime) -> None:
    c = runtime.container
    hotel, (room,) = await seed_hotel(c, sync_catalog=False, price=10_000)
    await set_terms(c, hotel.id, HotelTerms(policy=CancellationPolicy(free_days=3, fee="first_night")))
    placed = await c.handle(place(room, GUEST, CHECK_IN, CHECK_IN + timedelta(days=3)))  # 30,000
    await confirmed(c, placed.id)
    assert isinstance(c.clock, FixedClock)
    c.clock.set(datetime(2027, 1, 21, 10, 59, tzinfo=UTC))  # 11:59 in Berlin, the day after arrival
    other = Container(c.settings, clock=c.clock)  # a second replica: its own engines and pools
    try:
        replicas = [Jobs(c, None), Jobs(other, None)]
        assert await asyncio.gather(*(j.mark_no_shows() for j in replicas)) == [0, 0]
        c.clock.set(datetime(2027, 1, 21, 11, 0, tzinfo=UTC))  # 12:00 in Berlin
        marked = await asyncio.gather(*(j.mark_no_shows() for j in replicas * 2))
    finally:
        await other.close()
    assert sum(marked) == 1
    payment = await refunded(c, placed.id)
    assert (payment.amount, payment.refunded_amount) == (30_000, 20_000)

    async def no_show() -> bool:
        return await status(c, placed.id) is ReservationStatus.NO_SHOW

    await eventually(no_show)
    # the nights from the no-show day on are free again: another guest books them
    again = await c.handle(place(room, GUEST + 1, date(2027, 1, 21), date(2027, 1, 23)))
    assert again.status is ReservationStatus.PLACED


async def test_an_early_check_out_frees_the_remaining_nights(runtime: Runtime) -> None:
    c = runtime.container
    _, (room,) = await seed_hotel(c, sync_catalog=False, price=10_000)
    placed = await c.handle(place(room, GUEST, CHECK_IN, CHECK_IN + timedelta(days=4)))
    await confirmed(c, placed.id)
    assert isinstance(c.clock, FixedClock)
    c.clock.set(datetime(2027, 1, 20, 15, 0, tzinfo=UTC))
    await c.handle(hc.CheckInGuest(reservation_id=placed.id, manager_id=MANAGER, manager_name="Mia"))
    c.clock.set(datetime(2027, 1, 22, 9, 0, tzinfo=UTC))
    await c.handle(hc.CheckOutGuest(reservation_id=placed.id, manager_id=MANAGER, manager_name="Mia"))

    async def left() -> bool:
        return await status(c, placed.id) is ReservationStatus.CHECKED_OUT

    await eventually(left)
    again = await c.handle(place(room, GUEST + 1, date(2027, 1, 22), date(2027, 1, 24)))
    assert again.status is ReservationStatus.PLACED
