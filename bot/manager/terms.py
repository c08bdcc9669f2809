"""/terms: a hotel's prices and policy, shown and changed by its managers. Seasons and events,
the weekend, guests beyond those included, minimum and maximum nights, minimum stays by arrival
day or dates, check-in and check-out times, the cancellation policy; any rule removed.

Every change is one ChangeTerms built from the hotel's terms as they are now, sent with the
revision the manager was shown: when another manager changed them meanwhile, nothing is
overwritten and the manager is shown the terms as they are now. A refused answer says why and
asks the same question again (as /addroom does); the terms stay as they were."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal
from uuid import UUID

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler

from bot import callbacks as cb
from bot import terms_input as read
from bot.context import BotContext
from bot.manager.shared import END, TEXT, draft_of, forget_draft, hotel_picker, managed, stop_handlers, user_of
from bot.texts import error_text, t
from bot.ui import answer, show, typed
from domain.hotel import commands as hc
from domain.hotel.model import Hotel, Room
from domain.shared.errors import DomainError, InvalidTerms, NotAllowed, NotFound
from domain.shared.money import example_amount, format_money, parse_money
from domain.shared.terms import (
    MAX_FREE_DAYS,
    MAX_PERCENT,
    MAX_STAY,
    MIN_PERCENT,
    CancellationPolicy,
    ExtraGuests,
    HotelTerms,
    MinStay,
    Rate,
    Season,
    WeekendRate,
)

DRAFT = "terms"
(
    SEASON_NAME,
    SEASON_FIRST,
    SEASON_LAST,
    SEASON_PRICE,
    SEASON_ROOM,
    WEEKEND_DAYS,
    WEEKEND_PRICE,
    EXTRA_INCLUDED,
    EXTRA_PRICE,
    MIN_NIGHTS,
    MAX_NIGHTS,
    MINSTAY_WHEN,
    MINSTAY_FIRST,
    MINSTAY_LAST,
    MINSTAY_NIGHTS,
    TIMES,
    POLICY_KIND,
    POLICY_DAYS,
    POLICY_FEE,
    REMOVE,
) = range(40, 60)
MENU = ("season", "weekend", "extra", "nights", "minstay", "times", "policy", "remove")
# The rules a manager can remove one by one, with the short code their buttons carry.
KINDS = {"s": "seasons", "w": "weekend_rates", "x": "extra_guests", "m": "min_stays"}
MAX_ROOM_BUTTONS = 24
SUMMARY_LINES = 10  # rules of one kind shown in the summary (the rest under Remove a rule)
REMOVE_PAGE = 20  # rules listed per page for removal (a hotel may have 50 of each of 4 kinds)

# --- what the manager reads ----------------------------------------------------------------------


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


def _menu(context: BotContext, hotel_id: int) -> InlineKeyboardMarkup:
    def button(action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(context.t(f"tm_btn_{action}"), callback_data=cb.pack(cb.TERMS, hotel_id, action))

    return InlineKeyboardMarkup([[button(MENU[i]), button(MENU[i + 1])] for i in range(0, len(MENU), 2)])


# --- the draft: which hotel, and the revision the manager was shown -------------------------------


def _draft(context: BotContext) -> dict[str, Any] | None:
    return draft_of(context, DRAFT)


async def _hotel_of(update: Update, context: BotContext, hotel_id: int) -> Hotel | None:
    hotel = await context.services.hotels.hotel(hotel_id)
    if hotel is None or not hotel.is_manager(user_of(update).id):
        await answer(update, context.t("not_allowed"), alert=True)
        return None
    return hotel


async def _rooms(context: BotContext, hotel_id: int) -> list[Room]:
    return await context.services.hotels.rooms(hotel_id)


def _remember(context: BotContext, hotel: Hotel, terms: HotelTerms) -> dict[str, Any]:
    """A new draft: the hotel, and the revision of the terms the manager is shown."""
    assert context.user_data is not None
    draft = {"hotel_id": hotel.id, "hotel_name": hotel.name, "currency": hotel.currency, "revision": terms.revision}
    context.user_data[DRAFT] = draft
    return draft


async def _show_terms(update: Update, context: BotContext, hotel: Hotel, before: str = "") -> int:
    """The terms as they are now, with the menu; the draft remembers their revision."""
    terms = await context.services.hotels.terms(hotel.id or 0)
    rooms = {r.id: r.number for r in await _rooms(context, hotel.id or 0)}
    _remember(context, hotel, terms)
    text = (before + "\n\n" if before else "") + summary(context, hotel, terms, rooms)
    await show(update, text[:4000], _menu(context, hotel.id or 0))
    return END


async def terms_command(update: Update, context: BotContext) -> int:
    hotels = await managed(update, context)
    if not hotels:
        return END
    if len(hotels) > 1:
        await show(update, context.t("pick_managed_hotel"), hotel_picker(hotels, "terms"))
        return END
    return await _show_terms(update, context, hotels[0])


async def hotel_picked(update: Update, context: BotContext) -> int:
    try:
        hotel_id = cb.pressed(update).as_int(1)
    except (ValueError, IndexError):
        await answer(update, context.t("stale_button"), alert=True)
        return END
    hotel = await _hotel_of(update, context, hotel_id)
    if hotel is None:
        return END
    await answer(update)
    return await _show_terms(update, context, hotel)


# --- saving a change -----------------------------------------------------------------------------


async def _save(update: Update, context: BotContext, build: Callable[[HotelTerms], HotelTerms]) -> int:
    """Build the new terms from the hotel's terms as they are now (`build(terms) -> HotelTerms`)
    and send them with the revision the manager was shown. Whatever is refused changes nothing."""
    draft = _draft(context)
    if draft is None:
        return END
    hotel = await context.services.hotels.hotel(draft["hotel_id"])
    if hotel is None or not hotel.is_manager(user_of(update).id):
        forget_draft(context, DRAFT)
        await show(update, context.t("not_allowed"))
        return END
    current = await context.services.hotels.terms(hotel.id or 0)
    try:
        changed = build(current)
        await context.services.handle(
            hc.ChangeTerms(
                hotel_id=hotel.id or 0,
                terms=changed,
                expected_revision=int(draft["revision"]),
                actor_id=user_of(update).id,
            )
        )
    except InvalidTerms as exc:
        if exc.params.get("rule") == "stale":
            return await _show_terms(update, context, hotel, context.t("tm_stale"))
        return await _show_terms(update, context, hotel, error_text(context.lang, exc))
    except (NotAllowed, NotFound) as exc:
        return await _show_terms(update, context, hotel, error_text(context.lang, exc))
    except DomainError as exc:
        return await _show_terms(update, context, hotel, error_text(context.lang, exc))
    return await _show_terms(update, context, hotel, context.t("tm_saved"))


# --- the questions -------------------------------------------------------------------------------


def _question(context: BotContext, state: int, draft: dict[str, Any]) -> str:
    currency = draft.get("currency", "")
    example = example_amount(currency)
    questions = {
        SEASON_NAME: lambda: context.t("tm_ask_season_name", hotel=draft.get("hotel_name", "")),
        SEASON_FIRST: lambda: context.t("tm_ask_season_first"),
        SEASON_LAST: lambda: context.t("tm_ask_season_last", first=draft.get("first", "")),
        SEASON_PRICE: lambda: context.t(
            "tm_ask_rate", currency=currency, example=example, min=MIN_PERCENT, max=MAX_PERCENT
        ),
        WEEKEND_PRICE: lambda: context.t(
            "tm_ask_weekend_price", currency=currency, example=example, min=MIN_PERCENT, max=MAX_PERCENT
        ),
        EXTRA_INCLUDED: lambda: context.t("tm_ask_included"),
        EXTRA_PRICE: lambda: context.t(
            "tm_ask_extra_price", included=draft.get("included", ""), currency=currency, example=example
        ),
        MIN_NIGHTS: lambda: context.t("tm_ask_min_nights", max=MAX_STAY),
        MAX_NIGHTS: lambda: context.t("tm_ask_max_nights", min=draft.get("min_nights", 1), max=MAX_STAY),
        MINSTAY_FIRST: lambda: context.t("tm_ask_minstay_first"),
        MINSTAY_LAST: lambda: context.t("tm_ask_minstay_last", first=draft.get("first", "")),
        MINSTAY_NIGHTS: lambda: context.t("tm_ask_minstay_nights", max=MAX_STAY),
        TIMES: lambda: context.t("tm_ask_times"),
        POLICY_DAYS: lambda: context.t("tm_ask_free_days", max=MAX_FREE_DAYS),
        POLICY_FEE: lambda: context.t("tm_ask_fee", days=draft.get("free_days", "")),
    }
    return questions[state]()


async def _ask(
    update: Update, context: BotContext, state: int, refusal: str = "", markup: InlineKeyboardMarkup | None = None
) -> int:
    draft = _draft(context) or {}
    await show(update, (refusal + "\n\n" if refusal else "") + _question(context, state, draft), markup)
    return state


def _refusal(context: BotContext, exc: DomainError) -> str:
    return error_text(context.lang, exc)


def _buttons(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


def _weekday_keyboard(context: BotContext, hotel_id: int, chosen: set[int], action: str) -> InlineKeyboardMarkup:
    marks = [
        (("✅ " if d in chosen else "") + weekday(context, d), cb.pack(cb.TERMS, hotel_id, action, d)) for d in range(7)
    ]
    rows = [marks[:4], marks[4:]]
    if action == "wd":
        rows.append([(context.t("tm_btn_days_done"), cb.pack(cb.TERMS, hotel_id, "wdok"))])
    else:
        rows.append([(context.t("tm_btn_by_dates"), cb.pack(cb.TERMS, hotel_id, "msr"))])
    return _buttons(rows)


# --- the buttons: one entry point for every button of the terms ---------------------------------


async def button(update: Update, context: BotContext) -> int | None:
    """Every button of /terms: checked against the presser (the hotel's managers only) and the
    draft it belongs to; a stale or forged one changes nothing."""
    try:
        parsed = cb.pressed(update)
        hotel_id, action = parsed.as_int(0), parsed.as_text(1)
    except (ValueError, IndexError):
        await answer(update, context.t("stale_button"), alert=True)
        return END
    hotel = await _hotel_of(update, context, hotel_id)
    if hotel is None:
        return END
    draft = _draft(context)
    if action == "menu":
        await answer(update)
        return await _show_terms(update, context, hotel)
    if action in MENU:
        await answer(update)
        if draft is None or draft.get("hotel_id") != hotel_id:  # e.g. a menu of another hotel
            draft = _remember(context, hotel, await context.services.hotels.terms(hotel_id))
        for key in [k for k in draft if k not in ("hotel_id", "hotel_name", "currency", "revision")]:
            draft.pop(key)
        return await _start(update, context, hotel, action, draft)
    if draft is None or draft.get("hotel_id") != hotel_id:
        await answer(update, context.t("stale_button"), alert=True)
        return END
    try:
        return await _step(update, context, hotel, action, parsed, draft)
    except (ValueError, IndexError, KeyError):  # a forged kind, index or id
        await answer(update, context.t("stale_button"), alert=True)
        return END


async def _start(update: Update, context: BotContext, hotel: Hotel, action: str, draft: dict[str, Any]) -> int:
    hotel_id = hotel.id or 0
    if action == "season":
        return await _ask(update, context, SEASON_NAME)
    if action == "weekend":
        terms = await context.services.hotels.terms(hotel_id)
        draft["days"] = sorted(terms.weekend_days)
        await show(
            update, context.t("tm_ask_weekend_days"), _weekday_keyboard(context, hotel_id, set(draft["days"]), "wd")
        )
        return WEEKEND_DAYS
    if action == "extra":
        return await _ask(update, context, EXTRA_INCLUDED)
    if action == "nights":
        return await _ask(update, context, MIN_NIGHTS)
    if action == "minstay":
        await show(update, context.t("tm_ask_minstay_when"), _weekday_keyboard(context, hotel_id, set(), "msd"))
        return MINSTAY_WHEN
    if action == "times":
        return await _ask(update, context, TIMES)
    if action == "policy":
        rows = [
            [(context.t("tm_btn_policy_free"), cb.pack(cb.TERMS, hotel_id, "pfree"))],
            [(context.t("tm_btn_policy_non_refundable"), cb.pack(cb.TERMS, hotel_id, "pnr"))],
        ]
        await show(update, context.t("tm_ask_policy_kind"), _buttons(rows))
        return POLICY_KIND
    return await _removal_list(update, context, hotel, 0)


async def _removal_list(update: Update, context: BotContext, hotel: Hotel, page: int) -> int:
    """Each rule a button carrying the revision it was listed at, a page at a time."""
    hotel_id = hotel.id or 0
    terms = await context.services.hotels.terms(hotel_id)
    rooms = {r.id: r.number for r in await _rooms(context, hotel_id)}
    found = rules_of(context, terms, hotel.currency, rooms)
    if not found:
        await show(update, context.t("tm_nothing_to_remove"), _menu(context, hotel_id))
        return END
    pages = (len(found) + REMOVE_PAGE - 1) // REMOVE_PAGE
    page = min(max(page, 0), pages - 1)
    shown = found[page * REMOVE_PAGE : (page + 1) * REMOVE_PAGE]
    rows = [[("🗑 " + text.strip(" •")[:60], f"{cb.TERMS}:{hotel_id}:rm:{key}:{terms.revision}")] for key, text in shown]
    nav = [(context.t("btn_back"), cb.pack(cb.TERMS, hotel_id, "menu"))]
    if page > 0:
        nav.insert(0, (context.t("btn_prev"), cb.pack(cb.TERMS, hotel_id, "rmp", page - 1)))
    if page < pages - 1:
        nav.append((context.t("btn_next"), cb.pack(cb.TERMS, hotel_id, "rmp", page + 1)))
    rows.append(nav)
    await show(update, context.t("tm_ask_remove"), _buttons(rows))
    return REMOVE


async def _step(
    update: Update, context: BotContext, hotel: Hotel, action: str, parsed: cb.Parsed, draft: dict[str, Any]
) -> int:
    hotel_id = hotel.id or 0
    if action == "room" and "rate" in draft and "last" in draft:  # the season's room: every room or one
        await answer(update)
        chosen = parsed.as_text(2)
        room_id = None if chosen == "all" else parsed.as_uuid(2)
        if room_id is not None and room_id not in {r.id for r in await _rooms(context, hotel_id)}:
            raise ValueError("not a room of this hotel")
        season = _season(draft, room_id)
        return await _save(update, context, lambda now: now.with_changes(seasons=(*now.seasons, season)))
    if action == "wd" and "days" in draft:  # toggling a weekend day
        await answer(update)
        day = parsed.as_int(2)
        if not 0 <= day <= 6:
            raise ValueError("not a weekday")
        days = set(draft["days"]) ^ {day}
        draft["days"] = sorted(days)
        await show(update, context.t("tm_ask_weekend_days"), _weekday_keyboard(context, hotel_id, days, "wd"))
        return WEEKEND_DAYS
    if action == "wdok" and "days" in draft:
        await answer(update)
        rows = [[(context.t("tm_btn_no_weekend_price"), cb.pack(cb.TERMS, hotel_id, "wdnone"))]]
        return await _ask(update, context, WEEKEND_PRICE, markup=_buttons(rows))
    if action == "wdnone" and "days" in draft:
        await answer(update)
        weekend_days = frozenset(draft["days"])
        return await _save(
            update,
            context,
            lambda now: now.with_changes(
                weekend_days=weekend_days, weekend_rates=tuple(w for w in now.weekend_rates if w.room_id is not None)
            ),
        )
    if action == "nomax" and "min_nights" in draft:
        await answer(update)
        least = int(draft["min_nights"])
        return await _save(update, context, lambda now: now.with_changes(min_nights=least, max_nights=None))
    if action == "msd":  # a minimum stay for arrivals on one weekday
        await answer(update)
        day = parsed.as_int(2)
        if not 0 <= day <= 6:
            raise ValueError("not a weekday")
        draft["weekday"] = day
        return await _ask(update, context, MINSTAY_NIGHTS)
    if action == "msr":
        await answer(update)
        return await _ask(update, context, MINSTAY_FIRST)
    if action == "pnr":
        await answer(update)
        policy = CancellationPolicy(kind="non_refundable")
        return await _save(update, context, lambda now: now.with_changes(policy=policy))
    if action == "pfree":
        await answer(update)
        return await _ask(update, context, POLICY_DAYS)
    if action == "pfirst" and "free_days" in draft:
        await answer(update)
        policy = CancellationPolicy(kind="free_until", free_days=int(draft["free_days"]), fee="first_night")
        return await _save(update, context, lambda now: now.with_changes(policy=policy))
    if action == "rmp":
        await answer(update)
        return await _removal_list(update, context, hotel, parsed.as_int(2))
    if action == "rm":
        kind, index, revision = KINDS[parsed.as_text(2)], parsed.as_int(3), parsed.as_int(4)
        await answer(update)
        draft["revision"] = revision  # the list the manager picked from
        return await _save(update, context, lambda now: now.removing(kind, index))
    await answer(update, context.t("stale_button"), alert=True)
    return END


def _season(draft: dict[str, Any], room_id: UUID | None) -> Season:
    rate = Rate(amount=draft["rate"].get("amount"), percent=draft["rate"].get("percent"))
    first, last = date.fromisoformat(draft["first"]), date.fromisoformat(draft["last"])
    return Season(draft["name"], first, last, rate, room_id)


# --- the typed answers ---------------------------------------------------------------------------


def _typed_draft(context: BotContext, *needed: str) -> dict[str, Any] | None:
    draft = _draft(context)
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
        return await _ask(update, context, SEASON_NAME, _refusal(context, exc))
    draft["name"] = name
    return await _ask(update, context, SEASON_FIRST)


async def season_first(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "name")
    if draft is None:
        return END
    first = read.day(typed(update))
    if first is None:
        return await _ask(update, context, SEASON_FIRST, context.t("tm_bad_day"))
    draft["first"] = first.isoformat()
    return await _ask(update, context, SEASON_LAST)


async def season_last(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "name", "first")
    if draft is None:
        return END
    last = read.day(typed(update))
    if last is None:
        return await _ask(update, context, SEASON_LAST, context.t("tm_bad_day"))
    try:
        Season(draft["name"], date.fromisoformat(draft["first"]), last, Rate(amount=1))
    except InvalidTerms as exc:  # before the first night, or longer than a season may be
        return await _ask(update, context, SEASON_LAST, _refusal(context, exc))
    draft["last"] = last.isoformat()
    return await _ask(update, context, SEASON_PRICE)


def _read_rate(context: BotContext, text: str, currency: str) -> Rate | str:
    try:
        rate = read.rate(text, currency)
    except InvalidTerms as exc:
        return _refusal(context, exc)
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
        return await _ask(update, context, SEASON_PRICE, rate)
    draft["rate"] = _rate_dict(rate)
    hotel_id = int(draft["hotel_id"])
    rooms = (await _rooms(context, hotel_id))[:MAX_ROOM_BUTTONS]
    row = [(context.t("tm_every_room"), cb.pack(cb.TERMS, hotel_id, "room", "all"))]
    singles = [(context.t("tm_one_room", number=r.number), cb.pack(cb.TERMS, hotel_id, "room", r.id)) for r in rooms]
    rows = [row, *[singles[i : i + 3] for i in range(0, len(singles), 3)]]
    await show(update, context.t("tm_ask_season_room"), _buttons(rows))
    return SEASON_ROOM


async def weekend_price(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "days")
    if draft is None:
        return END
    rate = _read_rate(context, typed(update), draft["currency"])
    if isinstance(rate, str):
        return await _ask(update, context, WEEKEND_PRICE, rate)
    days, weekend = frozenset(draft["days"]), WeekendRate(rate)
    return await _save(
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
        return await _ask(update, context, EXTRA_INCLUDED, context.t("bad_number"))
    try:
        ExtraGuests(included, 1)
    except InvalidTerms as exc:
        return await _ask(update, context, EXTRA_INCLUDED, _refusal(context, exc))
    draft["included"] = included
    return await _ask(update, context, EXTRA_PRICE)


async def extra_price(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "included")
    if draft is None:
        return END
    currency = draft["currency"]
    amount = parse_money(typed(update), currency)
    if amount is None:
        return await _ask(update, context, EXTRA_PRICE, context.t("bad_price", example=example_amount(currency)))
    try:
        extra = ExtraGuests(int(draft["included"]), amount)
    except InvalidTerms as exc:
        return await _ask(update, context, EXTRA_PRICE, _refusal(context, exc))
    return await _save(
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
        return await _ask(update, context, MIN_NIGHTS, context.t("bad_number"))
    try:
        HotelTerms(min_nights=least)
    except InvalidTerms as exc:
        return await _ask(update, context, MIN_NIGHTS, _refusal(context, exc))
    draft["min_nights"] = least
    rows = [[(context.t("tm_btn_no_max"), cb.pack(cb.TERMS, int(draft["hotel_id"]), "nomax"))]]
    return await _ask(update, context, MAX_NIGHTS, markup=_buttons(rows))


async def max_nights(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "min_nights")
    if draft is None:
        return END
    least, most = int(draft["min_nights"]), read.whole(typed(update))
    rows = [[(context.t("tm_btn_no_max"), cb.pack(cb.TERMS, int(draft["hotel_id"]), "nomax"))]]
    if most is None:
        return await _ask(update, context, MAX_NIGHTS, context.t("bad_number"), _buttons(rows))
    try:
        HotelTerms(min_nights=least, max_nights=most)
    except InvalidTerms as exc:
        return await _ask(update, context, MAX_NIGHTS, _refusal(context, exc), _buttons(rows))
    return await _save(update, context, lambda now: now.with_changes(min_nights=least, max_nights=most))


async def minstay_first(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "hotel_id")
    if draft is None:
        return END
    first = read.day(typed(update))
    if first is None:
        return await _ask(update, context, MINSTAY_FIRST, context.t("tm_bad_day"))
    draft["first"] = first.isoformat()
    return await _ask(update, context, MINSTAY_LAST)


async def minstay_last(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "first")
    if draft is None:
        return END
    last = read.day(typed(update))
    if last is None:
        return await _ask(update, context, MINSTAY_LAST, context.t("tm_bad_day"))
    try:
        MinStay(2, first_day=date.fromisoformat(draft["first"]), last_day=last)
    except InvalidTerms as exc:
        return await _ask(update, context, MINSTAY_LAST, _refusal(context, exc))
    draft["last"] = last.isoformat()
    return await _ask(update, context, MINSTAY_NIGHTS)


async def minstay_nights(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "hotel_id")
    if draft is None or ("weekday" not in draft and "last" not in draft):
        return END
    nights = read.whole(typed(update))
    if nights is None:
        return await _ask(update, context, MINSTAY_NIGHTS, context.t("bad_number"))
    try:
        if "weekday" in draft:
            rule = MinStay(nights, arrival_weekday=int(draft["weekday"]))
        else:
            rule = MinStay(
                nights, first_day=date.fromisoformat(draft["first"]), last_day=date.fromisoformat(draft["last"])
            )
    except InvalidTerms as exc:
        return await _ask(update, context, MINSTAY_NIGHTS, _refusal(context, exc))
    return await _save(update, context, lambda now: now.with_changes(min_stays=(*now.min_stays, rule)))


async def times(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "hotel_id")
    if draft is None:
        return END
    found = read.times(typed(update))
    if found is None:
        return await _ask(update, context, TIMES, context.t("tm_bad_times"))
    check_in, check_out = found
    try:
        HotelTerms(check_in_time=check_in, check_out_time=check_out)
    except InvalidTerms as exc:
        return await _ask(update, context, TIMES, _refusal(context, exc))
    return await _save(update, context, lambda now: now.with_changes(check_in_time=check_in, check_out_time=check_out))


async def policy_days(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "hotel_id")
    if draft is None:
        return END
    days = read.whole(typed(update))
    if days is None:
        return await _ask(update, context, POLICY_DAYS, context.t("bad_number"))
    try:
        CancellationPolicy(free_days=days)
    except InvalidTerms as exc:
        return await _ask(update, context, POLICY_DAYS, _refusal(context, exc))
    draft["free_days"] = days
    return await _ask(update, context, POLICY_FEE, markup=_fee_buttons(context, int(draft["hotel_id"])))


def _fee_buttons(context: BotContext, hotel_id: int) -> InlineKeyboardMarkup:
    return _buttons([[(context.t("tm_fee_first_night"), cb.pack(cb.TERMS, hotel_id, "pfirst"))]])


async def policy_fee(update: Update, context: BotContext) -> int:
    draft = _typed_draft(context, "free_days")
    if draft is None:
        return END
    markup = _fee_buttons(context, int(draft["hotel_id"]))
    charged = read.fee(typed(update))
    if charged is None:
        return await _ask(update, context, POLICY_FEE, context.t("tm_bad_fee"), markup)
    kind: Literal["percent", "first_night"] = "first_night" if charged[0] == "first_night" else "percent"
    try:
        policy = CancellationPolicy(free_days=int(draft["free_days"]), fee=kind, percent=charged[1])
    except InvalidTerms as exc:
        return await _ask(update, context, POLICY_FEE, _refusal(context, exc), markup)
    return await _save(update, context, lambda now: now.with_changes(policy=policy))


BUTTONS_ONLY = (SEASON_ROOM, WEEKEND_DAYS, MINSTAY_WHEN, POLICY_KIND, REMOVE)


async def tap_a_button(update: Update, context: BotContext) -> int | None:
    await show(update, context.t("tm_tap_a_button"))
    return None  # the same question stays open


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        ConversationHandler(
            entry_points=[
                CommandHandler("terms", terms_command),
                CallbackQueryHandler(hotel_picked, pattern=f"^{cb.MHOTEL}:terms:"),
                CallbackQueryHandler(button, pattern=f"^{cb.TERMS}:"),
            ],
            states={
                SEASON_NAME: [MessageHandler(TEXT, season_name)],
                SEASON_FIRST: [MessageHandler(TEXT, season_first)],
                SEASON_LAST: [MessageHandler(TEXT, season_last)],
                SEASON_PRICE: [MessageHandler(TEXT, season_price)],
                WEEKEND_PRICE: [MessageHandler(TEXT, weekend_price)],
                EXTRA_INCLUDED: [MessageHandler(TEXT, extra_included)],
                EXTRA_PRICE: [MessageHandler(TEXT, extra_price)],
                MIN_NIGHTS: [MessageHandler(TEXT, min_nights)],
                MAX_NIGHTS: [MessageHandler(TEXT, max_nights)],
                MINSTAY_FIRST: [MessageHandler(TEXT, minstay_first)],
                MINSTAY_LAST: [MessageHandler(TEXT, minstay_last)],
                MINSTAY_NIGHTS: [MessageHandler(TEXT, minstay_nights)],
                TIMES: [MessageHandler(TEXT, times)],
                POLICY_DAYS: [MessageHandler(TEXT, policy_days)],
                POLICY_FEE: [MessageHandler(TEXT, policy_fee)],
                # asked with buttons only: a text is answered, and the buttons still work
                **{state: [MessageHandler(TEXT, tap_a_button)] for state in BUTTONS_ONLY},
            },
            fallbacks=stop_handlers(DRAFT),
            name="terms",
            persistent=True,
            allow_reentry=True,
        )
    ]
