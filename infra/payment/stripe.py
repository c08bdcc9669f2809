"""Refunds of Telegram Payments charges through Stripe, the provider a hotel connects in BotFather.

Telegram takes the money (the guest pays in Telegram's own form); the Bot API cannot give it back
for provider payments, so a refund is a Stripe refund of `provider_payment_charge_id`. Every
refund carries an idempotency key (Stripe keeps the first answer to a key for at least a day), so
a retry after a lost answer returns the first refund instead of refunding twice.

Charges are never made here: `charge` and `void` refuse, since with Telegram Payments only a
`successful_payment` update means paid."""

from __future__ import annotations

import logging

import stripe

from domain.shared.errors import PaymentUnavailable

log = logging.getLogger(__name__)


class StripeRefunds:
    def __init__(self, api_key: str, api_base: str = "https://api.stripe.com", timeout_s: float = 10.0) -> None:
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")},
            http_client=stripe.HTTPXClient(timeout=timeout_s),
            # Retries belong to our own retry path (the consumer's backoff, the breaker), not here.
            max_network_retries=0,
        )

    async def refund(self, *, key: str, charge_ref: str, amount: int, currency: str) -> str:
        try:
            refund = await self.client.v1.refunds.create_async(
                params={"charge": charge_ref, "amount": amount},
                options={"idempotency_key": key},
            )
        except stripe.InvalidRequestError as exc:
            if exc.code == "charge_already_refunded":
                # Refunded before (by us under another key, or by the hotel in Stripe's dashboard).
                log.warning("charge %s was already refunded at Stripe", charge_ref)
                return f"already:{charge_ref}"[:64]
            log.error("Stripe refused the refund of %s: %s", charge_ref, exc.user_message or exc)
            raise PaymentUnavailable() from exc
        except stripe.StripeError as exc:
            log.warning("Stripe refund of %s failed: %r", charge_ref, exc)
            raise PaymentUnavailable() from exc
        return str(refund.id)

    async def charge(self, *, key: str, amount: int, currency: str) -> str:
        raise PaymentUnavailable()  # with Telegram Payments, Telegram takes the money

    async def void(self, *, key: str, amount: int, currency: str) -> None:
        return None
