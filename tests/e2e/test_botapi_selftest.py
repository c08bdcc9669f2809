"""The Bot API stand-in (tests/botapi.py) against a plain python-telegram-bot Application in long-polling mode,
and against raw HTTP requests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, EndPointNotFound, Forbidden, RetryAfter
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.botapi import FakeBotApi

pytestmark = pytest.mark.e2e


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Sea view", callback_data="room:sea"),
                InlineKeyboardButton("Garden", callback_data="room:garden"),
            ]
        ]
    )
    await update.message.reply_text("Pick a room", reply_markup=keyboard)


async def on_pick(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    room = query.data.split(":", 1)[1]
    await query.answer(f"Chose {room}")
    await query.edit_message_text(f"Booked the {room} room")


async def test_ptb_application_round_trip() -> None:
    api = FakeBotApi()
    await api.start()
    app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CallbackQueryHandler(on_pick, pattern=r"^room:"))
    try:
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=2)
        assert app.bot.username == "hotel_test_bot"

        alice = api.user(101, "Alice")
        first_id = await alice.send("/start")
        menu = await alice.expect("Pick a room")
        assert menu.chat_id == 101 and menu.message_id == first_id + 1  # ids are shared per chat
        assert menu.buttons() == ["Sea view", "Garden"]
        assert menu.button_data("Sea") == "room:sea"
        with pytest.raises(AssertionError, match="Garden"):
            menu.button_data("Penthouse")

        query_id = await alice.press(menu, "Garden")
        edited = await alice.expect("Booked the garden room")
        assert edited is menu and edited.edits == ["Pick a room"] and edited.reply_markup is None
        assert alice.answers == [{"callback_query_id": query_id, "text": "Chose garden", "show_alert": False}]
        assert alice.last() is menu and api.sent == [menu]
        await api.wait_idle()
        methods = api.methods_called()
        assert methods[:1] == ["getMe"] and "deleteWebhook" in methods
        assert methods[-3:] == ["sendMessage", "answerCallbackQuery", "editMessageText"]
        send = next(params for method, params in api.calls if method == "sendMessage")
        assert (
            send["chat_id"] == 101 and send["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "room:garden"
        )

        # The keyboard is gone after the edit; a forged press still reaches the bot.
        with pytest.raises(AssertionError, match="cannot press"):
            await alice.press(menu, "Sea view")
        await alice.press_data(menu, "room:sea")
        await alice.expect("Booked the sea room", after=0)
        assert menu.edits == ["Pick a room", "Booked the garden room"]
        with pytest.raises(AssertionError, match="Booked the sea room"):
            await alice.expect("never sent", timeout=0.2)

        # Editing to the same content is refused as on Telegram.
        with pytest.raises(BadRequest, match="not modified"):
            await app.bot.edit_message_text("Booked the sea room", chat_id=101, message_id=menu.message_id)

        # A queued 429 surfaces as RetryAfter, once.
        api.fail_next["sendMessage"] = [
            {"error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}
        ]
        with pytest.raises(RetryAfter):
            await app.bot.send_message(101, "hello")
        assert api.fail_next["sendMessage"] == []
        await app.bot.send_message(101, "hello again")
        assert alice.last().text == "hello again"

        # A chat that blocked the bot.
        api.blocked.add(202)
        with pytest.raises(Forbidden, match="blocked"):
            await app.bot.send_message(202, "are you there?")
        assert all(message.chat_id != 202 for message in api.sent)

        # setMyCommands per (scope, language).
        await app.bot.set_my_commands(
            [BotCommand("book", "Book a room")], scope=BotCommandScopeChat(101), language_code="ko"
        )
        expected = [{"command": "book", "description": "Book a room"}]
        assert api.commands_for({"type": "chat", "chat_id": 101}, "ko") == expected
        assert api.commands[json.dumps([{"type": "chat", "chat_id": 101}, "ko"])] == expected
        assert await app.bot.get_my_commands(scope=BotCommandScopeChat(101), language_code="ko") == (
            BotCommand("book", "Book a room"),
        )

        # Unknown methods are refused and recorded.
        with pytest.raises(EndPointNotFound):
            await app.bot.do_api_request("sendHologram", api_kwargs={"chat_id": 101})
        assert api.calls[-1] == ("sendHologram", {"chat_id": 101})
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        await api.stop()


async def test_raw_http_long_poll_and_offsets() -> None:
    api = FakeBotApi()
    await api.start()
    url = f"{api.base_url}{api.token}"
    loop = asyncio.get_running_loop()
    try:
        async with aiohttp.ClientSession() as http:

            async def call(method: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
                async with http.post(f"{url}/{method}", **kwargs) as response:
                    return response.status, await response.json()

            async with http.post(f"{api.base_url}123:WRONG/getMe") as response:
                assert response.status == 401 and (await response.json())["ok"] is False

            # A held long poll answers as soon as an update is injected.
            started = loop.time()
            poll = asyncio.create_task(call("getUpdates", data={"offset": "0", "timeout": "5"}))
            await asyncio.sleep(0.2)
            assert not poll.done()
            bob = api.user(7, "Bob", "ko")
            await bob.send("/book@hotel_test_bot now")
            status, body = await poll
            assert status == 200 and loop.time() - started < 2
            (update,) = body["result"]
            message = update["message"]
            assert message["from"] == {"id": 7, "is_bot": False, "first_name": "Bob", "language_code": "ko"}
            assert message["chat"] == {"id": 7, "type": "private", "first_name": "Bob"}
            assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": len("/book@hotel_test_bot")}]

            # Unconfirmed updates come again; an offset past them confirms (drops) them.
            second = api.inject({"message": {**message, "message_id": 99, "text": "hi"}})
            status, body = await call("getUpdates", data={"offset": "0", "limit": "1"})
            assert [u["update_id"] for u in body["result"]] == [update["update_id"]]
            status, body = await call("getUpdates", json={"offset": update["update_id"] + 1, "timeout": 0})
            assert [u["update_id"] for u in body["result"]] == [second]
            status, body = await call("getUpdates", data={"offset": str(second + 1), "timeout": "0.2"})
            assert body == {"ok": True, "result": []}
            await api.wait_idle(timeout=2)

            # A JSON body with native values, a 404 and an edit of a missing message.
            markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
            status, body = await call("sendMessage", json={"chat_id": 7, "text": "[1]", "reply_markup": markup})
            assert status == 200 and body["result"]["reply_markup"] == markup and body["result"]["text"] == "[1]"
            assert api.calls[-1] == ("sendMessage", {"chat_id": 7, "text": "[1]", "reply_markup": markup})
            too_long = json.dumps({"inline_keyboard": [[{"text": "Long", "callback_data": "x" * 65}]]})
            status, body = await call("sendMessage", data={"chat_id": "7", "text": "x", "reply_markup": too_long})
            assert status == 400 and body["description"] == "Bad Request: BUTTON_DATA_INVALID"
            status, body = await call("editMessageText", data={"chat_id": "7", "message_id": "12345", "text": "y"})
            assert status == 400 and "message to edit not found" in body["description"]
            status, body = await call("frobnicate")
            assert (status, body["error_code"]) == (404, 404) and api.calls[-1] == ("frobnicate", {})

            # stop() releases a held long poll at once.
            poll = asyncio.create_task(call("getUpdates", data={"offset": "0", "timeout": "30"}))
            await asyncio.sleep(0.2)
            started = loop.time()
            await api.stop()
            assert (await poll)[1] == {"ok": True, "result": []} and loop.time() - started < 2
    finally:
        await api.stop()
