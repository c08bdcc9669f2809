"""The engine of timed work: APScheduler 3 (the engine under python-telegram-bot's JobQueue) as
a metronome. It knows nothing of what the jobs do; each job is an async callable that works out
what is due from stored facts, so a restart, even after a long outage, loses nothing (overdue
work runs on the first tick), and a run interrupted by shutdown simply runs again later."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from infra.observability.metrics import counted_job

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]


class Scheduler:
    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._jobs: list[tuple[Job, float]] = []
        self._running: set[asyncio.Task[Any]] = set()

    def every(self, seconds: float, job: Job) -> None:
        """Run `job` now and then every `seconds`; never two runs of it at once."""
        self._jobs.append((job, seconds))

    def _add(self, func: Job, seconds: float) -> None:
        name = getattr(func, "__name__", repr(func))
        func = counted_job(func)  # hotelbot_scheduler_runs_total

        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                await func()
            except asyncio.CancelledError:
                log.info("job %s interrupted by shutdown; it runs again after the restart", name)
            except Exception:
                log.exception("job %s failed; it runs again on the next tick", name)
            finally:
                if task is not None:
                    self._running.discard(task)

        self._scheduler.add_job(
            run,
            "interval",
            seconds=seconds,
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC),
        )

    async def start(self) -> None:
        for job, seconds in self._jobs:
            self._add(job, seconds)
        self._scheduler.start()

    async def stop(self) -> None:
        """No new runs; a run in progress is interrupted (every job is safe to run again)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
