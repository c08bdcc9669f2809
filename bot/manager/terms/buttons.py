"""Every button of /terms, through one entry point: the menu, weekdays, the room of a season,
the policy's kind, the rules to remove. Each is checked against the presser (the hotel's managers
only) and the draft it belongs to; a stale or forged one changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from telegram import Update

from bot import callbacks as cb
from bot.context import BotContext
from bot.manager.shared import END
from bot.manager.terms.flow import (
    EXTRA_INCLUDED,
    MIN_NIGHTS,
    MINSTAY_FIRST,
    MINSTAY_NIGHTS,
    MINSTAY_WHEN,
    POLICY_DAYS,
    POLICY_KIND,
    REMOVE,
    SEASON_NAME,
    TIMES,
    WEEKEND_DAYS,
    WEEKEND_PRICE,
    ask,
    draft_now,
    hotel_of,
    remember,
    rooms_of,
    save,
    show_terms,
)
from bot.manager.terms.view import MENU, keyboard, menu, rules_of, weekday_keyboard
from bot.ui import answer, show
from domain.hotel.model import Hotel
from domain.shared.terms import (
    CancellationPolicy,
    Rate,
    Season,
)

# The rules a manager can remove one by one, with the short code their buttons carry.
KINDS = {"s": "seasons", "w": "weekend_rates", "x": "extra_guests", "m": "min_stays"}
REMOVE_PAGE = 20  # rules listed per page for removal (a hotel may have 50 of each of 4 kinds)

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
    hotel = await hotel_of(update, context, hotel_id)
    if hotel is None:
        return END
    draft = draft_now(context)
    if action == "menu":
        await answer(update)
        return await show_terms(update, context, hotel)
    if action in MENU:
        await answer(update)
        if draft is None or draft.get("hotel_id") != hotel_id:  # e.g. a menu of another hotel
            draft = remember(context, hotel, await context.services.hotels.terms(hotel_id))
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
        return await ask(update, context, SEASON_NAME)
    if action == "weekend":
        terms = await context.services.hotels.terms(hotel_id)
        draft["days"] = sorted(terms.weekend_days)
        await show(
            update, context.t("tm_ask_weekend_days"), weekday_keyboard(context, hotel_id, set(draft["days"]), "wd")
        )
        return WEEKEND_DAYS
    if action == "extra":
        return await ask(update, context, EXTRA_INCLUDED)
    if action == "nights":
        return await ask(update, context, MIN_NIGHTS)
    if action == "minstay":
        await show(update, context.t("tm_ask_minstay_when"), weekday_keyboard(context, hotel_id, set(), "msd"))
        return MINSTAY_WHEN
    if action == "times":
        return await ask(update, context, TIMES)
    if action == "policy":
        rows = [
            [(context.t("tm_btn_policy_free"), cb.pack(cb.TERMS, hotel_id, "pfree"))],
            [(context.t("tm_btn_policy_non_refundable"), cb.pack(cb.TERMS, hotel_id, "pnr"))],
        ]
        await show(update, context.t("tm_ask_policy_kind"), keyboard(rows))
        return POLICY_KIND
    return await _removal_list(update, context, hotel, 0)


async def _removal_list(update: Update, context: BotContext, hotel: Hotel, page: int) -> int:
    """Each rule a button carrying the revision it was listed at, a page at a time."""
    hotel_id = hotel.id or 0
    terms = await context.services.hotels.terms(hotel_id)
    rooms = {r.id: r.number for r in await rooms_of(context, hotel_id)}
    found = rules_of(context, terms, hotel.currency, rooms)
    if not found:
        await show(update, context.t("tm_nothing_to_remove"), menu(context, hotel_id))
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
    await show(update, context.t("tm_ask_remove"), keyboard(rows))
    return REMOVE


async def _step(
    update: Update, context: BotContext, hotel: Hotel, action: str, parsed: cb.Parsed, draft: dict[str, Any]
) -> int:
    hotel_id = hotel.id or 0
    if action == "room" and "rate" in draft and "last" in draft:  # the season's room: every room or one
        await answer(update)
        chosen = parsed.as_text(2)
        room_id = None if chosen == "all" else parsed.as_uuid(2)
        if room_id is not None and room_id not in {r.id for r in await rooms_of(context, hotel_id)}:
            raise ValueError("not a room of this hotel")
        season = _season(draft, room_id)
        return await save(update, context, lambda now: now.with_changes(seasons=(*now.seasons, season)))
    if action == "wd" and "days" in draft:  # toggling a weekend day
        await answer(update)
        day = parsed.as_int(2)
        if not 0 <= day <= 6:
            raise ValueError("not a weekday")
        days = set(draft["days"]) ^ {day}
        draft["days"] = sorted(days)
        await show(update, context.t("tm_ask_weekend_days"), weekday_keyboard(context, hotel_id, days, "wd"))
        return WEEKEND_DAYS
    if action == "wdok" and "days" in draft:
        await answer(update)
        rows = [[(context.t("tm_btn_no_weekend_price"), cb.pack(cb.TERMS, hotel_id, "wdnone"))]]
        return await ask(update, context, WEEKEND_PRICE, markup=keyboard(rows))
    if action == "wdnone" and "days" in draft:
        await answer(update)
        weekend_days = frozenset(draft["days"])
        return await save(
            update,
            context,
            lambda now: now.with_changes(
                weekend_days=weekend_days, weekend_rates=tuple(w for w in now.weekend_rates if w.room_id is not None)
            ),
        )
    if action == "nomax" and "min_nights" in draft:
        await answer(update)
        least = int(draft["min_nights"])
        return await save(update, context, lambda now: now.with_changes(min_nights=least, max_nights=None))
    if action == "msd":  # a minimum stay for arrivals on one weekday
        await answer(update)
        day = parsed.as_int(2)
        if not 0 <= day <= 6:
            raise ValueError("not a weekday")
        draft["weekday"] = day
        return await ask(update, context, MINSTAY_NIGHTS)
    if action == "msr":
        await answer(update)
        return await ask(update, context, MINSTAY_FIRST)
    if action == "pnr":
        await answer(update)
        policy = CancellationPolicy(kind="non_refundable")
        return await save(update, context, lambda now: now.with_changes(policy=policy))
    if action == "pfree":
        await answer(update)
        return await ask(update, context, POLICY_DAYS)
    if action == "pfirst" and "free_days" in draft:
        await answer(update)
        policy = CancellationPolicy(kind="free_until", free_days=int(draft["free_days"]), fee="first_night")
        return await save(update, context, lambda now: now.with_changes(policy=policy))
    if action == "rmp":
        await answer(update)
        return await _removal_list(update, context, hotel, parsed.as_int(2))
    if action == "rm":
        kind, index, revision = KINDS[parsed.as_text(2)], parsed.as_int(3), parsed.as_int(4)
        await answer(update)
        draft["revision"] = revision  # the list the manager picked from
        return await save(update, context, lambda now: now.removing(kind, index))
    await answer(update, context.t("stale_button"), alert=True)
    return END


def _season(draft: dict[str, Any], room_id: UUID | None) -> Season:
    rate = Rate(amount=draft["rate"].get("amount"), percent=draft["rate"].get("percent"))
    first, last = date.fromisoformat(draft["first"]), date.fromisoformat(draft["last"])
    return Season(draft["name"], first, last, rate, room_id)
