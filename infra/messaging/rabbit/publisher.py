"""The relay's publisher: confirmed, persistent, declaring every consumer's queues first."""

from __future__ import annotations

import asyncio
from typing import cast

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from infra.messaging.ports import OutgoingMessage
from infra.messaging.rabbit.topology import ATTEMPT, Names, connect, declare

CLOSE_S = 2.0  # a channel given up on has this long to close


class RabbitPublisher:
    """Publishes a batch pipelined on a confirming channel; returns once every confirm is in.
    On connecting it declares every consumer's queues, so nothing published is unroutable.
    Batches published at once (the relay's rounds side by side) each take a channel of their
    own: on one channel a batch waits for the socket holding the channel's lock, and the other
    batch's messages would then queue on that lock one a turn of the event loop."""

    def __init__(
        self,
        url: str,
        names: Names,
        topology: dict[str, frozenset[str]],
        delays: tuple[float, ...],
        unbound: dict[str, frozenset[str]] | None = None,
    ) -> None:
        """`topology`: each consumer's bindings; `unbound`: keys removed from a consumer's queue
        (an earlier version bound them)."""
        self.url, self.exchange_name = url, names.exchange
        self.names, self.topology, self.delays = names, topology, delays
        self.unbound = unbound or {}
        self._connection: AbstractRobustConnection | None = None
        self._declared = False  # every queue and the exchange, since the last failure
        self._idle: list[AbstractChannel] = []  # confirming channels no batch is using
        self._closing: set[asyncio.Future[None]] = set()
        self._lock = asyncio.Lock()

    async def _channel(self) -> AbstractChannel:
        """A confirming channel for one batch: an idle one, or a new one."""
        async with self._lock:
            if self._connection is None:
                self._connection = await connect(self.url)
            while self._idle:
                channel = self._idle.pop()
                if not channel.is_closed:
                    break
                self._discard(channel)  # closed under it (a reconnect would reopen it for nobody)
            else:
                channel = await self._connection.channel(publisher_confirms=True)
            if not self._declared:
                try:
                    for consumer, keys in self.topology.items():
                        await declare(channel, self.names, consumer, keys, self.delays, self.unbound.get(consumer, ()))
                    await channel.declare_exchange(self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
                except BaseException:  # a refusal, or a probe that ran out of time: not kept
                    self._discard(channel)
                    raise
                self._declared = True
            return channel

    def _discard(self, channel: AbstractChannel) -> None:
        """Closed for good, in the background: aio-pika's robust channel reopens itself after a
        reconnect unless it was closed, and closing waits for the broker's answer."""
        closing = asyncio.ensure_future(asyncio.wait_for(channel.close(), timeout=CLOSE_S))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)
        closing.add_done_callback(lambda done: done.cancelled() or done.exception())  # nothing to say

    async def reachable(self) -> None:
        """Raises unless a confirming channel to the broker is open (opening one if need be)."""
        self._idle.append(await self._channel())
        if self._connection is None or self._connection.is_closed:
            raise ConnectionError("no connection to the broker")

    async def publish(self, messages: list[OutgoingMessage]) -> None:
        """Every message written at once, then every confirm awaited. aio-pika's `Exchange.publish`
        holds the channel's lock until the writer task has put the frame on the socket, so a batch
        goes out one message per turn of the event loop: in a process busy with other work (a bot
        placing bookings) a batch of 100 took 1-2 s to publish while the broker confirmed in
        milliseconds, and the outbox fell behind. aiormq's `wait=False` leaves the socket to the
        writer; the confirm (after the broker stored the message) is awaited as before. The last
        message of a batch waits for the socket to take its frames (a drain a batch): a broker
        that stops reading (a memory alarm) holds the relay there instead of letting retried
        batches pile up in memory."""
        wrapper = await self._channel()
        try:
            if wrapper.is_closed:  # as aio-pika's publish does: fail now, the relay retries
                raise aiormq.exceptions.ChannelInvalidStateError(f"{wrapper!r} closed")
            # the concrete aiormq channel: its basic_publish takes `wait` (the abstract one does not say so)
            channel = cast(aiormq.Channel, await wrapper.get_underlay_channel())
            await asyncio.gather(
                *(
                    channel.basic_publish(
                        m.payload,
                        exchange=self.exchange_name,
                        routing_key=m.routing_key,
                        properties=aio_pika.Message(
                            m.payload,
                            content_type="application/json",
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                            message_id=str(m.event_id),
                            type=m.routing_key,
                            headers={ATTEMPT: 0},
                        ).properties,
                        mandatory=True,
                        timeout=10,
                        wait=i == len(messages) - 1,
                    )
                    for i, m in enumerate(messages)
                )
            )
        except BaseException:  # a failure, or a batch cut short: the channel is not used again
            self._declared = False  # declared again, on a fresh channel, before the next batch
            self._discard(wrapper)
            raise
        self._idle.append(wrapper)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
        self._idle.clear()
        self._declared = False
