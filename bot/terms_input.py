"""How managers and admins write a hotel's terms in a message: a nightly price as an amount or a
percentage of the room's base price ("+25%", "-10%"), a day, nights, times, a cancellation policy.
Each parser returns the value, or None when the text is not one; whether the value is acceptable
is the domain's rule (domain.shared.terms raises InvalidTerms), not the parser's."""

from __future__ import annotations

import re
from datetime import date

from domain.shared.money import parse_money
from domain.shared.terms import CancellationPolicy, Rate

_PERCENT = re.compile(r"^([+-]?)\s*(\d{1,4})\s*%$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")
NON_REFUNDABLE_WORDS = frozenset({"non-refundable", "nonrefundable", "none", "환불불가", "환불 불가"})
FIRST_NIGHT_WORDS = frozenset({"first", "first-night", "first night", "첫날", "첫 박", "첫박"})


def percent(text: str) -> int | None:
    """ "+25%", "25 %", "-10%" -> 25, 25, -10; None for anything else."""
    found = _PERCENT.match(text.strip())
    if found is None:
        return None
    return -int(found.group(2)) if found.group(1) == "-" else int(found.group(2))


def rate(text: str, currency: str) -> Rate | None:
    """A nightly price: a percentage of the base price, or an amount of the hotel's currency.
    None when it is neither; InvalidTerms when it is one out of bounds."""
    moved = percent(text)
    if moved is not None:
        return Rate(percent=moved)
    amount = parse_money(text, currency)
    if amount is None:
        return None
    return Rate(amount=amount)


def day(text: str) -> date | None:
    """YYYY-MM-DD (also with dots or slashes)."""
    cleaned = re.sub(r"[./]", "-", text.strip())
    if not re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", cleaned):
        return None
    year, month, dom = (int(part) for part in cleaned.split("-"))
    try:
        return date(year, month, dom)
    except ValueError:
        return None


def whole(text: str, digits: int = 4) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None


def clock_time(text: str) -> str | None:
    """ "15:00", "9:30", "9.30" -> "HH:MM"; None for anything else (the domain checks the range)."""
    found = _TIME.match(text.strip())
    if found is None:
        return None
    return f"{int(found.group(1)):02d}:{found.group(2)}"


def times(text: str) -> tuple[str, str] | None:
    """Check-in and check-out times in one message: "15:00 11:00" (or "15:00-11:00", "15:00 / 11:00")."""
    parts = [p for p in re.split(r"[\s,/–-]+", text.strip()) if p]
    if len(parts) != 2:
        return None
    first, second = clock_time(parts[0]), clock_time(parts[1])
    return (first, second) if first and second else None


def fee(text: str) -> tuple[str, int] | None:
    """The fee once the free days are over: "first night" or a percentage of the total ("50%")."""
    cleaned = " ".join(text.strip().lower().split())
    if cleaned in FIRST_NIGHT_WORDS:
        return "first_night", 100
    share = percent(cleaned if cleaned.endswith("%") else cleaned + "%")
    if share is None or cleaned.startswith(("+", "-")):
        return None
    return "percent", share


def policy(words: list[str]) -> CancellationPolicy | None:
    """An admin's or a script's policy: ["non-refundable"], or [free days, fee] such as ["3", "50%"]
    or ["1", "first-night"]. None when the words are not one; InvalidTerms when out of bounds."""
    if len(words) == 1 and words[0].lower() in NON_REFUNDABLE_WORDS:
        return CancellationPolicy(kind="non_refundable")
    if len(words) < 2:
        return None
    days, charged = whole(words[0], 3), fee(" ".join(words[1:]))
    if days is None or charged is None:
        return None
    return CancellationPolicy(kind="free_until", free_days=days, fee=charged[0], percent=charged[1])  # type: ignore[arg-type]
