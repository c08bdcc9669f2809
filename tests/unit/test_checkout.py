"""Invoice payloads and Telegram's amount limits: pure rules, no I/O."""

from __future__ import annotations

from uuid import uuid4

import pytest

from bot.texts import error_text
from domain.reservation.checkout import InvoicePayloads, payable_total
from domain.shared.currencies import TELEGRAM_CURRENCIES
from domain.shared.errors import AmountOutsideLimits, CurrencyNotPayable
from domain.shared.money import decimals


def test_a_signed_payload_names_its_reservation_and_nothing_else_passes() -> None:
    payloads = InvoicePayloads(b"k" * 32)
    rid = uuid4()
    payload = payloads.sign(rid)
    assert len(payload.encode()) <= 128  # Telegram's limit for invoice payloads
    assert payloads.verify(payload) == rid
    other = uuid4()
    # Another reservation's id with this reservation's signature, a flipped character, junk, another key.
    forged = payloads.sign(other)[:22] + payload[22:]
    assert payloads.verify(forged) is None
    assert payloads.verify(payload[:-1] + ("A" if payload[-1] != "A" else "B")) is None
    assert payloads.verify("") is None and payloads.verify("!!!") is None and payloads.verify(rid.hex) is None
    assert InvoicePayloads(b"x" * 32).verify(payload) is None


def test_amounts_outside_telegrams_limits_are_refused_with_the_limits_in_the_currency() -> None:
    payable_total("KRW", 120_000)
    with pytest.raises(AmountOutsideLimits) as low:
        payable_total("KRW", 500)
    assert low.value.params == {"currency": "KRW", "min": 1_172, "max": 11_720_801, "total": 500}
    assert error_text("en", low.value).startswith(
        "Telegram accepts a payment only between 1,172 KRW and 11,720,801 KRW"
    )
    with pytest.raises(AmountOutsideLimits):
        payable_total("USD", 1_000_001)
    with pytest.raises(CurrencyNotPayable):
        payable_total("XTR", 100)  # Stars are for digital goods, never a hotel stay


def test_the_currency_table_has_telegrams_exponents() -> None:
    assert TELEGRAM_CURRENCIES["KRW"].exp == 0 and TELEGRAM_CURRENCIES["JPY"].exp == 0
    assert TELEGRAM_CURRENCIES["EUR"].exp == 2 and decimals("EUR") == 2 and decimals("KRW") == 0
    assert all(c.min_amount < c.max_amount for c in TELEGRAM_CURRENCIES.values())
