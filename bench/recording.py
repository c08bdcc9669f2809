"""An in-process Bot API for benchmarks: a python-telegram-bot BaseRequest that answers every
call at once, as Telegram would, and records what the bot sent, per chat, with the time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT = {"id": 999000, "is_bot": True, "first_name": "HotelBot", "username": "hotel_bench_bot"}


class RecordingRequest(BaseRequest):
    def __init__(self) -> None:
        self.sent: dict[int, list[tuple[float, str, dict[str, Any]]]] = defaultdict(list)
        self._waiters: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self._next_id = 0
        self.calls = 0

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        self._next_id += 1
        chat_id = int(str(params.get("chat_id", 0)))
        message = {
            "message_id": int(params.get("message_id", self._next_id)),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT,
            "text": params.get("text", ""),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        self.calls += 1
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        result: Any = True
        if name == "getMe":
            result = BOT
        elif name == "getUpdates":
            await asyncio.sleep(0.5)
            result = []
        elif name in ("sendMessage", "editMessageText"):
            result = self._message(params)
            chat_id = int(str(params.get("chat_id", 0)))
            self.sent[chat_id].append((time.perf_counter(), name, params))
            self._waiters[chat_id].set()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    async def wait(
        self, chat_id: int, seen: int, contains: str = "", timeout: float = 30, skip: str = "Taking the payment"
    ) -> tuple[float, dict[str, Any]]:
        """The first message to `chat_id` after the first `seen` ones whose text contains
        `contains` (and is not the interim `skip` one)."""
        deadline = time.perf_counter() + timeout
        while True:
            event = self._waiters[chat_id]
            event.clear()  # before looking, so a message that lands after the look still wakes us
            for at, _, params in self.sent[chat_id][seen:]:
                text = str(params.get("text", ""))
                if contains in text and not (skip and text.startswith(skip)):
                    return at, params
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                texts = [p.get("text", "")[:60] for _, _, p in self.sent[chat_id]]
                raise TimeoutError(f"chat {chat_id}: no message with {contains!r}; got {texts}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
