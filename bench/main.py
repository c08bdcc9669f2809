"""`hotelbot bench <raw|booking|events|contention|drain|replicas|api|steps|all> [--sqlite] [--guests N]
[--concurrency N] [--cpu-hog N]`; `hotelbot soak` (bench/soak/) is dispatched from here too."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator

from bench import drain, flows, raw, replicas, steps
from bench.common import bench_settings, describe, drop_vhost, fresh_database, fresh_vhost
from infra import eventloop
from infra.config import load_settings


async def _main(name: str, args: argparse.Namespace) -> None:
    backend = "sqlite" if args.sqlite else "pg"
    with tempfile.TemporaryDirectory() as tmp:
        numbers: dict[str, float] = {}
        if name in ("raw", "all", "booking", "events"):
            measured = await raw.run(await fresh_database(), fresh_vhost())
            numbers.update(measured)
        if name in ("booking", "all"):
            settings = await bench_settings(backend, tmp)
            print(f"\nsettings: {describe(settings)}")
            n, floor_work = numbers, None
            if "floor" in n:
                floor_work = (n["floor_transactions"], n["floor_calls"], n["floor_cpu"], n["floor_pg_cpu"])
            await flows.booking(
                settings,
                args.guests,
                args.concurrency,
                numbers.get("tx"),
                args.split,
                think_s=args.think,
                floor=numbers.get("floor"),
                floor_work=floor_work,
            )
        if name in ("events", "all"):
            settings = await bench_settings(backend, tmp)
            print(f"\nsettings: {describe(settings)}")
            await flows.events(
                settings,
                numbers.get("consume"),
                numbers.get("tx"),
                steady_rate=args.rate,
                seconds=args.seconds,
                burst=args.burst,
                warmup_s=args.warmup,
                split=args.split,
            )
        if name in ("contention", "all"):
            settings = await bench_settings(backend, tmp)
            print(f"\nsettings: {describe(settings)}")
            await flows.contention(settings, args.contenders, args.split)
        if name == "api":
            from bench import api

            await api.run(backend, args.seconds)
        if name == "drain":
            settings = await bench_settings("pg", tmp)
            print(f"\nsettings: {describe(settings)}")
            await drain.run(settings, rate=min(args.rate, 20), warm_s=args.warmup)
        if name == "replicas":
            await replicas.run(tmp, args.guests, args.concurrency)
        if name == "steps":
            await steps.run()


@contextlib.contextmanager
def cpu_hogs(n: int) -> Iterator[None]:
    """`n` processes spinning on a core each for as long as the run lasts: a slower day, simulated."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    if hogs:
        print(f"cpu hogs: {n} busy processes beside the run (pids {', '.join(str(h.pid) for h in hogs)})")
    try:
        yield
    finally:
        for hog in hogs:
            hog.terminate()
        for hog in hogs:
            hog.wait(timeout=10)


def run(name: str, rest: list[str]) -> int:
    if name == "soak":
        from bench.soak.run import run as soak

        return soak(rest)
    parser = argparse.ArgumentParser(prog=f"hotelbot bench {name}")
    parser.add_argument(
        "--sqlite", action="store_true", help="SQLite + in-process bus instead of PostgreSQL + RabbitMQ"
    )
    parser.add_argument("--guests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--contenders", type=int, default=200)
    parser.add_argument("--rate", type=int, default=100, help="events: steady bookings per second")
    parser.add_argument("--seconds", type=int, default=10, help="events: how long the steady phase lasts")
    parser.add_argument("--warmup", type=int, default=2, help="events: seconds at the steady rate not counted")
    parser.add_argument("--burst", type=int, default=1500, help="events: bookings placed at full speed")
    parser.add_argument(
        "--think", type=float, default=0.0, help="booking: seconds a guest pauses before each message or tap"
    )
    parser.add_argument(
        "--split",
        action="store_true",
        help="booking, contention, events: the four transactional consumers as processes of their own",
    )
    parser.add_argument(
        "--cpu-hog", type=int, default=0, metavar="N", help="N busy processes for the run's duration (a slow day)"
    )
    args = parser.parse_args(rest)
    if name not in ("raw", "booking", "events", "contention", "drain", "replicas", "api", "steps", "all"):
        parser.error("pick one of raw, booking, events, contention, drain, replicas, api, steps, all")
    logging.getLogger().setLevel(logging.WARNING)
    print(f"load average before the run: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with cpu_hogs(args.cpu_hog):
        try:
            eventloop.run(_main(name, args), load_settings(_env_file=None).event_loop)
        finally:
            drop_vhost()
    print(f"load average after the run: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0
