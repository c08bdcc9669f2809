"""/addroom (number, type, capacity, price) and /rooms (edit price or capacity, take a room out of
service or put it back)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler

from bot import callbacks as cb
from bot.context import BotContext
from bot.manager.shared import END, TEXT, draft_of, forget_draft, hotel_picker, managed, stop_handlers, user_of
from bot.texts import error_text
from bot.ui import answer, show, typed
from domain.hotel import commands as hc
from domain.hotel.model import Hotel, Room
from domain.shared.errors import DomainError
from domain.shared.money import decimals, format_money, parse_money

ROOM_NUMBER, ROOM_TYPE, ROOM_CAPACITY, ROOM_PRICE, PICK_HOTEL = range(20, 25)
EDIT_VALUE = 30


def _example(currency: str) -> str:
    return "120000" if decimals(currency) == 0 else "120.00"


async def add_room(update: Update, context: BotContext) -> int:
    hotels = await managed(update, context)
    if not hotels:
        return END
    if len(hotels) > 1:
        await show(update, context.t("pick_managed_hotel"), hotel_picker(hotels, "add"))
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
    hotel = next((h for h in await managed(update, context) if h.id == hotel_id), None)
    if hotel is None:
        await answer(update, context.t("not_allowed"), alert=True)
        return END
    return await _start_room(update, context, hotel)


async def room_number(update: Update, context: BotContext) -> int:
    text = typed(update)
    if not text or len(text) > 16:
        await show(update, context.t("too_long", limit=16))
        return ROOM_NUMBER
    draft = draft_of(context, "new_room")
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
    draft = draft_of(context, "new_room")
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
    draft = draft_of(context, "new_room")
    if draft is None:
        return END
    draft["capacity"] = capacity
    await show(update, context.t("ask_price", currency=draft["currency"], example=_example(draft["currency"])))
    return ROOM_PRICE


async def room_price(update: Update, context: BotContext) -> int:
    draft = draft_of(context, "new_room")
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
                actor_id=user_of(update).id,
            )
        )
    except DomainError as exc:
        await show(update, error_text(context.lang, exc))
        return END
    finally:
        forget_draft(context, "new_room")
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
    hotels = await managed(update, context)
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
    if room is None or hotel is None or not hotel.is_manager(user_of(update).id):
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
            hc.UpdateRoom(room_id=room.id, in_service=not room.in_service, actor_id=user_of(update).id),
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
    room_id, actor = UUID(hex=editing["room_id"]), user_of(update).id
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
    forget_draft(context, "editing")
    return await _updated(update, context, cmd, editing["currency"])


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
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
    ]
