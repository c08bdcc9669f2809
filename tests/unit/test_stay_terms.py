"""What a guest reads about a stay's terms: the price breakdown, the times, the cancellation
policy in words, and why a stay is too short, in English and Korean, from the domain's own quote."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from bot.stay_terms import breakdown, invoice_lines, minimum_hint, policy_text, times_text
from bot.texts import error_text
from domain.shared.errors import NotStaying, StayTooShort
from domain.shared.terms import (
    NON_REFUNDABLE,
    CancellationPolicy,
    ExtraGuests,
    HotelTerms,
    MinStay,
    Rate,
    Season,
    WeekendRate,
)

ROOM = uuid4()
BASE = 120_000
FRIDAY = date(2026, 12, 18)


def _terms(**changes: object) -> HotelTerms:
    return HotelTerms(
        seasons=(Season("Christmas", date(2026, 12, 24), date(2026, 12, 26), Rate(amount=200_000)),),
        weekend_days=frozenset({5}),
        weekend_rates=(WeekendRate(Rate(amount=150_000)),),
        extra_guests=(ExtraGuests(included=2, per_night=20_000),),
        **changes,  # type: ignore[arg-type]
    )


def test_a_stay_over_a_weekend_night_reads_as_equal_nights_with_the_saturday_named() -> None:
    quote = _terms().quote(ROOM, BASE, date(2026, 12, 15), date(2026, 12, 18), 2)  # Tue, Wed, Thu nights
    assert breakdown("en", quote, "KRW") == "3 × 120,000 KRW"
    quote = _terms().quote(ROOM, BASE, FRIDAY, date(2026, 12, 21), 2)  # Fri, Sat, Sun nights
    assert breakdown("en", quote, "KRW") == "2 × 120,000 KRW + 1 × 150,000 KRW (Sat)"
    assert breakdown("ko", quote, "KRW") == "2박 × 120,000 KRW + 1박 × 150,000 KRW (토)"
    assert quote.total == 390_000


def test_a_season_and_extra_guests_are_named_and_the_invoice_lines_add_up_to_the_total() -> None:
    quote = _terms().quote(ROOM, BASE, date(2026, 12, 23), date(2026, 12, 25), 3)
    assert breakdown("en", quote, "KRW") == (
        "1 × 120,000 KRW + 1 × 200,000 KRW (Christmas) + 2 × 20,000 KRW (1 extra guest(s))"
    )
    lines = invoice_lines("en", quote, "KRW")
    assert lines == [
        ("1 night(s) × 120,000 KRW", 120_000),
        ("1 night(s) × 200,000 KRW (Christmas)", 200_000),
        ("2 night(s) × 20,000 KRW (1 extra guest(s))", 40_000),
    ]
    assert sum(amount for _, amount in lines) == quote.total == 360_000


def test_a_flat_stay_keeps_the_invoice_line_it_always_had() -> None:
    quote = HotelTerms().quote(ROOM, BASE, FRIDAY, date(2026, 12, 20), 2)
    assert invoice_lines("en", quote, "KRW") == [("2 night(s) × 120,000 KRW", 240_000)]


@pytest.mark.parametrize(
    ("policy", "today", "en", "ko"),
    [
        (
            CancellationPolicy(free_days=3),
            date(2026, 12, 1),
            "Free cancellation until 15 Dec; after that the first night (120,000 KRW) is kept.",
            "12월 15일까지 무료 취소, 이후에는 첫 1박 요금(120,000 KRW)이 부과됩니다.",
        ),
        (
            CancellationPolicy(free_days=3),
            date(2026, 12, 16),  # the free days are over already
            "If you cancel, the first night (120,000 KRW) is kept.",
            "취소하면 첫 1박 요금(120,000 KRW)이 부과됩니다.",
        ),
        (
            CancellationPolicy(free_days=7, fee="percent", percent=50),
            date(2026, 12, 1),
            "Free cancellation until 11 Dec; after that 50% of the total (195,000 KRW) is kept.",
            "12월 11일까지 무료 취소, 이후에는 총액의 50%(195,000 KRW)가 부과됩니다.",
        ),
        (
            CancellationPolicy(free_days=7, fee="percent", percent=0),
            date(2026, 12, 1),
            "Free cancellation until 17 Dec.",
            "12월 17일까지 무료 취소.",
        ),
        (
            NON_REFUNDABLE,
            date(2026, 12, 1),
            "Non-refundable: once the hotel accepts the booking, nothing is refunded if you cancel.",
            "환불 불가: 호텔이 예약을 승인한 후에는 취소해도 환불되지 않습니다.",
        ),
    ],
)
def test_the_cancellation_policy_in_words_with_its_day_and_amount(
    policy: CancellationPolicy, today: date, en: str, ko: str
) -> None:
    quote = _terms().quote(ROOM, BASE, FRIDAY, date(2026, 12, 21), 2)  # 390,000 KRW, first night 120,000
    assert policy_text("en", policy, quote, FRIDAY, "KRW", today) == en
    assert policy_text("ko", policy, quote, FRIDAY, "KRW", today) == ko


def test_the_times_of_arrival_and_departure() -> None:
    terms = HotelTerms(check_in_time="14:00", check_out_time="10:30")
    assert times_text("en", terms) == "Check-in from 14:00, check-out by 10:30 (hotel time)."
    assert times_text("ko", terms) == "체크인 14:00부터, 체크아웃 10:30까지 (호텔 현지 시각)."


def test_a_refused_short_stay_says_which_minimum_applies() -> None:
    terms = HotelTerms(
        min_nights=1,
        min_stays=(
            MinStay(2, arrival_weekday=4),
            MinStay(3, first_day=date(2026, 12, 24), last_day=date(2027, 1, 2)),
        ),
    )
    with pytest.raises(StayTooShort) as friday:
        terms.check_stay(ROOM, FRIDAY, date(2026, 12, 19), 30)
    assert error_text("en", friday.value) == "This stay is too short: at least 2 nights for Friday arrivals."
    assert error_text("ko", friday.value) == "숙박 기간이 너무 짧습니다: 금요일 도착은 최소 2박 이상이어야 합니다."
    with pytest.raises(StayTooShort) as holidays:
        terms.check_stay(ROOM, date(2026, 12, 24), date(2026, 12, 26), 30)
    assert error_text("en", holidays.value) == "This stay is too short: at least 3 nights for arrivals 24 Dec – 2 Jan."
    assert error_text("ko", holidays.value) == (
        "숙박 기간이 너무 짧습니다: 12월 24일 – 1월 2일 도착은 최소 3박 이상이어야 합니다."
    )
    with pytest.raises(StayTooShort) as own:
        HotelTerms(min_nights=2).check_stay(ROOM, date(2026, 12, 15), date(2026, 12, 16), 30)
    assert error_text("en", own.value) == "This stay is too short: at least 2 nights."
    refusal = terms.refusal(ROOM, FRIDAY, date(2026, 12, 19))
    assert refusal is not None
    assert minimum_hint("en", refusal) == "At least 2 nights for Friday arrivals."
    assert minimum_hint("ko", refusal) == "금요일 도착은 최소 2박 이상 묵으셔야 합니다."


def test_a_stay_that_cannot_be_marked_now_says_where_it_stands() -> None:
    assert error_text("en", NotStaying(status="not_today")) == (
        "That cannot be done now: the stay is not due today (only from its arrival day to its last night)."
        " Nothing was changed."
    )
    assert error_text("en", NotStaying(status="no_show")) == (
        "That cannot be done now: the stay is a no-show. Nothing was changed."
    )
    assert error_text("ko", NotStaying(status="expected")) == (
        "지금은 할 수 없습니다: 이 숙박은 체크인 전 상태입니다. 아무것도 변경되지 않았습니다."
    )
