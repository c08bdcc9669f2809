"""Running a process's main coroutine on the chosen event loop: uvloop where it is installed (it
is a dependency everywhere but Windows), asyncio otherwise or when EVENT_LOOP=asyncio."""

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
