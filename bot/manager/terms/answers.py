"""The typed answers of /terms: each checked as it is typed (by the domain's own rules); a
refused one says why and asks the same question again, with every earlier answer kept."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from telegram import InlineKeyboardMarkup, Update

from bot import callbacks as cb
from bot import terms_input as read
from bot.context import BotContext
from bot.manager.shared import END
from bot.manager.terms.flow import (
    EXTRA_INCLUDED,
    EXTRA_PRICE,
    MAX_NIGHTS,
    MIN_NIGHTS,
    MINSTAY_FIRST,
    MINSTAY_LAST,
    MINSTAY_NIGHTS,
    POLICY_DAYS,
    POLICY_FEE,
    SEASON_FIRST,
    SEASON_LAST,
    SEASON_NAME,
    SEASON_PRICE,
    SEASON_ROOM,
    TIMES,
    WEEKEND_PRICE,
    ask,
    draft_now,
    refusal,
    rooms_of,
    save,
)
from bot.manager.terms.view import keyboard
from bot.ui import show, typed
from domain.shared.errors import InvalidTerms
from domain.shared.money import example_amount, parse_money
from domain.shared.terms import (
    CancellationPolicy,
    ExtraGuests,
    HotelTerms,
    MinStay,
    Rate,
    Season,
    WeekendRate,
)

MAX_ROOM_BUTTONS = 24

# --- the typed answers ---------------------------------------------------------------------------


def _typed_draft(context: BotContext, *needed: str) -> dict[str, Any] | None:
    draft = draft_now(context)
    if draft is None or any(key not in draft for key in needed):
        return None
    return draft


async def season_name(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "hotel_id")
    if draft is None:
        return END
    try:  # the name's rule is the season's own: checked with placeholder dates
        name = Season(typed(update), date(2000, 1, 1), date(2000, 1, 1), Rate(amount=1)).name
    except InvalidTerms as exc:
        return await ask(update, context, SEASON_NAME, refusal(context, exc))
    draft["name"] = name
    return await ask(update, context, SEASON_FIRST)


async def season_first(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "name")
    if draft is None:
        return END
    first = read.day(typed(update))
    if first is None:
        return await ask(update, context, SEASON_FIRST, context.t("tm_bad_day"))
    draft["first"] = first.isoformat()
    return await ask(update, context, SEASON_LAST)


async def season_last(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "name", "first")
    if draft is None:
        return END
    last = read.day(typed(update))
    if last is None:
        return await ask(update, context, SEASON_LAST, context.t("tm_bad_day"))
    try:
        Season(draft["name"], date.fromisoformat(draft["first"]), last, Rate(amount=1))
    except InvalidTerms as exc:  # before the first night, or longer than a season may be
        return await ask(update, context, SEASON_LAST, refusal(context, exc))
    draft["last"] = last.isoformat()
    return await ask(update, context, SEASON_PRICE)


def _read_rate(context: BotContext, text: str, currency: str) -> Rate | str:
    try:
        rate = read.rate(text, currency)
    except InvalidTerms as exc:
        return refusal(context, exc)
    if rate is None:
        return context.t("tm_bad_rate", example=example_amount(currency))
    return rate


def _rate_dict(rate: Rate) -> dict[str, int]:
    return {"amount": rate.amount} if rate.amount is not None else {"percent": rate.percent or 0}


async def season_price(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "name", "first", "last")
    if draft is None:
        return END
    rate = _read_rate(context, typed(update), draft["currency"])
    if isinstance(rate, str):
        return await ask(update, context, SEASON_PRICE, rate)
    draft["rate"] = _rate_dict(rate)
    hotel_id = int(draft["hotel_id"])
    rooms = (await rooms_of(context, hotel_id))[:MAX_ROOM_BUTTONS]
    row = [(context.t("tm_every_room"), cb.pack(cb.TERMS, hotel_id, "room", "all"))]
    singles = [(context.t("tm_one_room", number=r.number), cb.pack(cb.TERMS, hotel_id, "room", r.id)) for r in rooms]
    rows = [row, *[singles[i : i + 3] for i in range(0, len(singles), 3)]]
    await show(update, context.t("tm_ask_season_room"), keyboard(rows))
    return SEASON_ROOM


async def weekend_price(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "days")
    if draft is None:
        return END
    rate = _read_rate(context, typed(update), draft["currency"])
    if isinstance(rate, str):
        return await ask(update, context, WEEKEND_PRICE, rate)
    days, weekend = frozenset(draft["days"]), WeekendRate(rate)
    return await save(
        update,
        context,
        lambda now: now.with_changes(
            weekend_days=days, weekend_rates=(*(w for w in now.weekend_rates if w.room_id is not None), weekend)
        ),
    )


async def extra_included(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "hotel_id")
    if draft is None:
        return END
    included = read.whole(typed(update))
    if included is None:
        return await ask(update, context, EXTRA_INCLUDED, context.t("bad_number"))
    try:
        ExtraGuests(included, 1)
    except InvalidTerms as exc:
        return await ask(update, context, EXTRA_INCLUDED, refusal(context, exc))
    draft["included"] = included
    return await ask(update, context, EXTRA_PRICE)


async def extra_price(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "included")
    if draft is None:
        return END
    currency = draft["currency"]
    amount = parse_money(typed(update), currency)
    if amount is None:
        return await ask(update, context, EXTRA_PRICE, context.t("bad_price", example=example_amount(currency)))
    try:
        extra = ExtraGuests(int(draft["included"]), amount)
    except InvalidTerms as exc:
        return await ask(update, context, EXTRA_PRICE, refusal(context, exc))
    return await save(
        update,
        context,
        lambda now: now.with_changes(extra_guests=(*(e for e in now.extra_guests if e.room_id is not None), extra)),
    )


async def min_nights(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "hotel_id")
    if draft is None:
        return END
    least = read.whole(typed(update))
    if least is None:
        return await ask(update, context, MIN_NIGHTS, context.t("bad_number"))
    try:
        HotelTerms(min_nights=least)
    except InvalidTerms as exc:
        return await ask(update, context, MIN_NIGHTS, refusal(context, exc))
    draft["min_nights"] = least
    rows = [[(context.t("tm_btn_no_max"), cb.pack(cb.TERMS, int(draft["hotel_id"]), "nomax"))]]
    return await ask(update, context, MAX_NIGHTS, markup=keyboard(rows))


async def max_nights(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "min_nights")
    if draft is None:
        return END
    least, most = int(draft["min_nights"]), read.whole(typed(update))
    rows = [[(context.t("tm_btn_no_max"), cb.pack(cb.TERMS, int(draft["hotel_id"]), "nomax"))]]
    if most is None:
        return await ask(update, context, MAX_NIGHTS, context.t("bad_number"), keyboard(rows))
    try:
        HotelTerms(min_nights=least, max_nights=most)
    except InvalidTerms as exc:
        return await ask(update, context, MAX_NIGHTS, refusal(context, exc), keyboard(rows))
    return await save(update, context, lambda now: now.with_changes(min_nights=least, max_nights=most))


async def minstay_first(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "hotel_id")
    if draft is None:
        return END
    first = read.day(typed(update))
    if first is None:
        return await ask(update, context, MINSTAY_FIRST, context.t("tm_bad_day"))
    draft["first"] = first.isoformat()
    return await ask(update, context, MINSTAY_LAST)


async def minstay_last(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "first")
    if draft is None:
        return END
    last = read.day(typed(update))
    if last is None:
        return await ask(update, context, MINSTAY_LAST, context.t("tm_bad_day"))
    try:
        MinStay(2, first_day=date.fromisoformat(draft["first"]), last_day=last)
    except InvalidTerms as exc:
        return await ask(update, context, MINSTAY_LAST, refusal(context, exc))
    draft["last"] = last.isoformat()
    return await ask(update, context, MINSTAY_NIGHTS)


async def minstay_nights(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "hotel_id")
    if draft is None or ("weekday" not in draft and "last" not in draft):
        return END
    nights = read.whole(typed(update))
    if nights is None:
        return await ask(update, context, MINSTAY_NIGHTS, context.t("bad_number"))
    try:
        if "weekday" in draft:
            rule = MinStay(nights, arrival_weekday=int(draft["weekday"]))
        else:
            rule = MinStay(
                nights, first_day=date.fromisoformat(draft["first"]), last_day=date.fromisoformat(draft["last"])
            )
    except InvalidTerms as exc:
        return await ask(update, context, MINSTAY_NIGHTS, refusal(context, exc))
    return await save(update, context, lambda now: now.with_changes(min_stays=(*now.min_stays, rule)))


async def times(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "hotel_id")
    if draft is None:
        return END
    found = read.times(typed(update))
    if found is None:
        return await ask(update, context, TIMES, context.t("tm_bad_times"))
    check_in, check_out = found
    try:
        HotelTerms(check_in_time=check_in, check_out_time=check_out)
    except InvalidTerms as exc:
        return await ask(update, context, TIMES, refusal(context, exc))
    return await save(update, context, lambda now: now.with_changes(check_in_time=check_in, check_out_time=check_out))


async def policy_days(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "hotel_id")
    if draft is None:
        return END
    days = read.whole(typed(update))
    if days is None:
        return await ask(update, context, POLICY_DAYS, context.t("bad_number"))
    try:
        CancellationPolicy(free_days=days)
    except InvalidTerms as exc:
        return await ask(update, context, POLICY_DAYS, refusal(context, exc))
    draft["free_days"] = days
    return await ask(update, context, POLICY_FEE, markup=_fee_keyboard(context, int(draft["hotel_id"])))


def _fee_keyboard(context: BotContext, hotel_id: int) -> InlineKeyboardMarkup:
    return keyboard([[(context.t("tm_fee_first_night"), cb.pack(cb.TERMS, hotel_id, "pfirst"))]])


async def policy_fee(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "free_days")
    if draft is None:
        return END
    markup = _fee_keyboard(context, int(draft["hotel_id"]))
    charged = read.fee(typed(update))
    if charged is None:
        return await ask(update, context, POLICY_FEE, context.t("tm_bad_fee"), markup)
    kind: Literal["percent", "first_night"] = "first_night" if charged[0] == "first_night" else "percent"
    try:
        policy = CancellationPolicy(free_days=int(draft["free_days"]), fee=kind, percent=charged[1])
    except InvalidTerms as exc:
        return await ask(update, context, POLICY_FEE, refusal(context, exc), markup)
    return await save(update, context, lambda now: now.with_changes(policy=policy))


async def tap_a_button(update: Update, context: BotContext) -> int | None:
    await show(update, context.t("tm_tap_a_button"))
    return None  # the same question stays open
