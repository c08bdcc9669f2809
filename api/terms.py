"""A hotel's terms between the wire (api.schemas) and the domain (domain.shared.terms). Building the
domain's values checks every rule: a broken one raises InvalidTerms (422) naming it."""

from __future__ import annotations

from api.schemas import PolicyIO, RateIO, TermsFields, TermsOut
from domain.shared.terms import CancellationPolicy, ExtraGuests, HotelTerms, MinStay, Rate, Season, WeekendRate


def rate_of(body: RateIO) -> Rate:
    return Rate(amount=body.amount, percent=body.percent)


def policy_of(body: PolicyIO) -> CancellationPolicy:
    return CancellationPolicy(kind=body.kind, free_days=body.free_days, fee=body.fee, percent=body.percent)


def terms_of(body: TermsFields) -> HotelTerms:
    return HotelTerms(
        seasons=tuple(Season(s.name, s.first_night, s.last_night, rate_of(s.rate), s.room_id) for s in body.seasons),
        weekend_days=frozenset(body.weekend_days),
        weekend_rates=tuple(WeekendRate(rate_of(w.rate), w.room_id) for w in body.weekend_rates),
        extra_guests=tuple(ExtraGuests(e.included, e.per_night, e.room_id) for e in body.extra_guests),
        min_nights=body.min_nights,
        max_nights=body.max_nights,
        min_stays=tuple(
            MinStay(m.nights, m.arrival_weekday, m.first_day, m.last_day, m.room_id) for m in body.min_stays
        ),
        check_in_time=body.check_in_time,
        check_out_time=body.check_out_time,
        policy=policy_of(body.policy),
    )


def terms_out(hotel_id: int, currency: str, terms: HotelTerms) -> TermsOut:
    return TermsOut.model_validate({**terms.to_dict(), "hotel_id": hotel_id, "currency": currency})


def policy_out(policy: CancellationPolicy) -> PolicyIO:
    return PolicyIO.model_validate(policy.to_dict())
