"""The names and declarations every RabbitMQ participant shares (see the package docstring)."""

from __future__ import annotations

from collections.abc import Iterable

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

ATTEMPT = "x-attempt"

# aiormq hands every outgoing frame to its writer task through a queue of 10 frames. Past that, a
# publisher waits for room while holding its channel's lock, and the messages of a batch then go
# out one per turn of the event loop: behind a busy bot, a relay's batch of 200 took up to 2 s
# and the outbox fell behind (bench events: lag p99 7-11 s at 100 bookings/s). A batch fits now;
# the publisher waits for the socket once a batch (see RabbitPublisher.publish).
aiormq.Connection.FRAME_BUFFER_SIZE = 1024


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
    channel: AbstractChannel,
    names: Names,
    consumer: str,
    keys: Iterable[str],
    delays: Iterable[float],
    unbound: Iterable[str] = (),
) -> aio_pika.abc.AbstractQueue:
    """The consumer's queue bound to `keys` and not to `unbound` (keys an earlier version bound:
    removing a binding that is not there changes nothing), with its retry and dead queues."""
    exchange = await channel.declare_exchange(names.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(names.queue(consumer), durable=True, arguments={"x-queue-type": "quorum"})
    for key in sorted(keys):
        await queue.bind(exchange, routing_key=key)
    for key in sorted(set(unbound) - set(keys)):
        await queue.unbind(exchange, routing_key=key)
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
