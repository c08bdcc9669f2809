"""How managers and admins write terms in a message: each way a price, a day, times, a fee or a
policy may be written is read, anything else is not, and a value out of bounds is the domain's
refusal (InvalidTerms naming the rule), never a silent correction."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from bot import terms_input as read
from domain.shared.errors import InvalidTerms
from domain.shared.terms import CancellationPolicy, ExtraGuests, HotelTerms, Rate, Season, WeekendRate


@pytest.mark.parametrize(
    ("text", "currency", "rate"),
    [
        ("+25%", "KRW", Rate(percent=25)),
        ("25 %", "KRW", Rate(percent=25)),
        ("-10%", "EUR", Rate(percent=-10)),
        ("150000", "KRW", Rate(amount=150_000)),
        ("150,000 KRW", "KRW", Rate(amount=150_000)),
        ("99.50", "EUR", Rate(amount=9_950)),
    ],
)
def test_a_price_is_an_amount_of_the_hotels_currency_or_a_percentage_of_the_base(
    text: str, currency: str, rate: Rate
) -> None:
    assert read.rate(text, currency) == rate


@pytest.mark.parametrize("text", ["a lot", "12.5", "%", "+%", "25%%", ""])
def test_what_is_no_price_is_not_read_as_one(text: str) -> None:
    assert read.rate(text, "KRW") is None


@pytest.mark.parametrize(
    ("text", "rule"), [("+900%", "percent"), ("-95%", "percent"), ("0", "amount"), ("-5", "amount")]
)
def test_a_price_out_of_bounds_is_the_domains_refusal(text: str, rule: str) -> None:
    with pytest.raises(InvalidTerms) as refused:
        read.rate(text, "KRW")
    assert refused.value.params["rule"] == rule


def test_days_times_and_whole_numbers() -> None:
    assert read.day("2026-12-24") == read.day("2026.12.24") == read.day("2026/12/24") == date(2026, 12, 24)
    assert read.day("2026-02-30") is None and read.day("24 December") is None
    assert read.times("15:00 11:00") == ("15:00", "11:00")
    assert read.times("9.30 - 11:00") == ("09:30", "11:00")
    assert read.times("after lunch") is None and read.times("15:00") is None
    assert read.whole("3") == 3 and read.whole("three") is None and read.whole("٣") is None and read.whole("-1") is None


def test_a_policy_is_non_refundable_or_free_days_and_a_fee() -> None:
    assert read.policy(["non-refundable"]) == CancellationPolicy(kind="non_refundable")
    assert read.policy(["3", "50%"]) == CancellationPolicy(free_days=3, fee="percent", percent=50)
    assert read.policy(["1", "first-night"]) == CancellationPolicy(free_days=1, fee="first_night")
    assert read.policy(["2", "first", "night"]) == CancellationPolicy(free_days=2, fee="first_night")
    assert read.policy(["soon"]) is None and read.policy(["3"]) is None and read.policy(["3", "+10%"]) is None
    with pytest.raises(InvalidTerms) as refused:
        read.policy(["400", "50%"])
    assert refused.value.params["rule"] == "free_days"
    with pytest.raises(InvalidTerms) as refused:
        read.policy(["2", "150%"])
    assert refused.value.params["rule"] == "fee_percent"


def test_the_readmes_worked_example() -> None:
    """README, "Prices, stay rules and the cancellation policy": the stay, its breakdown, its refunds."""
    room = uuid4()
    terms = HotelTerms(
        seasons=(
            Season("Christmas", date(2026, 12, 24), date(2026, 12, 26), read.rate("+25%", "KRW") or Rate(), room),
        ),
        weekend_days=frozenset({5, 6}),
        weekend_rates=(WeekendRate(Rate(amount=140_000)),),
        extra_guests=(ExtraGuests(2, 20_000),),
        policy=CancellationPolicy(free_days=3, fee="percent", percent=50),
    )
    check_in = date(2026, 12, 23)
    quote = terms.quote(room, 120_000, check_in, date(2026, 12, 28), 3)
    assert [(line.kind, line.nights, line.price) for line in quote.lines] == [
        ("base", 1, 120_000),
        ("season", 3, 150_000),
        ("weekend", 1, 140_000),
        ("extra_guests", 5, 20_000),
    ]
    assert quote.total == 810_000 and quote.first_night == 140_000
    refunds = {day: quote.total - terms.policy.fee_for(quote, check_in, date(2026, 12, day)) for day in (20, 21, 22)}
    assert refunds == {20: 810_000, 21: 405_000, 22: 405_000}
    assert quote.total - terms.policy.fee_for(quote, check_in, check_in + timedelta(days=1)) == 405_000  # no-show
    first_night = CancellationPolicy(free_days=3, fee="first_night")
    assert quote.total - first_night.fee_for(quote, check_in, date(2026, 12, 21)) == 670_000
