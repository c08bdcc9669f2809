"""Simulated guests: they talk to the project's real PTB Application through updates shaped
exactly like Telegram's, put on its update queue; the bot answers through a RecordingRequest."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from datetime import date
from typing import Any

from telegram import Update

from bench.recording import BOT, RecordingRequest

_update_ids = itertools.count(1)
_message_ids = itertools.count(1_000_000)


class Guest:
    """`think_s`: a pause before each message or tap (uniform in [0.5, 1.5] times think_s), as a
    person reading the screen would take; 0 taps back-to-back."""

    def __init__(self, app: Any, request: RecordingRequest, user_id: int, think_s: float = 0.0) -> None:
        self.app, self.request, self.id, self.think_s = app, request, user_id, think_s
        self.user = {"id": user_id, "is_bot": False, "first_name": f"Guest{user_id}", "language_code": "en"}
        self.chat = {"id": user_id, "type": "private", "first_name": f"Guest{user_id}"}

    def _seen(self) -> int:
        return len(self.request.sent[self.id])

    async def _put(self, payload: dict[str, Any]) -> None:
        payload["update_id"] = next(_update_ids)
        await self.app.update_queue.put(Update.de_json(payload, self.app.bot))

    async def _think(self) -> None:
        if self.think_s:
            await asyncio.sleep(random.uniform(0.5, 1.5) * self.think_s)

    async def say(self, text: str, expect: str = "") -> dict[str, Any]:
        await self._think()
        seen = self._seen()
        message: dict[str, Any] = {
            "message_id": next(_message_ids),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        await self._put({"message": message})
        return (await self.request.wait(self.id, seen, expect))[1]

    async def press(self, on: dict[str, Any], data: str, expect: str = "") -> tuple[float, float, dict[str, Any]]:
        """Press a button; returns (pressed at, answered at, the answer)."""
        await self._think()
        seen = self._seen()
        message = {
            "message_id": int(on.get("message_id", 1)),
            "date": int(time.time()),
            "chat": self.chat,
            "from": BOT,
            "text": on.get("text", ""),
        }
        pressed = time.perf_counter()
        await self._put(
            {
                "callback_query": {
                    "id": f"q{next(_update_ids)}",
                    "from": self.user,
                    "chat_instance": str(self.id),
                    "data": data,
                    "message": message,
                }
            }
        )
        answered, params = await self.request.wait(self.id, seen, expect)
        return pressed, answered, params

    async def up_to_confirm(self, check_in: date, check_out: date, room_number: str) -> tuple[dict[str, Any], str]:
        """/book, typed dates, one guest, the room: returns the confirm screen and its Pay button."""
        await self.say("/book", "check-in")
        await self.say(check_in.isoformat(), "check-out")
        await self.say(check_out.isoformat(), "How many guests")
        rooms = await self.say("1", "Free from")
        room_data = _button(rooms, lambda text: text.startswith(f"{room_number} "))
        _, _, confirm = await self.press(rooms, room_data, "Please check")
        return confirm, _button(confirm, lambda text: text.startswith("Pay "))


def _button(params: dict[str, Any], match: Any) -> str:
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            if match(button["text"]):
                return str(button["callback_data"])
    raise LookupError(f"no such button in {markup}")
