"""The view on real storage (SQLite and PostgreSQL), fed by the view consumer with events in
their wire form: the price lines and the policy a stay was booked under, a cancellation's fee and
refund, the stay's states, what the payment refunded; events of the old versions still in flight
during a rolling upgrade; rows projected before the upgrade, filled by the migration; and the whole
chain on the running bus (SQLite + in-process bus, PostgreSQL + RabbitMQ)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import jsonschema
import pytest
from sqlalchemy import column, insert, table, text
from sqlalchemy.ext.asyncio import create_async_engine

from alembic import command
from consumers import view
from domain.hotel import commands as hc
from domain.payment.events import PaymentRefunded
from domain.reservation.commands import CancelReservation
from domain.reservation.events import (
    ReservationCancelled,
    ReservationCheckedIn,
    ReservationCheckedOut,
    ReservationConfirmed,
    ReservationNoShow,
    ReservationPlaced,
)
from domain.shared.events import Event
from domain.shared.terms import CancellationPolicy, HotelTerms, Rate, Season
from domain.view.model import ReservationView
from infra.clock import FixedClock
from infra.db.migrate import alembic_config, upgrade_sync
from infra.db.tables import reservation_view
from infra.messaging.codec import decode, encode
from infra.messaging.consumer import Consumer, transactional
from infra.messaging.contracts import load
from main.bootstrap import Container
from main.jobs import Jobs
from main.processes import Runtime
from tests.conftest import create_database, drop_database, make_settings, truncate_all
from tests.integration.helpers import MANAGER, eventually, place, placed_event, seed_hotel
from tests.integration.test_hotel_rules import confirmed, set_terms

pytestmark = pytest.mark.integration
LINES = [
    {"kind": "base", "nights": 1, "price": 10_000},
    {"kind": "season", "nights": 1, "price": 20_000, "name": "Christmas Eve"},
    {"kind": "extra_guests", "nights": 2, "price": 3_000, "extra": 1},
]
POLICY = {"kind": "free_until", "free_days": 7, "fee": "percent", "percent": 30}


@pytest.fixture(params=["sqlite", "postgresql"])
async def container(request: Any, sqlite_url: str, pg_url: str) -> AsyncIterator[Container]:
    if request.param == "sqlite":
        url = sqlite_url
        await asyncio.to_thread(upgrade_sync, make_settings(database_url=url))
    else:
        await truncate_all(pg_url)
        url = pg_url
    c = Container(make_settings(database_url=url))
    try:
        yield c
    finally:
        await c.engines.dispose()


async def deliver(consumer: Consumer, *events: Event) -> None:
    """Through the wire form, as the bus delivers them."""
    for event in events:
        await consumer.handle(decode(encode(event)))


def booked(guest: int) -> ReservationPlaced:
    return replace(placed_event(guest), total_price=36_000, price_lines=LINES, policy=POLICY)


async def test_a_stay_shows_its_price_lines_policy_and_early_check_out(container: Container) -> None:
    consumer = transactional("view", container.view_uow, view.POLICIES)
    placed = booked(1)
    rid = placed.reservation_id
    facts = {"reservation_id": rid, "guest_id": 1, "hotel_id": 1}
    await deliver(
        consumer,
        ReservationCheckedIn(**facts, on=date(2027, 3, 1)),  # out of order: before the placement
        placed,
        ReservationConfirmed(**facts, decided_by_name="Mia"),
        ReservationCheckedOut(**facts, on=date(2027, 3, 2), early=True),
        ReservationCheckedIn(**facts, on=date(2027, 3, 1)),  # a late copy of another delivery
    )
    row = await container.views.reservation(rid)
    assert row is not None
    assert (row.status, row.checked_in_on, row.left_on) == ("checked_out", date(2027, 3, 1), date(2027, 3, 2))
    assert [line.to_dict() for line in row.price_lines] == LINES
    assert row.quote.total == row.total_price == 36_000
    assert row.policy == CancellationPolicy(free_days=7, fee="percent", percent=30)
    (listed,) = await container.views.guest_reservations(1)
    _, on_board = await container.views.board(1)
    assert listed == row == on_board[0]
    assert await container.views.counts_by_status() == {"checked_out": 1}


async def test_fees_refunds_and_what_is_still_to_be_refunded(container: Container) -> None:
    consumer = transactional("view", container.view_uow, view.POLICIES)
    cancelled, absent, kept_all = booked(2), booked(3), booked(4)
    await deliver(consumer, cancelled, absent, kept_all)
    for placed in (cancelled, absent, kept_all):
        await deliver(consumer, ReservationConfirmed(**_facts(placed), decided_by_name="Mia"))
    await deliver(
        consumer,
        ReservationCancelled(**_facts(cancelled), fee=10_800, refund_amount=25_200, currency="EUR"),
        ReservationNoShow(**_facts(absent), fee=13_000, refund_amount=23_000, currency="EUR"),
        ReservationNoShow(**_facts(kept_all), fee=36_000, refund_amount=0, currency="EUR"),
    )
    # the cancellation and the no-show with money to give back wait for their refunds; the
    # non-refundable no-show has nothing to wait for
    assert await container.views.refunds_pending() == 2
    await deliver(consumer, _refunded(cancelled, 25_200, kept=10_800))
    assert await container.views.refunds_pending() == 1
    row = await container.views.reservation(cancelled.reservation_id)
    assert row is not None
    assert (row.status, row.payment_status, row.fee, row.refund_amount) == ("cancelled", "refunded", 10_800, 25_200)
    assert (row.refunded_amount, row.kept_amount) == (25_200, 10_800)
    no_show = await container.views.reservation(kept_all.reservation_id)
    assert no_show is not None
    assert (no_show.status, no_show.payment_status, no_show.refund_due) == ("no_show", "approved", 0)


def _facts(placed: ReservationPlaced) -> dict[str, Any]:
    return {"reservation_id": placed.reservation_id, "guest_id": placed.guest_id, "hotel_id": placed.hotel_id}


def _refunded(placed: ReservationPlaced, amount: int, kept: int) -> PaymentRefunded:
    return PaymentRefunded(
        reservation_id=placed.reservation_id,
        payment_id=placed.payment_id,
        guest_id=placed.guest_id,
        amount=amount,
        currency="EUR",
        kept=kept,
    )


_NOW = datetime(2027, 2, 1, tzinfo=UTC).isoformat()


def _v1(key: str, **body: Any) -> bytes:
    """An event as the previous version of the code wrote it: valid under the v1 schema."""
    values = {k: str(v) if isinstance(v, UUID | date) else v for k, v in body.items()}
    doc = {"type": key, "version": 1, "event_id": str(uuid4()), "occurred_at": _NOW, **values}
    jsonschema.validate(doc, load(key, 1))
    return json.dumps(doc).encode()


async def test_events_of_the_old_versions_still_in_flight_are_shown_as_they_meant(container: Container) -> None:
    consumer = transactional("view", container.view_uow, view.POLICIES)
    rid, pid = uuid4(), uuid4()
    old = placed_event(5)
    placed = {
        k: getattr(old, k)
        for k in [
            "guest_id",
            "guest_name",
            "hotel_id",
            "hotel_name",
            "room_id",
            "room_number",
            "check_in",
            "check_out",
            "guests",
            "total_price",
            "currency",
        ]
    }
    for raw in (
        _v1("reservation.placed", reservation_id=rid, payment_id=pid, **placed),
        _v1("reservation.cancelled", reservation_id=rid, guest_id=5, hotel_id=1),
        _v1(
            "payment.refunded",
            reservation_id=rid,
            payment_id=pid,
            guest_id=5,
            amount=old.total_price,
            currency=old.currency,
        ),
    ):
        await consumer.handle(decode(raw))
    row = await container.views.reservation(rid)
    assert row is not None
    # one flat price every night, the default policy (free until the day before check-in)
    assert [(line.kind, line.nights, line.price) for line in row.price_lines] == [("base", 2, 10_000)]
    assert row.policy == CancellationPolicy()
    assert (row.status, row.fee, row.refund_due) == ("cancelled", None, 20_000)
    assert (row.payment_status, row.refunded_amount, row.kept_amount) == ("refunded", 20_000, 0)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_rows_projected_before_the_upgrade_show_a_flat_price_and_the_default_policy(
    backend: str, sqlite_url: str
) -> None:
    name = f"hotelbot_view_{uuid.uuid4().hex[:8]}"
    url = sqlite_url if backend == "sqlite" else await create_database(name)
    config = alembic_config("view", url)
    try:
        await asyncio.to_thread(command.upgrade, config, "view_0001")
        rid, refunded_rid = uuid4(), uuid4()
        old_row = {
            "guest_id": 9,
            "hotel_id": 1,
            "status": "confirmed",
            "payment_status": "approved",
            "hotel_name": "Seaside",
            "room_id": uuid4(),
            "room_number": "101",
            "guest_name": "Ann",
            "check_in": date(2027, 3, 1),
            "check_out": date(2027, 3, 4),
            "guests": 1,
            "total_price": 30_000,
            "currency": "EUR",
        }
        v1_columns = [c for c in reservation_view.columns if c.name in {"reservation_id", *old_row}]
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    insert(table("view_reservations", *(column(c.name, c.type) for c in v1_columns))),
                    [
                        {"reservation_id": rid, **old_row},
                        {
                            "reservation_id": refunded_rid,
                            **old_row,
                            "status": "cancelled",
                            "payment_status": "refunded",
                        },
                    ],
                )
        finally:
            await engine.dispose()
        await asyncio.to_thread(command.upgrade, config, "head")
        c = Container(make_settings(database_url=url))
        try:
            row = await c.views.reservation(rid)
            assert row is not None
            assert [(line.kind, line.nights, line.price) for line in row.price_lines] == [("base", 3, 10_000)]
            assert row.policy == CancellationPolicy() and row.refunded_amount is None
            refunded = await c.views.reservation(refunded_rid)
            assert refunded is not None and (refunded.refunded_amount, refunded.kept_amount) == (30_000, 0)
        finally:
            await c.engines.dispose()
        await asyncio.to_thread(command.downgrade, config, "view_0001")  # and back, the old rows kept
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                assert (await conn.execute(text("SELECT count(*) FROM view_reservations"))).scalar() == 2
        finally:
            await engine.dispose()
    finally:
        if backend == "postgresql":
            await drop_database(name)


# --- the whole chain, on the running bus -----------------------------------------------------------

GUEST = 4545
BOOKED_AT = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)  # Europe/Berlin, winter: UTC+1
ARRIVAL = date(2027, 1, 20)


@pytest.fixture(params=["sqlite+inprocess", "postgresql+rabbitmq"])
async def runtime(
    request: Any, sqlite_url: str, pg: str, amqp: Callable[..., dict[str, Any]]
) -> AsyncIterator[Runtime]:
    if request.param == "sqlite+inprocess":
        settings = make_settings(database_url=sqlite_url)
    else:
        settings = make_settings(database_url=pg, **amqp())
    # The contexts' consumers without the notifier: they take every event they publish.
    rt = Runtime(
        settings,
        bot=False,
        consumers=("reservation", "hotel", "payment", "view"),
        scheduler=False,
        container=Container(settings, clock=FixedClock(BOOKED_AT)),
        relay_sweep_s=0.2,
    )
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop()


async def _row(c: Container, reservation_id: UUID, status: str, payment: str) -> ReservationView:
    async def shown() -> ReservationView | None:
        row = await c.views.reservation(reservation_id)
        return row if row is not None and (row.status, row.payment_status) == (status, payment) else None

    found: ReservationView = await eventually(shown)
    return found


async def test_the_view_follows_a_seasonal_stay_a_cancellation_with_a_fee_and_a_no_show(runtime: Runtime) -> None:
    c = runtime.container
    clock = c.clock
    assert isinstance(clock, FixedClock)
    hotel, (room,) = await seed_hotel(c, sync_catalog=False, price=10_000)
    policy = CancellationPolicy(free_days=7, fee="percent", percent=30)
    await set_terms(
        c, hotel.id, HotelTerms(seasons=(Season("Fair", ARRIVAL, ARRIVAL, Rate(percent=50)),), policy=policy)
    )
    stay = await c.handle(place(room, GUEST, ARRIVAL, ARRIVAL + timedelta(days=3)))  # 15,000 + 2 x 10,000
    cancelled = await c.handle(place(room, GUEST, date(2027, 1, 25), date(2027, 1, 27)))  # 20,000
    absent = await c.handle(place(room, GUEST, date(2027, 1, 28), date(2027, 1, 30)))  # 20,000
    for r in (stay, cancelled, absent):
        await confirmed(c, r.id)
    by = {"manager_id": MANAGER, "manager_name": "Mia"}
    clock.set(datetime(2027, 1, 20, 15, 0, tzinfo=UTC))
    await c.handle(hc.CheckInGuest(reservation_id=stay.id, **by))
    await c.handle(CancelReservation(reservation_id=cancelled.id, guest_id=GUEST))  # 5 days before: 30 % kept
    await _row(c, stay.id, "checked_in", "approved")
    clock.set(datetime(2027, 1, 22, 9, 0, tzinfo=UTC))  # a night early
    await c.handle(hc.CheckOutGuest(reservation_id=stay.id, **by))
    clock.set(datetime(2027, 1, 29, 11, 0, tzinfo=UTC))  # 12:00 in Berlin the day after arrival
    assert await Jobs(c, None).mark_no_shows() == 1

    row = await _row(c, stay.id, "checked_out", "approved")
    assert [(line.kind, line.nights, line.price) for line in row.price_lines] == [
        ("season", 1, 15_000),
        ("base", 2, 10_000),
    ]
    assert (row.total_price, row.policy, row.checked_in_on, row.left_on) == (
        35_000,
        policy,
        ARRIVAL,
        date(2027, 1, 22),
    )
    row = await _row(c, cancelled.id, "cancelled", "refunded")
    assert (row.fee, row.refund_amount, row.refunded_amount, row.kept_amount) == (6_000, 14_000, 14_000, 6_000)
    row = await _row(c, absent.id, "no_show", "refunded")
    assert (row.fee, row.refund_due, row.refunded_amount, row.kept_amount) == (6_000, 14_000, 14_000, 6_000)
    _, on_board = await c.views.board(hotel.id or 0)
    assert {r.reservation_id: r.status for r in on_board} == {
        stay.id: "checked_out",
        cancelled.id: "cancelled",
        absent.id: "no_show",
    }
    assert await c.views.refunds_pending() == 0
