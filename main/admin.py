"""Operations on the messaging side an admin needs, whichever bus is in use: outbox backlog,
dead letters, replay. Used by `hotelbot admin …` and, as the bot's `Operations` port, by /stats,
/dlq and /replay."""

from __future__ import annotations

import argparse
from typing import Any

from consumers import NAMES
from infra.config import CONTEXTS
from infra.messaging import inprocess
from infra.messaging.relay import backlog
from main.bootstrap import Container


class Operations:
    consumer_names: tuple[str, ...] = NAMES

    def __init__(self, container: Container) -> None:
        self.container = container

    async def outbox_backlog(self) -> dict[str, int]:
        """Unpublished events per context; on the in-process bus also what waits for a consumer
        (the notifier's backlog behind Telegram, scheduled retries), where there is any."""
        container = self.container
        counts = await backlog({c: container.engine(c) for c in CONTEXTS})
        if container.settings.amqp_url is None:
            for consumer, count in (await inprocess.waiting(container.engine("app"))).items():
                counts[f"{consumer} waiting"] = count
        return counts

    async def dead_letters(self, consumer: str | None = None) -> list[dict[str, Any]]:
        s = self.container.settings
        if s.amqp_url is None:
            return await inprocess.parked(self.container.engine("app"), consumer)
        from infra.messaging.rabbit import Names
        from infra.messaging.rabbit import dead_letters as rabbit_dead

        found: list[dict[str, Any]] = []
        for name in [consumer] if consumer else NAMES:
            for row in await rabbit_dead(s.amqp_url, Names(s.amqp_queue_prefix, s.amqp_exchange), name, replay=False):
                found.append({**row, "consumer": name})
        return found

    async def replay(self, consumer: str) -> int:
        s = self.container.settings
        if s.amqp_url is None:
            return await inprocess.replay(self.container.engine("app"), consumer)
        from infra.messaging.rabbit import Names
        from infra.messaging.rabbit import dead_letters as rabbit_dead

        return len(await rabbit_dead(s.amqp_url, Names(s.amqp_queue_prefix, s.amqp_exchange), consumer, replay=True))


async def dead_letters(container: Container, consumer: str | None = None) -> list[dict[str, Any]]:
    return await Operations(container).dead_letters(consumer)


async def replay(container: Container, consumer: str) -> int:
    return await Operations(container).replay(consumer)


async def admin_messaging(container: Container, args: argparse.Namespace) -> None:
    ops = Operations(container)
    if args.admin == "outbox":
        for context, count in (await ops.outbox_backlog()).items():
            print(f"{context}\t{count}")
    elif args.action == "list":
        rows = await ops.dead_letters(args.consumer)
        for row in rows:
            print(f"{row['consumer']}\t{row['type']}\t{row['event_id']}\tattempts={row['attempts']}\t{row['error']}")
        print(f"{len(rows)} dead letter(s)")
    else:
        print(f"{await ops.replay(args.consumer)} dead letter(s) of {args.consumer} sent back")
