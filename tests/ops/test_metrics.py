"""/metrics of a real `hotelbot run` (PostgreSQL + RabbitMQ) while a guest books through the Bot API
stand-in: every metric the alert rules and the dashboard use is there, and the ones a booking
drives have moved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from tests.botapi import FakeBotApi
from tests.conftest import TOKEN
from tests.e2e.conftest import ADMIN, World
from tests.e2e.test_scenario import book, seoul_today, setup_hotel
from tests.integration.helpers import eventually
from tests.ops.helpers import Process, environment, sample

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

CONSUMERS = ("reservation", "hotel", "payment", "view", "notifier")
CONTEXTS = ("reservation", "hotel", "payment", "view")


async def test_metrics_expose_every_named_metric_and_move_during_a_booking(
    tmp_path: Path, pg: str, amqp: Callable[..., dict[str, Any]]
) -> None:
    api = FakeBotApi(TOKEN)
    await api.start()
    broker = amqp()
    env = environment(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        ADMIN_IDS=str(ADMIN),
        DATABASE_URL=pg.replace("+asyncpg", ""),
        AMQP_URL=broker["amqp_url"],
        AMQP_QUEUE_PREFIX=broker["amqp_queue_prefix"],
        AMQP_EXCHANGE=broker["amqp_exchange"],
        SCHEDULER_TICK_S="1",
    )
    process = await Process.start(tmp_path, env, "run")
    try:
        await process.ready()
        world = cast(World, SimpleNamespace(api=api))
        await setup_hotel(world)
        before = await process.metrics()
        too_many = {
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
        api.fail_next["sendMessage"] = [too_many]  # Telegram's flood control, once, during the booking
        await book(world, 11, "Gus", seoul_today() + timedelta(days=3), 2, "101")
        await api.users[2].expect("New reservation")  # the manager got the request: the events went round

        async def moved() -> Any:
            after = await process.metrics()
            stuck = [
                (name, labels)
                for name, labels in (
                    ("hotelbot_updates_total", {"kind": "callback_query", "outcome": "ok"}),
                    ("hotelbot_updates_total", {"kind": "message", "outcome": "ok"}),
                    ("hotelbot_update_seconds_count", {"kind": "callback_query"}),
                    ("hotelbot_bookings_total", {"outcome": "placed"}),
                    ("hotelbot_payment_seconds_count", {"operation": "charge"}),
                    ("hotelbot_deliveries_total", {"consumer": "view", "outcome": "applied"}),
                    ("hotelbot_deliveries_total", {"consumer": "hotel", "outcome": "applied"}),
                    ("hotelbot_deliveries_total", {"consumer": "notifier", "outcome": "applied"}),
                    ("hotelbot_telegram_calls_total", {"method": "sendMessage", "outcome": "ok"}),
                    ("hotelbot_telegram_calls_total", {"method": "sendMessage", "outcome": "429"}),
                    ("hotelbot_telegram_429_total", {}),
                    ("hotelbot_scheduler_runs_total", {"job": "settle_payments", "outcome": "ok"}),
                )
                if (sample(after, name, **labels) or 0) <= (sample(before, name, **labels) or 0)
            ]
            return after if not stuck else None

        after = await eventually(moved, timeout=30)
        assert sample(after, "hotelbot_bookings_total", outcome="placed") == 1
        # The gauges of stored state: sampled at scrape time, for each context and consumer.
        for context in CONTEXTS:
            assert sample(after, "hotelbot_outbox_backlog", context=context) is not None
            assert sample(after, "hotelbot_outbox_oldest_age_seconds", context=context) is not None
        for consumer in CONSUMERS:
            assert sample(after, "hotelbot_queue_depth", consumer=consumer) is not None
            assert sample(after, "hotelbot_dead_letters", consumer=consumer) == 0
        assert sample(after, "hotelbot_breaker_open", provider="payment") == 0
        assert sample(after, "hotelbot_webhook_set") == 0  # this process polls
    finally:
        code = await process.stop()
        await api.stop()
    assert code == 0, process.log()
