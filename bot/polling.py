"""Long polling that confirms an update to Telegram only once it was handled.

`getUpdates` confirms every update below its `offset`. python-telegram-bot's Updater asks for the
next batch as soon as it has queued one, which confirms it at once: a process killed while an
update is in hand (a guest's Pay press, say) loses it, and the guest is answered by nobody. Here
the offset moves only past updates whose handling has finished. One still in hand comes back in
the next batch and is left alone; after a restart it is handled again, and the user's turn
(bot/state.py) skips any update it recorded as handled. At least once from Telegram, once per user.

While updates are in hand Telegram answers `getUpdates` at once (they are still pending), so the
loop then waits for one of them to finish, or a short pause, before it asks again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut

log = logging.getLogger(__name__)

PAUSE_S = 0.02  # between two batches while updates are in hand: the longest a new update waits extra
BACKOFF_S = (0.5, 1, 2, 5)


class ConfirmingPoller:
    def __init__(self, bot: Any, handle: Callable[[Update], Awaitable[None]], timeout_s: int) -> None:
        self.bot, self.handle = bot, handle
        self.timeout_s = timeout_s
        self.in_hand: dict[int, asyncio.Task[None]] = {}
        self._finished: set[int] = set()  # handled, but a lower update is still in hand
        self._next = 0  # the lowest update id not yet taken
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        await self.bot.delete_webhook()
        self._task = asyncio.create_task(self._run(), name="polling")

    async def stop(self) -> None:
        """Stop asking; finish what is in hand (those updates are confirmed by the next process)."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.in_hand:
            await asyncio.gather(*self.in_hand.values(), return_exceptions=True)

    def offset(self) -> int:
        return min(self.in_hand) if self.in_hand else self._next

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                updates = await self.bot.get_updates(
                    offset=self.offset() or None,
                    timeout=0 if self.in_hand else self.timeout_s,
                    allowed_updates=Update.ALL_TYPES,
                )
                failures = 0
            except InvalidToken:
                raise
            except RetryAfter as exc:
                wait = exc.retry_after
                await asyncio.sleep(wait.total_seconds() if isinstance(wait, timedelta) else float(wait))
                continue
            except (NetworkError, TimedOut, Conflict) as exc:  # Conflict: another poller, for a moment
                delay = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                failures += 1
                log.warning("getUpdates failed (%s); asking again in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            for update in updates:
                self._take(update)
            if self.in_hand:
                await asyncio.wait(self.in_hand.values(), timeout=PAUSE_S, return_when=asyncio.FIRST_COMPLETED)
                await asyncio.sleep(PAUSE_S)

    def _take(self, update: Update) -> None:
        uid = update.update_id
        if uid in self.in_hand or uid in self._finished or uid < self._next:
            return  # still in hand, or handled here and confirmed with the next batch
        self._next = max(self._next, uid + 1)
        self.in_hand[uid] = asyncio.create_task(self._handle(update), name=f"update-{uid}")

    async def _handle(self, update: Update) -> None:
        try:
            await self.handle(update)
        except Exception:
            log.exception("update %s failed", update.update_id)
        finally:
            del self.in_hand[update.update_id]
            self._finished.add(update.update_id)
            low = self.offset()
            self._finished = {uid for uid in self._finished if uid >= low}
