"""What Telegram is sent as a screen's keyboard: bot.ui writes it itself, and Telegram must read
exactly what python-telegram-bot would have sent, whatever the buttons carry."""

from __future__ import annotations

import json
from datetime import date

import pytest
from telegram import (
    CopyTextButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LoginUrl,
    SwitchInlineQueryChosenChat,
    WebAppInfo,
)

from bot.calendar import calendar_keyboard
from bot.ui import show, wire_markup


def _ptb(markup: InlineKeyboardMarkup) -> object:
    """The keyboard as Telegram reads what PTB would send."""
    return json.loads(json.dumps(markup.to_dict()))


def _read(wire: object) -> object:
    """As Telegram reads what bot.ui sends (JSON text)."""
    assert isinstance(wire, str)
    return json.loads(wire)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_month_calendar_is_sent_as_ptb_would_send_it(lang: str) -> None:
    for month in (date(2026, 2, 1), date(2026, 11, 1), date(2027, 1, 1)):
        keyboard = calendar_keyboard(
            month,
            lambda d: d.day % 3 != 0,
            lang,
            can_go_back=True,
            can_go_forward=False,
            today=date(2026, 11, 20),
            refused=lambda d: d.day == 30,
            extra=[[InlineKeyboardButton("✖ Stop", callback_data="x")]],
        )
        assert _read(wire_markup(keyboard)) == _ptb(keyboard)


def test_buttons_that_carry_more_than_callback_data_keep_all_of_it() -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Open the app", web_app=WebAppInfo("https://hotel.example/app"))],
            [InlineKeyboardButton("Site", url="https://hotel.example"), InlineKeyboardButton("Go", callback_data="p")],
            [InlineKeyboardButton("Log in", login_url=LoginUrl("https://hotel.example/login"))],
            [InlineKeyboardButton("Copy", copy_text=CopyTextButton("HB-1234"))],
            [InlineKeyboardButton("Share", switch_inline_query_chosen_chat=SwitchInlineQueryChosenChat("x", True))],
            [InlineKeyboardButton("Pay", pay=True)],
        ]
    )
    sent = _read(wire_markup(keyboard))
    assert sent == _ptb(keyboard)
    assert isinstance(sent, dict)
    assert sent["inline_keyboard"][0][0]["web_app"] == {"url": "https://hotel.example/app"}
    assert sent["inline_keyboard"][1] == [
        {"text": "Site", "url": "https://hotel.example"},
        {"callback_data": "p", "text": "Go"},
    ]
    assert sent["inline_keyboard"][5][0]["pay"] is True


class _Bot:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, object]]] = []

    async def do_api_request(self, method: str, api_kwargs: dict[str, object]) -> None:
        self.calls.append((method, api_kwargs))


class _Chat:
    id = 42


class _Update:
    callback_query = None
    effective_chat = _Chat()

    def __init__(self, bot: _Bot) -> None:
        self.bot = bot

    def get_bot(self) -> _Bot:
        return self.bot


async def test_a_screen_goes_out_with_its_keyboard_as_json_and_without_one_when_it_has_none() -> None:
    bot = _Bot()
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("1 guest", callback_data="g:1")]])
    await show(_Update(bot), "How many guests?", keyboard)  # type: ignore[arg-type]
    await show(_Update(bot), "Done")  # type: ignore[arg-type]
    (method, sent), (_, plain) = bot.calls
    assert method == "sendMessage"
    assert {**sent, "reply_markup": _read(sent["reply_markup"])} == {
        "chat_id": 42,
        "text": "How many guests?",
        "reply_markup": _ptb(keyboard),
    }
    assert plain == {"chat_id": 42, "text": "Done"}
