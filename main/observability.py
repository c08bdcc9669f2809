"""What makes a process operable, wired onto a Runtime: the health server (/healthz, /readyz,
/metrics on HEALTH_PORT), the event-loop watchdog behind liveness, the gauges sampled at scrape
time, the counting of updates and bookings, and the log context of each update."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from telegram import Update
from telegram.ext import BaseUpdateProcessor, CallbackContext

from api.health import Check, HealthServer, PortInUse, health_app
from bot.processor import update_owner
from domain.reservation.commands import PlaceReservation
from domain.shared.errors import DomainError
from infra.config import DATABASES, SettingsError
from infra.messaging import inprocess
from infra.messaging.relay import outbox_state
from infra.observability import metrics
from infra.observability.logs import bind, flow
from infra.observability.readiness import database_problem
from infra.payment.guarded import PROVIDER, GuardedProvider

if TYPE_CHECKING:
    from infra.config import Settings
    from infra.messaging.inprocess import InProcessBus
    from infra.messaging.rabbit import RabbitConsumerRunner, RabbitPublisher
    from infra.messaging.relay import OutboxRelay
    from main.bootstrap import Container

log = logging.getLogger(__name__)


class Observed(Protocol):
    """What the health server reads of a process's runtime (main.processes.Runtime)."""

    settings: Settings
    container: Container
    want_bot: bool
    application: Any
    relay: OutboxRelay | None
    bus: InProcessBus | None
    runners: list[RabbitConsumerRunner]
    publisher: RabbitPublisher | None


SAMPLE_TIMEOUT_S = 3.0


# --- updates and bookings ------------------------------------------------------------------------


def update_kind(update: object) -> str:
    if isinstance(update, Update):
        for kind in metrics.UPDATE_KINDS:
            if getattr(update, kind, None) is not None:
                return kind
    return "other"


class _Handling:
    __slots__ = ("failed", "started")

    def __init__(self) -> None:
        self.started = self.failed = False


_handling: ContextVar[_Handling | None] = ContextVar("update_handling", default=None)


class CountedUpdates(BaseUpdateProcessor):
    """Around the bot's own update processor: counts each update by kind and outcome (ok, error,
    or refused: never run, e.g. dropped by the flood limit), times it, and gives its log lines the
    user's id and the update's id as correlation id."""

    def __init__(self, inner: BaseUpdateProcessor) -> None:
        super().__init__(inner.max_concurrent_updates)
        self.inner = inner

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        kind = update_kind(update)
        handling = _Handling()

        async def measured() -> None:
            handling.started = True
            token = _handling.set(handling)
            started = time.perf_counter()
            try:
                with flow(user_id=update_owner(update), correlation_id=f"update-{getattr(update, 'update_id', '?')}"):
                    await coroutine
            finally:
                metrics.UPDATE_SECONDS.labels(kind).observe(time.perf_counter() - started)
                _handling.reset(token)

        try:
            await self.inner.do_process_update(update, measured())
        finally:
            if not handling.started:
                coroutine.close()  # type: ignore[attr-defined]
            outcome = "refused" if not handling.started else "error" if handling.failed else "ok"
            metrics.UPDATES.labels(kind, outcome).inc()

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()


async def _mark_failed(_update: object, _context: CallbackContext[Any, Any, Any, Any]) -> None:
    """An error handler beside the bot's own: PTB hands every handler's exception to it."""
    handling = _handling.get()
    if handling is not None:
        handling.failed = True


def count_updates(application: Any) -> None:
    # PTB offers no hook between receiving an update and its processor, and the bot package
    # must not know about metrics: the processor it chose is wrapped here, before `initialize`.
    application._update_processor = CountedUpdates(application.update_processor)
    application.add_error_handler(_mark_failed)


def count_bookings(container: Container) -> None:
    """Every command's reservation id joins the log context; each booking request is counted:
    placed, or the code of the refusal (room_taken, payment_declined, payments_busy, ...)."""
    for command, handler in list(container.handlers.items()):
        if getattr(handler, "counted", False):
            continue
        container.handlers[command] = _counted(command, handler)


def _counted(command: type, handler: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
    booking = command is PlaceReservation

    async def handle(cmd: Any) -> Any:
        bind(reservation_id=getattr(cmd, "reservation_id", None))
        try:
            result = await handler(cmd)
        except DomainError as refusal:
            if booking:
                metrics.BOOKINGS.labels(refusal.code).inc()
                log.info("booking refused: %s", refusal.code)
            raise
        if booking:
            metrics.BOOKINGS.labels("placed").inc()
            bind(reservation_id=getattr(result, "id", None))
            log.info("booking placed")
        return result

    handle.counted = True  # type: ignore[attr-defined]
    return handle


# --- liveness ------------------------------------------------------------------------------------


class LoopWatchdog:
    """Measures how late the event loop wakes a sleeping task. Liveness fails for `hold_s` after
    the loop was blocked longer than `max_lag_s` (while it is blocked, nothing answers at all):
    one stall fails a probe or two, a loop that keeps stalling fails them all and is restarted."""

    def __init__(self, max_lag_s: float, interval_s: float = 0.25, hold_s: float = 15.0) -> None:
        self.max_lag_s, self.interval_s, self.hold_s = max_lag_s, interval_s, hold_s
        self.worst: tuple[float, float] | None = None  # (when, lag) of the last stall

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.interval_s)
            lag = loop.time() - before - self.interval_s
            if lag > self.max_lag_s:
                self.worst = (loop.time(), lag)
                log.warning("the event loop was blocked for %.1fs (limit %.1fs)", lag, self.max_lag_s)

    def problem(self) -> str | None:
        if self.worst is None:
            return None
        at, lag = self.worst
        ago = asyncio.get_running_loop().time() - at
        if ago > self.hold_s:
            return None
        return f"the event loop was blocked for {lag:.1f}s ({ago:.0f}s ago; limit {self.max_lag_s:.1f}s)"


# --- readiness and gauges ------------------------------------------------------------------------


class Operability:
    """The health server of one process and what it reports about the runtime."""

    def __init__(self, runtime: Observed) -> None:
        self.runtime = runtime
        s = runtime.settings
        self.watchdog = LoopWatchdog(s.health_max_loop_lag_s)
        self.started = False
        self.draining = False
        self.app = health_app(
            live=self.watchdog.problem, checks=self.checks(), draining=lambda: self.draining, metrics=self.metrics
        )
        try:
            self.server = HealthServer(self.app, s.health_listen, s.health_port)
        except PortInUse as exc:
            raise SettingsError(
                f"setting HEALTH_PORT: cannot listen on {exc}; one port per process on a host (0: any free one)"
            ) from None
        self._watchdog_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._watchdog_task = asyncio.create_task(self.watchdog.run(), name="loop watchdog")
        await self.server.start()
        log.info("health on http://%s:%d (/healthz /readyz /metrics)", self.server.host, self.server.port)

    async def stop(self) -> None:
        await self.server.stop()
        if self._watchdog_task is not None:
            self._watchdog_task.cancel()
            await asyncio.gather(self._watchdog_task, return_exceptions=True)

    def checks(self) -> dict[str, Check]:
        checks: dict[str, Check] = {"started": self._started, "databases": self._databases}
        if self.runtime.settings.amqp_url is not None:
            checks["broker"] = self._broker
        checks["bot"] = self._bot
        return checks

    async def _started(self) -> str | None:
        return None if self.started else "starting"

    async def _databases(self) -> str | None:
        c = self.runtime.container
        problems = await asyncio.gather(*(database_problem(db, c.engine(db)) for db in DATABASES))
        return "; ".join(p for p in problems if p) or None

    async def _broker(self) -> str | None:
        rt = self.runtime
        closed = [r.consumer.name for r in rt.runners if not r.ready]
        if closed:
            return f"no open channel for consumer {', '.join(closed)}"
        if rt.publisher is not None:
            await rt.publisher.reachable()
        return None

    async def _bot(self) -> str | None:
        rt = self.runtime
        if rt.want_bot and (rt.application is None or not rt.application.running):
            return "the bot is not running"
        return None

    async def metrics(self) -> tuple[bytes, str]:
        try:
            await asyncio.wait_for(self.sample(), timeout=SAMPLE_TIMEOUT_S)
        except Exception as exc:  # the counters are still worth scraping; the gauges keep their last value
            log.info("metrics: could not sample stored state: %r", exc)
        return metrics.exposition()

    async def sample(self) -> None:
        rt = self.runtime
        c = rt.container
        metrics.WEBHOOK_SET.set(1 if rt.want_bot and rt.settings.webhook_url else 0)
        if isinstance(c.provider, GuardedProvider):
            metrics.BREAKER_OPEN.labels(PROVIDER).set(1 if await c.provider.is_open() else 0)
        if rt.relay is not None:
            now = datetime.now(UTC)
            for context, (count, oldest) in (await outbox_state(rt.relay.engines)).items():
                metrics.OUTBOX_BACKLOG.labels(context).set(count)
                metrics.OUTBOX_OLDEST_AGE.labels(context).set((now - oldest).total_seconds() if oldest else 0)
        if rt.bus is not None:
            engine = c.engine("app")
            waiting, parked = await inprocess.waiting(engine), await inprocess.parked_counts(engine)
            for consumer in rt.bus.consumers:
                metrics.QUEUE_DEPTH.labels(consumer.name).set(waiting.get(consumer.name, 0))
                metrics.DEAD_LETTERS.labels(consumer.name).set(parked.get(consumer.name, 0))
        for runner in rt.runners:
            with contextlib.suppress(Exception):  # its channel is away: readiness says so
                depth, dead = await runner.depths()
                metrics.QUEUE_DEPTH.labels(runner.consumer.name).set(depth)
                metrics.DEAD_LETTERS.labels(runner.consumer.name).set(dead)
