"""The sandbox card processor: the default provider, with configurable latency and failures.

It behaves like a real processor where it matters for the booking flow: every call is idempotent
on its key (a retried charge returns the first charge's reference and never charges twice), a
declined card is the guest's problem (no retry helps), an outage is the provider's."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field

from domain.shared.errors import PaymentDeclined, PaymentUnavailable


@dataclass
class SandboxProvider:
    latency_s: float = 0.05
    failure_rate: float = 0.0
    decline_rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random)
    charges: dict[str, tuple[int, str]] = field(default_factory=dict)
    refunds: dict[str, str] = field(default_factory=dict)
    voided: dict[str, str] = field(default_factory=dict)

    async def _call(self) -> None:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if self.failure_rate and self.rng.random() < self.failure_rate:
            raise PaymentUnavailable()

    async def charge(self, *, key: str, amount: int, currency: str) -> str:
        if key in self.charges:
            return self.charges[key][1]
        await self._call()
        if self.decline_rate and self.rng.random() < self.decline_rate:
            raise PaymentDeclined(reason="the card issuer said no")
        ref = f"ch_{uuid.uuid4().hex[:20]}"
        self.charges[key] = (amount, ref)
        return ref

    async def void(self, *, key: str, amount: int, currency: str) -> None:
        """Reverse the charge made with `key`, if there was one."""
        if key in self.charges:
            self.voided[key] = self.charges.pop(key)[1]

    async def refund(self, *, key: str, charge_ref: str, amount: int, currency: str) -> str:
        if key in self.refunds:
            return self.refunds[key]
        await self._call()
        ref = f"re_{uuid.uuid4().hex[:20]}"
        self.refunds[key] = ref
        return ref
