"""The outbox relay while the broker takes its time over a batch: on PostgreSQL the next commit
leaves at once, in a round beside the slow one; on SQLite (no row claims) it waits its turn.
Either way every event is published once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select

from consumers import HEARD, TOPOLOGY
from infra.config import CONTEXTS
from infra.db.migrate import upgrade
from infra.db.tables import MESSAGING
from infra.messaging.consumer import Consumer
from infra.messaging.inprocess import InProcessBus
from infra.messaging.ports import OutgoingMessage, Publisher
from infra.messaging.rabbit import Names
from infra.messaging.rabbit.publisher import RabbitPublisher
from infra.messaging.relay import OutboxRelay
from main.bootstrap import Container
from tests.conftest import make_settings, scalar
from tests.integration.helpers import eventually, place, seed_hotel, stay

pytestmark = pytest.mark.integration


class SlowToConfirm:
    """The broker confirms the batch that carries `slow` only when the test lets it; every
    message handed on is recorded."""

    def __init__(self, inner: Publisher, slow: bytes) -> None:
        self.inner, self.slow = inner, slow
        self.holding, self.confirm = asyncio.Event(), asyncio.Event()
        self.sent: list[OutgoingMessage] = []

    async def publish(self, messages: list[OutgoingMessage]) -> None:
        if any(self.slow in m.payload for m in messages):
            self.holding.set()
            await self.confirm.wait()
        await self.inner.publish(messages)
        self.sent += messages

    def carried(self, marker: bytes) -> bool:
        return any(marker in m.payload for m in self.sent)


class RefusesOnce:
    """The broker fails the first batch with an event of `context` that carries `marker` (its
    connection dropped mid-batch); every message handed on afterwards is recorded."""

    def __init__(self, inner: Publisher, context: str, marker: bytes) -> None:
        self.inner, self.context, self.marker, self.refused = inner, context, marker, False
        self.sent: list[OutgoingMessage] = []

    def carries(self, message: OutgoingMessage) -> bool:
        return message.routing_key.startswith(f"{self.context}.") and self.marker in message.payload

    async def publish(self, messages: list[OutgoingMessage]) -> None:
        if not self.refused and any(self.carries(m) for m in messages):
            self.refused = True
            raise ConnectionError("the broker went away")
        await self.inner.publish(messages)
        self.sent += messages


@pytest.fixture(params=["sqlite+inprocess", "postgresql+rabbitmq"])
async def backend(
    request: pytest.FixtureRequest, sqlite_url: str, pg: str, amqp: Callable[..., dict]
) -> AsyncIterator[tuple[Container, Publisher, str]]:
    if request.param == "sqlite+inprocess":
        settings = make_settings(database_url=sqlite_url)
        await upgrade(settings)
        container = Container(settings)

        async def taken(event: Any) -> None:
            return None

        everything = Consumer("sink", frozenset().union(*TOPOLOGY.values()), taken)  # the bus refuses the unheard
        yield container, InProcessBus(container.engine("app"), [everything], settings.retry_delays_s), sqlite_url
    else:
        settings = make_settings(database_url=pg, **amqp())
        assert settings.amqp_url is not None
        container = Container(settings)
        names = Names(settings.amqp_queue_prefix, settings.amqp_exchange)
        publisher = RabbitPublisher(settings.amqp_url, names, TOPOLOGY, settings.retry_delays_s, HEARD)
        try:
            yield container, publisher, pg
        finally:
            await publisher.close()
    await container.engines.dispose()


async def test_a_booking_committed_while_the_broker_confirms_another_is_published_once_and_on_postgresql_at_once(
    backend: tuple[Container, Publisher, str],
) -> None:
    container, publisher, url = backend
    _, rooms = await seed_hotel(container, rooms=2)
    check_in, check_out = stay(container)
    first = await container.handle(place(rooms[0], 501, check_in, check_out))
    broker = SlowToConfirm(publisher, str(first.id).encode())
    relay = OutboxRelay({c: container.engine(c) for c in CONTEXTS}, broker, sweep_s=60, depth=2)
    container.commit_listeners.append(relay.wake)
    running = asyncio.create_task(relay.run())  # it starts with a sweep: the first booking's batch is held
    try:
        await asyncio.wait_for(broker.holding.wait(), timeout=10)
        second = await container.handle(place(rooms[1], 502, check_in, check_out))
        if container.engine("reservation").dialect.name == "postgresql":

            async def second_out() -> bool:  # the next round claims only what the held one has not
                return broker.carried(str(second.id).encode())

            await eventually(second_out, timeout=10)
        else:
            await asyncio.sleep(0.3)  # time enough for a second round, were one allowed
            assert not broker.carried(str(second.id).encode()), "SQLite published beside a round in flight"
        assert not broker.carried(str(first.id).encode())  # still unconfirmed, still in the outbox
        broker.confirm.set()

        async def all_published() -> bool:
            return await _unpublished(url) == 0

        await eventually(all_published, timeout=10)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    sent = [m.event_id for m in broker.sent]
    assert sorted(sent) == await _written(container), "every event written is published, and only once"
    assert broker.carried(str(first.id).encode()) and broker.carried(str(second.id).encode())


async def test_a_relay_stopped_while_the_broker_confirms_a_batch_lets_the_batch_finish(
    backend: tuple[Container, Publisher, str],
) -> None:
    """A stop (SIGTERM, a rolling restart) cancels the relay while a batch is out: the broker
    has the messages, so the batch is given the moment its confirms need and its rows are
    marked, instead of rolled back and published again by the next process."""
    container, publisher, url = backend
    _, rooms = await seed_hotel(container)
    first = await container.handle(place(rooms[0], 501, *stay(container)))
    broker = SlowToConfirm(publisher, str(first.id).encode())
    relay = OutboxRelay({c: container.engine(c) for c in CONTEXTS}, broker, sweep_s=60, depth=2)
    running = asyncio.create_task(relay.run())
    await asyncio.wait_for(broker.holding.wait(), timeout=10)
    running.cancel()  # the stop
    await asyncio.sleep(0.2)
    broker.confirm.set()  # the confirms come in while the process stops
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(running, timeout=10)
    assert await _unpublished(url) == 0, "a batch the broker confirmed was left to be published again"
    assert sorted(m.event_id for m in broker.sent) == await _written(container)


async def test_a_batch_the_broker_refuses_stays_in_the_outbox_and_goes_out_once_on_the_next_round(
    backend: tuple[Container, Publisher, str],
) -> None:
    """On PostgreSQL a batch is marked in the statement that claims it, before the broker has it:
    the mark must be rolled back with the batch, or a booking's events would never leave."""
    container, publisher, url = backend
    _, rooms = await seed_hotel(container)
    booking = await container.handle(place(rooms[0], 501, *stay(container)))
    broker = RefusesOnce(publisher, "reservation", str(booking.id).encode())
    relay = OutboxRelay({c: container.engine(c) for c in CONTEXTS}, broker, sweep_s=60, depth=2)
    with pytest.raises(ConnectionError):
        await relay.drain()
    held_back = await scalar(url, "SELECT count(*) FROM reservation_outbox WHERE published_at IS NULL")
    assert held_back > 0, "the refused batch was marked as published"
    assert not any(broker.carries(m) for m in broker.sent)
    await relay.drain()  # the next round, the broker back
    assert await _unpublished(url) == 0
    assert sorted(m.event_id for m in broker.sent) == await _written(container), "every event once"


async def _unpublished(url: str) -> int:
    counts = [
        await scalar(url, f"SELECT count(*) FROM {context}_outbox WHERE published_at IS NULL") for context in CONTEXTS
    ]
    return sum(counts)


async def _written(container: Container) -> list[Any]:
    """Every event in the outboxes (a hotel, its rooms, a booking: more than two)."""
    written: list[Any] = []
    for context in CONTEXTS:
        async with container.engine(context).connect() as conn:
            written += (await conn.scalars(select(MESSAGING[context].outbox.c.event_id))).all()
    assert len(written) > 2
    return sorted(written)
