from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid4

from domain.payment.events import PaymentApproved, PaymentRefunded
from domain.shared.errors import IllegalTransition
from domain.shared.events import Event


class PaymentStatus(enum.StrEnum):
    APPROVED = "approved"
    REFUNDED = "refunded"


@dataclass
class Payment:
    id: UUID
    reservation_id: UUID
    guest_id: int
    amount: int
    currency: str
    status: PaymentStatus
    provider_ref: str
    idempotency_key: str
    created_at: datetime
    refund_ref: str | None = None
    refunded_at: datetime | None = None
    refunded_amount: int | None = None  # what went back (the policy may keep a fee)
    # Telegram Payments: Telegram's own id of the charge (provider_ref is the provider's).
    telegram_charge_id: str | None = None
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    @staticmethod
    def approved(
        *,
        reservation_id: UUID,
        guest_id: int,
        amount: int,
        currency: str,
        provider_ref: str,
        idempotency_key: str,
        now: datetime,
        telegram_charge_id: str | None = None,
    ) -> Payment:
        payment = Payment(
            uuid4(),
            reservation_id,
            guest_id,
            amount,
            currency,
            PaymentStatus.APPROVED,
            provider_ref,
            idempotency_key,
            now,
            telegram_charge_id=telegram_charge_id,
        )
        payment.events.append(
            PaymentApproved(
                reservation_id=reservation_id,
                payment_id=payment.id,
                guest_id=guest_id,
                amount=amount,
                currency=currency,
            )
        )
        return payment

    @property
    def refund_key(self) -> str:
        return f"refund:{self.id}"

    def refunded(self, refund_ref: str, now: datetime, amount: int | None = None) -> None:
        """`amount` went back (None: all of it); the rest is kept under the cancellation policy."""
        if self.status is not PaymentStatus.APPROVED:
            raise IllegalTransition(status=self.status.value, action="refunded")
        given = self.amount if amount is None else amount
        self.status, self.refund_ref, self.refunded_at = PaymentStatus.REFUNDED, refund_ref, now
        self.refunded_amount = given
        self.events.append(
            PaymentRefunded(
                reservation_id=self.reservation_id,
                payment_id=self.id,
                guest_id=self.guest_id,
                amount=given,
                currency=self.currency,
                kept=self.amount - given,
            )
        )
