"""The broker side on the real RabbitMQ: catching up after a consumer outage, competing consumer
processes, redelivery, poison messages and the dead-letter queue, a broker restart mid-flight (on
a node of the test's own)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import aio_pika
import pytest

from bench.soak.cluster import RabbitMQ
from domain.reservation.commands import CancelReservation
from infra.payment.guarded import GuardedProvider
from infra.payment.sandbox import SandboxProvider
from main.admin import dead_letters, replay
from main.bootstrap import Container
from main.processes import Runtime
from tests.conftest import make_settings, scalar
from tests.integration.helpers import eventually, place, seed_hotel, stay

pytestmark = pytest.mark.integration


async def _count(url: str, sql: str, expected: int, timeout: float = 30) -> None:
    async def check() -> bool:
        return await scalar(url, sql) == expected

    try:
        await eventually(check, timeout=timeout, interval=0.2)
    except AssertionError:
        raise AssertionError(f"{sql}: {await scalar(url, sql)} != {expected}") from None


async def test_bookings_taken_while_the_hotel_consumer_is_down_reach_it_and_its_managers_when_it_returns(
    pg: str, amqp: Callable[..., dict]
) -> None:
    from tests.botapi import FakeBotApi

    api = FakeBotApi()
    await api.start()
    settings = make_settings(database_url=pg, telegram_api_base_url=api.base_url, **amqp())
    # The front: guests book, events leave, the notifier tells managers. The hotel side is away.
    front = Runtime(settings, bot=False, consumers=("reservation", "notifier"), scheduler=False, relay_sweep_s=0.5)
    await front.start()
    try:
        hotel = Runtime(settings, bot=False, relay=False, consumers=("hotel",), scheduler=False, migrate=False)
        await hotel.start()
        await hotel.stop()
        c = front.container
        _, rooms = await seed_hotel(c, rooms=5, sync_catalog=False)
        check_in, check_out = stay(c)
        for i, room in enumerate(rooms):
            await c.handle(place(room, 100 + i, check_in, check_out))  # accepted while the hotel is away
        await asyncio.sleep(3)  # longer than the notifier waits inline: it must wait, not give up
        assert await scalar(pg, "SELECT count(*) FROM hotel_approvals") == 0
        assert not [m for m in api.sent if "New reservation" in m.text]
        hotel = Runtime(settings, bot=False, relay=False, consumers=("hotel",), scheduler=False, migrate=False)
        await hotel.start()
        try:
            await _count(pg, "SELECT count(*) FROM hotel_approvals WHERE status = 'pending'", 5)

            async def every_request_reached_the_manager() -> bool:
                return len([m for m in api.sent if m.chat_id == 5000 and "New reservation" in m.text]) == 5

            await eventually(every_request_reached_the_manager, timeout=30)
        finally:
            await hotel.stop()
    finally:
        await front.stop()
        await api.stop()


def _spawn_consumer(name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "main.cli", "consume", name], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


async def test_two_processes_each_of_view_and_payment_apply_every_event_exactly_once(
    pg: str, amqp: Callable[..., dict]
) -> None:
    extra = amqp()
    settings = make_settings(database_url=pg, **extra)
    env = {
        **os.environ,
        "DATABASE_URL": pg,
        "AMQP_URL": extra["amqp_url"],
        "LOG_LEVEL": "WARNING",
        "AMQP_QUEUE_PREFIX": extra["amqp_queue_prefix"],
        "AMQP_EXCHANGE": extra["amqp_exchange"],
        "PAYMENT_LATENCY_MS": "0",
        "DB_POOL_SIZE": "8",
        "HEALTH_PORT": "0",  # replicas on one host: a free port each
    }
    front = Runtime(settings, bot=False, consumers=("reservation", "hotel"), scheduler=False, relay_sweep_s=0.5)
    await front.start()
    processes = [_spawn_consumer(name, env) for name in ("view", "view", "payment", "payment")]
    try:
        c = front.container
        _, rooms = await seed_hotel(c, rooms=25, sync_catalog=False)
        # 125 bookings and 125 cancellations: 500 events (placed, payment approved, cancelled,
        # payment refunded) for the view, 125 refunds for payment.
        booked = []
        for n in range(5):
            check_in, check_out = stay(c, days_ahead=10 + 2 * n, nights=1)
            for i, room in enumerate(rooms):
                booked.append(await c.handle(place(room, 1000 + 25 * n + i, check_in, check_out)))
        await asyncio.gather(*(c.handle(CancelReservation(reservation_id=r.id, guest_id=r.guest_id)) for r in booked))
        await _count(pg, "SELECT count(*) FROM payment_payments WHERE status = 'refunded'", 125, timeout=60)
        await _count(
            pg,
            "SELECT count(*) FROM view_reservations WHERE status = 'cancelled' AND payment_status = 'refunded'",
            125,
            timeout=60,
        )
        assert await scalar(pg, "SELECT count(*) FROM payment_outbox WHERE routing_key = 'payment.refunded'") == 125
        assert await scalar(pg, "SELECT count(*) FROM view_reservations") == 125
        # 500 reservation and payment events and the 25 RoomCreated events of the board (the
        # hotel's requests opened and withdrawn are not the view's: its queue holds none of them)
        await _count(pg, "SELECT count(*) FROM view_inbox", 525)
        assert await scalar(pg, "SELECT count(*) FROM payment_inbox") == 125
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        await front.stop()
    for p in processes:
        assert p.returncode == 0, p.stderr.read().decode()[-2000:] if p.stderr else ""


async def _publish_raw(url: str, exchange: str, routing_key: str, body: bytes, message_id: str) -> None:
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        await ex.publish(
            aio_pika.Message(body, message_id=message_id, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=routing_key,
        )
    finally:
        await connection.close()


async def test_the_same_event_delivered_twice_has_one_effect(pg: str, amqp: Callable[..., dict]) -> None:
    extra = amqp()
    settings = make_settings(database_url=pg, **extra)
    rt = Runtime(settings, bot=False, consumers=("reservation", "hotel", "payment", "view"), scheduler=False)
    await rt.start()
    try:
        c = rt.container
        _, (room,) = await seed_hotel(c, sync_catalog=False)
        r = await c.handle(place(room, 7, *stay(c)))
        await c.handle(CancelReservation(reservation_id=r.id, guest_id=7))
        await _count(pg, "SELECT count(*) FROM payment_payments WHERE status = 'refunded'", 1)
        payload = await scalar(pg, "SELECT payload FROM reservation_outbox WHERE routing_key = 'reservation.cancelled'")
        event_id = json.loads(payload)["event_id"]
        for _ in range(3):  # the broker redelivers, or a relay crashed after publishing
            await _publish_raw(
                extra["amqp_url"], extra["amqp_exchange"], "reservation.cancelled", payload.encode(), event_id
            )
        await asyncio.sleep(1.0)
        assert await scalar(pg, "SELECT count(*) FROM payment_outbox WHERE routing_key = 'payment.refunded'") == 1
        assert len(c.provider.inner.refunds) == 1  # type: ignore[union-attr]
    finally:
        await rt.stop()


async def test_a_poison_message_is_parked_while_others_flow_and_replays_once_fixed(
    pg: str, amqp: Callable[..., dict]
) -> None:
    extra = amqp()
    sandbox = SandboxProvider(latency_s=0)
    settings = make_settings(database_url=pg, retry_delays_s=(0.1, 0.2), **extra)
    container = Container(settings, provider=GuardedProvider(sandbox, timeout_s=1, failures=100, reset_s=1))
    rt = Runtime(
        settings, bot=False, consumers=("reservation", "hotel", "payment", "view"), scheduler=False, container=container
    )
    await rt.start()
    try:
        c = rt.container
        _, (room,) = await seed_hotel(c, sync_catalog=False)
        # An undecodable message goes straight to the dead letters.
        await _publish_raw(extra["amqp_url"], extra["amqp_exchange"], "reservation.cancelled", b"{not json", "junk-1")
        # A refund whose provider is down fails every attempt and is parked...
        r1 = await c.handle(place(room, 8, *stay(c, days_ahead=10)))
        sandbox.failure_rate = 1.0
        await c.handle(CancelReservation(reservation_id=r1.id, guest_id=8))

        async def parked() -> list:
            rows = await dead_letters(c, "payment")
            return rows if len(rows) == 2 else []

        rows = await eventually(parked, timeout=20)
        assert {row["type"] for row in rows} == {None, "reservation.cancelled"} or len(rows) == 2
        assert any(str(row["error"]).startswith("undecodable") for row in rows)
        # ...while the messages behind it flow: the view shows the cancellation.
        await _count(pg, "SELECT count(*) FROM view_reservations WHERE status = 'cancelled'", 1)
        assert await scalar(pg, "SELECT count(*) FROM payment_payments WHERE status = 'refunded'") == 0
        listed_again = await dead_letters(c, "payment")
        assert len(listed_again) == 2  # listing takes nothing away
        # The provider is back: a replay refunds, once.
        sandbox.failure_rate = 0.0
        await asyncio.sleep(1.1)  # the breaker's reset time
        assert await replay(c, "payment") == 2
        await _count(pg, "SELECT count(*) FROM payment_payments WHERE status = 'refunded'", 1)
        # the junk is parked again (it can never be read); the refund is not
        remaining = await eventually(lambda: dead_letters(c, "payment"), timeout=10)
        assert [str(r["error"]).startswith("undecodable") for r in remaining] == [True]
    finally:
        await rt.stop()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RabbitMQ]:
    """A RabbitMQ node of this test's own (the soak's, bench/soak/cluster.py), on free ports: its
    restart disturbs no other test, nor anything else using the machine's broker. Always stopped."""
    node = RabbitMQ(tmp_path)
    try:
        node.start()
        yield node
    finally:
        node.stop()


def _restart(node: RabbitMQ) -> None:
    """Stops and starts the RabbitMQ application, as a broker restart does to its clients."""
    try:
        node.ctl("stop_app")
    finally:
        node.ctl("start_app")


async def test_a_broker_restart_in_the_middle_of_200_bookings_loses_nothing_and_doubles_nothing(
    pg: str, amqp: Callable[..., dict], broker: RabbitMQ
) -> None:
    settings = make_settings(database_url=pg, **amqp(amqp_url=broker.url))
    rt = Runtime(
        settings, bot=False, consumers=("reservation", "hotel", "payment", "view"), scheduler=False, relay_sweep_s=0.5
    )
    await rt.start()
    try:
        c = rt.container
        _, rooms = await seed_hotel(c, rooms=20, sync_catalog=False)
        booked = []
        for n in range(10):
            if n == 5:
                await asyncio.to_thread(_restart, broker)  # guests keep booking: nothing here fails
            check_in, check_out = stay(c, days_ahead=10 + 2 * n, nights=1)
            batch = [place(room, 5000 + 20 * n + i, check_in, check_out) for i, room in enumerate(rooms)]
            booked += await asyncio.gather(*(c.handle(cmd) for cmd in batch))
            if n % 2:
                await asyncio.gather(
                    *(c.handle(CancelReservation(reservation_id=r.id, guest_id=r.guest_id)) for r in booked[-20:])
                )
        assert len(booked) == 200
        await _count(pg, "SELECT count(*) FROM view_reservations WHERE payment_status = 'refunded'", 100, timeout=90)
        await _count(pg, "SELECT count(*) FROM view_reservations", 200, timeout=30)
        await _count(pg, "SELECT count(*) FROM hotel_approvals", 200, timeout=30)
        await _count(pg, "SELECT count(*) FROM hotel_approvals WHERE status = 'withdrawn'", 100, timeout=30)
        assert await scalar(pg, "SELECT count(*) FROM payment_outbox WHERE routing_key = 'payment.refunded'") == 100
        assert len(c.provider.inner.refunds) == 100  # type: ignore[union-attr]
        for context in ("reservation", "hotel", "payment"):
            assert await scalar(pg, f"SELECT count(*) FROM {context}_outbox WHERE published_at IS NULL") == 0
    finally:
        await rt.stop()


async def test_a_view_queue_an_earlier_version_bound_to_the_hotels_requests_no_longer_holds_them(
    pg: str, amqp: Callable[..., dict]
) -> None:
    """The view heard the hotel's approval requests without projecting them: a delivery each
    for nothing. Upgraded, its queue is bound only to what it projects: the notifier still gets
    every request, the view's queue none."""
    from consumers import HEARD, TOPOLOGY
    from domain.hotel.events import ApprovalRequested
    from infra.messaging.codec import encode
    from infra.messaging.ports import OutgoingMessage
    from infra.messaging.rabbit import Names, declare
    from tests.integration.helpers import placed_event

    settings = make_settings(database_url=pg, **amqp())
    assert settings.amqp_url is not None
    names = Names(settings.amqp_queue_prefix, settings.amqp_exchange)
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel()
        # as the earlier version declared it: bound to the requests too
        await declare(channel, names, "view", TOPOLOGY["view"] | HEARD["view"], settings.retry_delays_s)
        runtime = Runtime(settings, bot=False, consumers=(), scheduler=False, relay=False)
        await runtime.start()
        try:
            assert runtime.publisher is not None
            placed = placed_event(1)
            requested = ApprovalRequested(
                reservation_id=placed.reservation_id,
                hotel_id=1,
                hotel_name="Seaside",
                room_number="101",
                guest_name="Guest 1",
                check_in=placed.check_in,
                check_out=placed.check_out,
                guests=1,
                total_price=placed.total_price,
                currency="EUR",
                guest_id=1,
            )
            await runtime.publisher.publish(
                [OutgoingMessage(e.event_id, e.routing_key(), encode(e)) for e in (placed, requested)]
            )
        finally:
            await runtime.stop()

        async def depth(consumer: str) -> int:
            queue = await channel.declare_queue(names.queue(consumer), passive=True)
            return int(queue.declaration_result.message_count or 0)

        assert await depth("view") == 1  # the reservation placed, not the request
        assert await depth("notifier") == 1  # the request
        assert await depth("hotel") == 1  # the reservation placed
    finally:
        await connection.close()


async def _turns_to_publish(amqp: Callable[..., dict], batches: list[int]) -> int:
    """Turns of a busy event loop (5 ms of other work each) until `batches` (their sizes),
    published at once, are confirmed; then checks every message was stored where it belongs.
    One message for each batch goes first, untimed, as a running relay's rounds went before."""
    import time

    from consumers import HEARD, TOPOLOGY
    from infra.messaging.codec import encode
    from infra.messaging.ports import OutgoingMessage
    from infra.messaging.rabbit import Names
    from infra.messaging.rabbit.publisher import RabbitPublisher
    from tests.integration.helpers import placed_event

    settings = make_settings(**amqp())
    assert settings.amqp_url is not None
    names = Names(settings.amqp_queue_prefix, settings.amqp_exchange)
    publisher = RabbitPublisher(settings.amqp_url, names, TOPOLOGY, settings.retry_delays_s, HEARD)
    await publisher.reachable()
    turns, busy = 0, True

    async def the_bots_work() -> None:  # 5 ms of other work in every turn of the loop
        nonlocal turns
        while busy:
            time.sleep(0.005)  # noqa: ASYNC251 - work that holds the loop, on purpose
            turns += 1
            await asyncio.sleep(0)

    def messages(first: int, size: int) -> list[OutgoingMessage]:
        events = [placed_event(i) for i in range(first, first + size)]
        return [OutgoingMessage(e.event_id, e.routing_key(), encode(e)) for e in events]

    # as a relay does after its first rounds: a channel open for each batch at once
    await asyncio.gather(*(publisher.publish(messages(1000 * n + 999, 1)) for n in range(len(batches))))
    other = asyncio.create_task(the_bots_work())
    try:
        await asyncio.sleep(0)
        before = turns
        await asyncio.gather(*(publisher.publish(messages(1000 * n, size)) for n, size in enumerate(batches)))
        used = turns - before
    finally:
        busy = False
        await other
        await publisher.close()

    connection = await aio_pika.connect(settings.amqp_url)
    try:  # and every one was stored (confirmed) where it belongs
        channel = await connection.channel()
        for consumer in ("hotel", "view"):
            queue = await channel.declare_queue(names.queue(consumer), passive=True)
            assert queue.declaration_result.message_count == sum(batches) + len(batches)
    finally:
        await connection.close()
    return used


async def test_a_relays_batch_goes_out_at_once_while_its_process_is_busy(amqp: Callable[..., dict]) -> None:
    """The relay shares its process with the bot, whose work takes the event loop in turns. A
    batch is written at once and its confirms awaited together: it needs a few turns of the
    loop, not one (or more) for each message, which left the outbox behind the bookings."""
    used = await _turns_to_publish(amqp, [200])
    # one turn or more a message (the code before: 606) is what this is about; a broker that takes
    # a while to confirm only adds its time over 5 ms a turn
    assert used < 150, f"a batch of 200 took {used} turns of a busy event loop"


async def test_batches_published_side_by_side_go_out_at_once_while_their_process_is_busy(
    amqp: Callable[..., dict],
) -> None:
    """The relay's rounds run side by side, each publishing its batch. Sharing one channel, a
    batch queued message by message behind the other's wait for the socket (one turn each)."""
    used = await _turns_to_publish(amqp, [100, 100])
    # on one channel: 113-114 (a turn for each message of the batch that waited); a channel each: 13-14
    assert used < 60, f"two batches of 100 at once took {used} turns of a busy event loop"
