"""What every benchmark shares: its own PostgreSQL database and RabbitMQ vhost, the settings it
ran with, percentiles, and a table printer."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from infra.config import Settings, load_settings

PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
AMQP_BASE = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
DB, VHOST = "hotelbot_bench", "hotelbot-bench"


def pg_url(db: str = DB) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{db}"


async def fresh_database() -> str:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DB}"')
    finally:
        await conn.close()
    return pg_url()


# An existing vhost to run in instead (the queues and exchange then get names of this run's own):
# for a shared broker whose vhosts are slow to create or delete.
SHARED_VHOST = os.environ.get("BENCH_AMQP_VHOST")
_runs = itertools.count(1)


def fresh_vhost() -> str:
    """A vhost of this run's own (named after the process): on a broker shared with other work, a
    vhost whose deletion hangs (quorum queues that do not answer) never blocks the next run."""
    if SHARED_VHOST:
        return f"{AMQP_BASE}/{SHARED_VHOST}"
    _drop_stale()
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", _vhost()], check=True, capture_output=True, timeout=60)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", _vhost(), "guest", ".*", ".*", ".*"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return f"{AMQP_BASE}/{_vhost()}"


def _vhost() -> str:
    return f"{VHOST}-{os.getpid()}"


def drop_vhost() -> None:
    if SHARED_VHOST:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", _vhost()], capture_output=True, timeout=60)


def _drop_stale() -> None:
    """This process's vhost from its previous run, and those of earlier runs whose process has
    ended: one whose deletion timed out at the end of its run stays, its quorum queues kept by the
    broker for nobody (four such vhosts, 144 queues, were found beside a test run whose vhost
    deletions then timed out)."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        listed = subprocess.run(["rabbitmqctl", "-q", "list_vhosts"], capture_output=True, text=True, timeout=60)
        for name in listed.stdout.split():
            pid = name.removeprefix(f"{VHOST}-")
            if name == _vhost() or (pid != name and pid.isdigit() and not Path(f"/proc/{pid}").exists()):
                subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True, timeout=60)


async def bench_settings(backend: str, tmp: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"telegram_bot_token": "123456:BENCH", "payment_latency_ms": 5, "log_level": "WARNING"}
    if backend == "pg":
        values.update(database_url=await fresh_database(), amqp_url=fresh_vhost())
        if SHARED_VHOST:
            prefix = f"bench{os.getpid()}x{next(_runs)}"
            values.update(amqp_queue_prefix=prefix, amqp_exchange=f"{prefix}.events")
    else:
        values.update(database_url=f"sqlite+aiosqlite:///{tmp}/bench.db")
    values.update(overrides)
    return load_settings(_env_file=None, **values)


async def pg_transactions(url: str, settle: bool = False) -> int:
    """Transactions PostgreSQL has ended so far in the database of `url` (committed or rolled
    back; a statement in autocommit is one), read from the server's statistics: every process and
    driver of a run counted alike. A backend reports its own when it goes idle (at most once a
    second; one that goes idle sooner reports 10 s later) and when it exits: `settle`, after the
    run's connections are closed, waits until no backend is left in the database (every one has
    reported) for a true count."""
    database = make_url(url).database
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        for _ in range(50 if settle else 0):
            left = await conn.fetchval("SELECT numbackends FROM pg_stat_database WHERE datname = $1", database)
            if not left:
                break
            await asyncio.sleep(0.2)
        read = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1"
        return int(await conn.fetchval(read, database) or 0)
    finally:
        await conn.close()


def describe(settings: Settings) -> str:
    db = "PostgreSQL" if settings.default_database_url.startswith("postgresql") else "SQLite"
    bus = "RabbitMQ" if settings.amqp_url else "in-process bus"
    return (
        f"{db} + {bus}; payment latency {settings.payment_latency_ms} ms; pool {settings.db_pool_size}; "
        f"prefetch {settings.amqp_prefetch}; {settings.event_loop} loop; cpus {os.cpu_count()}"
    )


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


def peak_rss_mb() -> float:
    """The most memory this process has held so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def cpu_s() -> float:
    """CPU seconds this process has used so far (user + system): per unit of work, a figure that
    other load on the machine skews far less than a rate does."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_s(pid: int) -> float:
    """User + system CPU another process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def servers_cpu_s() -> dict[str, float]:
    """CPU seconds used so far by every PostgreSQL process and by RabbitMQ's Erlang VM on this
    machine (Linux; what they spend for other work too), to tell their share of a run."""
    names = {"postgres": "PostgreSQL", "beam.smp": "RabbitMQ"}
    spent = dict.fromkeys(names.values(), 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except OSError:  # ended meanwhile
            continue
        name = names.get(head.split("(", 1)[1])
        if name is not None:
            fields = tail.split()
            # with the time of its children that ended (the postmaster's backends and workers)
            spent[name] += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return spent


def table(title: str, rows: list[tuple[str, str]]) -> None:
    rows = [*rows, ("peak memory of this process so far", f"{peak_rss_mb():,.0f} MB")]
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}")
    print("-" * (width + 30))
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")
