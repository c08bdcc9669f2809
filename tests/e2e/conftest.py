"""End-to-end: the project's real PTB Application, in polling mode, against the local Bot API
stand-in (tests/botapi.py), with scripted users pressing real buttons."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from bot import callbacks as cb
from infra.config import Settings
from main.processes import Runtime
from tests.botapi import FakeBotApi, Message, User
from tests.conftest import make_settings, truncate_all

ADMIN, MANAGER, OTHER_MANAGER, GUEST, GUEST2 = 1, 2, 3, 11, 12


@dataclass
class World:
    api: FakeBotApi
    settings: Settings
    runtime: Runtime
    users: dict[str, User] = field(default_factory=dict)

    async def restart(self, **overrides: Any) -> None:
        """Stop the whole process and start a new one on the same databases and broker."""
        await self.runtime.stop()
        self.settings = self.settings.model_copy(update=overrides) if overrides else self.settings
        self.runtime = Runtime(self.settings, relay_sweep_s=0.5)
        await self.runtime.start()


@contextlib.asynccontextmanager
async def running_world(**extra: Any) -> AsyncIterator[World]:
    """The Bot API stand-in and the all-in-one process on it; both closed afterwards."""
    api = FakeBotApi()
    await api.start()
    settings = make_settings(telegram_api_base_url=api.base_url, admin_ids=frozenset({ADMIN}), **extra)
    world = World(api, settings, Runtime(settings, relay_sweep_s=0.5))
    try:
        await world.runtime.start()
        yield world
    finally:
        await world.runtime.stop()  # the current one: a test may have restarted it
        await api.stop()


@pytest.fixture(params=["sqlite+inprocess", "postgresql+rabbitmq"])
async def world(request: Any, sqlite_url: str, pg_url: str, amqp: Callable[..., dict]) -> AsyncIterator[World]:
    """`@pytest.mark.settings(name=value)` on a test sets more of the world's settings."""
    if request.param == "sqlite+inprocess":
        extra: dict[str, Any] = {"database_url": sqlite_url}
    else:
        await truncate_all(pg_url)
        extra = {"database_url": pg_url, **amqp()}
    marker = request.node.get_closest_marker("settings")
    extra.update(marker.kwargs if marker else {})
    async with running_world(**extra) as w:
        yield w


@pytest.fixture
async def sqlite_world(sqlite_url: str) -> AsyncIterator[World]:
    """The all-in-one process on SQLite and the in-process bus only."""
    async with running_world(database_url=sqlite_url) as w:
        yield w


async def say(user: User, text: str, expect: str, timeout: float = 15) -> Message:
    """Send a message and wait for the bot's answer containing `expect`."""
    after = len(user.inbox)
    await user.send(text)
    return await user.expect(expect, timeout=timeout, after=after)


async def tap(user: User, message: Message, button: str, expect: str, timeout: float = 15) -> Message:
    """Press a button and wait for a new or edited message containing `expect`."""
    after = user.inbox.index(message) if message in user.inbox else len(user.inbox)
    await user.press(message, button)
    return await user.expect(expect, timeout=timeout, after=after)


async def pick_day(user: User, message: Message, day: date, expect: str) -> Message:
    """Press a day on the inline calendar, turning months until it shows."""
    data = cb.pack(cb.DAY, day)
    for _ in range(24):
        buttons = (message.reply_markup or {}).get("inline_keyboard", [])
        if any(b.get("callback_data") == data for row in buttons for b in row):
            return await tap(user, message, data, expect)
        before = str(message.reply_markup)
        await user.press(message, "›")
        for _ in range(200):
            if str(message.reply_markup) != before:
                break
            await asyncio.sleep(0.02)
    raise AssertionError(f"{day} never became pickable")
