"""RabbitMQ with aio-pika: the topology, the relay's confirmed publisher, the consumer runner with
retries through delay queues and a dead-letter queue per consumer, and the DLQ admin.

Topology, for a consumer `c` and prefix `p`:
  exchange  p.events            topic, durable; routing keys `<context>.<event>`
  queue     p.c                 quorum; bound to the keys c takes; the consumers compete on it
  queues    p.c.retry.<ms>      one per retry delay: TTL, then dead-lettered back to p.c
  queue     p.c.dead            parked messages, with the error and attempt count in headers
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Iterable
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from aio_pika.exceptions import ChannelInvalidStateError

from infra.messaging.codec import UndecodableMessage, decode
from infra.messaging.consumer import Consumer
from infra.messaging.ports import NotReadyYet, OutgoingMessage, not_ready_delay

log = logging.getLogger(__name__)

ATTEMPT = "x-attempt"


class Names:
    def __init__(self, prefix: str, exchange: str) -> None:
        self.prefix, self.exchange = prefix, exchange

    def queue(self, consumer: str) -> str:
        return f"{self.prefix}.{consumer}"

    def retry(self, consumer: str, delay_s: float) -> str:
        return f"{self.prefix}.{consumer}.retry.{int(delay_s * 1000)}"

    def dead(self, consumer: str) -> str:
        return f"{self.prefix}.{consumer}.dead"


async def connect(url: str) -> AbstractRobustConnection:
    return await aio_pika.connect_robust(url, client_properties={"connection_name": "hotelbot"})


async def declare(
    channel: AbstractChannel, names: Names, consumer: str, keys: Iterable[str], delays: Iterable[float]
) -> aio_pika.abc.AbstractQueue:
    exchange = await channel.declare_exchange(names.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(names.queue(consumer), durable=True, arguments={"x-queue-type": "quorum"})
    for key in sorted(keys):
        await queue.bind(exchange, routing_key=key)
    for delay in delays:
        await channel.declare_queue(
            names.retry(consumer, delay),
            durable=True,
            arguments={
                "x-message-ttl": int(delay * 1000),
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": names.queue(consumer),
            },
        )
    # classic, not quorum: listing requeues every message, and quorum queues drop a message
    # after a number of redeliveries
    await channel.declare_queue(names.dead(consumer), durable=True)
    return queue


class RabbitPublisher:
    """Publishes a batch pipelined on a confirming channel; returns once every confirm is in.
    On connecting it declares every consumer's queues, so nothing published is unroutable."""

    def __init__(self, url: str, names: Names, topology: dict[str, frozenset[str]], delays: tuple[float, ...]) -> None:
        self.url, self.exchange_name = url, names.exchange
        self.names, self.topology, self.delays = names, topology, delays
        self._connection: AbstractRobustConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._channel: AbstractChannel | None = None
        self._lock = asyncio.Lock()

    async def _ready(self) -> aio_pika.abc.AbstractExchange:
        async with self._lock:
            if self._exchange is None or self._channel is None or self._channel.is_closed:
                if self._connection is None:
                    self._connection = await connect(self.url)
                channel = self._channel = await self._connection.channel(publisher_confirms=True)
                for consumer, keys in self.topology.items():
                    await declare(channel, self.names, consumer, keys, self.delays)
                self._exchange = await channel.declare_exchange(
                    self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
                )
            return self._exchange

    async def publish(self, messages: list[OutgoingMessage]) -> None:
        exchange = await self._ready()
        try:
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            m.payload,
                            content_type="application/json",
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                            message_id=str(m.event_id),
                            type=m.routing_key,
                            headers={ATTEMPT: 0},
                        ),
                        routing_key=m.routing_key,
                        timeout=10,
                    )
                    for m in messages
                )
            )
        except Exception:
            self._exchange = None  # a fresh channel next time
            raise

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


class RabbitConsumerRunner:
    """Runs one consumer on its queue. Ack only after the consumer's transaction committed; a
    failure goes to the next delay queue, and after the last one to the dead-letter queue.

    A consumer that can apply a batch gets its deliveries in batches: `workers` tasks each take
    whatever has arrived (up to `batch_max`) and apply it in one transaction; if that fails, each
    delivery of the batch is handled on its own. Others get a task per delivery (`prefetch` of
    them at most): the payment consumer waits on the provider, the notifier on Telegram."""

    def __init__(
        self,
        url: str,
        names: Names,
        consumer: Consumer,
        delays: tuple[float, ...],
        prefetch: int,
        *,
        batch_max: int = 64,
        workers: int = 2,
    ) -> None:
        self.url, self.names, self.consumer = url, names, consumer
        self.delays = delays
        self.batched = consumer.handle_batch is not None
        # batching needs deliveries at hand: enough for every worker to fill a batch
        self.prefetch = max(prefetch, batch_max * workers) if self.batched else prefetch
        self.batch_max, self.workers = batch_max, workers
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._tag: str | None = None
        self._queue: Any = None
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._arrived: asyncio.Queue[AbstractIncomingMessage | None] = asyncio.Queue()  # None: stop
        self._workers: list[asyncio.Task[None]] = []
        self.handled = 0

    async def start(self) -> None:
        self._connection = await connect(self.url)
        self._channel = await self._connection.channel(publisher_confirms=True)
        await self._channel.set_qos(prefetch_count=self.prefetch)
        self._queue = await declare(
            self._channel, self.names, self.consumer.name, self.consumer.routing_keys, self.delays
        )
        if self.batched:
            self._workers = [asyncio.create_task(self._work()) for _ in range(self.workers)]
            self._tag = await self._queue.consume(self._arrive)
        else:
            self._tag = await self._queue.consume(self._on_message)
        log.info("consumer %s listening on %s", self.consumer.name, self.names.queue(self.consumer.name))

    async def _arrive(self, message: AbstractIncomingMessage) -> None:
        self._arrived.put_nowait(message)

    async def _work(self) -> None:
        while (first := await self._arrived.get()) is not None:
            batch = [first]
            while len(batch) < self.batch_max and not self._arrived.empty():
                if (message := self._arrived.get_nowait()) is None:
                    self._arrived.put_nowait(None)  # not ours: another worker's signal to stop
                    break
                batch.append(message)
            # After a reconnect the broker delivers again, on the new channel, whatever the old
            # one had not acked: the copies still here from the old channel can only be dropped.
            batch = [message for message in batch if _live(message)]
            if batch:
                await self._process_batch(batch)

    async def _process_batch(self, batch: list[AbstractIncomingMessage]) -> None:
        assert self.consumer.handle_batch is not None
        if len(batch) > 1:
            try:
                events = [decode(message.body) for message in batch]
                await self.consumer.handle_batch(events)
            except Exception as exc:  # one of them is undecodable, not ready or failing
                log.info("%s: batch of %d not applied (%r); one by one", self.consumer.name, len(batch), exc)
            else:
                for message in batch:
                    await _settle(message.ack())
                self.handled += len(batch)
                return
        for message in batch:  # each settled on its own: one that cannot be never strands the rest
            await _settle(self._process(message))

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await self._process(message)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        try:
            attempt = int(str((message.headers or {}).get(ATTEMPT, 0) or 0))
        except ValueError:
            attempt = 0  # a header we did not write: count from here
        try:
            event = decode(message.body)
        except UndecodableMessage as exc:
            log.error("%s: undecodable message %s parked: %s", self.consumer.name, message.message_id, exc)
            await self._forward(message, self.names.dead(self.consumer.name), attempt, f"undecodable: {exc}")
            await message.ack()
            return
        try:
            await self.consumer.handle(event)
        except NotReadyYet as exc:
            target = self.names.retry(self.consumer.name, not_ready_delay(self.delays))
            log.info(
                "%s: %s %s not ready yet (%s); again later",
                self.consumer.name,
                event.routing_key(),
                event.correlation_key,
                exc,
            )
            try:
                await self._forward(message, target, attempt, f"not ready: {exc}")  # the attempt is not used up
            except Exception:
                await message.nack(requeue=True)
                return
            await message.ack()
            return
        except Exception as exc:
            if attempt < len(self.delays):
                target = self.names.retry(self.consumer.name, self.delays[attempt])
                log.warning(
                    "%s: %s %s failed (attempt %d), retrying: %r",
                    self.consumer.name,
                    event.routing_key(),
                    event.correlation_key,
                    attempt + 1,
                    exc,
                )
            else:
                target = self.names.dead(self.consumer.name)
                log.error(
                    "%s: %s %s failed %d times, parked in %s: %r",
                    self.consumer.name,
                    event.routing_key(),
                    event.correlation_key,
                    attempt + 1,
                    target,
                    exc,
                )
            try:
                await self._forward(message, target, attempt + 1, repr(exc)[:1000])
            except Exception:
                await message.nack(requeue=True)  # could not park it: let the broker try again
                return
            await message.ack()
            return
        await message.ack()
        self.handled += 1

    async def _forward(self, message: AbstractIncomingMessage, queue: str, attempt: int, error: str) -> None:
        assert self._channel is not None
        headers = dict(message.headers or {})
        headers.update({ATTEMPT: attempt, "x-error": error, "x-routing-key": message.routing_key or ""})
        await self._channel.default_exchange.publish(
            aio_pika.Message(
                message.body,
                headers=headers,
                content_type=message.content_type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=message.message_id,
                type=message.type,
            ),
            routing_key=queue,
        )

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stop taking messages, finish the ones in hand, close. Deliveries that arrived but
        were not started go back to the queue when the channel closes."""
        if self._queue is not None and self._tag is not None:
            with contextlib.suppress(Exception):
                await self._queue.cancel(self._tag)
        if self._workers:
            while not self._arrived.empty():
                self._arrived.get_nowait()  # not started: left unacked, so the broker keeps them
            for _ in self._workers:
                self._arrived.put_nowait(None)
            _, unfinished = await asyncio.wait(self._workers, timeout=grace_s)
            for worker in unfinished:
                worker.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
            self._workers = []
        if self._in_flight:
            await asyncio.wait(list(self._in_flight), timeout=grace_s)
        if self._connection is not None:
            await self._connection.close()


def _live(message: AbstractIncomingMessage) -> bool:
    try:
        return not message.channel.is_closed
    except ChannelInvalidStateError:
        return False


async def _settle(step: Awaitable[Any]) -> None:
    """An ack or a delivery handled on its own; if the channel went away meanwhile, the broker
    delivers the message again (the inbox makes that harmless), so it is logged, not raised."""
    try:
        await step
    except Exception:
        log.exception("a delivery could not be settled; the broker will deliver it again")


async def dead_letters(url: str, names: Names, consumer: str, replay: bool, limit: int = 1000) -> list[dict[str, Any]]:
    """List (and, with replay, send back to the consumer's queue) the parked messages."""
    connection = await connect(url)
    found: list[dict[str, Any]] = []
    try:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(names.dead(consumer), durable=True)
        held: list[AbstractIncomingMessage] = []
        # Only what is parked now: a replayed message that fails again comes back behind these.
        parked_now = queue.declaration_result.message_count or 0
        for _ in range(min(limit, parked_now)):
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            headers = message.headers or {}
            found.append(
                {
                    "event_id": message.message_id,
                    "type": message.type,
                    "attempts": headers.get(ATTEMPT),
                    "error": headers.get("x-error"),
                }
            )
            if replay:
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        message.body,
                        headers={ATTEMPT: 0},
                        content_type=message.content_type,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        message_id=message.message_id,
                        type=message.type,
                    ),
                    routing_key=names.queue(consumer),
                )
                await message.ack()
            else:
                held.append(message)
        for message in held:  # listing takes nothing away
            await message.nack(requeue=True)
    finally:
        await connection.close()
    return found
