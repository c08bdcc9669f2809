"""The in-process bus (no broker) keeps RabbitMQ's promises: retries with delays, a durable
parking place for poison, replay by an admin from the command line, idempotent consumers."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from domain.reservation.commands import CancelReservation
from infra.bootstrap import Container
from infra.payment.guarded import GuardedProvider
from infra.payment.sandbox import SandboxProvider
from infra.processes import Runtime
from tests.conftest import make_settings, scalar
from tests.integration.helpers import eventually, place, seed_hotel, stay

pytestmark = pytest.mark.integration


async def _cli(tmp_path: Path, url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "infra.cli",
        "admin",
        *args,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
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
