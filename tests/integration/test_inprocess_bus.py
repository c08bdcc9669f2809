"""The in-process bus (no broker) keeps RabbitMQ's promises: retries with delays, a durable
parking place for poison, replay by an admin from the command line, idempotent consumers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from domain.reservation.commands import CancelReservation
from infra.config import CONTEXTS
from infra.db.migrate import upgrade
from infra.messaging.codec import encode
from infra.messaging.consumer import Consumer
from infra.messaging.inprocess import InProcessBus, parked, waiting
from infra.messaging.ports import OutgoingMessage
from infra.messaging.relay import OutboxRelay
from infra.payment.guarded import GuardedProvider
from infra.payment.sandbox import SandboxProvider
from main.bootstrap import Container
from main.processes import Runtime
from tests.conftest import hotelbot, make_settings, scalar
from tests.integration.helpers import eventually, place, placed_event, seed_hotel, stay

pytestmark = pytest.mark.integration


async def _cli(tmp_path: Path, url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    process = await hotelbot(tmp_path, env, "admin", *args)
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_a_failing_refund_is_parked_listed_and_replayed_from_the_command_line(
    sqlite_url: str, tmp_path: Path
) -> None:
    sandbox = SandboxProvider(latency_s=0)
    settings = make_settings(database_url=sqlite_url, retry_delays_s=(0.1, 0.2))
    container = Container(settings, provider=GuardedProvider(sandbox, timeout_s=1, failures=100, reset_s=1))
    rt = Runtime(
        settings, bot=False, consumers=("reservation", "hotel", "payment", "view"), scheduler=False, container=container
    )
    await rt.start()
    try:
        _, (room,) = await seed_hotel(container, sync_catalog=False)
        r = await container.handle(place(room, 9, *stay(container)))
        sandbox.failure_rate = 1.0
        await container.handle(CancelReservation(reservation_id=r.id, guest_id=9))

        async def parked() -> str:
            out = await _cli(tmp_path, sqlite_url, "dlq", "list", "payment")
            return out if "1 dead letter(s)" in out else ""

        listing = await eventually(parked, timeout=20, interval=0.3)
        assert "reservation.cancelled" in listing and "attempts=3" in listing
        # the messages behind it flowed: the view shows the cancellation
        row = await container.views.reservation(r.id)
        assert row is not None and (row.status, row.payment_status) == ("cancelled", "approved")
        outbox = await _cli(tmp_path, sqlite_url, "outbox")
        assert outbox.split() == ["reservation", "0", "hotel", "0", "payment", "0", "view", "0"]

        sandbox.failure_rate = 0.0
        await asyncio.sleep(1.1)  # the breaker lets calls through again
        assert "1 dead letter(s) of payment sent back" in await _cli(tmp_path, sqlite_url, "dlq", "replay", "payment")

        async def refunded() -> bool:
            row = await container.views.reservation(r.id)
            return row is not None and row.payment_status == "refunded"

        await eventually(refunded, timeout=20)
        assert await scalar(sqlite_url, "SELECT count(*) FROM app_dead_letters") == 0
        assert len(sandbox.refunds) == 1
        assert "0 dead letter(s)" in await _cli(tmp_path, sqlite_url, "dlq", "list", "payment")
    finally:
        await rt.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def app_engine(request: pytest.FixtureRequest, sqlite_url: str, pg: str) -> Any:
    url = sqlite_url if request.param == "sqlite" else pg
    await upgrade(make_settings(database_url=url))
    container = Container(make_settings(database_url=url))
    yield container.engine("app")
    await container.engines.dispose()


async def test_a_consumer_waiting_on_telegram_holds_up_nobody_and_loses_nothing_across_a_restart(
    app_engine: Any,
) -> None:
    """The notifier's messages go to a durable backlog: the other consumers (and the relay), and
    their retries, do not wait for Telegram, and what was queued is delivered, in order, by the
    next process."""
    events = [placed_event(n) for n in range(3)]
    messages = [OutgoingMessage(e.event_id, e.routing_key(), encode(e)) for e in events]
    applied: list[Any] = []
    told: list[Any] = []
    telegram_back, sending = asyncio.Event(), asyncio.Event()

    async def view(event: Any) -> None:
        applied.append(event.event_id)

    refunded: list[Any] = []
    tried: set[Any] = set()

    async def refund(event: Any) -> None:  # the provider fails the first time: a retry
        if event.event_id not in tried:
            tried.add(event.event_id)
            raise ConnectionError("provider away")
        refunded.append(event.event_id)

    async def notify(event: Any) -> None:
        sending.set()
        await telegram_back.wait()  # Telegram does not answer
        told.append(event.event_id)

    keys = frozenset({"reservation.placed"})
    consumers = [Consumer("view", keys, view), Consumer("payment", keys, refund)]
    bus = InProcessBus(app_engine, [*consumers, Consumer("notifier", keys, notify, backlog=True)], (0.1,))
    retries = asyncio.create_task(bus.run_retries(every_s=0.05))
    try:
        await asyncio.wait_for(bus.publish(messages), timeout=5)  # returns although Telegram hangs
        assert applied == [e.event_id for e in events] and told == []
        assert await parked(app_engine) == []  # queued is not dead
        await asyncio.wait_for(sending.wait(), timeout=5)  # the notifier's worker is on the first

        async def all_refunded() -> bool:
            return len(refunded) == 3

        await eventually(all_refunded, timeout=5)  # retried while Telegram still hangs
        assert told == []
        assert await waiting(app_engine) == {"notifier": 3}  # what an admin sees in /stats
    finally:
        retries.cancel()  # shutting down: the worker gives back what it had taken
        with contextlib.suppress(asyncio.CancelledError):
            await retries
    # the process is gone; the next one, whose Telegram answers, tells everything, in order
    telegram_back.set()
    told.clear()
    restarted = InProcessBus(app_engine, [Consumer("notifier", keys, notify, backlog=True)], (0.1,))
    assert await restarted.retry_due() == 3
    assert told == [e.event_id for e in events]
    assert await restarted.retry_due() == 0  # and only once
    assert await waiting(app_engine) == {}


async def _idle_on(event: Any) -> None:
    """Until the loop under test has done its round and waits on `event()` (asyncio keeps a future
    per waiter): the moment where a wake and the process's stop can land together."""
    for _ in range(500):
        if event() is not None and event()._waiters:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the loop never went idle")


async def _ends_when_cancelled(loop: asyncio.Task[Any]) -> bool:
    """Runtime.stop cancels the relay and the bus's workers and waits for them: each must end."""
    loop.cancel()
    done, _ = await asyncio.wait([loop], timeout=5)
    if not done:  # it ran on (and the stop would have waited for it forever): end it for the next test
        loop.cancel()
        await asyncio.wait([loop], timeout=5)
    return bool(done)


async def test_a_relay_woken_by_a_commit_the_moment_the_process_stops_still_stops(app_engine: Any) -> None:
    relay = OutboxRelay({c: app_engine for c in CONTEXTS}, InProcessBus(app_engine, [], (0.1,)), sweep_s=60)
    running = asyncio.create_task(relay.run())
    await _idle_on(lambda: relay._wake)
    relay.wake("hotel")  # a handler's commit, just as SIGTERM's stop cancels the relay
    assert await _ends_when_cancelled(running), "the relay ran on after the stop cancelled it"


async def test_a_retry_worker_handed_a_message_the_moment_the_process_stops_still_stops(app_engine: Any) -> None:
    event = placed_event(7)

    async def notify(event: Any) -> None:
        return None

    keys = frozenset({"reservation.placed"})
    bus = InProcessBus(app_engine, [Consumer("notifier", keys, notify, backlog=True)], (0.1,))
    retries = asyncio.create_task(bus.run_retries(every_s=60))
    await _idle_on(lambda: bus._due.get("notifier"))
    await bus.publish([OutgoingMessage(event.event_id, event.routing_key(), encode(event))])  # wakes its worker
    assert await _ends_when_cancelled(retries), "the notifier's worker ran on after the stop cancelled it"


async def test_a_background_loop_that_ignores_its_cancellation_is_named_and_the_process_still_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever the next such defect is, the stop ends in a bounded time, the log says which loop
    would not end, and the process (`_serve`) exits with status 1 instead of waiting for it."""
    monkeypatch.setattr("main.processes.TASKS_GRACE_S", 0.5)
    runtime = Runtime(make_settings(data_dir=tmp_path), bot=False, consumers=(), scheduler=False)
    await runtime.start()
    released = asyncio.Event()

    async def stubborn() -> None:
        while not released.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await released.wait()

    runtime._spawn(stubborn(), "stubborn loop")
    try:
        await asyncio.wait_for(runtime.stop(), timeout=10)
        # named, and handed to the process's way out, which exits without waiting for it
        assert [task.get_name() for task in runtime.stuck] == ["stubborn loop"]
    finally:
        released.set()
    assert any("stubborn loop did not end when cancelled" in r.getMessage() for r in caplog.records)


_STUCK_PROCESS = """
import asyncio, os, signal, sys
import main.processes as p
from tests.conftest import make_settings

p.TASKS_GRACE_S = 0.3

async def stubborn():
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass

class Stuck(p.Runtime):
    async def start(self):
        await super().start()
        self._spawn(stubborn(), "stubborn loop")
        asyncio.get_running_loop().call_later(0.5, os.kill, os.getpid(), signal.SIGTERM)

settings = make_settings(data_dir=sys.argv[1], health_port=0)
sys.exit(asyncio.run(p._serve(Stuck(settings, bot=False, consumers=(), scheduler=False))))
"""


async def test_a_process_whose_loop_ignores_its_cancellation_still_exits_on_sigterm(tmp_path: Path) -> None:
    """Closing the event loop waits for every task, without a bound: a process must not get there
    with a loop that will not end. It logs the loop and exits with status 1 instead."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _STUCK_PROCESS,
        str(tmp_path),
        cwd=Path(__file__).parents[2],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 1, output.decode()[-2000:]
    assert b"stubborn loop did not end when cancelled" in output
