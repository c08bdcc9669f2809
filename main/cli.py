"""The `hotelbot` console script."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from bot.texts import error_text, t
from domain.hotel import commands as hotel_cmd
from domain.shared.errors import DomainError, NotFound
from domain.shared.money import example_amount, format_money, parse_money
from infra import eventloop
from infra.config import Settings, SettingsError, load_settings
from infra.db import migrate as migrations
from infra.observability import logs

log = logging.getLogger("hotelbot")


async def _admin(settings: Settings, args: argparse.Namespace) -> int:
    from main.bootstrap import Container

    container = Container(settings)
    try:
        await migrations.upgrade(settings)
        if args.admin == "add-hotel":
            hotel = await container.handle(
                hotel_cmd.AddHotel(name=args.name, city=args.city, timezone=args.timezone, currency=args.currency)
            )
            print(f"hotel {hotel.id}: {hotel.name}, {hotel.city} ({hotel.timezone}, {hotel.currency})")
        elif args.admin == "grant-manager":
            await container.handle(hotel_cmd.GrantManager(hotel_id=args.hotel_id, user_id=args.user_id))
            print(f"user {args.user_id} now manages hotel {args.hotel_id}")
        elif args.admin == "revoke-manager":
            done = await container.handle(hotel_cmd.RevokeManager(hotel_id=args.hotel_id, user_id=args.user_id))
            print(f"user {args.user_id} {'no longer manages' if done else 'did not manage'} hotel {args.hotel_id}")
        elif args.admin == "add-room":
            hotel = await container.hotels.hotel(args.hotel_id)
            if hotel is None:
                raise NotFound(what="hotel")
            # The price is written in the hotel's currency: the one parser every adapter uses.
            price = parse_money(args.price, hotel.currency)
            if price is None:
                refusal = t("en", "bad_price", example=example_amount(hotel.currency))
                print(f"refused: {refusal}", file=sys.stderr)
                return 1
            room = await container.handle(
                hotel_cmd.CreateRoom(
                    hotel_id=args.hotel_id,
                    number=args.number,
                    room_type=args.type,
                    capacity=args.capacity,
                    price_per_night=price,
                )
            )
            price_text = format_money(room.price_per_night, hotel.currency)
            print(f"room {room.number} ({room.id}) added to hotel {room.hotel_id} at {price_text} a night")
        elif args.admin == "default-policy":
            from bot.manager.terms import policy_text
            from bot.terms_input import policy as read_policy

            policy = read_policy(args.policy)
            if policy is None:
                print(f"refused: {t('en', 'dp_usage')}", file=sys.stderr)
                return 1
            await container.handle(hotel_cmd.SetDefaultPolicy(policy=policy))
            print(f"hotels added from now on start with: {policy_text('en', policy)}")
        elif args.admin == "list-hotels":
            async with container.hotel_uow() as uow:
                for h in await uow.hotels.all():
                    rooms = await uow.rooms.of_hotel(h.id or 0)
                    managers = ", ".join(str(m) for m in sorted(h.managers)) or "none"
                    print(
                        f"{h.id}\t{h.name}\t{h.city}\t{h.timezone}\t{h.currency}\trooms={len(rooms)}\tmanagers={managers}"
                    )
        elif args.admin == "token":
            print(await _token(container, args.user, args.ttl, args.name))
        elif args.admin in ("outbox", "dlq"):
            from main.admin import admin_messaging

            await admin_messaging(container, args)
        return 0
    except DomainError as exc:
        print(f"refused: {error_text('en', exc)}", file=sys.stderr)
        return 1
    finally:
        await container.close()


def ttl_seconds(text: str) -> int:
    """`30d`, `12h`, `15m`, `90s` or plain seconds."""
    units = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
    text = text.strip().lower()
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    if not number.isdigit() or int(number) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a duration such as 30d, 12h, 15m or 3600")
    return int(number) * units[unit]


async def _token(container: Any, user_id: int, ttl_s: int, name: str) -> str:
    """A bearer token for an integration: the user's role and hotels as the hotel context has them
    now (each request checks them again)."""
    from datetime import timedelta

    from api.auth import Tokens
    from api.routes.auth import role_of
    from main.wiring import api_services

    services = api_services(container)
    role, hotels = await role_of(services, user_id)
    tokens = Tokens(services.config.jwt_keys)
    return tokens.issue(user_id, role, hotels, container.clock.now(), timedelta(seconds=ttl_s), name)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hotelbot", description="Hotel booking over Telegram.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="everything in one process: bot, relay, consumers, scheduler")
    sub.add_parser("bot", help="the Telegram bot alone")
    sub.add_parser("api", help="the HTTP gateway alone: /api/v1, /api/docs, health")
    sub.add_parser("relay", help="the outbox relay alone")
    consume = sub.add_parser("consume", help="one consumer")
    consume.add_argument("name", choices=["reservation", "hotel", "payment", "view", "notifier"])
    sub.add_parser("scheduler", help="the timed jobs alone")
    sub.add_parser("migrate", help="upgrade every context's database")
    bench = sub.add_parser("bench", help="benchmarks (see bench/)")
    bench.add_argument("name")
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    soak = sub.add_parser("soak", help="the split deployment under faults, its promises checked (see bench/soak/)")
    soak.add_argument("rest", nargs=argparse.REMAINDER, help="--minutes N --seed S --guests N")

    admin = sub.add_parser("admin", help="administration").add_subparsers(dest="admin", required=True)
    h = admin.add_parser("add-hotel")
    h.add_argument("name")
    h.add_argument("--city", required=True)
    h.add_argument("--timezone", default="UTC")
    h.add_argument("--currency", default="EUR")
    for name in ("grant-manager", "revoke-manager"):
        g = admin.add_parser(name)
        g.add_argument("hotel_id", type=int)
        g.add_argument("user_id", type=int)
    r = admin.add_parser("add-room")
    r.add_argument("hotel_id", type=int)
    r.add_argument("number")
    r.add_argument("--type", default="double")
    r.add_argument("--capacity", type=int, default=2)
    r.add_argument("--price", required=True, help="per night in the hotel's currency, e.g. 120000 (KRW) or 99.50 (EUR)")
    admin.add_parser("list-hotels")
    dp = admin.add_parser("default-policy", help="the cancellation policy every hotel added from now on starts with")
    dp.add_argument("policy", nargs="+", help="non-refundable, or free days and a fee: 3 50%%, 1 first-night")
    tok = admin.add_parser("token", help="print a bearer token for the HTTP API")
    tok.add_argument("--user", type=int, required=True, help="Telegram user id the token speaks for")
    tok.add_argument("--ttl", type=ttl_seconds, default=ttl_seconds("30d"), help="lifetime, e.g. 30d, 12h (30d)")
    tok.add_argument("--name", default="", help="the name shown to managers and guests")
    admin.add_parser("outbox", help="unpublished events per context")
    dlq = admin.add_parser("dlq", help="dead letters")
    dlq.add_argument("action", choices=["list", "replay"])
    dlq.add_argument("consumer")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["soak"]:
        # A program of its own beside the product, like the benchmarks; it starts its own database and
        # broker, so it needs no settings. Its options (--minutes, --seed, ...) are its own.
        return subprocess.call([sys.executable, "-m", "bench", "soak", *argv[1:]])
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"hotelbot: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_format)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    runner: Callable[[], Coroutine[Any, Any, int | None]]
    if args.command == "migrate":
        migrations.upgrade_sync(settings)
        print("every context is at head")
        return 0
    if args.command == "admin":
        logging.getLogger("alembic").setLevel(logging.WARNING)  # an admin wants the answer, not the migration log
        return eventloop.run(_admin(settings, args), settings.event_loop)
    if args.command == "bench":
        # The benchmarks are a tool beside the product, never imported by it: run them as their own program.
        return subprocess.call([sys.executable, "-m", "bench", args.name, *args.rest])
    from main import processes

    runner = {
        "run": lambda: processes.run_all(settings),
        "bot": lambda: processes.run_bot(settings),
        "api": lambda: processes.run_api(settings),
        "relay": lambda: processes.run_relay(settings),
        "consume": lambda: processes.run_consumer(settings, args.name),
        "scheduler": lambda: processes.run_scheduler(settings),
    }[args.command]
    try:
        return int(eventloop.run(runner(), settings.event_loop) or 0)
    except SettingsError as exc:
        print(f"hotelbot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
