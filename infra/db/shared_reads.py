"""Identical reads asked at once share one trip to the database, and never an older one.

A crowd looking at the same thing at the same moment (two hundred guests told the last room of a
night has just gone, all shown the same hotel's free rooms and calendar; a sale opening) would
otherwise ask the database the same question once each. Here a read asked while the same read is
on its way does not join it, since that one may have begun before the caller's own booking failed
or committed: it waits for the next one, which begins as soon as the one on its way is back and
answers everyone who asked until it began. So every answer was read after it was asked for (a
caller always sees what happened before it asked), a quiet read goes out at once as before, and a
crowd costs at most one read on its way and one waiting, per question, instead of one a caller.

Not a cache: nothing is kept once a read is back. Go's `singleflight` and the like join the read
already on its way, which is what a reader after a failed hold must not see; hence this small class
rather than a library.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class SharedReads:
    def __init__(self) -> None:
        self._on_way: dict[Hashable, asyncio.Future[Any]] = {}
        self._not_begun: dict[Hashable, asyncio.Future[Any]] = {}

    async def read(self, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        """`fetch()`'s answer for `key`, from a read that began after this call. The read runs as
        a task of its own: a caller that is cancelled leaves it running for the others."""
        shared = self._not_begun.get(key)
        if shared is None or shared.done():  # done before it began: only if the loop is closing
            shared = asyncio.ensure_future(self._after(key, self._on_way.get(key), fetch))
            shared.add_done_callback(_retrieved)
            self._not_begun[key] = shared
        result: T = await asyncio.shield(shared)
        return result

    async def _after(self, key: Hashable, ahead: asyncio.Future[Any] | None, fetch: Callable[[], Awaitable[T]]) -> T:
        if ahead is not None:
            await asyncio.wait([ahead])  # its outcome is its callers'; this one only waits it out
        # everyone who asked until now is answered by this read; whoever asks from here on waits
        # for the next
        me = self._not_begun.pop(key)
        self._on_way[key] = me
        try:
            return await fetch()
        finally:
            if self._on_way.get(key) is me:
                del self._on_way[key]


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Every caller of a failed read may have been cancelled: its error is theirs, not the loop's."""
    if not future.cancelled():
        future.exception()
