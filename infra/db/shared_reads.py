"""Identical reads asked at once share one trip to the database, and never an older one.

A crowd looking at the same thing at the same moment (two hundred guests told the last room of a
night has just gone, all shown the same hotel's free rooms and calendar; a sale opening) would
otherwise ask the database the same question once each. Here a read asked while the same read is
on its way does not join it, since that one may have begun before the caller's own booking failed
or committed: it waits for the next one, which begins as soon as the one on its way is back and
answers everyone who asked until it began. So every answer was read after it was asked for (a
caller always sees what happened before it asked), a quiet read goes out at once as before, and a
crowd costs one read on its way and one waiting, per question, instead of one a caller (one more
while a read is stuck, see `behind_s`).

Not a cache: nothing is kept once a read is back. Go's `singleflight` and the like join the read
already on its way, which is what a reader after a failed hold must not see; hence this small class
rather than a library.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class SharedReads:
    """`behind_s`: how long a read waits for the same read on its way before it begins anyway
    (a read stuck on a dead connection must not hold up everyone who asks after it; the answer
    is as fresh either way, since it begins after its callers asked)."""

    def __init__(self, behind_s: float = 2.0) -> None:
        self.behind_s = behind_s
        self._on_way: dict[Hashable, asyncio.Future[Any]] = {}
        self._not_begun: dict[Hashable, asyncio.Future[Any]] = {}
        self._reading: set[asyncio.Task[None]] = set()  # referenced until done

    async def read(self, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        """`fetch()`'s answer for `key`, from a read that began after this call. A caller that
        is cancelled leaves the read going for the others who wait on it."""
        answer = self._not_begun.get(key)
        if answer is None:
            answer = asyncio.get_running_loop().create_future()
            answer.add_done_callback(_retrieved)
            # recorded before the read can start, whatever the loop's task factory
            self._not_begun[key] = answer
            task = asyncio.ensure_future(self._after(key, self._on_way.get(key), fetch, answer))
            self._reading.add(task)
            task.add_done_callback(self._reading.discard)
        try:
            result: T = await asyncio.shield(answer)
        except Exception as exc:
            raise _own(exc) from exc.__cause__
        return result

    async def _after(
        self, key: Hashable, ahead: asyncio.Future[Any] | None, fetch: Callable[[], Awaitable[Any]], answer: Any
    ) -> None:
        try:
            if ahead is not None:  # its outcome is its callers'; this read only waits it out
                await asyncio.wait([ahead], timeout=self.behind_s)
            # everyone who asked until now is answered by this read; whoever asks from here on
            # waits for the next
            if self._not_begun.get(key) is answer:
                del self._not_begun[key]
            self._on_way[key] = answer
            answer.set_result(await fetch())
        except BaseException as exc:  # the callers' to see; cancelled only as the loop closes
            if isinstance(exc, asyncio.CancelledError):
                answer.cancel()
                raise
            if not answer.done():
                answer.set_exception(exc)
        finally:
            if self._not_begun.get(key) is answer:
                del self._not_begun[key]
            if self._on_way.get(key) is answer:
                del self._on_way[key]


def _own(exc: Exception) -> Exception:
    """A copy of a shared read's error for each caller: raising one object in many tasks would
    leave each caller's traceback and context on the others' (a log would show another guest's)."""
    try:
        mine = copy.copy(exc)
    except Exception:
        return exc
    if type(mine) is not type(exc):
        return exc
    return mine.with_traceback(exc.__traceback__)


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Every caller of a failed read may have been cancelled: its error is theirs, not the loop's."""
    if not future.cancelled():
        future.exception()
