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


def parse_money(text: str, currency: str) -> int | None:
    """'120', '120.5', '1,200.00' -> minor units; None when it is not an amount of this currency."""
    cleaned = text.strip().replace(",", "").replace(" ", "").upper().removesuffix(currency.upper())
    if not cleaned or len(cleaned) > 15:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0:
        return None
    minor = value.scaleb(decimals(currency))
    if minor != minor.to_integral_value():
        return None
    return int(minor)
