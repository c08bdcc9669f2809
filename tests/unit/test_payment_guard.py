from __future__ import annotations

import asyncio
import time

import pytest

from domain.shared.errors import PaymentDeclined, PaymentsBusy, PaymentUnavailable
from infra.payment.guarded import GuardedProvider
from infra.payment.sandbox import SandboxProvider
from tests.unit.fakes import FakeProvider


async def test_the_breaker_opens_after_repeated_failures_and_refuses_at_once() -> None:
    inner = FakeProvider()
    guarded = GuardedProvider(inner, timeout_s=1, failures=3, reset_s=0.2)
    inner.mode = "fail"
    for _ in range(3):
        with pytest.raises(PaymentUnavailable):
            await guarded.charge(key="k", amount=1, currency="EUR")
    calls = inner.calls
    started = time.perf_counter()
    with pytest.raises(PaymentsBusy):
        await guarded.charge(key="k", amount=1, currency="EUR")
    assert time.perf_counter() - started < 0.1
    assert inner.calls == calls  # the provider was not even asked
    # after the reset time one trial call goes through; success closes the breaker
    inner.mode = "ok"
    await asyncio.sleep(0.25)
    assert await guarded.charge(key="k", amount=1, currency="EUR")
    assert await guarded.state() == "closed"


async def test_declined_cards_do_not_open_the_breaker() -> None:
    inner = FakeProvider()
    inner.mode = "decline"
    guarded = GuardedProvider(inner, timeout_s=1, failures=2, reset_s=60)
    for _ in range(5):
        with pytest.raises(PaymentDeclined):
            await guarded.charge(key="k", amount=1, currency="EUR")
    assert await guarded.state() == "closed"


async def test_a_provider_slower_than_the_timeout_counts_as_unavailable() -> None:
    guarded = GuardedProvider(SandboxProvider(latency_s=0.5), timeout_s=0.05, failures=5, reset_s=60)
    with pytest.raises(PaymentUnavailable):
        await guarded.charge(key="k", amount=1, currency="EUR")


async def test_the_sandbox_is_idempotent_on_its_key() -> None:
    sandbox = SandboxProvider(latency_s=0)
    assert await sandbox.charge(key="a", amount=5, currency="EUR") == await sandbox.charge(
        key="a", amount=5, currency="EUR"
    )
    assert len(sandbox.charges) == 1
