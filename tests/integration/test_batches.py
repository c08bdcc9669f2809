"""Deliveries applied in batches (one transaction for several events) on the real PostgreSQL and
RabbitMQ: a batch is all or nothing, an event delivered twice in one batch counts once, and a
poison or unreadable message in a batch is parked while every other event of it is applied once."""

from __future__ import annotations

import asyncio
import logging
import subprocess
from collections.abc import Callable
from typing import Any

import aio_pika
import pytest

from domain.reservation.events import ReservationCancelled, ReservationConfirmed, ReservationPlaced
from domain.view.model import project_reservation
from infra.messaging.codec import encode
from infra.messaging.consumer import Consumer, transactional
from infra.messaging.rabbit import Names, RabbitConsumerRunner, declare
from main.admin import dead_letters
from main.bootstrap import Container
from main.consumers import transactional_consumers
from tests.conftest import make_settings, scalar
from tests.integration.helpers import eventually, placed_event

pytestmark = pytest.mark.integration
POISON_GUEST = 13


def view_with_poison(container: Container) -> Any:
    """The real view consumer, except that one guest's event always fails."""

    async def project(event: Any, uow: Any) -> None:
        await uow.project(event)
        if event.guest_id == POISON_GUEST:
            raise RuntimeError("this event always fails")

    return transactional("view", container.view_uow, {ReservationPlaced: project})


async def test_a_batch_is_applied_all_or_nothing_and_a_repeated_event_once(pg: str) -> None:
    container = Container(make_settings(database_url=pg))
    consumer = view_with_poison(container)
    assert consumer.handle_batch is not None
    try:
        first, second = placed_event(1), placed_event(2)
        with pytest.raises(RuntimeError):
            await consumer.handle_batch([first, second, placed_event(POISON_GUEST)])
        assert await scalar(pg, "SELECT count(*) FROM view_reservations") == 0  # nothing of it kept
        assert await scalar(pg, "SELECT count(*) FROM view_inbox") == 0

        await consumer.handle_batch([first, second, first])  # the same event twice in one batch
        await consumer.handle_batch([second, placed_event(3)])  # and again in a later one
        assert await scalar(pg, "SELECT count(*) FROM view_reservations") == 3
        assert await scalar(pg, "SELECT count(*) FROM view_inbox") == 3
    finally:
        await container.engines.dispose()


async def test_a_batch_shows_each_reservation_as_its_events_applied_one_by_one_would(pg: str) -> None:
    container = Container(make_settings(database_url=pg))
    (view,) = [c for c in transactional_consumers(container) if c.name == "view"]
    assert view.handle_batch is not None
    try:
        known, late, alone = placed_event(1), placed_event(2), placed_event(3)
        await view.handle(known)  # a reservation the view already shows
        events = [
            ReservationConfirmed(reservation_id=late.reservation_id, guest_id=2, hotel_id=1, decided_by_name="Mia"),
            ReservationConfirmed(reservation_id=known.reservation_id, guest_id=1, hotel_id=1, decided_by_name="Ann"),
            late,  # its confirmation came first: the status stays confirmed
            ReservationCancelled(reservation_id=known.reservation_id, guest_id=1, hotel_id=1),
            alone,
        ]
        await view.handle_batch(events)
        for placed in (known, late, alone):
            expected = None
            for event in [known, *events]:
                if getattr(event, "reservation_id", None) == placed.reservation_id:
                    expected = project_reservation(event, expected) or expected
            (row,) = await container.views.rows([placed.reservation_id])
            assert expected is not None
            assert (row.status, row.payment_status, row.decided_by_name, row.room_number) == (
                expected.status,
                expected.payment_status,
                expected.decided_by_name,
                expected.room_number,
            )
        shown = {
            row.reservation_id: row.status
            for row in await container.views.rows([known.reservation_id, late.reservation_id, alone.reservation_id])
        }
        assert shown == {
            known.reservation_id: "cancelled",
            late.reservation_id: "confirmed",
            alone.reservation_id: "placed",
        }
    finally:
        await container.engines.dispose()


async def test_a_failing_and_an_unreadable_message_in_a_batch_are_parked_and_the_rest_applied_once(
    pg: str, amqp: Callable[..., dict], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="infra.messaging.rabbit")
    settings = make_settings(database_url=pg, retry_delays_s=(0.05,), **amqp())
    assert settings.amqp_url is not None
    container = Container(settings)
    consumer = view_with_poison(container)
    names = Names(settings.amqp_queue_prefix, settings.amqp_exchange)
    good = [placed_event(100 + n) for n in range(30)]
    # Everything is queued before the consumer starts, so it arrives as one batch.
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        await declare(channel, names, consumer.name, consumer.routing_keys, settings.retry_delays_s)
        exchange = await channel.get_exchange(settings.amqp_exchange)
        bodies = [encode(e) for e in good[:15]] + [encode(placed_event(POISON_GUEST)), b"{not json", encode(good[0])]
        bodies += [encode(e) for e in good[15:]]
        for n, body in enumerate(bodies):
            await exchange.publish(aio_pika.Message(body, message_id=str(n)), routing_key="reservation.placed")
    finally:
        await connection.close()

    runner = RabbitConsumerRunner(settings.amqp_url, names, consumer, settings.retry_delays_s, prefetch=8)
    await runner.start()
    try:

        async def parked() -> list[dict[str, Any]]:
            rows = await dead_letters(container, consumer.name)
            return rows if len(rows) == 2 else []

        rows = await eventually(parked, timeout=30)
        assert sorted(str(r["error"])[:11] for r in rows) == ["RuntimeErro", "undecodable"]

        # the good ones go on one by one after the batch is handed back; parking may finish first
        async def applied() -> bool:
            return await scalar(pg, "SELECT count(*) FROM view_reservations WHERE guest_id >= 100") == 30

        await eventually(applied, timeout=30)
        assert await scalar(pg, f"SELECT count(*) FROM view_reservations WHERE guest_id = {POISON_GUEST}") == 0
        assert await scalar(pg, "SELECT count(*) FROM view_inbox") == 30
        # the premise: they did arrive together, and the batch was handed back one by one
        assert any("not applied" in r.getMessage() for r in caplog.records)
    finally:
        await runner.stop()
        await container.engines.dispose()


async def test_after_the_channel_fails_mid_batch_every_delivery_is_applied_and_settled(
    amqp: Callable[..., dict],
) -> None:
    """Deliveries buffered from the lost channel are delivered again on the new one; none of them
    may be left unacknowledged (holding the consumer's prefetch) once everything is applied."""
    settings = make_settings(**amqp())
    assert settings.amqp_url is not None
    names = Names(settings.amqp_queue_prefix, settings.amqp_exchange)
    applied: list[Any] = []

    async def handle(event: Any) -> None:
        await asyncio.sleep(1.0)  # slow: what arrives meanwhile piles up in the runner
        applied.append(event.event_id)

    async def handle_batch(events: list[Any]) -> None:
        await asyncio.sleep(1.0)
        applied.extend(event.event_id for event in events)

    consumer = Consumer("slow", frozenset({"reservation.placed"}), handle, handle_batch)
    runner: RabbitConsumerRunner | None = RabbitConsumerRunner(settings.amqp_url, names, consumer, (0.1,), prefetch=8)
    await runner.start()
    events = [placed_event(n) for n in range(40)]
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(settings.amqp_exchange)
        for n, event in enumerate(events):
            await exchange.publish(aio_pika.Message(encode(event)), routing_key="reservation.placed")
            if n < 2:
                await asyncio.sleep(0.1)  # each worker takes one; the other 38 wait in the runner
        await asyncio.sleep(0.2)
        # A channel error (here: a passive declare of a queue that does not exist) makes the
        # broker close the runner's channel; aio-pika reopens it and the broker delivers again.
        with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
            await runner._channel.declare_queue("no-such-queue", passive=True)  # type: ignore[union-attr]

        async def all_applied() -> bool:
            return {e.event_id for e in events} <= set(applied)

        await eventually(all_applied, timeout=30)
        await runner.stop()
        runner = None
        # Whatever the runner had not acked goes back to the queue when it stops.
        connection2 = await aio_pika.connect(settings.amqp_url)
        try:
            channel2 = await connection2.channel()
            queue = await channel2.declare_queue(names.queue("slow"), passive=True)
            assert queue.declaration_result.message_count == 0
        finally:
            await connection2.close()
    finally:
        if runner is not None:
            await runner.stop()
        await connection.close()


async def test_with_a_linger_deliveries_trickling_in_are_applied_together_and_a_stop_loses_none(
    amqp: Callable[..., dict],
) -> None:
    """AMQP_BATCH_LINGER_MS: deliveries that come one by one, a few ms apart, share a transaction
    instead of costing one each. A stop while a worker waits for more settles what it holds."""
    settings = make_settings(**amqp())
    assert settings.amqp_url is not None
    names = Names(settings.amqp_queue_prefix, settings.amqp_exchange)
    batches: list[list[Any]] = []

    async def handle(event: Any) -> None:
        batches.append([event.event_id])

    async def handle_batch(events: list[Any]) -> None:
        batches.append([event.event_id for event in events])

    consumer = Consumer("trickle", frozenset({"reservation.placed"}), handle, handle_batch)

    async def trickle(runner: RabbitConsumerRunner, events: list[Any]) -> None:
        connection = await aio_pika.connect(settings.amqp_url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(settings.amqp_exchange)
            for event in events:
                await exchange.publish(aio_pika.Message(encode(event)), routing_key="reservation.placed")
                await asyncio.sleep(0.005)
        finally:
            await connection.close()

        async def all_applied() -> bool:
            return {e.event_id for e in events} <= {i for batch in batches for i in batch}

        await eventually(all_applied, timeout=30)

    for linger_s, most_transactions in ((0.0, None), (2.0, 2)):
        batches.clear()
        runner = RabbitConsumerRunner(settings.amqp_url, names, consumer, (0.1,), prefetch=8, linger_s=linger_s)
        await runner.start()
        try:
            await trickle(runner, [placed_event(n) for n in range(20)])
        finally:
            await runner.stop()
        if most_transactions is None:
            assert len(batches) > 5  # the premise: without a linger they come one or two at a time
        else:  # 20 deliveries over ~0.2 s, within one worker's 2 s wait (the other may take one)
            assert len(batches) <= most_transactions, [len(b) for b in batches]

    # Stopped while a worker waits for more: what it holds is applied and acknowledged, not lost.
    batches.clear()
    runner = RabbitConsumerRunner(settings.amqp_url, names, consumer, (0.1,), prefetch=8, linger_s=30.0)
    await runner.start()
    try:
        connection = await aio_pika.connect(settings.amqp_url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(settings.amqp_exchange)
            held = placed_event(99)
            await exchange.publish(aio_pika.Message(encode(held)), routing_key="reservation.placed")

            async def arrived() -> bool:
                return not runner._arrived.empty() or runner._gathering.locked()

            await eventually(arrived, timeout=10)
            await asyncio.sleep(0.2)
        finally:
            await connection.close()
    finally:
        started = asyncio.get_running_loop().time()
        await runner.stop()
        stopped_in = asyncio.get_running_loop().time() - started
    assert stopped_in < 5, "the stop waited out the linger"
    assert batches == [[held.event_id]]
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        queue = await (await connection.channel()).declare_queue(names.queue("trickle"), passive=True)
        assert queue.declaration_result.message_count == 0  # acknowledged, so not delivered again
    finally:
        await connection.close()


async def _publish_placed(exchange: Any, *guests: int) -> None:
    """A placed reservation of each guest's, published as the relay would."""
    for guest in guests:
        await exchange.publish(aio_pika.Message(encode(placed_event(guest))), routing_key="reservation.placed")


def _unacked(amqp_url: str, queue: str) -> int:
    """Deliveries of `queue` the broker counts as handed out and not yet acknowledged."""
    vhost = amqp_url.rsplit("/", 1)[1]
    out = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "messages_unacknowledged"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return next(int(line.split()[1]) for line in out.splitlines() if line.split()[:1] == [queue])


async def _lingering(settings: Any, names: Names, consumer: Consumer) -> tuple[RabbitConsumerRunner, Any, Any]:
    """A batching runner of `consumer` that lingers (what is published together is gathered
    together; a batch of one is applied alone), started; a connection, and the exchange on it."""
    runner = RabbitConsumerRunner(settings.amqp_url, names, consumer, (0.05,), prefetch=8, linger_s=0.2)
    await runner.start()
    connection = await aio_pika.connect(settings.amqp_url)
    exchange = await (await connection.channel(publisher_confirms=True)).get_exchange(settings.amqp_exchange)
    return runner, connection, exchange


async def _all_acked(settings: Any, queue: str) -> bool:
    return _unacked(settings.amqp_url, queue) == 0


async def test_a_batch_done_before_an_earlier_one_waits_for_it_and_each_delivery_is_acked_once(
    amqp: Callable[..., dict],
) -> None:
    """A batch is acknowledged with one frame, covering every delivery before it: one applied
    while an earlier batch is still being applied must wait for it (acking it would acknowledge
    the earlier one too), and one handed back one by one meanwhile settles each delivery itself."""
    settings = make_settings(**amqp())
    assert settings.amqp_url is not None
    names = Names(settings.amqp_queue_prefix, settings.amqp_exchange)
    applied: list[int] = []
    first_in_hand, release_first = asyncio.Event(), asyncio.Event()

    async def handle(event: Any) -> None:
        if event.guest_id == POISON_GUEST:
            raise RuntimeError("this event always fails")
        applied.append(event.guest_id)

    async def handle_batch(events: list[Any]) -> None:
        if events[0].guest_id == 0:  # the first batch: held until the later ones are done
            first_in_hand.set()
            await release_first.wait()
        if any(event.guest_id == POISON_GUEST for event in events):
            raise RuntimeError("this event always fails")  # all or nothing, as in a transaction
        for event in events:
            await handle(event)

    consumer = Consumer("ordered", frozenset({"reservation.placed"}), handle, handle_batch)
    runner, connection, exchange = await _lingering(settings, names, consumer)
    try:
        await _publish_placed(exchange, 0, 1)  # one worker takes these and is held
        await asyncio.wait_for(first_in_hand.wait(), 10)
        await _publish_placed(exchange, *range(2, 12))  # the other worker applies these
        await eventually(lambda: _async(len(applied) == 10), timeout=10)

        async def held() -> int:  # the broker's count is refreshed every few seconds
            unacked = _unacked(settings.amqp_url, names.queue("ordered"))
            return unacked if unacked == 12 else 0

        assert await eventually(held, timeout=15, interval=0.5) == 12  # none acked ahead of the first

        await _publish_placed(exchange, 20, POISON_GUEST, 21)  # handed back one by one while the first is still held
        await eventually(lambda: _async(len(applied) == 12), timeout=10)
        release_first.set()
        await eventually(lambda: _async(len(applied) == 14), timeout=10)

        await eventually(lambda: _all_acked(settings, names.queue("ordered")), timeout=15, interval=0.5)
        assert runner.ready  # no delivery was acknowledged twice: the broker would close the channel
    finally:
        release_first.set()
        await runner.stop()
    try:
        queue = await (await connection.channel()).declare_queue(names.queue("ordered"), passive=True)
        assert queue.declaration_result.message_count == 0  # nothing comes again
        assert sorted(applied) == [0, 1, *range(2, 12), 20, 21]
    finally:
        await connection.close()


async def _async(value: bool) -> bool:
    return value


class _Stray(BaseException):
    """Not an Exception: what no handler in the runner catches (a stray cancellation, say)."""


async def test_a_worker_ended_mid_batch_gives_its_deliveries_back_and_the_other_worker_goes_on(
    amqp: Callable[..., dict],
) -> None:
    """Its deliveries must not stay unacknowledged at the head of the channel, holding back every
    later batch's ack (the prefetch would fill and the consumer stall)."""
    settings = make_settings(**amqp())
    assert settings.amqp_url is not None
    names = Names(settings.amqp_queue_prefix, settings.amqp_exchange)
    applied: list[int] = []
    ended = asyncio.Event()

    async def handle(event: Any) -> None:
        applied.append(event.guest_id)

    async def handle_batch(events: list[Any]) -> None:
        if not ended.is_set():
            ended.set()
            raise _Stray()
        applied.extend(event.guest_id for event in events)

    consumer = Consumer("ending", frozenset({"reservation.placed"}), handle, handle_batch)
    runner, connection, exchange = await _lingering(settings, names, consumer)
    try:
        await _publish_placed(exchange, *range(30))

        async def all_applied() -> bool:
            return set(applied) == set(range(30))

        await eventually(all_applied, timeout=15)

        await eventually(lambda: _all_acked(settings, names.queue("ending")), timeout=15, interval=0.5)
        assert runner.ready
    finally:
        await runner.stop()
        await connection.close()
