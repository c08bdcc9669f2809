"""Running a process's main coroutine on the chosen event loop: uvloop where it is installed (it
is a dependency everywhere but Windows), asyncio otherwise or when EVENT_LOOP=asyncio; and how a
loop that works in rounds waits to be woken between them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


def run(main: Coroutine[Any, Any, T], loop: str = "uvloop") -> T:
    if loop == "uvloop":
        try:
            import uvloop
        except ImportError:  # Windows: no uvloop wheels
            log.info("uvloop is not installed; running on asyncio's loop")
        else:
            return uvloop.run(main)
    return asyncio.run(main)


async def woken(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait until `event` is set (True) or `timeout_s` has passed (False): how a loop that works
    in rounds (the relay, the in-process bus's retry workers) waits between them. Not
    `asyncio.wait_for(event.wait(), ...)`: on Python 3.11 that returns normally instead of raising
    a cancellation that arrives just as the event is set (CPython gh-86296, fixed in 3.12), so a
    loop woken the moment its process stops runs on, and the stop, which waits for it, never ends."""
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        return False
    return True
