"""The Prometheus metrics of every process, under the names the alert rules and the dashboard use.

Counters and histograms are recorded where the work happens (the payment guard, the consumer
runners, the in-process bus, the scheduler, the bot's update processor); the gauges that describe
stored state (outbox backlog, queue depth, dead letters) are sampled when /metrics is scraped."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from infra.observability.logs import flow

T = TypeVar("T")
disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series: half the lines of a scrape, and nothing watches them

UPDATES = Counter("hotelbot_updates", "Telegram updates handled.", ["kind", "outcome"])
UPDATE_SECONDS = Histogram(
    "hotelbot_update_seconds",
    "Time to handle one Telegram update.",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BOOKINGS = Counter("hotelbot_bookings", "Booking requests: placed, or the refusal's error code.", ["outcome"])
PAYMENT_SECONDS = Histogram(
    "hotelbot_payment_seconds",
    "Payment provider calls, by operation (charge, refund).",
    ["operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BREAKER_OPEN = Gauge("hotelbot_breaker_open", "1 while a provider's circuit breaker is open.", ["provider"])
OUTBOX_BACKLOG = Gauge("hotelbot_outbox_backlog", "Events written but not yet published.", ["context"])
OUTBOX_OLDEST_AGE = Gauge(
    "hotelbot_outbox_oldest_age_seconds", "Age of the oldest unpublished event (0: none).", ["context"]
)
DELIVERIES = Counter("hotelbot_deliveries", "Event deliveries to a consumer by outcome.", ["consumer", "outcome"])
QUEUE_DEPTH = Gauge("hotelbot_queue_depth", "Messages waiting for a consumer.", ["consumer"])
DEAD_LETTERS = Gauge("hotelbot_dead_letters", "Parked messages waiting for an admin's replay.", ["consumer"])
TELEGRAM_CALLS = Counter("hotelbot_telegram_calls", "Bot API calls by method and outcome.", ["method", "outcome"])
TELEGRAM_429 = Counter("hotelbot_telegram_429", "Bot API calls Telegram answered with 429 (flood control).")
SCHEDULER_RUNS = Counter("hotelbot_scheduler_runs", "Timed job runs by outcome.", ["job", "outcome"])
WEBHOOK_SET = Gauge("hotelbot_webhook_set", "1 when this process receives updates by webhook.")

UPDATE_KINDS = ("message", "callback_query", "edited_message", "pre_checkout_query")


def exposition() -> tuple[bytes, str]:
    """The text a Prometheus scrape gets, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def delivered(consumer: str, outcome: str, count: int = 1) -> None:
    """applied | retried | parked"""
    DELIVERIES.labels(consumer, outcome).inc(count)


def breaker(provider: str, state: str) -> None:
    BREAKER_OPEN.labels(provider).set(1 if state == "opened" else 0)


async def timed(operation: str, call: Callable[[], Awaitable[T]]) -> T:
    started = time.perf_counter()
    try:
        return await call()
    finally:
        PAYMENT_SECONDS.labels(operation).observe(time.perf_counter() - started)


def counted_job(func: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
    """A timed job whose every run is counted: ok, or failed (the exception goes on)."""

    @functools.wraps(func)
    async def run() -> Any:
        try:
            with flow(correlation_id=f"job-{func.__name__}"):
                result = await func()
        except Exception:
            SCHEDULER_RUNS.labels(func.__name__, "failed").inc()
            raise
        SCHEDULER_RUNS.labels(func.__name__, "ok").inc()
        return result

    return run
