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
from domain.hotel import model as rules
from domain.hotel.model import Hotel, Room
from domain.shared.errors import DomainError, InvalidInput, RoomNumberTaken
from domain.shared.money import example_amount, format_money, parse_money

ROOM_NUMBER, ROOM_TYPE, ROOM_CAPACITY, ROOM_PRICE, PICK_HOTEL = range(20, 25)
EDIT_VALUE = 30


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
    context.user_data["new_room"] = {"hotel_id": hotel.id, "hotel_name": hotel.name, "currency": hotel.currency}
    return await _ask(update, context, ROOM_NUMBER)


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


def _question(context: BotContext, state: int, draft: dict[str, Any]) -> str:
    if state == ROOM_NUMBER:
        return context.t("ask_room_number", hotel=draft.get("hotel_name", ""))
    if state == ROOM_TYPE:
        return context.t("ask_room_type")
    if state == ROOM_CAPACITY:
        return context.t("ask_capacity", max=rules.MAX_ROOM_CAPACITY)
    return context.t("ask_price", currency=draft["currency"], example=example_amount(draft["currency"]))


async def _ask(update: Update, context: BotContext, state: int, refusal: str = "") -> int:
    """Ask the question of `state`; after a refused answer, say why first and ask the same again
    (the draft keeps every answer given so far)."""
    draft = draft_of(context, "new_room") or {}
    await show(update, (refusal + "\n\n" if refusal else "") + _question(context, state, draft))
    return state


def whole_number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


async def _number_taken(context: BotContext, hotel_id: int, number: str) -> bool:
    return any(r.number.lower() == number.lower() for r in await context.services.hotels.rooms(hotel_id))


async def room_number(update: Update, context: BotContext) -> int:
    draft = draft_of(context, "new_room")
    if draft is None:
        return END
    try:
        number = rules.room_number(typed(update))
    except InvalidInput as exc:
        return await _ask(update, context, ROOM_NUMBER, error_text(context.lang, exc))
    if await _number_taken(context, draft["hotel_id"], number):  # said now, not after four questions
        return await _ask(update, context, ROOM_NUMBER, error_text(context.lang, RoomNumberTaken(number=number)))
    draft["number"] = number
    return await _ask(update, context, ROOM_TYPE)


async def room_type(update: Update, context: BotContext) -> int:
    draft = draft_of(context, "new_room")
    if draft is None:
        return END
    try:
        draft["type"] = rules.clean_room_type(typed(update))
    except InvalidInput as exc:
        return await _ask(update, context, ROOM_TYPE, error_text(context.lang, exc))
    return await _ask(update, context, ROOM_CAPACITY)


def _capacity(context: BotContext, text: str) -> int | str:
    """The capacity a manager typed, or why it is refused."""
    number = whole_number(text)
    if number is None:
        return context.t("bad_number")
    try:
        return rules.check_capacity(number)
    except InvalidInput as exc:
        return error_text(context.lang, exc)


def _price(context: BotContext, text: str, currency: str) -> int | str:
    """The price per night a manager typed (minor units of the hotel's currency), or why it is refused."""
    price = parse_money(text, currency)
    if price is None:
        return context.t("bad_price", example=example_amount(currency))
    try:
        return rules.check_price(price, currency)
    except InvalidInput as exc:
        return error_text(context.lang, exc)


async def room_capacity(update: Update, context: BotContext) -> int:
    draft = draft_of(context, "new_room")
    if draft is None:
        return END
    capacity = _capacity(context, typed(update))
    if isinstance(capacity, str):
        return await _ask(update, context, ROOM_CAPACITY, capacity)
    draft["capacity"] = capacity
    return await _ask(update, context, ROOM_PRICE)


async def room_price(update: Update, context: BotContext) -> int:
    draft = draft_of(context, "new_room")
    if draft is None or "capacity" not in draft:
        return END
    price = _price(context, typed(update), draft["currency"])
    if isinstance(price, str):
        return await _ask(update, context, ROOM_PRICE, price)
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
    except RoomNumberTaken as exc:  # added by someone else meanwhile: the other answers still stand
        return await _ask(update, context, ROOM_NUMBER, error_text(context.lang, exc))
    except DomainError as exc:
        forget_draft(context, "new_room")
        await show(update, error_text(context.lang, exc))
        return END
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
        # the hotel's prices and policy, beside its rooms (also /terms)
        buttons.append(
            [InlineKeyboardButton(context.t("tm_btn_open"), callback_data=cb.pack(cb.TERMS, hotel.id, "menu"))]
        )
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
    editing = {"room_id": room.id.hex, "field": field, "currency": hotel.currency, "number": room.number}
    context.user_data["editing"] = editing
    await show(update, _edit_question(context, editing))
    return EDIT_VALUE


def _edit_question(context: BotContext, editing: dict[str, Any]) -> str:
    if editing["field"] == "price":
        return context.t("ask_new_price", number=editing.get("number", ""), currency=editing["currency"])
    return context.t("ask_new_capacity", number=editing.get("number", ""), max=rules.MAX_ROOM_CAPACITY)


async def edit_value(update: Update, context: BotContext) -> int:
    editing = context.user_data.get("editing") if context.user_data else None
    if not editing:
        return END
    text = typed(update)
    room_id, actor = UUID(hex=editing["room_id"]), user_of(update).id
    if editing["field"] == "price":
        value = _price(context, text, editing["currency"])
        cmd = hc.UpdateRoom(room_id=room_id, price_per_night=value if isinstance(value, int) else None, actor_id=actor)
    else:
        value = _capacity(context, text)
        cmd = hc.UpdateRoom(room_id=room_id, capacity=value if isinstance(value, int) else None, actor_id=actor)
    if isinstance(value, str):  # refused: say why and ask the same again
        await show(update, value + "\n\n" + _edit_question(context, editing))
        return EDIT_VALUE
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
