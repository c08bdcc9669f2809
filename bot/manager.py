"""Managers: Approve / Reject (with a reason) on each new reservation, /addroom, /rooms, /board.
Every button is checked on the server: the presser must manage *that* hotel."""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot import callbacks as cb
from bot.context import BotContext
from bot.notifier import decided_text
from bot.texts import error_text, reservation_code
from bot.ui import answer, show, typed
from domain.hotel import commands as hc
from domain.hotel.model import Hotel, Room
from domain.shared.errors import AlreadyDecided, DomainError, NotAllowed, NotFound
from domain.shared.money import decimals, format_money, parse_money

END = ConversationHandler.END
REASON = 10
ROOM_NUMBER, ROOM_TYPE, ROOM_CAPACITY, ROOM_PRICE, PICK_HOTEL = range(20, 25)
EDIT_VALUE = 30
BOARD_ROOMS_PER_PAGE = 6
TEXT = filters.TEXT & ~filters.COMMAND


def _user(update: Update) -> Any:
    user = update.effective_user
    assert user is not None
    return user


def _rid(update: Update) -> UUID | None:
    try:
        return cb.pressed(update).as_uuid()
    except (ValueError, IndexError):
        return None


async def _show_decided(update: Update, context: BotContext, reservation_id: UUID) -> None:
    request = await context.services.hotels.approval(reservation_id)
    hotel = await context.services.hotels.hotel(request.hotel_id) if request else None
    if request is not None and hotel is not None:
        await show(update, decided_text(context.lang, request, hotel))


async def _refuse(update: Update, context: BotContext, exc: DomainError, reservation_id: UUID | None) -> None:
    if isinstance(exc, AlreadyDecided):
        await answer(update, context.t("m_not_pending", status=exc.params.get("status", "")), alert=True)
        if reservation_id is not None:
            await _show_decided(update, context, reservation_id)
    elif isinstance(exc, NotAllowed | NotFound):
        await answer(update, context.t("not_allowed"), alert=True)
    else:
        await answer(update, error_text(context.lang, exc), alert=True)


# --- decisions ---------------------------------------------------------------------------------
async def approve(update: Update, context: BotContext) -> None:
    reservation_id = _rid(update)
    if reservation_id is None:
        await answer(update, context.t("stale_button"), alert=True)
        return
    user = _user(update)
    try:
        await context.services.handle(
            hc.ApproveReservation(reservation_id=reservation_id, manager_id=user.id, manager_name=user.full_name)
        )
    except DomainError as exc:
        await _refuse(update, context, exc, reservation_id)
        return
    await answer(update, context.t("m_decided"))
    await _show_decided(update, context, reservation_id)


async def _may_decide(update: Update, context: BotContext, reservation_id: UUID) -> bool:
    request = await context.services.hotels.approval(reservation_id)
    hotel = await context.services.hotels.hotel(request.hotel_id) if request else None
    if request is None or hotel is None or not hotel.is_manager(_user(update).id):
        await answer(update, context.t("not_allowed"), alert=True)
        return False
    if request.status.value != "pending":
        await _refuse(update, context, AlreadyDecided(status=request.status.value), reservation_id)
        return False
    return True


async def ask_reason(update: Update, context: BotContext) -> int:
    reservation_id = _rid(update)
    if reservation_id is None:
        await answer(update, context.t("stale_button"), alert=True)
        return END
    if not await _may_decide(update, context, reservation_id):
        return END
    await answer(update)
    assert context.user_data is not None
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(context.t(f"reason_{key}"), callback_data=cb.pack(cb.REASON, reservation_id, key))]
            for key in ("full", "maintenance", "policy")
        ]
    )
    chat = update.effective_chat
    assert chat is not None
    prompt = await context.bot.send_message(
        chat.id, context.t("m_ask_reason", code=reservation_code(reservation_id)), reply_markup=keyboard
    )
    # A typed reason must answer this very prompt (a reply to it), so no other text the manager
    # sends later — a room number, a price — is ever mistaken for a rejection reason.
    context.user_data["rejecting"] = {"id": reservation_id.hex, "prompt": prompt.message_id}
    return REASON


async def _reject(update: Update, context: BotContext, reservation_id: UUID, reason: str) -> int:
    user = _user(update)
    assert context.user_data is not None
    context.user_data.pop("rejecting", None)
    try:
        await context.services.handle(
            hc.RejectReservation(
                reservation_id=reservation_id, manager_id=user.id, manager_name=user.full_name, reason=reason
            )
        )
    except DomainError as exc:
        if update.callback_query is not None:
            await _refuse(update, context, exc, None)
        else:
            await show(update, error_text(context.lang, exc))
        return END
    await answer(update, context.t("m_decided"))
    await show(update, context.t("m_decided"))
    return END


async def reason_picked(update: Update, context: BotContext) -> int:
    try:
        parsed = cb.pressed(update)
        reservation_id, key = parsed.as_uuid(0), parsed.as_text(1)
    except (ValueError, IndexError):
        await answer(update, context.t("stale_button"), alert=True)
        return END
    if key not in ("full", "maintenance", "policy"):
        await answer(update, context.t("stale_button"), alert=True)
        return END
    return await _reject(update, context, reservation_id, context.t(f"reason_{key}"))


async def reason_typed(update: Update, context: BotContext) -> int:
    assert context.user_data is not None and update.message is not None
    rejecting = context.user_data.get("rejecting")
    replied_to = update.message.reply_to_message
    if not isinstance(rejecting, dict) or replied_to is None or replied_to.message_id != rejecting.get("prompt"):
        return REASON
    reason = (update.message.text or "").strip()
    if not reason or len(reason) > 200:
        await show(update, context.t("too_long", limit=200))
        return REASON
    return await _reject(update, context, UUID(hex=rejecting["id"]), reason)


def _stopper(key: str) -> Any:
    """/cancel for one conversation: forgets that conversation's draft only."""

    async def stop(update: Update, context: BotContext) -> int:
        await answer(update)
        _forget_draft(context, key)
        await show(update, context.t("stopped"))
        return END

    return stop


def _forget_draft(context: BotContext, key: str) -> None:
    if context.user_data is not None:
        context.user_data.pop(key, None)


def _draft_of(context: BotContext, key: str) -> dict[str, Any] | None:
    return context.user_data.get(key) if context.user_data is not None else None


# --- rooms -------------------------------------------------------------------------------------
async def _managed(update: Update, context: BotContext) -> list[Hotel]:
    hotels = await context.services.hotels.managed_by(_user(update).id)
    if not hotels:
        await show(update, context.t("no_hotel_managed"))
    return hotels


def _hotel_picker(context: BotContext, hotels: list[Hotel], purpose: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(h.name, callback_data=cb.pack(cb.MHOTEL, purpose, h.id))] for h in hotels]
    )


def _example(currency: str) -> str:
    return "120000" if decimals(currency) == 0 else "120.00"


async def add_room(update: Update, context: BotContext) -> int:
    hotels = await _managed(update, context)
    if not hotels:
        return END
    if len(hotels) > 1:
        await show(update, context.t("pick_managed_hotel"), _hotel_picker(context, hotels, "add"))
        return PICK_HOTEL
    return await _start_room(update, context, hotels[0])


async def _start_room(update: Update, context: BotContext, hotel: Hotel) -> int:
    assert context.user_data is not None
    context.user_data["new_room"] = {"hotel_id": hotel.id, "currency": hotel.currency}
    await show(update, context.t("ask_room_number", hotel=hotel.name))
    return ROOM_NUMBER


async def add_room_hotel(update: Update, context: BotContext) -> int:
    await answer(update)
    try:
        hotel_id = cb.pressed(update).as_int(1)
    except (ValueError, IndexError):
        return END
    hotel = next((h for h in await _managed(update, context) if h.id == hotel_id), None)
    if hotel is None:
        await answer(update, context.t("not_allowed"), alert=True)
        return END
    return await _start_room(update, context, hotel)


async def room_number(update: Update, context: BotContext) -> int:
    text = typed(update)
    if not text or len(text) > 16:
        await show(update, context.t("too_long", limit=16))
        return ROOM_NUMBER
    draft = _draft_of(context, "new_room")
    if draft is None:
        return END
    draft["number"] = text
    await show(update, context.t("ask_room_type"))
    return ROOM_TYPE


async def room_type(update: Update, context: BotContext) -> int:
    text = typed(update)
    if not text or len(text) > 64:
        await show(update, context.t("too_long", limit=64))
        return ROOM_TYPE
    draft = _draft_of(context, "new_room")
    if draft is None:
        return END
    draft["type"] = text
    await show(update, context.t("ask_capacity"))
    return ROOM_CAPACITY


def _capacity(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and 1 <= int(text) <= 20 else None


async def room_capacity(update: Update, context: BotContext) -> int:
    capacity = _capacity(typed(update))
    if capacity is None:
        await show(update, context.t("bad_number") + " " + context.t("ask_capacity"))
        return ROOM_CAPACITY
    draft = _draft_of(context, "new_room")
    if draft is None:
        return END
    draft["capacity"] = capacity
    await show(update, context.t("ask_price", currency=draft["currency"], example=_example(draft["currency"])))
    return ROOM_PRICE


async def room_price(update: Update, context: BotContext) -> int:
    draft = _draft_of(context, "new_room")
    if draft is None or "capacity" not in draft:
        return END
    price = parse_money(typed(update), draft["currency"])
    if price is None:
        await show(update, context.t("bad_price", example=_example(draft["currency"])))
        return ROOM_PRICE
    try:
        room = await context.services.handle(
            hc.CreateRoom(
                hotel_id=draft["hotel_id"],
                number=draft["number"],
                room_type=draft["type"],
                capacity=draft["capacity"],
                price_per_night=price,
                actor_id=_user(update).id,
            )
        )
    except DomainError as exc:
        await show(update, error_text(context.lang, exc))
        return END
    finally:
        _forget_draft(context, "new_room")
    await show(
        update,
        context.t(
            "room_created",
            number=room.number,
            type=room.room_type,
            capacity=room.capacity,
            price=format_money(room.price_per_night, draft["currency"]),
        ),
    )
    return END


def _service(context: BotContext, room: Room) -> str:
    return context.t("in_service_word" if room.in_service else "out_of_service_word")


async def list_rooms(update: Update, context: BotContext) -> None:
    hotels = await _managed(update, context)
    if not hotels:
        return
    for hotel in hotels:
        rooms = await context.services.hotels.rooms(hotel.id or 0)
        if not rooms:
            await show(update, context.t("rooms_none", hotel=hotel.name))
            continue
        buttons = [
            [
                InlineKeyboardButton(
                    context.t(
                        "room_line",
                        number=r.number,
                        type=r.room_type,
                        capacity=r.capacity,
                        price=format_money(r.price_per_night, hotel.currency),
                        service="" if r.in_service else context.t("out_of_service"),
                    ),
                    callback_data=cb.pack(cb.ROOM_EDIT, r.id),
                )
            ]
            for r in rooms
        ]
        await show(update, context.t("rooms_header", hotel=hotel.name), InlineKeyboardMarkup(buttons))


async def _my_room(update: Update, context: BotContext, room_id: UUID) -> tuple[Room, Hotel] | None:
    room = await context.services.hotels.room(room_id)
    hotel = await context.services.hotels.hotel(room.hotel_id) if room else None
    if room is None or hotel is None or not hotel.is_manager(_user(update).id):
        await answer(update, context.t("not_allowed"), alert=True)
        return None
    return room, hotel


def _room_menu(context: BotContext, room: Room) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    context.t("btn_edit_price"), callback_data=cb.pack(cb.ROOM_FIELD, room.id, "price")
                ),
                InlineKeyboardButton(
                    context.t("btn_edit_capacity"), callback_data=cb.pack(cb.ROOM_FIELD, room.id, "capacity")
                ),
            ],
            [
                InlineKeyboardButton(
                    context.t("btn_take_out" if room.in_service else "btn_put_back"),
                    callback_data=cb.pack(cb.ROOM_FIELD, room.id, "service"),
                )
            ],
        ]
    )


async def edit_room(update: Update, context: BotContext) -> int:
    try:
        room_id = cb.pressed(update).as_uuid()
    except (ValueError, IndexError):
        await answer(update, context.t("stale_button"), alert=True)
        return END
    found = await _my_room(update, context, room_id)
    if found is None:
        return END
    await answer(update)
    room, hotel = found
    await show(
        update,
        context.t(
            "room_edit",
            number=room.number,
            type=room.room_type,
            capacity=room.capacity,
            price=format_money(room.price_per_night, hotel.currency),
            service=_service(context, room),
        ),
        _room_menu(context, room),
    )
    return END


async def _updated(update: Update, context: BotContext, cmd: hc.UpdateRoom, currency: str) -> int:
    try:
        room = await context.services.handle(cmd)
    except DomainError as exc:
        await show(update, error_text(context.lang, exc))
        return END
    await show(
        update,
        context.t(
            "room_updated",
            number=room.number,
            type=room.room_type,
            capacity=room.capacity,
            price=format_money(room.price_per_night, currency),
            service=_service(context, room),
        ),
    )
    return END


async def edit_field(update: Update, context: BotContext) -> int:
    try:
        parsed = cb.pressed(update)
        room_id, field = parsed.as_uuid(0), parsed.as_text(1)
    except (ValueError, IndexError):
        await answer(update, context.t("stale_button"), alert=True)
        return END
    found = await _my_room(update, context, room_id)
    if found is None or field not in ("price", "capacity", "service"):
        return END
    await answer(update)
    room, hotel = found
    if field == "service":
        return await _updated(
            update,
            context,
            hc.UpdateRoom(room_id=room.id, in_service=not room.in_service, actor_id=_user(update).id),
            hotel.currency,
        )
    assert context.user_data is not None
    context.user_data["editing"] = {"room_id": room.id.hex, "field": field, "currency": hotel.currency}
    key = "ask_new_price" if field == "price" else "ask_new_capacity"
    await show(update, context.t(key, number=room.number, currency=hotel.currency))
    return EDIT_VALUE


async def edit_value(update: Update, context: BotContext) -> int:
    editing = context.user_data.get("editing") if context.user_data else None
    if not editing:
        return END
    text = typed(update)
    room_id, actor = UUID(hex=editing["room_id"]), _user(update).id
    if editing["field"] == "price":
        price = parse_money(text, editing["currency"])
        if price is None:
            await show(update, context.t("bad_price", example=_example(editing["currency"])))
            return EDIT_VALUE
        cmd = hc.UpdateRoom(room_id=room_id, price_per_night=price, actor_id=actor)
    else:
        capacity = _capacity(text)
        if capacity is None:
            await show(update, context.t("bad_number"))
            return EDIT_VALUE
        cmd = hc.UpdateRoom(room_id=room_id, capacity=capacity, actor_id=actor)
    _forget_draft(context, "editing")
    return await _updated(update, context, cmd, editing["currency"])


# --- board -------------------------------------------------------------------------------------
async def board(update: Update, context: BotContext) -> None:
    hotels = await _managed(update, context)
    if len(hotels) == 1:
        await _render_board(update, context, hotels[0], 0)
    elif hotels:
        await show(update, context.t("pick_managed_hotel"), _hotel_picker(context, hotels, "board"))


async def board_page(update: Update, context: BotContext) -> None:
    try:
        parsed = cb.pressed(update)
        if parsed.kind == cb.MHOTEL:
            hotel_id, page = parsed.as_int(1), 0
        else:
            hotel_id, page = parsed.as_int(0), parsed.as_int(1)
    except (ValueError, IndexError):
        await answer(update, context.t("stale_button"), alert=True)
        return
    hotel = await context.services.hotels.hotel(hotel_id)
    if hotel is None or not hotel.is_manager(_user(update).id):
        await answer(update, context.t("not_allowed"), alert=True)
        return
    await answer(update)
    await _render_board(update, context, hotel, page)


async def _render_board(update: Update, context: BotContext, hotel: Hotel, page: int) -> None:
    rooms, reservations = await context.services.views.board(hotel.id or 0)
    if not rooms:
        await show(update, context.t("board_empty", hotel=hotel.name))
        return
    pages = max(1, math.ceil(len(rooms) / BOARD_ROOMS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    lines = [context.t("board_header", hotel=hotel.name, page=page + 1, pages=pages)]
    for room in rooms[page * BOARD_ROOMS_PER_PAGE : (page + 1) * BOARD_ROOMS_PER_PAGE]:
        lines.append("")
        lines.append(
            context.t(
                "board_room",
                number=room.number,
                type=room.room_type,
                capacity=room.capacity,
                price=format_money(room.price_per_night, room.currency),
                service="" if room.in_service else context.t("out_of_service"),
            )
        )
        mine = [r for r in reservations if r.room_id == room.room_id]
        if not mine:
            lines.append(context.t("board_no_reservations"))
        for r in mine[:15]:
            lines.append(
                context.t(
                    "board_reservation",
                    code=reservation_code(r.reservation_id),
                    check_in=r.check_in,
                    check_out=r.check_out,
                    guest=r.guest_name,
                    status=context.t(f"status_{r.status}"),
                )
            )
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(context.t("btn_prev"), callback_data=cb.pack(cb.BOARD, hotel.id, page - 1)))
    nav.append(InlineKeyboardButton(context.t("btn_refresh"), callback_data=cb.pack(cb.BOARD, hotel.id, page)))
    if page < pages - 1:
        nav.append(InlineKeyboardButton(context.t("btn_next"), callback_data=cb.pack(cb.BOARD, hotel.id, page + 1)))
    await show(update, "\n".join(lines)[:4000], InlineKeyboardMarkup([nav]))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    def stop_handlers(key: str) -> list[BaseHandler[Any, Any, Any]]:
        return [CommandHandler("cancel", _stopper(key))]

    return [
        CallbackQueryHandler(approve, pattern=f"^{cb.APPROVE}:"),
        # Takes only its buttons and replies to its own prompt, so it never stands in the way
        # of the manager's other conversations; an unanswered prompt lapses after 15 minutes.
        ConversationHandler(
            entry_points=[CallbackQueryHandler(ask_reason, pattern=f"^{cb.REJECT}:")],
            states={
                REASON: [
                    CallbackQueryHandler(reason_picked, pattern=f"^{cb.REASON}:"),
                    MessageHandler(TEXT & filters.REPLY, reason_typed),
                ]
            },
            fallbacks=[],
            name="reject",
            persistent=True,
            allow_reentry=True,
            conversation_timeout=15 * 60,
        ),
        ConversationHandler(
            entry_points=[CommandHandler("addroom", add_room)],
            states={
                PICK_HOTEL: [CallbackQueryHandler(add_room_hotel, pattern=f"^{cb.MHOTEL}:add:")],
                ROOM_NUMBER: [MessageHandler(TEXT, room_number)],
                ROOM_TYPE: [MessageHandler(TEXT, room_type)],
                ROOM_CAPACITY: [MessageHandler(TEXT, room_capacity)],
                ROOM_PRICE: [MessageHandler(TEXT, room_price)],
            },
            fallbacks=stop_handlers("new_room"),
            name="addroom",
            persistent=True,
            allow_reentry=True,
        ),
        CommandHandler("rooms", list_rooms),
        CallbackQueryHandler(edit_room, pattern=f"^{cb.ROOM_EDIT}:"),
        ConversationHandler(
            entry_points=[CallbackQueryHandler(edit_field, pattern=f"^{cb.ROOM_FIELD}:")],
            states={EDIT_VALUE: [MessageHandler(TEXT, edit_value)]},
            fallbacks=stop_handlers("editing"),
            name="editroom",
            persistent=True,
            allow_reentry=True,
        ),
        CommandHandler("board", board),
        CallbackQueryHandler(board_page, pattern=f"^({cb.BOARD}|{cb.MHOTEL}:board):"),
    ]
