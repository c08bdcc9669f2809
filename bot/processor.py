"""Updates from different users run concurrently; one user's updates run strictly in order.

PTB's plain `concurrent_updates` would let a guest's two quick taps race through the same
conversation; the default sequential processing lets one slow database call hold up everyone.
Each user also has a leaky bucket (aiolimiter): a user sending 30 messages in a second is slowed
to the bucket's rate, and past a backlog their extra updates are dropped, while others are not
affected at all.

With a `state` (bot/state.py), each update of a user runs inside that user's turn in the
database: their state is read before it and written after it, and on PostgreSQL no other replica
runs an update of theirs meanwhile, so one user's updates stay one at a time across processes too.
The turn is taken after the in-process lane and the flood bucket, so a process asks the database
for one turn per user at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from aiolimiter import AsyncLimiter
from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)


def update_owner(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


def _payment(update: object) -> bool:
    """Telegram fails a payment whose pre-checkout query is not answered within 10 s, and a
    successful_payment is money taken: neither waits behind the user's other updates, nor in their
    flood bucket, nor is ever dropped. Neither touches a conversation's state."""
    if not isinstance(update, Update):
        return False
    return update.pre_checkout_query is not None or (
        update.message is not None and update.message.successful_payment is not None
    )


class UserTurns(Protocol):
    def turn(self, update: object, user_id: int) -> AbstractAsyncContextManager[bool]: ...


class _Lane:
    __slots__ = ("limiter", "lock", "waiting")

    def __init__(self, rate: float, burst: float) -> None:
        self.lock = asyncio.Lock()
        self.limiter = AsyncLimiter(burst, burst / rate)
        self.waiting = 0


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        max_concurrent_updates: int = 256,
        rate_per_s: float = 5.0,
        burst: float = 10.0,
        max_backlog: int = 50,
        state: UserTurns | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.state = state
        self.rate, self.burst, self.max_backlog = rate_per_s, burst, max_backlog
        self._lanes: dict[int, _Lane] = {}
        self.dropped = 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        owner = update_owner(update)
        if owner is None or _payment(update):
            await coroutine
            return
        lane = self._lanes.get(owner)
        if lane is None:
            lane = self._lanes[owner] = _Lane(self.rate, self.burst)
        if lane.waiting >= self.max_backlog:
            self.dropped += 1
            log.warning("user %s is flooding: update dropped", owner)
            coroutine.close()  # type: ignore[attr-defined]
            return
        lane.waiting += 1
        try:
            async with lane.lock:
                await lane.limiter.acquire()
                if self.state is None:
                    await coroutine
                    return
                await self._in_turn(update, owner, coroutine)
        finally:
            lane.waiting -= 1
            if len(self._lanes) > 10_000:
                self._prune()

    async def _in_turn(self, update: object, owner: int, coroutine: Awaitable[Any]) -> None:
        assert self.state is not None
        ran = False
        try:
            async with self.state.turn(update, owner) as fresh:
                if fresh:
                    ran = True
                    await coroutine
        except Exception:
            # the database could not be asked or written: PTB's error handler never saw this one
            log.exception("user %s: their state could not be read or written for this update", owner)
        finally:
            if not ran:
                coroutine.close()  # type: ignore[attr-defined]

    def _prune(self) -> None:
        """Forget users who are idle and whose bucket has refilled."""
        for owner, lane in list(self._lanes.items()):
            if lane.waiting == 0 and lane.limiter.has_capacity(self.burst):
                del self._lanes[owner]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
