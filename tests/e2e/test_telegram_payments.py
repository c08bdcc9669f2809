"""Checkout with real money: PAYMENT_PROVIDER=telegram, through the Bot API stand-in (sendInvoice,
pre-checkout queries, successful_payment messages as Telegram shapes them) with refunds through a
local stand-in for Stripe's refund endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

import pytest

from tests.botapi import Message, User
from tests.conftest import scalar, truncate_all
from tests.e2e.conftest import ADMIN, GUEST, GUEST2, MANAGER, World, pick_day, running_world, say, tap
from tests.e2e.test_scenario import seoul_today, setup_hotel
from tests.stripe_stub import StripeStub

pytestmark = pytest.mark.e2e

PROVIDER_TOKEN = "284685063:TEST:hotelbot"


@contextlib.asynccontextmanager
async def paying_world(database_url: str, **extra: Any) -> AsyncIterator[tuple[World, StripeStub]]:
    stripe = StripeStub()
    await stripe.start()
    settings: dict[str, Any] = {
        "database_url": database_url,
        "payment_provider": "telegram",
        "telegram_payment_provider_token": PROVIDER_TOKEN,
        "stripe_api_key": stripe.api_key,
        "stripe_api_base": stripe.base_url,
        "payload_secret": "test-secret",
        "scheduler_tick_s": 0.5,
        **extra,
    }
    try:
        async with running_world(**settings) as world:
            yield world, stripe
    finally:
        await stripe.stop()


@pytest.fixture(params=["sqlite+inprocess", "postgresql+rabbitmq"])
def paying_factory(request: Any, sqlite_url: str, pg_url: str, amqp: Callable[..., dict]) -> Callable[..., Any]:
    """A paying world on SQLite with the in-process bus, or on PostgreSQL with RabbitMQ."""

    @contextlib.asynccontextmanager
    async def make(**extra: Any) -> AsyncIterator[tuple[World, StripeStub]]:
        if request.param == "sqlite+inprocess":
            async with paying_world(sqlite_url, **extra) as pair:
                yield pair
        else:
            await truncate_all(pg_url)
            async with paying_world(pg_url, **amqp(), **extra) as pair:
                yield pair

    return make


@pytest.fixture
async def paying(paying_factory: Callable[..., Any]) -> AsyncIterator[tuple[World, StripeStub]]:
    async with paying_factory() as pair:
        yield pair


def charge_ids() -> tuple[str, str]:
    """A Telegram charge id and the provider's (Stripe) charge id, as a successful_payment carries them."""
    suffix = uuid.uuid4().hex[:16]
    return f"tgch_{suffix}", f"ch_{suffix}"


async def catalog_ready(world: World, check_in: date, rooms: int = 2) -> None:
    """The reservation context learns of rooms from the hotel's events: wait until it has them."""
    availability = world.runtime.container.availability
    for _ in range(400):
        hotels = await availability.hotels()
        if hotels and len(await availability.free_rooms(hotels[0][0], check_in, check_in, 1)) >= rooms:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the rooms never reached the reservation context")


async def invoice_for(world: World, guest_id: int, name: str, check_in: date, nights: int, room: str) -> Message:
    """Book through the conversation up to the invoice; returns the invoice message."""
    await catalog_ready(world, check_in)
    guest = world.api.user(guest_id, name)
    menu = await say(guest, "/start", "Pick your language")
    await tap(guest, menu, "English", "Language set")
    calendar = await say(guest, "/book", "pick your check-in day")
    calendar = await pick_day(guest, calendar, check_in, "Now pick your check-out day")
    ask = await pick_day(guest, calendar, check_in + timedelta(days=nights), "How many guests")
    rooms = await tap(guest, ask, "2", "Free from")
    confirm = await tap(guest, rooms, room, "Please check")
    before = len(world.api.invoices(guest_id))
    await tap(guest, confirm, "Pay", "pay with the invoice below")
    for _ in range(200):
        invoices = world.api.invoices(guest_id)
        if len(invoices) > before:
            return invoices[-1]
        await asyncio.sleep(0.02)
    raise AssertionError("no invoice was sent")


async def pay(guest: User, invoice: Message, expect: str = "Paid — thank you!") -> tuple[str, str, Message]:
    telegram_charge, provider_charge = charge_ids()
    after = len(guest.inbox)
    answer = await guest.pay(invoice, telegram_charge_id=telegram_charge, provider_charge_id=provider_charge)
    assert answer == {"ok": True, "error_message": None}
    return telegram_charge, provider_charge, await guest.expect(expect, after=after, timeout=20)


async def payments_count(world: World) -> int:
    return int(await scalar(world.settings.url_for("payment"), "SELECT count(*) FROM payment_payments"))


async def test_invoice_pre_checkout_payment_approval_and_refunds_through_the_provider(
    paying: tuple[World, StripeStub],
) -> None:
    world, stripe = paying
    api = world.api
    await setup_hotel(world)
    manager = api.users[MANAGER]
    start = seoul_today() + timedelta(days=3)

    # The guest confirms: the nights are held and an invoice is sent, with a line per rate.
    invoice = await invoice_for(world, GUEST, "Gus", start, 2, "101")
    params = invoice.params
    assert params["currency"] == "KRW" and params["provider_token"] == PROVIDER_TOKEN
    assert params["prices"] == [{"label": "2 night(s) × 120,000 KRW", "amount": 240_000}]
    assert invoice.invoice is not None and invoice.invoice["total_amount"] == 240_000
    assert "Seaside Inn, room 101" in invoice.text and f"{start} → {start + timedelta(days=2)}" in invoice.text
    guest = api.users[GUEST]
    # Pays: pre-checkout answered ok, then the successful payment places the reservation.
    telegram_charge, provider_charge, receipt = await pay(guest, invoice)
    assert f"Payment reference: {provider_charge}" in receipt.text
    code1 = receipt.text.split("Reservation ")[1].split()[0]
    request = await manager.expect(f"New reservation {code1}", timeout=20)

    # Telegram delivers the same successful_payment again: nothing new happens.
    after = len(guest.inbox)
    await guest.successful_payment(invoice, telegram_charge_id=telegram_charge, provider_charge_id=provider_charge)
    await guest.expect("Paid — thank you!", after=after)
    await api.wait_idle()
    assert await payments_count(world) == 1
    assert len([m for m in manager.inbox if f"New reservation {code1}" in m.text]) == 1

    await tap(manager, request, "✅ Approve", "Approved by Mia")
    await guest.expect(f"confirmed your reservation {code1}", timeout=20)

    # A second guest pays; the manager rejects: the charge is refunded through Stripe.
    invoice2 = await invoice_for(world, GUEST2, "Gia", start, 1, "102")
    guest2 = api.users[GUEST2]
    _, provider_charge2, receipt2 = await pay(guest2, invoice2)
    code2 = receipt2.text.split("Reservation ")[1].split()[0]
    request2 = await manager.expect(f"New reservation {code2}", timeout=20)
    ask = await tap(manager, request2, "❌ Reject", "Why are you rejecting")
    await tap(manager, ask, "We are fully booked", "Done")
    await guest2.expect(f"refunded for reservation {code2}", timeout=20)
    assert stripe.refunded(provider_charge2) == 120_000
    sent = [r for r in stripe.requests if r["charge"] == provider_charge2]
    assert sent[0]["amount"] == "120000" and sent[0]["idempotency_key"].startswith("refund:")
    assert sent[0]["authorization"] == f"Bearer {stripe.api_key}"

    # The first guest cancels: refunded through Stripe too.
    listing = await say(guest, "/my", code1)
    question = await tap(guest, listing, f"Cancel {code1}", "will be refunded")
    await tap(guest, question, "Yes, cancel it", f"Reservation {code1} is cancelled")
    await guest.expect(f"refunded for reservation {code1}", timeout=20)
    assert stripe.refunded(provider_charge) == 240_000
    assert len(stripe.refunds) == 2

    # /paysupport explains refunds and disputes.
    await say(guest, "/paysupport", "refunded to the same card")


async def test_forged_or_altered_invoices_are_refused_at_pre_checkout(sqlite_url: str) -> None:
    async with paying_world(sqlite_url) as (world, _):
        await setup_hotel(world)
        invoice = await invoice_for(world, GUEST, "Gus", seoul_today() + timedelta(days=3), 1, "101")
        guest, api = world.api.users[GUEST], world.api
        payload = invoice.params["payload"]
        tampered = payload[:-2] + ("AA" if not payload.endswith("AA") else "BB")
        forged = (await guest.pre_checkout(invoice, payload=tampered), "not valid for any booking")
        garbage = (await guest.pre_checkout(invoice, payload="hello"), "not valid for any booking")
        cheaper = (await guest.pre_checkout(invoice, total_amount=1_000), "no longer matches")
        other_currency = (await guest.pre_checkout(invoice, currency="USD"), "no longer matches")
        for query_id, reason in (forged, garbage, cheaper, other_currency):
            answer = await api.pre_checkout_answer(query_id)
            assert answer["ok"] is False and reason in answer["error_message"]
        assert await payments_count(world) == 0
        # The genuine invoice is still payable.
        await pay(guest, invoice)


async def test_a_price_raised_after_the_confirm_screen_sends_no_invoice_for_another_total(sqlite_url: str) -> None:
    """The invoice is the charge: it is sent for the total the Pay button showed, or the guest is
    shown the new total and asked again, with nothing held meanwhile."""
    from tests.e2e.test_promises import _set_room, _to_confirm

    async with paying_world(sqlite_url) as (world, _):
        await setup_hotel(world)
        await catalog_ready(world, seoul_today() + timedelta(days=3))
        guest, confirm = await _to_confirm(world)
        await _set_room(world, "101", price_per_night=999_000)

        asked = await tap(guest, confirm, "Pay", "price changed to 999,000 KRW")  # type: ignore[arg-type]
        assert "Pay 999,000 KRW and book" in asked.buttons()
        assert world.api.invoices(GUEST) == []
        held = await scalar(world.settings.url_for("reservation"), "SELECT count(*) FROM reservation_nights")
        assert held == 0
        # Agreeing to the new total sends an invoice for exactly that.
        await tap(guest, asked, "Pay 999,000 KRW", "pay with the invoice below")  # type: ignore[arg-type]
        (invoice,) = world.api.invoices(GUEST)
        assert invoice.params["prices"] == [{"label": "1 night(s) × 999,000 KRW", "amount": 999_000}]


async def test_an_expired_hold_is_released_its_invoice_withdrawn_and_a_late_payment_placed_or_refunded(
    sqlite_url: str,
) -> None:
    async with paying_world(sqlite_url, payment_hold_minutes=0.02, breaker_failures=50) as (world, stripe):
        api = world.api
        await setup_hotel(world)
        start = seoul_today() + timedelta(days=3)
        invoice = await invoice_for(world, GUEST, "Gus", start, 1, "101")
        guest = api.users[GUEST]
        await guest.expect("ran out before it was paid", timeout=20)
        assert (GUEST, invoice.message_id) in api.deleted  # the unpaid invoice cannot be paid later
        query = await guest.pre_checkout(invoice)
        answer = await api.pre_checkout_answer(query)
        assert answer["ok"] is False and "hold expired" in answer["error_message"]

        # Telegram reports a payment anyway (its form was open): the nights are free, so it is placed.
        _, _, receipt = await pay_late(guest, invoice, "Paid — thank you!")
        assert "Seaside Inn, room 101" in receipt.text

        # Another guest's hold expires, someone else books the same night, then the late payment arrives.
        invoice2 = await invoice_for(world, GUEST2, "Gia", start + timedelta(days=5), 1, "102")
        guest2 = api.users[GUEST2]
        await guest2.expect("ran out before it was paid", timeout=20)
        await world.restart(payment_hold_minutes=15)
        third = await invoice_for(world, ADMIN, "Ada", start + timedelta(days=5), 1, "102")
        await pay(api.users[ADMIN], third)
        stripe.failing = True  # and Stripe is down at that moment
        _, provider_charge, apology = await pay_late(guest2, invoice2, "We are sorry")
        assert "will be refunded to your card shortly" in apology.text
        stripe.failing = False  # back: the sweep refunds it and tells the guest, once
        done = await guest2.expect("has been refunded to your card", timeout=20)
        assert provider_charge in done.text or "R-" in done.text
        assert stripe.refunded(provider_charge) == 120_000
        await api.wait_idle()
        assert len([m for m in guest2.inbox if "has been refunded" in m.text]) == 1
        assert await payments_count(world) == 3  # each charge recorded once; the refunded one marked so


async def pay_late(guest: User, invoice: Message, expect: str) -> tuple[str, str, Message]:
    """Telegram's successful_payment for an invoice whose hold ran out while the guest's form was open."""
    telegram_charge, provider_charge = charge_ids()
    after = len(guest.inbox)
    await guest.successful_payment(invoice, telegram_charge_id=telegram_charge, provider_charge_id=provider_charge)
    return telegram_charge, provider_charge, await guest.expect(expect, after=after, timeout=20)


async def confirm_screen(world: World, guest_id: int, name: str, check_in: date, room: str) -> Message:
    await catalog_ready(world, check_in)
    guest = world.api.user(guest_id, name)
    menu = await say(guest, "/start", "Pick your language")
    await tap(guest, menu, "English", "Language set")
    calendar = await say(guest, "/book", "pick your check-in day")
    calendar = await pick_day(guest, calendar, check_in, "Now pick your check-out day")
    ask = await pick_day(guest, calendar, check_in + timedelta(days=1), "How many guests")
    rooms = await tap(guest, ask, "2", "Free from")
    return await tap(guest, rooms, room, "Please check")


async def test_refunds_wait_out_a_provider_outage_and_new_checkouts_are_refused_meanwhile(
    paying_factory: Callable[..., Any],
) -> None:
    async with paying_factory(breaker_failures=2, breaker_reset_s=6) as (world, stripe):
        api = world.api
        await setup_hotel(world)
        admin, manager = api.user(ADMIN, "Ada"), api.users[MANAGER]
        start = seoul_today() + timedelta(days=3)
        invoice = await invoice_for(world, GUEST, "Gus", start, 1, "101")
        guest = api.users[GUEST]
        _, provider_charge, receipt = await pay(guest, invoice)
        code = receipt.text.split("Reservation ")[1].split()[0]
        # Another guest is one tap away from paying when Stripe goes down.
        confirm = await confirm_screen(world, GUEST2, "Gia", start, "102")

        stripe.failing = True
        request = await manager.expect(f"New reservation {code}", timeout=20)
        ask = await tap(manager, request, "❌ Reject", "Why are you rejecting")
        await tap(manager, ask, "We are fully booked", "Done")
        # Retried, then parked: the admin sees it; the breaker is open.
        dlq = await _until(admin, "/dlq payment", "reservation.rejected")
        assert "payment" in dlq.text
        stats = await _until(admin, "/stats", "Refunds pending: 1")
        assert "Dead letters: 1" in stats.text
        assert stripe.refunded(provider_charge) == 0 and len(stripe.requests) >= 2

        # Meanwhile a guest who pays is told at once; nothing is held, no invoice is sent.
        guest2 = api.users[GUEST2]
        busy = await tap(guest2, confirm, "Pay", "Payments are busy")
        assert "Nothing was booked or charged" in busy.text
        assert api.invoices(GUEST2) == []
        assert await _count(world, "SELECT count(*) FROM reservation_checkouts WHERE guest_id = 12") == 0

        # Stripe is back: once the breaker's wait is over, a replay refunds it, once.
        stripe.failing = False
        provider = world.runtime.container.payment_provider
        for _ in range(400):
            if await provider.accepting():  # type: ignore[attr-defined]
                break
            await asyncio.sleep(0.05)
        await say(admin, "/replay payment", "sent back")
        await guest.expect(f"refunded for reservation {code}", timeout=20)
        assert stripe.refunded(provider_charge) == 120_000 and len(stripe.refunds) == 1
        await _until(admin, "/dlq payment", "No dead letters")
        await _until(admin, "/stats", "Refunds pending: 0")
        # And the second guest can pay now.
        await tap(guest2, busy, "Pay", "pay with the invoice below")


async def _until(user: User, command: str, expect: str, tries: int = 100) -> Message:
    for _ in range(tries):
        after = len(user.inbox)
        await user.send(command)
        reply = await user.expect("", after=after)
        if expect in reply.text:
            return reply
        await asyncio.sleep(0.1)
    raise AssertionError(f"{command!r} never answered {expect!r}")


async def _count(world: World, sql: str) -> int:
    return int(await scalar(world.settings.url_for("reservation"), sql))


async def test_the_pre_checkout_query_is_answered_ahead_of_the_guests_own_backlog(sqlite_url: str) -> None:
    async with paying_world(sqlite_url) as (world, _):
        api = world.api
        await setup_hotel(world)
        invoice = await invoice_for(world, GUEST, "Gus", seoul_today() + timedelta(days=3), 1, "101")
        guest = api.users[GUEST]
        for _ in range(40):  # the guest floods: a backlog of seconds (past 50 waiting, updates are dropped)
            await guest.send("/help")
        query = await guest.pre_checkout(invoice)
        answer = await api.pre_checkout_answer(query, timeout=20)
        answered_help = sum(1 for m in guest.inbox if m.text.startswith("/book"))
        assert answer["ok"] is True
        assert answered_help < 40  # answered before the backlog was worked off, not behind it
        # The payment itself is never dropped with the flood.
        telegram_charge, provider_charge = charge_ids()
        for _ in range(60):
            await guest.send("/help")
        await guest.successful_payment(invoice, telegram_charge_id=telegram_charge, provider_charge_id=provider_charge)
        await guest.expect(f"Payment reference: {provider_charge}", timeout=60)
        assert await payments_count(world) == 1


async def test_the_stand_in_refuses_a_pre_checkout_answer_given_too_late(sqlite_url: str) -> None:
    async with paying_world(sqlite_url) as (world, _):
        api = world.api
        await setup_hotel(world)
        invoice = await invoice_for(world, GUEST, "Gus", seoul_today() + timedelta(days=3), 1, "101")
        api.pre_checkout_timeout_s = 0.0  # every answer is now "more than 10 s" late
        query = await api.users[GUEST].pre_checkout(invoice)
        await api.wait_idle()
        assert query not in api.pre_checkout_answers
        assert [p for m, p in api.calls if m == "answerPreCheckoutQuery" and p["pre_checkout_query_id"] == query]
