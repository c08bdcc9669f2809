"""What a manager reads of the terms: the summary, each rule in words, the keyboards."""

from __future__ import annotations

from uuid import UUID

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks as cb
from bot.context import BotContext
from bot.texts import t
from domain.hotel.model import Hotel
from domain.shared.money import format_money
from domain.shared.terms import (
    CancellationPolicy,
    HotelTerms,
    Rate,
)

MENU = ("season", "weekend", "extra", "nights", "minstay", "times", "policy", "remove")
SUMMARY_LINES = 10  # rules of one kind shown in the summary (the rest under Remove a rule)


def weekday(context: BotContext, day: int) -> str:
    return context.t(f"tm_wd_{day}")


def _rate(context: BotContext, rate: Rate, currency: str) -> str:
    if rate.amount is not None:
        return format_money(rate.amount, currency)
    return context.t("tm_rate_percent", percent=f"{rate.percent:+d}")


def _room(context: BotContext, room_id: UUID | None, rooms: dict[UUID, str]) -> str:
    if room_id is None:
        return context.t("tm_every_room")
    return context.t("tm_one_room", number=rooms.get(room_id, "?"))


def policy_text(lang: str | None, policy: CancellationPolicy) -> str:
    if policy.kind == "non_refundable":
        return t(lang, "tm_policy_non_refundable")
    charged = t(lang, "tm_fee_first_night") if policy.fee == "first_night" else f"{policy.percent}%"
    return t(lang, "tm_policy_free_until", days=policy.free_days, fee=charged)


def rules_of(context: BotContext, terms: HotelTerms, currency: str, rooms: dict[UUID, str]) -> list[tuple[str, str]]:
    """Each removable rule as (button data suffix "kind:index", what it says)."""
    found: list[tuple[str, str]] = []
    for i, s in enumerate(terms.seasons):
        text = context.t(
            "tm_season_line",
            name=s.name,
            first=s.first_night.isoformat(),
            last=s.last_night.isoformat(),
            price=_rate(context, s.rate, currency),
            room=_room(context, s.room_id, rooms),
        )
        found.append((f"s:{i}", text))
    for i, w in enumerate(terms.weekend_rates):
        text = context.t(
            "tm_weekend_line", price=_rate(context, w.rate, currency), room=_room(context, w.room_id, rooms)
        )
        found.append((f"w:{i}", text))
    for i, e in enumerate(terms.extra_guests):
        text = context.t(
            "tm_extra_line",
            included=e.included,
            price=format_money(e.per_night, currency),
            room=_room(context, e.room_id, rooms),
        )
        found.append((f"x:{i}", text))
    for i, m in enumerate(terms.min_stays):
        if m.arrival_weekday is not None:
            when = context.t("tm_minstay_on", day=weekday(context, m.arrival_weekday))
        else:
            when = context.t(
                "tm_minstay_between",
                first=m.first_day.isoformat() if m.first_day else "",
                last=m.last_day.isoformat() if m.last_day else "",
            )
        text = context.t("tm_minstay_line", nights=m.nights, when=when, room=_room(context, m.room_id, rooms))
        found.append((f"m:{i}", text))
    return found


def summary(context: BotContext, hotel: Hotel, terms: HotelTerms, rooms: dict[UUID, str]) -> str:
    rules = rules_of(context, terms, hotel.currency, rooms)

    def listed(kind: str, title: str, empty: bool = True) -> str:
        found = [text for key, text in rules if key.startswith(kind + ":")]
        if not found:
            return title + (" " + context.t("tm_none") if empty else "")
        shown = found[:SUMMARY_LINES]
        if len(found) > len(shown):  # the rest are listed under Remove a rule
            shown.append(context.t("tm_more", count=len(found) - len(shown)))
        return title + "\n" + "\n".join(shown)

    days = ", ".join(weekday(context, d) for d in sorted(terms.weekend_days)) or context.t("tm_none")
    most = str(terms.max_nights) if terms.max_nights is not None else context.t("tm_no_max")
    return "\n".join(
        [
            context.t("tm_header", hotel=hotel.name),
            listed("s", context.t("tm_seasons")),
            listed("w", context.t("tm_weekend", days=days), empty=False),
            listed("x", context.t("tm_extra")),
            context.t("tm_nights", min=terms.min_nights, max=most),
            listed("m", context.t("tm_minstays")),
            context.t("tm_times", check_in=terms.check_in_time, check_out=terms.check_out_time),
            context.t("tm_policy", policy=policy_text(context.lang, terms.policy)),
        ]
    )


def menu(context: BotContext, hotel_id: int) -> InlineKeyboardMarkup:
    def button(action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(context.t(f"tm_btn_{action}"), callback_data=cb.pack(cb.TERMS, hotel_id, action))

    return InlineKeyboardMarkup([[button(MENU[i]), button(MENU[i + 1])] for i in range(0, len(MENU), 2)])


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


def weekday_keyboard(context: BotContext, hotel_id: int, chosen: set[int], action: str) -> InlineKeyboardMarkup:
    marks = [
        (("✅ " if d in chosen else "") + weekday(context, d), cb.pack(cb.TERMS, hotel_id, action, d)) for d in range(7)
    ]
    rows = [marks[:4], marks[4:]]
    if action == "wd":
        rows.append([(context.t("tm_btn_days_done"), cb.pack(cb.TERMS, hotel_id, "wdok"))])
    else:
        rows.append([(context.t("tm_btn_by_dates"), cb.pack(cb.TERMS, hotel_id, "msr"))])
    return keyboard(rows)
