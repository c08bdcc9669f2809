"""The conversation's states and draft (which hotel, and the revision of the terms the manager
was shown), its questions, and saving a change: one ChangeTerms built from the terms as they are
now and sent with that revision, so a stale edit is refused, never an overwrite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.manager.shared import END, draft_of, forget_draft, user_of
from bot.manager.terms.view import menu, summary
from bot.texts import error_text
from bot.ui import answer, show
from domain.hotel import commands as hc
from domain.hotel.model import Hotel, Room
from domain.shared.errors import DomainError, InvalidTerms
from domain.shared.money import example_amount
from domain.shared.terms import (
    MAX_FREE_DAYS,
    MAX_PERCENT,
    MAX_STAY,
    MIN_PERCENT,
    HotelTerms,
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


# --- the draft: which hotel, and the revision the manager was shown -------------------------------


def draft_now(context: BotContext) -> dict[str, Any] | None:
    return draft_of(context, DRAFT)


async def hotel_of(update: Update, context: BotContext, hotel_id: int) -> Hotel | None:
    hotel = await context.services.hotels.hotel(hotel_id)
    if hotel is None or not hotel.is_manager(user_of(update).id):
        await answer(update, context.t("not_allowed"), alert=True)
        return None
    return hotel


async def rooms_of(context: BotContext, hotel_id: int) -> list[Room]:
    return await context.services.hotels.rooms(hotel_id)


def remember(context: BotContext, hotel: Hotel, terms: HotelTerms) -> dict[str, Any]:
    """A new draft: the hotel, and the revision of the terms the manager is shown."""
    assert context.user_data is not None
    draft = {"hotel_id": hotel.id, "hotel_name": hotel.name, "currency": hotel.currency, "revision": terms.revision}
    context.user_data[DRAFT] = draft
    return draft


async def show_terms(update: Update, context: BotContext, hotel: Hotel, before: str = "") -> int:
    """The terms as they are now, with the menu; the draft remembers their revision."""
    terms = await context.services.hotels.terms(hotel.id or 0)
    rooms = {r.id: r.number for r in await rooms_of(context, hotel.id or 0)}
    remember(context, hotel, terms)
    text = (before + "\n\n" if before else "") + summary(context, hotel, terms, rooms)
    await show(update, text[:4000], menu(context, hotel.id or 0))
    return END


# --- saving a change -----------------------------------------------------------------------------


async def save(update: Update, context: BotContext, build: Callable[[HotelTerms], HotelTerms]) -> int:
    """Build the new terms from the hotel's terms as they are now (`build(terms) -> HotelTerms`)
    and send them with the revision the manager was shown. Whatever is refused changes nothing."""
    draft = draft_now(context)
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
        stale = exc.params.get("rule") == "stale"
        return await show_terms(update, context, hotel, context.t("tm_stale") if stale else refusal(context, exc))
    except DomainError as exc:  # e.g. no longer a manager of the hotel, a room gone meanwhile
        return await show_terms(update, context, hotel, refusal(context, exc))
    return await show_terms(update, context, hotel, context.t("tm_saved"))


# --- the questions -------------------------------------------------------------------------------


def question(context: BotContext, state: int, draft: dict[str, Any]) -> str:
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


async def ask(
    update: Update, context: BotContext, state: int, refusal: str = "", markup: InlineKeyboardMarkup | None = None
) -> int:
    draft = draft_now(context) or {}
    await show(update, (refusal + "\n\n" if refusal else "") + question(context, state, draft), markup)
    return state


def refusal(context: BotContext, exc: DomainError) -> str:
    return error_text(context.lang, exc)
