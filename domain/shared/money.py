"""Money in integer minor units, and how people write it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from domain.shared.currencies import telegram_currency

ZERO_DECIMAL = frozenset({"KRW", "JPY", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG"})


def decimals(currency: str) -> int:
    known = telegram_currency(currency)
    if known is not None:
        return known.exp
    return 0 if currency.upper() in ZERO_DECIMAL else 2


def format_money(amount: int, currency: str) -> str:
    places = decimals(currency)
    if places == 0:
        return f"{amount:,} {currency}"
    return f"{Decimal(amount).scaleb(-places):,.{places}f} {currency}"


def example_amount(currency: str) -> str:
    """How to write a typical price in `currency`, for a prompt: '120000' or '120.00'."""
    return "120000" if decimals(currency) == 0 else "120.00"


def parse_money(text: str, currency: str) -> int | None:
    """How people write an amount of `currency` -> its minor units: '120', '120.5', '1,200.00',
    '120000 KRW'. None when it is no amount of this currency (not a number, or finer than its
    minor unit: KRW and JPY have none). Whether the amount is acceptable (above zero, not too
    high) is the caller's rule, not the parser's."""
    cleaned = text.strip().replace(",", "").replace(" ", "").upper().removesuffix(currency.upper())
    if not cleaned or len(cleaned) > 30:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value.adjusted() > 18:  # no price has more than 19 digits
        return None
    minor = value.scaleb(decimals(currency))
    if minor != minor.to_integral_value():
        return None
    return int(minor)
