"""/book: hotel → check-in → check-out (inline calendar, or typed dates) → guests → a room free
for the whole stay → confirm → payment → receipt. /cancel leaves at any step.

The hotel's terms decide what a guest is offered and shown: its stay limits (a check-out too
soon or too late is refused and explained), and each room's quote (the same HotelTerms.quote the
reservation is made with), shown as a breakdown with the times and the cancellation policy before
the guest pays."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot import callbacks as cb
from bot import checkout
from bot.calendar import PAST_DAY, REFUSED, add_months, calendar_keyboard, month_start, parse_typed_date
from bot.context import BotContext
from bot.stay_terms import breakdown, minimum_hint, policy_text, reservation_receipt, times_text
from bot.texts import error_text
from bot.ui import answer, show, typed
from domain.reservation.commands import PlaceReservation
from domain.reservation.model import BookingPolicy, CatalogRoom, check_check_in, check_check_out
from domain.shared.errors import (
    AlreadyDecided,
    AmountOutsideLimits,
    CurrencyNotPayable,
    DomainError,
    GuestCountOutOfRange,
    InvalidInput,
    NotFound,
    PaymentBeingSettled,
    PaymentDeclined,
    PaymentsBusy,
    PaymentTakenBookingPending,
    PaymentUnavailable,
    QuoteChanged,
    RoomOutOfService,
    RoomTaken,
)
from domain.shared.money import format_money
from domain.shared.terms import HotelTerms, Quote

HOTEL, CHECK_IN, CHECK_OUT, GUESTS, ROOM, CONFIRM = range(6)
END = ConversationHandler.END
GUESTS_BUTTON = "bg"
# While no room is chosen, the stay is checked against the rules for every room of the hotel
# (a rule for one room is checked when the rooms are offered).
ANY_ROOM = UUID(int=0)


def _draft(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data.setdefault("booking", {})  # type: ignore[no-any-return]


def _day(value: str) -> date:
    return date.fromisoformat(value)


def _stop_row(context: BotContext) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(context.t("btn_stop"), callback_data=cb.pack(cb.STOP))]


async def _today(context: BotContext) -> date:
    from zoneinfo import ZoneInfo

    return context.services.clock.now().astimezone(ZoneInfo(_draft(context)["tz"])).date()


async def _terms(context: BotContext) -> HotelTerms:
    """The hotel's terms as the reservation context has them (what the booking is made on)."""
    return await context.services.availability.terms(_draft(context)["hotel_id"])


async def book(update: Update, context: BotContext) -> int:
    hotels = await context.services.availability.hotels_with_timezones()
    if not hotels:
        await show(update, context.t("no_hotels"))
        return END
    assert context.user_data is not None
    context.user_data["booking"] = {}
    if len(hotels) == 1:
        return await _choose_hotel(update, context, *hotels[0])
    keyboard = [[InlineKeyboardButton(name, callback_data=cb.pack(cb.HOTEL, hotel_id))] for hotel_id, name, _ in hotels]
    await show(update, context.t("pick_hotel"), InlineKeyboardMarkup([*keyboard, _stop_row(context)]))
    return HOTEL


async def hotel_chosen(update: Update, context: BotContext) -> int:
    await answer(update)
    hotels = {
        hotel_id: (name, tz) for hotel_id, name, tz in await context.services.availability.hotels_with_timezones()
    }
    try:
        hotel_id = cb.pressed(update).as_int()
    except (ValueError, IndexError):
        hotel_id = -1
    if hotel_id not in hotels:
        await answer(update, context.t("stale_button"))
        return HOTEL
    return await _choose_hotel(update, context, hotel_id, *hotels[hotel_id])


async def _choose_hotel(update: Update, context: BotContext, hotel_id: int, name: str, tz: str) -> int:
    draft = _draft(context)
    draft.clear()
    draft.update(hotel_id=hotel_id, hotel_name=name, tz=tz)
    draft["month"] = month_start(await _today(context)).isoformat()
    return await _show_check_in(update, context)


async def _check_in_pickable(context: BotContext, month: date) -> tuple[Any, date, date]:
    draft = _draft(context)
    today = await _today(context)
    last = today + timedelta(days=context.services.config.max_days_ahead)
    full = await context.services.availability.full_nights(draft["hotel_id"], month, add_months(month, 1))
    return (lambda d: today <= d <= last and d not in full), today, last


async def _show_check_in(update: Update, context: BotContext, prefix: str = "") -> int:
    draft = _draft(context)
    month = _day(draft["month"])
    pickable, today, last = await _check_in_pickable(context, month)
    keyboard = calendar_keyboard(
        month,
        pickable,
        context.lang,
        can_go_back=month > month_start(today),
        can_go_forward=add_months(month, 1) <= last,
        extra=[_stop_row(context)],
        today=today,
    )
    await show(update, prefix + context.t("pick_check_in", hotel=draft["hotel_name"]), keyboard)
    return CHECK_IN


def _max_nights(context: BotContext, terms: HotelTerms) -> int:
    """The longest stay: the system's limit, or the hotel's if it is shorter."""
    system = context.services.config.max_nights
    return min(system, terms.max_nights or system)


def _stay_limit(context: BotContext, check_in: date, terms: HotelTerms) -> date:
    return check_in + timedelta(days=_max_nights(context, terms))


def _check_stay(context: BotContext, terms: HotelTerms, check_in: date, check_out: date) -> None:
    """The system's and the hotel's stay limits, each refusal with its reason (InvalidInput)."""
    check_check_out(check_in, check_out, _policy(context))
    terms.check_stay(ANY_ROOM, check_in, check_out, context.services.config.max_nights)


async def _show_check_out(
    update: Update, context: BotContext, prefix: str = "", read: tuple[HotelTerms, set[date]] | None = None
) -> int:
    """`read`: the terms and the full nights from check-in to the stay limit, when the caller has
    just read them."""
    draft = _draft(context)
    check_in, month = _day(draft["check_in"]), _day(draft["month"])
    terms, full = read if read is not None else (await _terms(context), None)
    limit = _stay_limit(context, check_in, terms)
    if full is None:
        full = await context.services.availability.full_nights(draft["hotel_id"], check_in, limit)
    first_full = min((n for n in full if n >= check_in), default=None)
    shortest = terms.refusal(ANY_ROOM, check_in, check_in + timedelta(days=1))
    earliest = check_in + timedelta(days=shortest.min_nights if shortest else 1)

    def free(d: date) -> bool:
        return check_in < d and (first_full is None or d <= first_full)

    def pickable(d: date) -> bool:
        return free(d) and earliest <= d <= limit

    def refused(d: date) -> bool:  # free, but too short or too long a stay: pressing says why
        return free(d) and not earliest <= d <= limit

    keyboard = calendar_keyboard(
        month,
        pickable,
        context.lang,
        can_go_back=month > month_start(check_in),
        can_go_forward=add_months(month, 1) <= limit,
        extra=[[InlineKeyboardButton(context.t("btn_back"), callback_data=cb.pack(cb.BACK))], _stop_row(context)],
        today=await _today(context),
        refused=refused,
    )
    text = prefix + context.t("pick_check_out", check_in=check_in)
    if shortest is not None:
        text += "\n" + minimum_hint(context.lang, shortest)
    await show(update, text, keyboard)
    return CHECK_OUT


async def month_changed(update: Update, context: BotContext) -> int:
    await answer(update)
    draft = _draft(context)
    state = CHECK_OUT if "check_in" in draft else CHECK_IN
    try:
        raw = cb.pressed(update).as_text()
        month = date(int(raw[:4]), int(raw[4:]), 1)
    except (ValueError, IndexError):
        return state
    today = await _today(context)
    last = (
        _stay_limit(context, _day(draft["check_in"]), await _terms(context))
        if state == CHECK_OUT
        else today + timedelta(days=context.services.config.max_days_ahead)
    )
    if month_start(today) <= month <= last:
        draft["month"] = month.isoformat()
    return await (_show_check_out if state == CHECK_OUT else _show_check_in)(update, context)


def _policy(context: BotContext) -> BookingPolicy:
    config = context.services.config
    return BookingPolicy(max_nights=config.max_nights, max_days_ahead=config.max_days_ahead)


async def _take_check_in(update: Update, context: BotContext, day: date) -> int:
    try:  # the booking rules themselves, asked at once for an answer on this very step
        check_check_in(day, await _today(context), _policy(context))
    except InvalidInput as exc:
        return await _show_check_in(update, context, error_text(context.lang, exc) + "\n\n")
    # The nights the check-out calendar shows begin with the check-in night: one read tells
    # whether that night is full and what the calendar then shows.
    draft = _draft(context)
    terms = await _terms(context)
    full = await context.services.availability.full_nights(draft["hotel_id"], day, _stay_limit(context, day, terms))
    if day in full:
        return await _show_check_in(update, context, context.t("day_not_pickable") + "\n\n")
    draft["check_in"] = day.isoformat()
    draft["month"] = month_start(day).isoformat()
    return await _show_check_out(update, context, read=(terms, full))


async def check_in_picked(update: Update, context: BotContext) -> int:
    await answer(update)
    try:
        day = cb.pressed(update).as_date()
    except (ValueError, IndexError):
        return CHECK_IN
    return await _take_check_in(update, context, day)


async def check_in_typed(update: Update, context: BotContext) -> int:
    day = parse_typed_date(typed(update))
    if day is None:
        await show(update, context.t("bad_date"))
        return CHECK_IN
    return await _take_check_in(update, context, day)


async def _take_check_out(update: Update, context: BotContext, day: date) -> int:
    draft = _draft(context)
    check_in = _day(draft["check_in"])
    # the rooms free for the stay (for how many guests to offer) with the terms to check it on
    rooms, terms = await context.services.availability.offer(draft["hotel_id"], check_in, day, 1)
    try:
        _check_stay(context, terms if terms is not None else await _terms(context), check_in, day)
    except InvalidInput as exc:
        return await _show_check_out(update, context, error_text(context.lang, exc) + "\n\n")
    draft["check_out"] = day.isoformat()
    return await _ask_guests(update, context, most=max((r.capacity for r in rooms), default=0))


async def check_out_picked(update: Update, context: BotContext) -> int:
    await answer(update)
    try:
        day = cb.pressed(update).as_date()
    except (ValueError, IndexError):
        return CHECK_OUT
    return await _take_check_out(update, context, day)


async def check_out_typed(update: Update, context: BotContext) -> int:
    day = parse_typed_date(typed(update))
    if day is None:
        await show(update, context.t("bad_date"))
        return CHECK_OUT
    return await _take_check_out(update, context, day)


async def back_to_check_in(update: Update, context: BotContext) -> int:
    await answer(update)
    draft = _draft(context)
    draft.pop("check_in", None)
    return await _show_check_in(update, context)


async def _max_capacity(context: BotContext) -> int:
    draft = _draft(context)
    rooms = await context.services.availability.free_rooms(
        draft["hotel_id"], _day(draft["check_in"]), _day(draft["check_out"]), 1
    )
    return max((r.capacity for r in rooms), default=0)


async def _ask_guests(update: Update, context: BotContext, prefix: str = "", most: int | None = None) -> int:
    """`most`: the largest free room's capacity, when the caller has just read the free rooms."""
    draft = _draft(context)
    most = await _max_capacity(context) if most is None else most
    if most == 0:
        text = context.t("no_free_rooms", check_in=draft["check_in"], check_out=draft["check_out"], guests=1)
        draft.pop("check_in", None)
        draft.pop("check_out", None)
        return await _show_check_in(update, context, text + "\n\n")
    draft["max_guests"] = most
    buttons = [
        InlineKeyboardButton(str(n), callback_data=cb.pack(GUESTS_BUTTON, n)) for n in range(1, min(most, 6) + 1)
    ]
    keyboard = InlineKeyboardMarkup([buttons, _stop_row(context)])
    await show(update, prefix + context.t("ask_guests", max=most), keyboard)
    return GUESTS


async def _take_guests(update: Update, context: BotContext, guests: int) -> int:
    draft = _draft(context)
    most = draft.get("max_guests", 1)
    if not 1 <= guests <= most:  # no room is chosen yet: speak of the hotel's free rooms
        return await _ask_guests(update, context, context.t("guests_out_of_range", max=most, guests=guests) + "\n\n")
    draft["guests"] = guests
    return await _show_rooms(update, context)


async def guests_typed(update: Update, context: BotContext) -> int:
    text = typed(update)
    if not (text.isascii() and text.isdigit()) or len(text) > 3:
        await show(update, context.t("bad_number"))
        return GUESTS
    return await _take_guests(update, context, int(text))


async def guests_picked(update: Update, context: BotContext) -> int:
    await answer(update)
    try:
        guests = cb.pressed(update).as_int()
    except (ValueError, IndexError):
        return GUESTS
    return await _take_guests(update, context, guests)


async def _offer(context: BotContext) -> tuple[list[CatalogRoom], HotelTerms | None]:
    """The rooms free for the draft's stay and guests, with the terms they are quoted on."""
    draft = _draft(context)
    return await context.services.availability.offer(
        draft["hotel_id"], _day(draft["check_in"]), _day(draft["check_out"]), draft["guests"]
    )


def _quote(context: BotContext, terms: HotelTerms, room: CatalogRoom) -> Quote:
    """The room's price for this stay: the very call the reservation is made with."""
    draft = _draft(context)
    check_in, check_out = _day(draft["check_in"]), _day(draft["check_out"])
    return terms.quote(room.room_id, room.price_per_night, check_in, check_out, draft["guests"])


def _room_button(context: BotContext, room: CatalogRoom, quote: Quote) -> InlineKeyboardButton:
    total = format_money(quote.total, room.currency)
    if len(quote.lines) == 1:  # one price every night: say it
        price = format_money(quote.lines[0].price, room.currency)
        label = context.t("room_button", number=room.number, type=room.room_type, price=price, total=total)
    else:
        label = context.t("room_button_varied", number=room.number, type=room.room_type, total=total)
    return InlineKeyboardButton(label, callback_data=cb.pack(cb.ROOM, room.room_id))


async def _show_rooms(update: Update, context: BotContext, prefix: str = "") -> int:
    draft = _draft(context)
    check_in, check_out = _day(draft["check_in"]), _day(draft["check_out"])
    nights = (check_out - check_in).days
    free, offered = await _offer(context)
    terms = offered if offered is not None else HotelTerms()  # None: no room to check a stay against
    rooms, refusal = [], None
    for room in free:
        try:  # a minimum stay set for this very room
            terms.check_stay(room.room_id, check_in, check_out, context.services.config.max_nights)
        except InvalidInput as exc:
            refusal = refusal or exc
            continue
        rooms.append(room)
    if not rooms and refusal is not None:
        draft.pop("check_out", None)
        draft["month"] = month_start(check_in).isoformat()
        return await _show_check_out(update, context, prefix + error_text(context.lang, refusal) + "\n\n")
    if not rooms:
        draft.pop("check_in", None)
        text = context.t("no_free_rooms", check_in=check_in, check_out=check_out, guests=draft["guests"])
        return await _show_check_in(update, context, prefix + text + "\n\n")
    buttons = [[_room_button(context, r, _quote(context, terms, r))] for r in rooms[:20]]
    text = prefix + context.t(
        "pick_room", check_in=check_in, check_out=check_out, nights=nights, guests=draft["guests"]
    )
    await show(update, text, InlineKeyboardMarkup([*buttons, _stop_row(context)]))
    return ROOM


def _confirm_keyboard(context: BotContext, room: CatalogRoom, total: int, draft_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    context.t("btn_pay", total=format_money(total, room.currency)),
                    callback_data=cb.pack(cb.PAY, draft_id),
                )
            ],
            [InlineKeyboardButton(context.t("btn_back"), callback_data=cb.pack(cb.BACK)), *_stop_row(context)],
        ]
    )


async def _show_confirm(
    update: Update, context: BotContext, room: CatalogRoom, prefix: str = "", terms: HotelTerms | None = None
) -> int:
    """`terms`: the hotel's, when the caller has just read them with the room."""
    draft = _draft(context)
    check_in, check_out = _day(draft["check_in"]), _day(draft["check_out"])
    nights = (check_out - check_in).days
    terms = terms if terms is not None else await _terms(context)
    quote = _quote(context, terms, room)
    total = quote.total
    draft["room_id"], draft["room_number"] = room.room_id.hex, room.number
    draft["reservation_id"] = uuid4().hex  # a double tap on Pay can only ever be one reservation
    # The terms this screen promises; Pay books on exactly these or asks again.
    draft["total"], draft["currency"] = total, room.currency
    text = prefix + context.t(
        "confirm",
        hotel=room.hotel_name,
        number=room.number,
        type=room.room_type,
        check_in=check_in,
        check_out=check_out,
        nights=nights,
        guests=draft["guests"],
        breakdown=breakdown(context.lang, quote, room.currency),
        total=format_money(total, room.currency),
        times=times_text(context.lang, terms),
        policy=policy_text(context.lang, terms.policy, quote, check_in, room.currency, await _today(context)),
    )
    await show(update, text, _confirm_keyboard(context, room, total, draft["reservation_id"]))
    return CONFIRM


async def room_picked(update: Update, context: BotContext) -> int:
    await answer(update)
    try:
        room_id = cb.pressed(update).as_uuid()
    except (ValueError, IndexError):
        return ROOM
    free, terms = await _offer(context)
    room = next((r for r in free if r.room_id == room_id), None)
    if room is None:
        return await _show_rooms(update, context, error_text(context.lang, RoomTaken()) + "\n\n")
    return await _show_confirm(update, context, room, terms=terms)


async def back_to_rooms(update: Update, context: BotContext) -> int:
    await answer(update)
    return await _show_rooms(update, context)


async def pay(update: Update, context: BotContext) -> int:
    await answer(update)
    draft = _draft(context)
    try:
        pressed = cb.pressed(update).as_uuid()
    except (ValueError, IndexError):
        return CONFIRM
    # The button names the very draft it was shown for: an older confirm screen's Pay cannot
    # book the dates or total of the current one.
    if pressed.hex != draft.get("reservation_id") or "room_id" not in draft:
        await answer(update, context.t("stale_button"), alert=True)
        return CONFIRM
    room_id = UUID(hex=draft["room_id"])
    try:
        if context.services.checkout is not None:  # Telegram Payments: hold the nights, send an invoice
            await checkout.invoice(update, context, draft, room_id)
            return _finished(context)
        await show(update, context.t("paying"))
        reservation = await context.services.handle(_place(update, draft, room_id))
    except RoomTaken as exc:
        return await _show_rooms(update, context, error_text(context.lang, exc) + "\n\n")
    except (QuoteChanged, RoomOutOfService, GuestCountOutOfRange, NotFound):
        return await _terms_changed(update, context, room_id)
    except (PaymentsBusy, PaymentUnavailable, PaymentDeclined, AmountOutsideLimits, CurrencyNotPayable) as exc:
        room = await context.services.availability.room(room_id)
        if room is None:
            return await _show_rooms(update, context, error_text(context.lang, exc) + "\n\n")
        return await _show_confirm(update, context, room, error_text(context.lang, exc) + "\n\n")
    except (PaymentTakenBookingPending, PaymentBeingSettled, AlreadyDecided) as exc:
        await show(update, error_text(context.lang, exc))
        return _finished(context)
    except DomainError as exc:
        draft.pop("check_in", None)
        return await _show_check_in(update, context, error_text(context.lang, exc) + "\n\n")
    number = draft.get("room_number")  # as the confirm screen named it (a draft from before: read)
    if number is None:
        room = await context.services.availability.room(room_id)
        number = room.number if room else ""
    text = reservation_receipt(context.lang, reservation, draft["hotel_name"], number, await _today(context))
    await show(update, text)
    return _finished(context)


def _place(update: Update, draft: dict[str, Any], room_id: UUID) -> PlaceReservation:
    user = update.effective_user
    assert user is not None
    return PlaceReservation(
        guest_id=user.id,
        guest_name=user.full_name,
        room_id=room_id,
        check_in=_day(draft["check_in"]),
        check_out=_day(draft["check_out"]),
        guests=draft["guests"],
        reservation_id=UUID(hex=draft["reservation_id"]),
        total=draft.get("total"),
        currency=draft.get("currency"),
    )


def _finished(context: BotContext) -> int:
    """The booking is out of the guest's hands (a receipt, an invoice, a payment being settled)."""
    assert context.user_data is not None
    context.user_data.pop("booking", None)
    return END


async def _terms_changed(update: Update, context: BotContext, room_id: UUID) -> int:
    """The room's terms changed after the confirm screen; nothing was held or charged. The guest
    sees the new total with a fresh Pay button, or is told the room is gone and picks another."""
    free, terms = await _offer(context)
    room = next((r for r in free if r.room_id == room_id), None)
    if room is None or terms is None:
        known = await context.services.availability.room(room_id)
        text = context.t("room_gone", number=known.number if known else "")
        return await _show_rooms(update, context, text + "\n\n")
    total = format_money(_quote(context, terms, room).total, room.currency)
    return await _show_confirm(update, context, room, context.t("quote_changed", total=total) + "\n\n", terms)


async def ignore(update: Update, context: BotContext) -> None:
    """A calendar's blank or label cell: acknowledged, nothing changes; a past day says so, and
    so does a check-out day the stay limits refuse."""
    if update.callback_query is not None and update.callback_query.data == PAST_DAY:
        await answer(update, context.t("day_past"))
        return
    try:
        pressed = cb.pressed(update)
        day = pressed.as_date(1) if pressed.parts[:1] == (REFUSED,) else None
    except (ValueError, IndexError):
        day = None
    draft = (context.user_data or {}).get("booking", {})
    if day is not None and "check_in" in draft and "hotel_id" in draft:
        try:
            _check_stay(context, await _terms(context), _day(draft["check_in"]), day)
        except InvalidInput as exc:
            await answer(update, error_text(context.lang, exc), alert=True)
            return
    await answer(update)


async def stop(update: Update, context: BotContext) -> int:
    await answer(update)
    if context.user_data is not None:
        context.user_data.pop("booking", None)
    await show(update, context.t("stopped"))
    return END


def conversation() -> ConversationHandler[BotContext]:
    def button(kind: str) -> str:
        return f"^{kind}(:|$)"

    stop_button: BaseHandler[Any, Any, Any] = CallbackQueryHandler(stop, pattern=button(cb.STOP))
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("book", book), CommandHandler("start", book, filters.Regex(r"^/start book$"))],
        states={
            HOTEL: [CallbackQueryHandler(hotel_chosen, pattern=button(cb.HOTEL))],
            CHECK_IN: [
                CallbackQueryHandler(check_in_picked, pattern=button(cb.DAY)),
                CallbackQueryHandler(month_changed, pattern=button(cb.MONTH)),
                MessageHandler(text, check_in_typed),
            ],
            CHECK_OUT: [
                CallbackQueryHandler(check_out_picked, pattern=button(cb.DAY)),
                CallbackQueryHandler(month_changed, pattern=button(cb.MONTH)),
                CallbackQueryHandler(back_to_check_in, pattern=button(cb.BACK)),
                MessageHandler(text, check_out_typed),
            ],
            GUESTS: [
                CallbackQueryHandler(guests_picked, pattern=button(GUESTS_BUTTON)),
                MessageHandler(text, guests_typed),
            ],
            ROOM: [CallbackQueryHandler(room_picked, pattern=button(cb.ROOM))],
            CONFIRM: [
                CallbackQueryHandler(pay, pattern=button(cb.PAY)),
                CallbackQueryHandler(back_to_rooms, pattern=button(cb.BACK)),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", stop),
            stop_button,
            CallbackQueryHandler(ignore, pattern=button(cb.NOOP)),
        ],
        name="booking",
        persistent=True,
        allow_reentry=True,
    )
