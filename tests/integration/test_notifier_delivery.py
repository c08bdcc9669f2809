"""The notifier on the real PostgreSQL and RabbitMQ: one request message per manager however
often, and however, its event is delivered — two copies at once, or a copy redelivered after the
broker connection dropped while the message was being sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aio_pika
import pytest
from sqlalchemy import select

from consumers import NAMES, TOPOLOGY
from infra.db.tables import MESSAGING
from main.processes import Runtime
from tests.conftest import truncate_all
from tests.e2e.conftest import World, running_world
from tests.integration.helpers import MANAGER, eventually, place, seed_hotel, stay

pytestmark = pytest.mark.integration
GUEST_ID = 77


async def _published(world: World, reservation_id: Any) -> list[tuple[str, str, Any]]:
    """(routing key, payload, event id) of every event about the reservation, once all are sent."""
    c = world.runtime.container

    async def all_sent() -> list[tuple[str, str, Any]]:
        found, unsent = [], 0
        for context, messaging in MESSAGING.items():
            outbox = messaging.outbox
            async with c.engine(context).connect() as conn:
                rows = await conn.execute(
                    select(outbox.c.routing_key, outbox.c.payload, outbox.c.event_id, outbox.c.published_at).where(
                        outbox.c.correlation_key == str(reservation_id)
                    )
                )
                for key, payload, event_id, published_at in rows:
                    found.append((key, payload, event_id))
                    unsent += published_at is None
        return found if found and not unsent else []

    return await eventually(all_sent, timeout=20)


async def _told_by_notifier(world: World, event_ids: list[Any]) -> None:
    c = world.runtime.container

    async def all_seen() -> bool:
        async with c.hotel_uow() as uow:
            return all([await uow.seen("notifier", e) for e in event_ids])

    await eventually(all_seen, timeout=30)


def _requests_to_manager(world: World) -> list[Any]:
    return [m for m in world.api.sent if m.chat_id == MANAGER and "New reservation" in m.text]


async def test_two_copies_of_an_event_handled_at_once_send_each_manager_one_request(
    pg_url: str, amqp: Callable[..., dict]
) -> None:
    await truncate_all(pg_url)
    extra = amqp()
    async with running_world(database_url=pg_url, **extra) as world:
        world.api.user(MANAGER, "Mia")
        _, (room,) = await seed_hotel(world.runtime.container, sync_catalog=False)
        # The notifier is away while the reservation is placed: its queue holds the events.
        await world.runtime.stop()
        world.runtime = Runtime(world.settings, consumers=tuple(n for n in NAMES if n != "notifier"), relay_sweep_s=0.5)
        await world.runtime.start()
        c = world.runtime.container
        r = await c.handle(place(room, GUEST_ID, *stay(c)))
        await eventually(lambda: c.hotels.approval(r.id))
        events = await _published(world, r.id)
        # ...and a relay that crashed after publishing sends every one of them again.
        connection = await aio_pika.connect(extra["amqp_url"])
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(extra["amqp_exchange"])
            for key, payload, event_id in events:
                message = aio_pika.Message(payload.encode(), message_id=str(event_id), type=key)
                await exchange.publish(message, routing_key=key)
        finally:
            await connection.close()

        await world.restart()  # the notifier returns: both copies arrive together (prefetch)
        heard = [event_id for key, _, event_id in events if key in TOPOLOGY["notifier"]]
        notifier = next(run for run in world.runtime.runners if run.consumer.name == "notifier")

        async def both_copies_handled() -> bool:
            return notifier.handled >= 2 * len(heard)

        await eventually(both_copies_handled, timeout=30)
        await _told_by_notifier(world, heard)
        assert len(_requests_to_manager(world)) == 1, [m.text for m in _requests_to_manager(world)]


def _drop_connection(runner: Any) -> None:
    """The consumer's broker connection dies under it (its reader stops, as on a network
    failure); the client reconnects, and the broker redelivers what was not acked."""
    runner._connection.transport.connection._reader_task.cancel()


async def test_a_connection_drop_while_the_request_is_being_sent_does_not_send_it_twice(
    pg_url: str, amqp: Callable[..., dict]
) -> None:
    await truncate_all(pg_url)
    extra = amqp()
    async with running_world(database_url=pg_url, **extra) as world:
        api = world.api
        api.user(MANAGER, "Mia")
        sending, release = asyncio.Event(), asyncio.Event()
        send_message = api._methods["sendmessage"]

        async def slow_for_the_manager(params: dict[str, Any]) -> Any:
            result = await send_message(params)  # Telegram has the message...
            if params.get("chat_id") == MANAGER and not sending.is_set():
                sending.set()
                await release.wait()  # ...but its answer is slow to come back
            return result

        api._methods["sendmessage"] = slow_for_the_manager
        c = world.runtime.container
        _, (room,) = await seed_hotel(c, sync_catalog=False)
        r = await c.handle(place(room, GUEST_ID, *stay(c)))
        await asyncio.wait_for(sending.wait(), timeout=30)
        notifier = next(run for run in world.runtime.runners if run.consumer.name == "notifier")
        _drop_connection(notifier)
        await asyncio.sleep(0.5)  # the delivery in hand is interrupted meanwhile
        release.set()

        events = await _published(world, r.id)
        await _told_by_notifier(world, [e for key, _, e in events if key in TOPOLOGY["notifier"]])
        assert len(_requests_to_manager(world)) == 1, [m.text for m in _requests_to_manager(world)]


async def test_a_notice_sent_as_the_database_restarts_is_recorded_as_sent_and_never_sent_again(pg_url: str) -> None:
    """The message went out; the database restarted while its mark was being written. The mark
    must still land (on a fresh connection): else the claim is taken over once its lease ends and
    the guest is told the same thing twice (seen in `hotelbot soak`: a refund notice, twice)."""
    from uuid import uuid4

    from sqlalchemy import event as sa_event

    from infra.db.engines import make_engine
    from infra.db.notices import SqlNotices
    from tests.ops.helpers import TcpProxy, pg_target

    await truncate_all(pg_url)
    proxy = TcpProxy(*pg_target(pg_url))
    await proxy.start()
    engine = make_engine(proxy.via(pg_url), pool_size=2)
    restarted = False

    def restart_while_marking(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        nonlocal restarted
        if not restarted and statement.lstrip().upper().startswith("UPDATE APP_NOTICES"):
            restarted = True
            proxy.cut()  # the server goes away in the middle of the mark...
            asyncio.get_running_loop().call_later(0.5, proxy.restore)  # ...and is back a moment later

    sa_event.listen(engine.sync_engine, "before_cursor_execute", restart_while_marking)
    try:
        notices = SqlNotices(engine)
        event_id, reservation_id = uuid4(), uuid4()
        assert await notices.claim(event_id, GUEST_ID, reservation_id, "refunded")
        # ...the message is sent here...
        await notices.done(event_id, GUEST_ID, 42)
        assert restarted
        assert not await notices.claim(event_id, GUEST_ID, reservation_id, "refunded")  # a redelivery sends nothing
    finally:
        await engine.dispose()
        await proxy.stop()


async def test_a_request_telegram_refused_once_reaches_the_manager_once_when_its_event_comes_again(
    pg_url: str, amqp: Callable[..., dict]
) -> None:
    """The delivery fails with the message (a 502): nothing of it may count as handled, so the
    event, coming again through the retry queue, sends the request; once."""
    await truncate_all(pg_url)
    extra = amqp()
    async with running_world(database_url=pg_url, retry_delays_s=(0.5, 0.5, 0.5), **extra) as world:
        world.api.user(MANAGER, "Mia")
        world.api.fail_next["sendMessage"] = [{"error_code": 502, "description": "Bad Gateway"}]
        c = world.runtime.container
        _, (room,) = await seed_hotel(c, sync_catalog=False)
        r = await c.handle(place(room, GUEST_ID, *stay(c)))
        await eventually(lambda: c.hotels.approval(r.id))  # the hotel's event is in its outbox
        events = await _published(world, r.id)
        heard = [e for key, _, e in events if key in TOPOLOGY["notifier"]]
        assert heard
        await _told_by_notifier(world, heard)
        assert world.api.fail_next["sendMessage"] == []  # the first try was refused...
        assert len(_requests_to_manager(world)) == 1, [m.text for m in _requests_to_manager(world)]
