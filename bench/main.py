"""`hotelbot bench <raw|booking|events|contention|drain|api|all> [--sqlite] [--guests N] [--concurrency N]`."""

from __future__ import annotations

import argparse
import logging
import tempfile

from bench import drain, flows, raw
from bench.common import bench_settings, describe, fresh_database, fresh_vhost
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
            await flows.booking(
                settings, args.guests, args.concurrency, numbers.get("tx"), args.split, think_s=args.think
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


def run(name: str, rest: list[str]) -> int:
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
    parser.add_argument("--split", action="store_true", help="run the consumers as processes of their own")
    args = parser.parse_args(rest)
    if name not in ("raw", "booking", "events", "contention", "drain", "api", "all"):
        parser.error("pick one of raw, booking, events, contention, drain, api, all")
    logging.getLogger().setLevel(logging.WARNING)
    eventloop.run(_main(name, args), load_settings(_env_file=None).event_loop)
    return 0
