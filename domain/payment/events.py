from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from domain.shared.events import Event


@dataclass(frozen=True, kw_only=True)
class PaymentApproved(Event):
    context: ClassVar[str] = "payment"
    name: ClassVar[str] = "approved"

    reservation_id: UUID
    payment_id: UUID
    guest_id: int
    amount: int
    currency: str


@dataclass(frozen=True, kw_only=True)
class PaymentRefunded(Event):
    context: ClassVar[str] = "payment"
    name: ClassVar[str] = "refunded"
    version: ClassVar[int] = 2  # v2: `amount` is what went back, `kept` what the hotel kept

    reservation_id: UUID
    payment_id: UUID
    guest_id: int
    amount: int  # given back
    currency: str
    kept: int = 0  # kept under the cancellation policy (v1 events: nothing was kept)
