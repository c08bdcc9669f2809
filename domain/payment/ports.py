from __future__ import annotations

from typing import Protocol
from uuid import UUID

from domain.payment.model import Payment
from domain.shared.ports import UnitOfWork


class PaymentProvider(Protocol):
    """A card processor. Both calls are idempotent on `key`: the same key never charges twice.
    Raise PaymentDeclined for the guest's card, PaymentUnavailable for the provider's own trouble."""

    async def charge(self, *, key: str, amount: int, currency: str) -> str: ...

    async def refund(self, *, key: str, charge_ref: str, amount: int, currency: str) -> str: ...

    async def void(self, *, key: str, amount: int, currency: str) -> None:
        """Reverse whatever charge was made with `key`, if any (a no-op when there was none)."""
        ...


class Payments(Protocol):
    async def add(self, payment: Payment) -> bool:
        """Insert; False when the reservation already has a payment."""
        ...

    async def by_reservation(self, reservation_id: UUID, *, for_update: bool = False) -> Payment | None: ...
    async def save(self, payment: Payment) -> None: ...


class PaymentUnitOfWork(UnitOfWork, Protocol):
    @property
    def payments(self) -> Payments: ...
