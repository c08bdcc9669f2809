"""A hotel's terms: what a night costs (base price, seasons and events, weekend nights, guests
beyond those included), how long a stay may be, when guests arrive and leave, and what a
cancellation costs. The hotel context keeps and changes them; the reservation context keeps a copy
(from the hotel's events) to quote a stay and to work out a refund. Pure values and arithmetic.

A night's price, for a room: the latest season or event covering the night (a rule for this very
room before a rule for every room), else the weekend price if the night is one of the hotel's
weekend nights, else the room's base price; plus, per night, each guest beyond those included.
The quote is the sum of the nights, shown as lines of equal nights ("2 x 120,000 + 1 x 150,000
(Sat)"). A reservation keeps its quote and the cancellation policy it was booked under: a rule
changed later never changes what was booked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Literal
from uuid import UUID

from domain.shared.errors import InvalidTerms, StayTooLong, StayTooShort

MAX_RULES = 50  # seasons, weekend prices, extra-guest prices and minimum stays, each
MAX_NIGHTLY = 100_000_000  # minor units, as a room's base price
MAX_SEASON_DAYS = 731
MAX_NAME = 40
MIN_PERCENT, MAX_PERCENT = -90, 500
MAX_STAY = 365
MAX_FREE_DAYS = 365
DEFAULT_WEEKEND = frozenset({4, 5})  # the nights of Friday and Saturday (date.weekday())
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _fail(rule: str, limit: int | None = None) -> InvalidTerms:
    return InvalidTerms(rule=rule, limit=limit)


@dataclass(frozen=True)
class Rate:
    """A night's price under a rule: a price of its own, or the base price moved by a percentage."""

    amount: int | None = None
    percent: int | None = None

    def __post_init__(self) -> None:
        if (self.amount is None) == (self.percent is None):
            raise _fail("rate")
        if self.amount is not None and not 0 < self.amount <= MAX_NIGHTLY:
            raise _fail("amount", MAX_NIGHTLY)
        if self.percent is not None and not MIN_PERCENT <= self.percent <= MAX_PERCENT:
            raise _fail("percent", MAX_PERCENT)

    def price(self, base: int) -> int:
        if self.amount is not None:
            return self.amount
        assert self.percent is not None
        # integer minor units, rounded half up: +25 % of 99 is 124 (123.75)
        return max(1, (base * (100 + self.percent) * 2 + 100) // 200)


@dataclass(frozen=True)
class Season:
    """A date range (a season or an event) with its own nightly price; `last_night` included."""

    name: str
    first_night: date
    last_night: date
    rate: Rate
    room_id: UUID | None = None  # None: every room of the hotel

    def __post_init__(self) -> None:
        name = " ".join(self.name.split())
        if not name or len(name) > MAX_NAME:
            raise _fail("name", MAX_NAME)
        object.__setattr__(self, "name", name)
        if self.last_night < self.first_night:
            raise _fail("season_order")
        if (self.last_night - self.first_night).days >= MAX_SEASON_DAYS:
            raise _fail("season_length", MAX_SEASON_DAYS)

    def covers(self, night: date) -> bool:
        return self.first_night <= night <= self.last_night


@dataclass(frozen=True)
class WeekendRate:
    rate: Rate
    room_id: UUID | None = None


@dataclass(frozen=True)
class ExtraGuests:
    """Each guest beyond `included` costs `per_night` more a night."""

    included: int
    per_night: int
    room_id: UUID | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.included <= 20:
            raise _fail("included", 20)
        if not 0 < self.per_night <= MAX_NIGHTLY:
            raise _fail("amount", MAX_NIGHTLY)


@dataclass(frozen=True)
class MinStay:
    """At least `nights` for arrivals on a weekday (0 = Monday), or for arrivals in a date range."""

    nights: int
    arrival_weekday: int | None = None
    first_day: date | None = None
    last_day: date | None = None
    room_id: UUID | None = None

    def __post_init__(self) -> None:
        if not 2 <= self.nights <= MAX_STAY:
            raise _fail("min_nights", MAX_STAY)
        by_day = self.arrival_weekday is not None
        by_dates = self.first_day is not None and self.last_day is not None
        if by_day == by_dates or (self.first_day is None) != (self.last_day is None):
            raise _fail("min_stay_when")
        if by_day and not 0 <= (self.arrival_weekday or 0) <= 6:
            raise _fail("weekday")
        if by_dates and (self.last_day or date.min) < (self.first_day or date.max):
            raise _fail("season_order")

    def applies(self, room_id: UUID, arrival: date) -> bool:
        if self.room_id is not None and self.room_id != room_id:
            return False
        if self.arrival_weekday is not None:
            return arrival.weekday() == self.arrival_weekday
        assert self.first_day is not None and self.last_day is not None
        return self.first_day <= arrival <= self.last_day


@dataclass(frozen=True)
class CancellationPolicy:
    """`free_until`: free until `free_days` days before check-in (the hotel's dates), then a fee
    of `percent` % of the total or of the first night; `non_refundable`: nothing comes back.
    Cancelling is possible until the day before check-in; from then on a stay is kept, checked
    in or a no-show. The default is the one the bot always had: free until the day before."""

    kind: Literal["free_until", "non_refundable"] = "free_until"
    free_days: int = 1
    fee: Literal["percent", "first_night"] = "first_night"
    percent: int = 100

    def __post_init__(self) -> None:
        if self.kind not in ("free_until", "non_refundable") or self.fee not in ("percent", "first_night"):
            raise _fail("policy")
        if not 1 <= self.free_days <= MAX_FREE_DAYS:
            raise _fail("free_days", MAX_FREE_DAYS)
        if not 0 <= self.percent <= 100:
            raise _fail("fee_percent")

    def last_free_day(self, check_in: date) -> date | None:
        """The last hotel-local day a cancellation costs nothing; None: never free."""
        if self.kind == "non_refundable":
            return None
        return check_in - timedelta(days=self.free_days)

    def fee_for(self, quote: Quote, check_in: date, today: date) -> int:
        """What the hotel keeps of `quote` when the stay is cancelled on the hotel-local `today`
        (or not turned up for: `today` is then the check-in day or later)."""
        free_until = self.last_free_day(check_in)
        if free_until is not None and today <= free_until:
            return 0
        if self.kind == "non_refundable":
            return quote.total
        if self.fee == "first_night":
            return min(quote.first_night, quote.total)
        return (quote.total * self.percent * 2 + 100) // 200  # rounded half up

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "free_days": self.free_days, "fee": self.fee, "percent": self.percent}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> CancellationPolicy:
        return CancellationPolicy(
            kind=data.get("kind", "free_until"),
            free_days=int(data.get("free_days", 1)),
            fee=data.get("fee", "first_night"),
            percent=int(data.get("percent", 100)),
        )


NON_REFUNDABLE = CancellationPolicy(kind="non_refundable")


@dataclass(frozen=True)
class QuoteLine:
    """Nights at one price for one reason: `kind` base, season (with its `name`), weekend (with
    the `weekdays` of those nights) or extra_guests (`extra` guests a night)."""

    kind: Literal["base", "season", "weekend", "extra_guests"]
    nights: int
    price: int
    name: str = ""
    weekdays: tuple[int, ...] = ()
    extra: int = 0

    @property
    def amount(self) -> int:
        return self.nights * self.price

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": self.kind, "nights": self.nights, "price": self.price}
        if self.name:
            body["name"] = self.name
        if self.weekdays:
            body["weekdays"] = list(self.weekdays)
        if self.extra:
            body["extra"] = self.extra
        return body

    @staticmethod
    def from_dict(data: dict[str, Any]) -> QuoteLine:
        return QuoteLine(
            kind=data["kind"],
            nights=int(data["nights"]),
            price=int(data["price"]),
            name=str(data.get("name", "")),
            weekdays=tuple(int(d) for d in data.get("weekdays", ())),
            extra=int(data.get("extra", 0)),
        )


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    first_night: int  # what the first night costs, extra guests included (a fee may be this)

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def nights(self) -> int:
        return sum(line.nights for line in self.lines if line.kind != "extra_guests")

    @staticmethod
    def flat(nights: int, price: int) -> Quote:
        """One price every night: what a reservation booked before price rules existed had."""
        return Quote((QuoteLine("base", nights, price),), price)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [line.to_dict() for line in self.lines]

    @staticmethod
    def from_dicts(lines: list[dict[str, Any]]) -> Quote:
        parsed = tuple(QuoteLine.from_dict(line) for line in lines)
        nightly = [line for line in parsed if line.kind != "extra_guests"]
        extras = sum(line.price for line in parsed if line.kind == "extra_guests")
        first = nightly[0].price if nightly else 0
        return Quote(parsed, first + extras)


@dataclass(frozen=True)
class StayRefusal:
    """Why a stay cannot be booked, for the calendar and typed dates to explain."""

    min_nights: int
    arrival_weekday: int | None = None
    first_day: date | None = None
    last_day: date | None = None


@dataclass(frozen=True)
class HotelTerms:
    revision: int = 0  # 0: never changed (a hotel with the defaults)
    seasons: tuple[Season, ...] = ()
    weekend_days: frozenset[int] = DEFAULT_WEEKEND
    weekend_rates: tuple[WeekendRate, ...] = ()
    extra_guests: tuple[ExtraGuests, ...] = ()
    min_nights: int = 1
    max_nights: int | None = None  # None: the system's limit (BookingPolicy)
    min_stays: tuple[MinStay, ...] = ()
    check_in_time: str = "15:00"
    check_out_time: str = "11:00"
    policy: CancellationPolicy = field(default_factory=CancellationPolicy)

    def __post_init__(self) -> None:
        for rules in (self.seasons, self.weekend_rates, self.extra_guests, self.min_stays):
            if len(rules) > MAX_RULES:
                raise _fail("too_many", MAX_RULES)
        if not self.weekend_days <= frozenset(range(7)):
            raise _fail("weekday")
        if not 1 <= self.min_nights <= MAX_STAY:
            raise _fail("min_nights", MAX_STAY)
        if self.max_nights is not None and not self.min_nights <= self.max_nights <= MAX_STAY:
            raise _fail("max_nights", MAX_STAY)
        if not TIME.match(self.check_in_time) or not TIME.match(self.check_out_time):
            raise _fail("time")

    # --- prices --------------------------------------------------------------------------------

    def night_price(self, room_id: UUID, base: int, night: date) -> tuple[int, QuoteLine]:
        """The price of one night and the kind of line it belongs to (with nights=1)."""
        season = _pick(self.seasons, room_id, lambda s: s.covers(night))
        if season is not None:
            price = season.rate.price(base)
            return price, QuoteLine("season", 1, price, name=season.name)
        if night.weekday() in self.weekend_days:
            weekend = _pick(self.weekend_rates, room_id, lambda w: True)
            if weekend is not None:
                price = weekend.rate.price(base)
                return price, QuoteLine("weekend", 1, price, weekdays=(night.weekday(),))
        return base, QuoteLine("base", 1, base)

    def extra_guests_for(self, room_id: UUID) -> ExtraGuests | None:
        """The extra-guest price that applies to this room, if any."""
        found: ExtraGuests | None = _pick(self.extra_guests, room_id, lambda e: True)
        return found

    def quote(self, room_id: UUID, base: int, check_in: date, check_out: date, guests: int) -> Quote:
        lines: list[QuoteLine] = []
        first = 0
        for i in range((check_out - check_in).days):
            price, line = self.night_price(room_id, base, check_in + timedelta(days=i))
            first = first or price
            _merge(lines, line)
        extra = self.extra_guests_for(room_id)
        if extra is not None and guests > extra.included and lines:
            count = guests - extra.included
            per_night = count * extra.per_night
            nights = (check_out - check_in).days
            lines.append(QuoteLine("extra_guests", nights, per_night, extra=count))
            first += per_night
        return Quote(tuple(lines), first)

    # --- stay limits ---------------------------------------------------------------------------

    def refusal(self, room_id: UUID, check_in: date, check_out: date) -> StayRefusal | None:
        """Why this stay is too short for the hotel's rules, or None when it is long enough."""
        nights = (check_out - check_in).days
        strictest = StayRefusal(self.min_nights) if nights < self.min_nights else None
        for rule in self.min_stays:
            stricter = strictest is None or rule.nights > strictest.min_nights
            if rule.applies(room_id, check_in) and nights < rule.nights and stricter:
                strictest = StayRefusal(rule.nights, rule.arrival_weekday, rule.first_day, rule.last_day)
        return strictest

    def check_stay(self, room_id: UUID, check_in: date, check_out: date, system_max: int) -> None:
        """StayTooShort / StayTooLong with the reason, or nothing when the stay meets the rules."""
        nights = (check_out - check_in).days
        limit = min(system_max, self.max_nights or system_max)
        if nights > limit:
            raise StayTooLong(max_nights=limit, nights=nights)
        refused = self.refusal(room_id, check_in, check_out)
        if refused is not None:
            raise StayTooShort(
                min_nights=refused.min_nights,
                arrival_weekday=refused.arrival_weekday,
                first_day=refused.first_day.isoformat() if refused.first_day else None,
                last_day=refused.last_day.isoformat() if refused.last_day else None,
            )

    def rooms_named(self) -> set[UUID]:
        """The rooms the rules name (every rule names one room or every room)."""
        rules: tuple[Season | WeekendRate | ExtraGuests | MinStay, ...] = (
            *self.seasons,
            *self.weekend_rates,
            *self.extra_guests,
            *self.min_stays,
        )
        return {rule.room_id for rule in rules if rule.room_id is not None}

    # --- changes (each returns new terms; the hotel context stores them with a new revision) ------

    def with_changes(self, **changes: Any) -> HotelTerms:
        return replace(self, **changes)

    def removing(self, kind: str, index: int) -> HotelTerms:
        rules = getattr(self, kind)
        if not 0 <= index < len(rules):
            raise _fail("no_such_rule")
        return replace(self, **{kind: rules[:index] + rules[index + 1 :]})

    # --- the wire and storage form ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        def room(value: UUID | None) -> str | None:
            return str(value) if value else None

        def rate(value: Rate) -> dict[str, int]:
            return {"amount": value.amount} if value.amount is not None else {"percent": value.percent or 0}

        return {
            "revision": self.revision,
            "seasons": [
                {
                    "name": s.name,
                    "first_night": s.first_night.isoformat(),
                    "last_night": s.last_night.isoformat(),
                    "rate": rate(s.rate),
                    "room_id": room(s.room_id),
                }
                for s in self.seasons
            ],
            "weekend_days": sorted(self.weekend_days),
            "weekend_rates": [{"rate": rate(w.rate), "room_id": room(w.room_id)} for w in self.weekend_rates],
            "extra_guests": [
                {"included": e.included, "per_night": e.per_night, "room_id": room(e.room_id)}
                for e in self.extra_guests
            ],
            "min_nights": self.min_nights,
            "max_nights": self.max_nights,
            "min_stays": [
                {
                    "nights": m.nights,
                    "arrival_weekday": m.arrival_weekday,
                    "first_day": m.first_day.isoformat() if m.first_day else None,
                    "last_day": m.last_day.isoformat() if m.last_day else None,
                    "room_id": room(m.room_id),
                }
                for m in self.min_stays
            ],
            "check_in_time": self.check_in_time,
            "check_out_time": self.check_out_time,
            "policy": self.policy.to_dict(),
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> HotelTerms:
        def room(value: str | None) -> UUID | None:
            return UUID(value) if value else None

        def rate(value: dict[str, int]) -> Rate:
            return Rate(amount=value.get("amount"), percent=value.get("percent"))

        def day(value: str | None) -> date | None:
            return date.fromisoformat(value) if value else None

        return HotelTerms(
            revision=int(data.get("revision", 0)),
            seasons=tuple(
                Season(
                    s["name"],
                    date.fromisoformat(s["first_night"]),
                    date.fromisoformat(s["last_night"]),
                    rate(s["rate"]),
                    room(s.get("room_id")),
                )
                for s in data.get("seasons", ())
            ),
            weekend_days=frozenset(int(d) for d in data.get("weekend_days", DEFAULT_WEEKEND)),
            weekend_rates=tuple(
                WeekendRate(rate(w["rate"]), room(w.get("room_id"))) for w in data.get("weekend_rates", ())
            ),
            extra_guests=tuple(
                ExtraGuests(int(e["included"]), int(e["per_night"]), room(e.get("room_id")))
                for e in data.get("extra_guests", ())
            ),
            min_nights=int(data.get("min_nights", 1)),
            max_nights=data.get("max_nights"),
            min_stays=tuple(
                MinStay(
                    int(m["nights"]),
                    m.get("arrival_weekday"),
                    day(m.get("first_day")),
                    day(m.get("last_day")),
                    room(m.get("room_id")),
                )
                for m in data.get("min_stays", ())
            ),
            check_in_time=data.get("check_in_time", "15:00"),
            check_out_time=data.get("check_out_time", "11:00"),
            policy=CancellationPolicy.from_dict(data.get("policy", {})),
        )


def _pick(rules: Any, room_id: UUID, fits: Any) -> Any:
    """The rule that decides for this room: the latest one for this very room, else the latest
    one for every room, else None."""
    chosen = None
    for rule in rules:
        if not fits(rule) or rule.room_id not in (None, room_id):
            continue
        if chosen is None or rule.room_id is not None or chosen.room_id is None:
            chosen = rule
    return chosen


def _merge(lines: list[QuoteLine], night: QuoteLine) -> None:
    """Add one night to the line of the same kind and price (and season), keeping first-seen order."""
    for i, line in enumerate(lines):
        if (line.kind, line.price, line.name) == (night.kind, night.price, night.name):
            weekdays = tuple(sorted(set(line.weekdays) | set(night.weekdays)))
            lines[i] = replace(line, nights=line.nights + 1, weekdays=weekdays)
            return
    lines.append(night)
