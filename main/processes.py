"""The long-running processes: `run` (everything), `bot`, `relay`, `consume <name>`, `scheduler`.

Every process that commits events runs an outbox relay of its own, woken by its own commits, so
events leave at once wherever they were written; on PostgreSQL several relays share the outboxes
safely (FOR UPDATE SKIP LOCKED), and the standalone `relay` process is the sweeper for the rest."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
from typing import Any

from telegram.request import BaseRequest

from consumers import HEARD, NAMES, TOPOLOGY
from infra.config import CONTEXTS, Settings, SettingsError
from infra.db import migrate as migrations
from infra.db.engines import is_sqlite, make_engine
from infra.messaging.consumer import Consumer
from infra.messaging.inprocess import InProcessBus
from infra.messaging.ports import Publisher
from infra.messaging.rabbit import Names, RabbitConsumerRunner, RabbitPublisher
from infra.messaging.relay import OutboxRelay
from main.bootstrap import Container
from main.consumers import notifier, notifier_consumer, transactional_consumers
from main.observability import Operability, count_bookings, count_updates
from main.wiring import bot_services, telegram_config

log = logging.getLogger(__name__)


TASKS_GRACE_S = 10.0  # for the background loops to end once cancelled


class Runtime:
    """The pieces of one process, started and stopped in order. Tests and benchmarks use it too."""

    def __init__(
        self,
        settings: Settings,
        *,
        bot: bool = True,
        relay: bool = True,
        consumers: tuple[str, ...] = NAMES,
        scheduler: bool = True,
        container: Container | None = None,
        request: BaseRequest | None = None,
        migrate: bool = True,
        relay_sweep_s: float | None = None,
        api: bool = False,
    ) -> None:
        self.settings = settings
        self.container = container or Container(settings)
        count_bookings(self.container)
        self.want_bot, self.want_relay, self.want_scheduler = bot, relay, scheduler
        self.consumer_names = consumers
        self.request = request
        self.migrate = migrate
        self.relay_sweep_s = settings.relay_sweep_s if relay_sweep_s is None else relay_sweep_s
        # The HTTP gateway: asked for, or wherever the bot takes its updates through a webhook.
        self.want_api = api or (bot and bool(settings.webhook_url))
        self.health_routes: list[Any] = []  # /healthz /readyz /metrics, set by the process (_serve)
        self.gateway: Any = None
        self.application: Any = None
        self.poller: Any = None  # long polling's, when the bot polls
        self.notifier: Any = None
        self.relay: OutboxRelay | None = None
        self.bus: InProcessBus | None = None
        self.runners: list[RabbitConsumerRunner] = []
        self.scheduler: Any = None
        self._tasks: list[asyncio.Task[Any]] = []
        self.publisher: RabbitPublisher | None = None
        self._notifier_bot: Any = None
        self._own_state_engine: Any = None
        self._state: Any = None  # the bot's conversation and user state (SqlBotState)
        # Background loops that did not end when the stop cancelled them: the process must not
        # wait for them on its way out (closing the event loop would, for ever).
        self.stuck: list[asyncio.Task[Any]] = []

    @property
    def names(self) -> Names:
        return Names(self.settings.amqp_queue_prefix, self.settings.amqp_exchange)

    def _consumers(self) -> list[Consumer]:
        found = [c for c in transactional_consumers(self.container) if c.name in self.consumer_names]
        if "notifier" in self.consumer_names and self.notifier is not None:
            found.append(notifier_consumer(self.notifier, self.container))
        return found

    async def start(self) -> None:
        s = self.settings
        if self.migrate:
            await migrations.upgrade(s)
        needs_telegram = self.want_bot or self.want_scheduler or "notifier" in self.consumer_names
        if needs_telegram:
            from telegram.request import HTTPXRequest

            from bot.app import build_application, build_notifier_bot
            from infra.db.bot_state import SqlBotState
            from infra.observability.telegram import CountingRequest

            self.telegram = telegram_config(s)
            # long polling: this is the bot's one process (Telegram serves getUpdates to one)
            self._state = SqlBotState(self._state_engine(), turns=self._state_turns(), single=not s.webhook_url)
            self.application = build_application(
                self.telegram,
                bot_services(self.container),
                self._state,
                request=CountingRequest(self.request or HTTPXRequest(connection_pool_size=64)),
            )
            count_updates(self.application)
            await _reach_telegram(self.application.initialize)
            self._notifier_bot = build_notifier_bot(self.telegram, CountingRequest(self.request or HTTPXRequest()))
            await _reach_telegram(self._notifier_bot.initialize)
            self.notifier = notifier(self._notifier_bot, self.container)
        consumers = self._consumers()
        publisher: Publisher | None = None
        if s.amqp_url is None:
            if consumers or self.want_relay:
                self.bus = InProcessBus(self.container.engine("app"), consumers, s.retry_delays_s)
                publisher = self.bus
                self._spawn(self.bus.run_retries(), "in-process retries")
        else:
            for consumer in consumers:
                runner = RabbitConsumerRunner(
                    s.amqp_url,
                    self.names,
                    consumer,
                    s.retry_delays_s,
                    s.amqp_prefetch,
                    linger_s=s.amqp_batch_linger_ms / 1000,
                )
                await runner.start()
                self.runners.append(runner)
            self.publisher = publisher = RabbitPublisher(s.amqp_url, self.names, TOPOLOGY, s.retry_delays_s, HEARD)
        if self.want_relay and publisher is not None:
            engines = {c: self.container.engine(c) for c in CONTEXTS}
            # Rounds side by side only towards a broker: the in-process bus delivers inline,
            # in the order the relay hands it events.
            depth = 1 if publisher is self.bus else 2
            self.relay = OutboxRelay(engines, publisher, sweep_s=self.relay_sweep_s, depth=depth)
            self.container.commit_listeners.append(self.relay.wake)
            self._spawn(self.relay.run(), "relay")
        if self.want_scheduler:
            from main.jobs import scheduler

            self.scheduler = scheduler(self.container, self.notifier, relay=self.relay)
            await self.scheduler.start()
        if self.want_bot:
            from bot.app import start_receiving

            self.poller = await start_receiving(self.application, self.telegram, before_webhook=self._start_gateway)
        await self._start_gateway()
        log.info(
            "started: bot=%s relay=%s consumers=%s broker=%s",
            self.want_bot,
            self.want_relay,
            ",".join(c.name for c in consumers) or "-",
            "rabbitmq" if s.amqp_url else "in-process",
        )

    def _state_turns(self) -> int:
        return max(2, self.settings.db_pool_size // 2)

    def _state_engine(self) -> Any:
        """On PostgreSQL each user's turn keeps a connection while their update is handled: those
        come from a pool of their own (half DB_POOL_SIZE), never the one the commands use."""
        url = self.settings.url_for("app")
        if is_sqlite(url):
            return self.container.engine("app")
        self._own_state_engine = make_engine(url, self._state_turns(), self.settings.db_pre_ping)
        return self._own_state_engine

    async def _start_gateway(self) -> None:
        if not self.want_api or self.gateway is not None:
            return
        from api.app import build_gateway
        from api.health import HealthServer, PortInUse
        from api.ports import Webhook
        from main.wiring import api_services

        webhook: Webhook | None = None
        if self.want_bot and self.settings.webhook_url:
            if not self.settings.webhook_secret:
                raise SettingsError(
                    "setting WEBHOOK_SECRET: required with WEBHOOK_URL (Telegram's secret-token header)"
                )
            application = self.application

            async def handle_update(data: dict[str, Any]) -> None:
                from telegram import Update

                from bot.app import handle_now

                await handle_now(application, Update.de_json(data, application.bot))

            webhook = handle_update

        from main.wiring import chat_checkout

        s = self.settings
        if self.notifier is None and s.telegram_bot_token:
            # A gateway without a bot (`hotelbot api`) still sends guests their receipts and invoices,
            # through a bot of its own that asks nothing of Telegram at start (it may be unreachable).
            from telegram.request import HTTPXRequest

            from bot.app import build_notifier_bot
            from infra.observability.telegram import CountingRequest

            self._notifier_bot = build_notifier_bot(telegram_config(s), CountingRequest(self.request or HTTPXRequest()))
            self.notifier = notifier(self._notifier_bot, self.container)
        receipts = self.notifier.placed_elsewhere if self.notifier is not None else None
        bot = self.application.bot if self.application is not None else self._notifier_bot
        checkout = chat_checkout(self.container, bot) if bot is not None else None
        services = api_services(self.container, receipts, checkout)
        app = build_gateway(services, webhook=webhook, health_routes=self.health_routes)
        s = self.settings
        try:
            self.gateway = HealthServer(app, s.api_host, s.api_port, name="gateway")
        except PortInUse as exc:
            raise SettingsError(f"setting API_PORT: cannot listen on {exc}") from None
        await self.gateway.start()
        log.info(
            "gateway on http://%s:%d (/api/v1, /api/docs%s)",
            s.api_host,
            self.gateway.port,
            ", the webhook" if webhook else "",
        )

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._crashed)
        self._tasks.append(task)

    @staticmethod
    def _crashed(task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s stopped: %r", task.get_name(), task.exception())

    async def stop(self) -> None:
        """Stop taking work (updates, messages), finish what is in hand, then close."""
        if self.gateway is not None:
            await self.gateway.stop()  # requests in hand are answered first
            self.gateway = None
        if self.want_bot and self.application is not None:
            from bot.app import stop_receiving

            await stop_receiving(self.application, self.poller)
            self.poller = None
        for runner in self.runners:
            await runner.stop()
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.relay is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.relay.drain(), timeout=5)
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            # Bounded: a loop that does not end when cancelled is a defect to name, not a process
            # that never exits (a relay once kept running this way: infra.eventloop.woken).
            _, running = await asyncio.wait(self._tasks, timeout=TASKS_GRACE_S)
            for task in running:
                log.error("%s did not end when cancelled; the process exits without it", task.get_name())
                task.cancel()  # a loop that swallowed one cancellation may take the next
            self.stuck = list(running)
            self._tasks = []
        if self.publisher is not None:
            await self.publisher.close()
        if self.application is not None:
            await self.application.shutdown()
        if self._notifier_bot is not None:
            await self._notifier_bot.shutdown()
        if self._state is not None:
            await self._state.close()
        if self._own_state_engine is not None:
            await self._own_state_engine.dispose()
        await self.container.close()


async def _reach_telegram(initialize: Any, max_delay_s: float = 60.0) -> None:
    """Telegram must accept the token (else one clear line and exit); while it cannot be
    reached at all, keep trying with growing pauses instead of dying at start."""
    from telegram.error import InvalidToken, NetworkError

    delay = 1.0
    while True:
        try:
            await initialize()
            return
        except InvalidToken:
            raise SettingsError("setting TELEGRAM_BOT_TOKEN: Telegram does not accept this token") from None
        except NetworkError as exc:
            log.warning("Telegram cannot be reached (%s); trying again in %.0fs", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay_s)


async def wait_for_stop() -> None:
    """Until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def settle_heap() -> None:
    """Once a long-running process has started: what start-up built lives as long as the process,
    so keep it out of the collector's full passes (which otherwise walk it again and again), and
    collect young objects every 10,000 allocations instead of 700. bench booking: time in the
    collector 2.7 → 0.7 s, longest pause 166 → 44 ms, receipt p99 415 → 300 ms. Not for a process
    that starts and stops runtimes repeatedly (tests): frozen cycles are never collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


async def _serve(runtime: Runtime) -> int:
    ops = Operability(runtime)  # /healthz /readyz /metrics, from before the start to after the stop
    runtime.health_routes = list(ops.app.routes)  # served on the gateway's port too
    await ops.start()
    try:
        try:
            await runtime.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await runtime.stop()  # whatever did start is closed again
            raise
        ops.started = True
        settle_heap()
        try:
            await wait_for_stop()
            ops.draining = True  # not ready at once, while what is in hand is finished
            log.info("stopping")
        finally:
            await runtime.stop()
    finally:
        await ops.stop()
    if runtime.stuck:  # logged by the stop: leave now, as the orchestrator's kill would later
        logging.shutdown()
        os._exit(1)
    return 0


async def run_all(settings: Settings) -> int:
    return await _serve(Runtime(settings, api=True))


async def run_api(settings: Settings) -> int:
    """The HTTP gateway (and the relay of the events its commands commit). With WEBHOOK_URL it
    handles Telegram's updates too, the bot's handlers answering them: gateway replicas behind a
    load balancer share the bot's work."""
    _needs_broker(settings, "the API")
    webhook = bool(settings.webhook_url)
    return await _serve(Runtime(settings, bot=webhook, consumers=(), scheduler=False, migrate=False, api=True))


def _needs_broker(settings: Settings, what: str) -> None:
    if settings.amqp_url is None:
        raise SettingsError(
            f"setting AMQP_URL: {what} on its own hands events to consumers in other processes, "
            "which needs RabbitMQ; without it, use `hotelbot run`"
        )


async def run_bot(settings: Settings) -> int:
    _needs_broker(settings, "the bot")
    return await _serve(Runtime(settings, consumers=(), scheduler=False))


async def run_relay(settings: Settings) -> int:
    _needs_broker(settings, "the relay")
    return await _serve(Runtime(settings, bot=False, consumers=(), scheduler=False, migrate=False))


async def run_consumer(settings: Settings, name: str) -> int:
    _needs_broker(settings, "a consumer")
    return await _serve(Runtime(settings, bot=False, consumers=(name,), scheduler=False, migrate=False))


async def run_scheduler(settings: Settings) -> int:
    _needs_broker(settings, "the scheduler")
    return await _serve(Runtime(settings, bot=False, consumers=(), scheduler=True, migrate=False))
