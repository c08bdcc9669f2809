"""One money parser for every adapter: amounts in the currency's minor units (KRW and JPY have none)."""

from __future__ import annotations

import pytest

from domain.shared.money import format_money, parse_money


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("120000", "KRW", 120_000),
        ("120,000", "KRW", 120_000),
        ("120000 KRW", "KRW", 120_000),
        ("5000", "JPY", 5_000),
        ("120", "EUR", 12_000),
        ("99.50", "EUR", 9_950),
        ("1,200.5", "USD", 120_050),
        ("0", "EUR", 0),  # an amount: whether it is an acceptable price is the domain's rule
        ("-5", "KRW", -5),
    ],
)
def test_amounts_are_read_in_the_currencys_minor_units(text: str, currency: str, minor: int) -> None:
    assert parse_money(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [("99.50", "KRW"), ("10.5", "JPY"), ("1.234", "EUR"), ("ten", "EUR"), ("", "EUR"), ("NaN", "EUR"), ("1e40", "EUR")],
)
def test_what_is_no_amount_of_the_currency_is_not_read(text: str, currency: str) -> None:
    assert parse_money(text, currency) is None


def test_amounts_are_written_as_people_read_them() -> None:
    assert format_money(120_000, "KRW") == "120,000 KRW"
    assert format_money(9_950, "EUR") == "99.50 EUR"
