"""The admin's view of a consumer's parked messages: list them, or send them back for replay."""

from __future__ import annotations

from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from infra.messaging.rabbit.topology import ATTEMPT, Names, connect


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
