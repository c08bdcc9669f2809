"""A stay's terms in the guest's words: the price breakdown ("2 x 120,000 KRW + 1 x 150,000 KRW
(Sat)"), the check-in and check-out times, the cancellation policy ("Free cancellation until
17 Dec; after that the first night (120,000 KRW) is kept"), and why a stay is too short.

Pure functions over the domain's values (Quote, CancellationPolicy, HotelTerms); the sentences
themselves live in bot/texts.py like every other."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from bot.texts import day_text, reservation_code, t, too_short_when
from domain.reservation.model import Reservation
from domain.shared.money import format_money
from domain.shared.terms import CancellationPolicy, HotelTerms, Quote, QuoteLine, StayRefusal


def weekdays_text(lang: str | None, weekdays: Iterable[int]) -> str:
    """The nights' weekdays, short: "Fri, Sat", "금, 토"."""
    names = t(lang, "weekdays_short").split(",")
    return ", ".join(names[d] for d in sorted(weekdays))


def _reason(lang: str | None, line: QuoteLine) -> str:
    if line.kind == "season":
        return line.name
    if line.kind == "weekend":
        return weekdays_text(lang, line.weekdays)
    if line.kind == "extra_guests":
        return t(lang, "q_extra_guests", extra=line.extra)
    return ""


def line_text(lang: str | None, line: QuoteLine, currency: str) -> str:
    """One line of a breakdown: "2 x 120,000 KRW", "1 x 150,000 KRW (Sat)" (a multiplication sign)."""
    price = format_money(line.price, currency)
    reason = _reason(lang, line)
    if reason:
        return t(lang, "q_line_why", nights=line.nights, price=price, why=reason)
    return t(lang, "q_line", nights=line.nights, price=price)


def breakdown(lang: str | None, quote: Quote, currency: str) -> str:
    """The whole stay, line by line, joined with " + "."""
    return " + ".join(line_text(lang, line, currency) for line in quote.lines)


def invoice_lines(lang: str | None, quote: Quote, currency: str) -> list[tuple[str, int]]:
    """(label, amount) per line, for the invoice's price list: they add up to the quote's total."""
    lines = []
    for line in quote.lines:
        price = format_money(line.price, currency)
        reason = _reason(lang, line)
        if reason:
            label = t(lang, "inv_price_line_why", nights=line.nights, price=price, why=reason)
        else:
            label = t(lang, "inv_price_line", nights=line.nights, price=price)
        lines.append((label, line.amount))
    return lines


def times_text(lang: str | None, terms: HotelTerms) -> str:
    return t(lang, "stay_times", check_in=terms.check_in_time, check_out=terms.check_out_time)


def policy_text(
    lang: str | None, policy: CancellationPolicy, quote: Quote, check_in: date, currency: str, today: date
) -> str:
    """What cancelling costs, in words, as it stands on the hotel-local `today`: free until a day,
    then a fee (the first night, or a share of the total); or non-refundable."""
    if policy.kind == "non_refundable":
        return t(lang, "policy_non_refundable")
    last_free = policy.last_free_day(check_in)
    assert last_free is not None
    fee = policy.fee_for(quote, check_in, check_in)  # what is kept once the free days are over
    if fee == 0:  # a fee of 0 %: free until cancelling closes, the day before check-in
        return t(lang, "policy_free", day=day_text(lang, check_in - timedelta(days=1)))
    kind = "first_night" if policy.fee == "first_night" else "percent"
    params = {"fee": format_money(fee, currency), "percent": policy.percent}
    if today > last_free:  # the free days are already over
        return t(lang, f"policy_fee_{kind}", **params)
    return t(lang, f"policy_free_{kind}", day=day_text(lang, last_free), **params)


def minimum_hint(lang: str | None, refusal: StayRefusal) -> str:
    """The minimum for an arrival, said before the guest picks a check-out day."""
    when = too_short_when(lang, refusal.arrival_weekday, refusal.first_day, refusal.last_day)
    return t(lang, "stay_minimum", min_nights=refusal.min_nights, when=when)


def reservation_receipt(lang: str, reservation: Reservation, hotel: str, number: str, today: date) -> str:
    """The receipt of a paid booking: what was booked, at what price and under which policy (the
    reservation's own, never the hotel's terms now)."""
    quote = reservation.price_lines
    return t(
        lang,
        "receipt",
        code=reservation_code(reservation.id),
        hotel=hotel,
        number=number,
        check_in=reservation.check_in,
        check_out=reservation.check_out,
        nights=(reservation.check_out - reservation.check_in).days,
        guests=reservation.guests,
        breakdown=breakdown(lang, quote, reservation.currency),
        total=format_money(reservation.total_price, reservation.currency),
        policy=policy_text(lang, reservation.policy, quote, reservation.check_in, reservation.currency, today),
    )
