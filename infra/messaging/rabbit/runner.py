"""One consumer on its queue: ack after commit, retries through delay queues, then parking."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from aio_pika.exceptions import ChannelInvalidStateError

from infra.messaging.codec import UndecodableMessage, decode
from infra.messaging.consumer import Consumer
from infra.messaging.ports import NotReadyYet, not_ready_delay
from infra.messaging.rabbit.topology import ATTEMPT, Names, connect, declare
from infra.observability import metrics
from infra.observability.logs import event_flow

log = logging.getLogger(__name__)


class RabbitConsumerRunner:
    """Runs one consumer on its queue. Ack only after the consumer's transaction committed; a
    failure goes to the next delay queue, and after the last one to the dead-letter queue.

    A consumer that can apply a batch gets its deliveries in batches: `workers` tasks take turns
    gathering whatever has arrived (up to `batch_max`), waiting up to `linger_s` after the first
    for more, and each applies its batch in one transaction; if that fails, each delivery of the
    batch is handled on its own. The wait matters when deliveries come one by one, below the
    consumer's capacity: each would otherwise cost a transaction of its own. Others get a task per
    delivery (`prefetch` of them at most): the payment consumer waits on the provider, the
    notifier on Telegram."""

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
        linger_s: float = 0.0,
    ) -> None:
        self.url, self.names, self.consumer = url, names, consumer
        self.delays = delays
        self.batched = consumer.handle_batch is not None
        # batching needs deliveries at hand: enough for every worker to fill a batch
        self.prefetch = max(prefetch, batch_max * workers) if self.batched else prefetch
        self.batch_max, self.workers, self.linger_s = batch_max, workers, linger_s
        self._gathering = asyncio.Lock()  # one worker gathers at a time; the other applies its batch
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._tag: str | None = None
        self._queue: Any = None
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._arrived: asyncio.Queue[AbstractIncomingMessage | None] = asyncio.Queue()  # None: stop
        self._workers: list[asyncio.Task[None]] = []
        self._acks = _Acks()
        self.handled = 0

    async def start(self) -> None:
        self._connection = await connect(self.url)
        self._channel = await self._connection.channel(publisher_confirms=True)
        await self._channel.set_qos(prefetch_count=self.prefetch)
        self._queue = await declare(
            self._channel, self.names, self.consumer.name, self.consumer.routing_keys, self.delays, self.consumer.heard
        )
        if self.batched:
            self._workers = [asyncio.create_task(self._work()) for _ in range(self.workers)]
            self._tag = await self._queue.consume(self._arrive)
        else:
            self._tag = await self._queue.consume(self._on_message)
        log.info("consumer %s listening on %s", self.consumer.name, self.names.queue(self.consumer.name))

    async def _arrive(self, message: AbstractIncomingMessage) -> None:
        self._acks.arrived(message)
        self._arrived.put_nowait(message)

    async def _work(self) -> None:
        while (batch := await self._gather()) is not None:
            # After a reconnect the broker delivers again, on the new channel, whatever the old
            # one had not acked: the copies still here from the old channel can only be dropped.
            batch = [message for message in batch if _live(message)]
            if not batch:
                continue
            try:
                await self._process_batch(batch)
            except BaseException:
                # Whatever ends this worker must not leave its deliveries holding back the other
                # worker's acks: those not settled go back to the queue.
                await _settle(self._acks.give_back(batch))
                raise

    async def _gather(self) -> list[AbstractIncomingMessage] | None:
        """The next batch: what has arrived, and what arrives within `linger_s` of the first, up
        to `batch_max`. None: this worker is to stop."""
        async with self._gathering:
            if (first := await self._arrived.get()) is None:
                return None
            batch = [first]
            loop = asyncio.get_running_loop()
            until = loop.time() + self.linger_s
            while len(batch) < self.batch_max:
                if self._arrived.empty():
                    if (left := until - loop.time()) <= 0:
                        break
                    try:
                        async with asyncio.timeout(left):
                            message = await self._arrived.get()  # a cancelled get takes nothing
                    except TimeoutError:
                        break
                else:
                    message = self._arrived.get_nowait()
                if message is None:
                    self._arrived.put_nowait(None)  # not ours: another worker's signal to stop
                    break
                batch.append(message)
            return batch

    async def _process_batch(self, batch: list[AbstractIncomingMessage]) -> None:
        assert self.consumer.handle_batch is not None
        if len(batch) > 1:
            try:
                events = [decode(message.body) for message in batch]
                await self.consumer.handle_batch(events)
            except Exception as exc:  # one of them is undecodable, not ready or failing
                log.info("%s: batch of %d not applied (%r); one by one", self.consumer.name, len(batch), exc)
            else:
                await _settle(self._acks.done(batch))
                self.handled += len(batch)
                metrics.delivered(self.consumer.name, "applied", len(batch))
                return
        for message in batch:  # each settled on its own: one that cannot be never strands the rest
            await _settle(self._process(message))
            await _settle(self._acks.give_back([message]))

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
            try:
                await self._forward(message, self.names.dead(self.consumer.name), attempt, f"undecodable: {exc}")
            except Exception:
                await message.nack(requeue=True)  # could not park it: let the broker try again
                return
            await message.ack()
            metrics.delivered(self.consumer.name, "parked")
            return
        try:
            with event_flow(event):
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
            metrics.delivered(self.consumer.name, "retried")
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
            metrics.delivered(self.consumer.name, "retried" if attempt < len(self.delays) else "parked")
            return
        await message.ack()
        self.handled += 1
        metrics.delivered(self.consumer.name, "applied")

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

    @property
    def ready(self) -> bool:
        """Its channel is open (after a broker restart the robust connection reopens it)."""
        return self._channel is not None and not self._channel.is_closed

    async def depths(self) -> tuple[int, int]:
        """(waiting in the queue, parked in its dead-letter queue), by passive declares."""
        assert self._connection is not None
        channel = await self._connection.channel()
        try:
            queue = await channel.declare_queue(self.names.queue(self.consumer.name), passive=True)
            dead = await channel.declare_queue(self.names.dead(self.consumer.name), passive=True)
            return queue.declaration_result.message_count or 0, dead.declaration_result.message_count or 0
        finally:
            await channel.close()

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


class _Acks:
    """The acks of a batching consumer's channel, one frame a batch instead of one a delivery: a
    `multiple` ack of the highest delivery tag below which every delivery is settled. On quorum
    queues each ack frame is a command of the queue's log, so this is work the broker is spared
    (measured with the events benchmark: RabbitMQ 45-52% → 37-41% of a core while a backlog drains).

    Two workers apply batches side by side, so a batch may be done before an earlier one: its
    deliveries wait, unacknowledged, until the earlier one is settled. A delivery handled on its
    own (handed back one by one, retried, parked) is acked or nacked by itself, and given back
    to the queue if it was not (a failure before its ack); either way it is never named by a
    `multiple` ack, which must name no tag twice (the broker closes a channel that does) and
    none not yet applied. Tags are the channel's: after a reconnect the old channel's
    deliveries are forgotten, as the broker delivers them again."""

    def __init__(self) -> None:
        self._channel: object = None
        self._open: dict[int, tuple[AbstractIncomingMessage, bool]] = {}  # tag → (delivery, done), as delivered

    def arrived(self, message: AbstractIncomingMessage) -> None:
        channel = _channel(message)
        if channel is not self._channel:
            self._channel, self._open = channel, {}
        self._open[message.delivery_tag or 0] = (message, False)

    def _ours(self, message: AbstractIncomingMessage) -> bool:
        return _channel(message) is self._channel and (message.delivery_tag or 0) in self._open

    async def done(self, batch: list[AbstractIncomingMessage]) -> None:
        """Applied: acked with every delivery before them once those are settled too."""
        for message in batch:
            if self._ours(message):
                self._open[message.delivery_tag or 0] = (message, True)
        await self._flush()

    async def give_back(self, batch: list[AbstractIncomingMessage]) -> None:
        """Deliveries that settle themselves, or failed to: any not acked or nacked yet (and not
        done) goes back to the queue; none holds back the deliveries after it any longer."""
        for message in batch:
            if not self._ours(message) or self._open[message.delivery_tag or 0][1]:
                continue
            del self._open[message.delivery_tag or 0]
            if not message.processed:
                with contextlib.suppress(Exception):  # a closed channel gives it back anyway
                    await message.nack(requeue=True)
        await self._flush()

    async def _flush(self) -> None:
        last: AbstractIncomingMessage | None = None
        for tag, (message, done) in list(self._open.items()):
            if not done:
                break
            del self._open[tag]  # before the await: no other worker names it again
            last = message
        if last is not None:
            await last.ack(multiple=True)


def _channel(message: AbstractIncomingMessage) -> object:
    """The channel a delivery came on (None once that channel is closed: aio-pika raises then)."""
    try:
        return message.channel
    except ChannelInvalidStateError:
        return None


def _live(message: AbstractIncomingMessage) -> bool:
    return _channel(message) is not None


async def _settle(step: Awaitable[Any]) -> None:
    """An ack or a delivery handled on its own; if the channel went away meanwhile, the broker
    delivers the message again (the inbox makes that harmless), so it is logged, not raised."""
    try:
        await step
    except Exception:
        log.exception("a delivery could not be settled; the broker will deliver it again")
