"""A provider behind a timeout and a circuit breaker (purgatory: maintained, asyncio-native).

After `failures` provider failures in a row the breaker opens: calls are refused at once with
PaymentsBusy, without touching the provider, until `reset_s` has passed and one trial call is let
through (half-open). A declined card is the guest's answer, not a provider failure: it never
counts towards opening."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from domain.payment.ports import PaymentProvider
from domain.shared.errors import PaymentDeclined, PaymentsBusy, PaymentUnavailable
from infra.observability import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")
CIRCUIT = "payment-provider"
PROVIDER = "payment"  # the breaker's label in hotelbot_breaker_open


class GuardedProvider:
    def __init__(self, inner: PaymentProvider, *, timeout_s: float, failures: int, reset_s: float) -> None:
        self.inner = inner
        self.timeout_s = timeout_s
        self.breakers = AsyncCircuitBreakerFactory(
            default_threshold=failures, default_ttl=reset_s, exclude=[PaymentDeclined]
        )
        metrics.breaker(PROVIDER, "closed")

    async def _guarded(self, call: Callable[[], Awaitable[T]]) -> T:
        breaker = await self.breakers.get_breaker(CIRCUIT)
        try:
            async with breaker:
                try:
                    async with asyncio.timeout(self.timeout_s):
                        return await call()
                except TimeoutError:
                    log.warning("payment provider did not answer within %.1fs", self.timeout_s)
                    raise PaymentUnavailable() from None
        except OpenedState:
            raise PaymentsBusy() from None
        finally:
            metrics.breaker(PROVIDER, breaker.context.state)

    async def state(self) -> str:
        breaker = await self.breakers.get_breaker(CIRCUIT)
        return breaker.context.state

    async def is_open(self) -> bool:
        """Refusing calls now: opened, and its time to let a trial through has not come yet
        (purgatory moves to half-open only when the next call arrives)."""
        context = (await self.breakers.get_breaker(CIRCUIT)).context
        return context.state == "opened" and time.time() < (context.opened_at or 0) + context.ttl

    async def accepting(self) -> bool:
        """False while the breaker is open and its wait has not run out: no new checkout starts
        (Telegram Payments), since its refunds could not be made now either."""
        breaker = await self.breakers.get_breaker(CIRCUIT)
        context = breaker.context
        if context.state != "opened" or context.opened_at is None:
            return True
        return time.time() > context.opened_at + context.ttl

    async def charge(self, *, key: str, amount: int, currency: str) -> str:
        return await metrics.timed(
            "charge", lambda: self._guarded(lambda: self.inner.charge(key=key, amount=amount, currency=currency))
        )

    async def void(self, *, key: str, amount: int, currency: str) -> None:
        # Not behind the breaker: reversing a charge is worth trying even while new charges are
        # refused; only the timeout applies.
        async with asyncio.timeout(self.timeout_s):
            await self.inner.void(key=key, amount=amount, currency=currency)

    async def refund(self, *, key: str, charge_ref: str, amount: int, currency: str) -> str:
        return await metrics.timed(
            "refund",
            lambda: self._guarded(
                lambda: self.inner.refund(key=key, charge_ref=charge_ref, amount=amount, currency=currency)
            ),
        )
