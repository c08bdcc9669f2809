"""Operations on the messaging side an admin needs, whichever bus is in use: outbox backlog,
dead letters, replay. Used by `hotelbot admin …` and by the bot's admin commands."""

from __future__ import annotations

import argparse
from typing import Any

from infra.bootstrap import Container
from infra.config import CONTEXTS
from infra.messaging import inprocess
from infra.messaging.relay import backlog

CONSUMER_NAMES = ("reservation", "hotel", "payment", "view", "notifier")


async def outbox_backlog(container: Container) -> dict[str, int]:
    """Unpublished events per context; on the in-process bus also what waits for a consumer
    (the notifier's backlog behind Telegram, scheduled retries), where there is any."""
    counts = await backlog({c: container.engine(c) for c in CONTEXTS})
    if container.settings.amqp_url is None:
        for consumer, count in (await inprocess.waiting(container.engine("app"))).items():
            counts[f"{consumer} waiting"] = count
    return counts


async def dead_letters(container: Container, consumer: str | None = None) -> list[dict[str, Any]]:
    s = container.settings
    if s.amqp_url is None:
        return await inprocess.parked(container.engine("app"), consumer)
    from infra.messaging.rabbit import Names
    from infra.messaging.rabbit import dead_letters as rabbit_dead

    found: list[dict[str, Any]] = []
    for name in [consumer] if consumer else CONSUMER_NAMES:
        for row in await rabbit_dead(s.amqp_url, Names(s.amqp_queue_prefix, s.amqp_exchange), name, replay=False):
            found.append({**row, "consumer": name})
    return found


async def replay(container: Container, consumer: str) -> int:
    s = container.settings
    if s.amqp_url is None:
        return await inprocess.replay(container.engine("app"), consumer)
    from infra.messaging.rabbit import Names
    from infra.messaging.rabbit import dead_letters as rabbit_dead

    return len(await rabbit_dead(s.amqp_url, Names(s.amqp_queue_prefix, s.amqp_exchange), consumer, replay=True))


async def admin_messaging(container: Container, args: argparse.Namespace) -> None:
    if args.admin == "outbox":
        for context, count in (await outbox_backlog(container)).items():
            print(f"{context}\t{count}")
    elif args.action == "list":
        rows = await dead_letters(container, args.consumer)
        for row in rows:
            print(f"{row['consumer']}\t{row['type']}\t{row['event_id']}\tattempts={row['attempts']}\t{row['error']}")
        print(f"{len(rows)} dead letter(s)")
    else:
        print(f"{await replay(container, args.consumer)} dead letter(s) of {args.consumer} sent back")
