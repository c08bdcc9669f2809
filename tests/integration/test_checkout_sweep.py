"""Telegram Payments checkouts with a controllable clock: a hold lives exactly as long as it
should (the card sweep of the sandbox never takes it away), a payment recorded just before a crash
is placed after the restart, once, and amounts outside Telegram's limits never hold a night."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from bot.texts import error_text
from domain.hotel import commands as hc
from domain.reservation.checkout import CheckoutStatus, CompleteCheckout, Outcome, StartCheckout
from domain.shared.errors import AmountOutsideLimits
from domain.shared.terms import NON_REFUNDABLE, CancellationPolicy, HotelTerms, Rate, WeekendRate
from infra.clock import FixedClock
from main.bootstrap import Container
from main.jobs import Jobs
from main.processes import Runtime
from tests.botapi import FakeBotApi
from tests.conftest import make_settings, scalar
from tests.integration.helpers import MANAGER, eventually, seed_hotel, stay
from tests.stripe_stub import StripeStub

pytestmark = pytest.mark.integration
GUEST = 4343


@dataclass
class Shop:
    api: FakeBotApi
    stripe: StripeStub
    clock: FixedClock
    runtime: Runtime
    url: str

    @property
    def container(self) -> Container:
        return self.runtime.container

    def jobs(self) -> Jobs:
        return Jobs(self.container, self.runtime.notifier)

    async def restart(self) -> None:
        """A new process on the same database (the old one died: nothing of it is reused)."""
        await self.runtime.stop()
        self.runtime = _runtime(self.url, self.api, self.stripe, self.clock)
        await self.runtime.start()

    async def count(self, sql: str) -> int:
        return int(await scalar(self.url, sql))


def _runtime(url: str, api: FakeBotApi, stripe: StripeStub, clock: FixedClock) -> Runtime:
    settings = make_settings(
        database_url=url,
        telegram_api_base_url=api.base_url,
        payment_provider="telegram",
        telegram_payment_provider_token="284685063:TEST:hotelbot",
        stripe_api_key=stripe.api_key,
        stripe_api_base=stripe.base_url,
        payment_hold_minutes=15,
    )
    return Runtime(settings, bot=False, scheduler=False, container=Container(settings, clock=clock), relay_sweep_s=0.2)


@pytest.fixture(params=["sqlite", "postgresql"])
async def shop(request: Any, sqlite_url: str, pg: str) -> AsyncIterator[Shop]:
    api, stripe = FakeBotApi(), StripeStub()
    await api.start()
    await stripe.start()
    url = sqlite_url if request.param == "sqlite" else pg
    clock = FixedClock(datetime.now(UTC))
    world = Shop(api, stripe, clock, _runtime(url, api, stripe, clock), url)
    await world.runtime.start()
    try:
        yield world
    finally:
        await world.runtime.stop()
        await stripe.stop()
        await api.stop()


async def _checkout(shop: Shop, price: int = 10_000) -> Any:
    c = shop.container
    _, (room,) = await seed_hotel(c, price=price)
    check_in, check_out = stay(c)
    return await c.handle(
        StartCheckout(
            guest_id=GUEST,
            guest_name="Gus",
            room_id=room.id,
            check_in=check_in,
            check_out=check_out,
            guests=1,
            reservation_id=uuid4(),
        )
    )


async def test_a_hold_lives_until_it_expires_and_then_only_the_checkout_sweep_releases_it(shop: Shop) -> None:
    checkout = await _checkout(shop)
    rid = checkout.reservation_id
    jobs = shop.jobs()
    # Ten minutes on, well past the card sweep's cutoff: both sweeps leave the guest's hold alone.
    shop.clock.advance(timedelta(minutes=10))
    await jobs.settle_payments()
    await jobs.settle_checkouts()
    assert await shop.count("SELECT count(*) FROM reservation_nights") == 2
    assert await shop.count("SELECT count(*) FROM reservation_reservations WHERE status = 'pending_payment'") == 1
    # Past the hold's expiry: released, the offer kept for a late payment.
    shop.clock.advance(timedelta(minutes=6))
    await jobs.settle_checkouts()
    assert await shop.count("SELECT count(*) FROM reservation_nights") == 0
    assert await shop.count("SELECT count(*) FROM reservation_reservations") == 0
    stored = await _stored(shop, rid)
    assert stored is not None and stored.status is CheckoutStatus.RELEASED


async def _stored(shop: Shop, rid: Any) -> Any:
    async with shop.container.reservation_uow() as uow:
        return await uow.checkouts.get(rid)


async def test_a_payment_recorded_before_a_crash_is_placed_after_the_restart_once(shop: Shop) -> None:
    checkout = await _checkout(shop)
    rid = checkout.reservation_id
    # successful_payment arrived; the payment was recorded, and the process died before placing.
    payment_id = await shop.container.checkout_payments.record(
        reservation_id=rid,
        guest_id=GUEST,
        amount=checkout.total_price,
        currency=checkout.currency,
        telegram_charge_id="tgch_crash",
        provider_charge_id="ch_crash",
    )
    assert payment_id is not None
    await shop.restart()
    jobs = shop.jobs()
    await jobs.settle_checkouts()
    await jobs.settle_checkouts()  # a second sweep (or another replica) finds nothing left to do
    guest, manager = shop.api.user(GUEST, "Gus"), shop.api.user(MANAGER, "Mia")
    await guest.expect("Paid — thank you!")
    await manager.expect("New reservation")
    # Telegram's message is handled after all (a redelivery, or the bot caught up): still one of each.
    again = await shop.container.handle(
        CompleteCheckout(
            reservation_id=rid,
            guest_id=GUEST,
            amount=checkout.total_price,
            currency=checkout.currency,
            telegram_charge_id="tgch_crash",
            provider_charge_id="ch_crash",
        )
    )
    assert again.outcome is Outcome.PLACED and again.payment_id == payment_id
    assert await shop.count("SELECT count(*) FROM payment_payments") == 1
    assert await shop.count("SELECT count(*) FROM reservation_reservations WHERE status = 'placed'") == 1
    assert await shop.count("SELECT count(*) FROM reservation_outbox WHERE routing_key LIKE '%placed'") == 1
    stored = await _stored(shop, rid)
    assert stored.status is CheckoutStatus.PAID


async def test_an_amount_telegram_does_not_accept_is_refused_before_any_night_is_held(shop: Shop) -> None:
    with pytest.raises(AmountOutsideLimits) as refused:
        await _checkout(shop, price=10)  # 0.20 EUR for two nights: below Telegram's minimum for EUR
    assert "between 0.84 EUR and 8,487.88 EUR" in error_text("en", refused.value)  # what the guest reads
    assert await shop.count("SELECT count(*) FROM reservation_nights") == 0
    assert await shop.count("SELECT count(*) FROM reservation_reservations") == 0
    assert await shop.count("SELECT count(*) FROM reservation_checkouts") == 0


async def test_a_late_payment_is_placed_on_the_policy_and_prices_the_guest_was_shown(shop: Shop) -> None:
    c = shop.container
    hotel, (room,) = await seed_hotel(c, price=10_000)
    shown = HotelTerms(weekend_rates=(WeekendRate(Rate(percent=50)),), policy=CancellationPolicy(free_days=5))
    await c.handle(hc.ChangeTerms(hotel_id=hotel.id, terms=shown, expected_revision=0, actor_id=MANAGER))
    await eventually(lambda: _terms_copied(c, hotel.id, 1))
    check_in = c.clock.now().date() + timedelta(days=10)
    check_in += timedelta(days=(4 - check_in.weekday()) % 7)  # a Friday: one weekend night, one not
    checkout = await c.handle(
        StartCheckout(
            guest_id=GUEST,
            guest_name="Gus",
            room_id=room.id,
            check_in=check_in,
            check_out=check_in + timedelta(days=3),  # Fri, Sat at 15,000; Sun at 10,000
            guests=1,
            reservation_id=uuid4(),
        )
    )
    assert checkout.total_price == 40_000
    # The hold expires unpaid and is released; the hotel turns non-refundable meanwhile.
    shop.clock.advance(timedelta(minutes=16))
    await shop.jobs().settle_checkouts()
    await c.handle(hc.ChangeTerms(hotel_id=hotel.id, terms=HotelTerms(policy=NON_REFUNDABLE), expected_revision=1))
    await eventually(lambda: _terms_copied(c, hotel.id, 2))
    paid = await c.handle(
        CompleteCheckout(
            reservation_id=checkout.reservation_id,
            guest_id=GUEST,
            amount=40_000,
            currency=checkout.currency,
            telegram_charge_id="tgch_late",
            provider_charge_id="ch_late",
        )
    )
    assert paid.outcome is Outcome.PLACED
    async with c.reservation_uow() as uow:
        placed = await uow.reservations.get(checkout.reservation_id)
    assert placed is not None and placed.total_price == 40_000
    assert placed.policy == CancellationPolicy(free_days=5)
    assert [(line.kind, line.nights, line.price) for line in placed.price_lines.lines] == [
        ("weekend", 2, 15_000),
        ("base", 1, 10_000),
    ]


async def _terms_copied(c: Any, hotel_id: int, revision: int) -> bool:
    return bool((await c.availability.terms(hotel_id)).revision == revision)
