"""Timed work, on APScheduler 3 (the engine under python-telegram-bot's JobQueue).

APScheduler is only the metronome: every job derives what is due from the database (due times
are computed from stored facts such as `requested_at` and `check_in`), so a restart, even after a
long outage, loses nothing: on the first tick overdue work runs. Each piece of due work is claimed
before it is done, so with several replicas it runs once:
- approval reminders: `UPDATE … SET reminded_at = now WHERE reminded_at IS NULL` — one row, one winner;
- auto-rejection: the hotel's own reject command, which locks the request row and refuses anything
  no longer pending, so a manager's approval a moment before the deadline wins cleanly;
- check-in reminders: an insert into `app_job_runs (job, slot)` whose primary key admits one claimer.
A claim row is simpler than a leader lease (no renewal, no failover window) and works on SQLite too.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import delete, select, update

from domain.hotel import commands as hc
from domain.reservation.handlers import settle_stale_payments
from domain.reservation.model import ReservationStatus
from domain.shared.errors import DomainError
from infra.config import CONTEXTS
from infra.db.tables import MESSAGING, bot_state, catalog_rooms, hotel_approvals, reservations, scheduled_runs
from infra.db.uow import inserting_ignored
from infra.observability.metrics import counted_job
from main.bootstrap import Container

log = logging.getLogger(__name__)

AUTO_REJECT_REASON = "deadline"  # a reason code: each reader sees it in their own language
# A hold is settled by the sweep only once its payment call must have ended (timeout) with a margin.
PAYMENT_SETTLE_MARGIN = timedelta(minutes=1)


class Jobs:
    """Each job is one call that does whatever is due now by the container's clock."""

    def __init__(self, container: Container, notifier: Any) -> None:
        self.container = container
        self.notifier = notifier

    @property
    def now(self) -> datetime:
        return self.container.clock.now()

    async def _claim(self, job: str, slot: str) -> bool:
        async with self.container.engine("app").begin() as conn:
            result = await conn.execute(
                inserting_ignored(conn.dialect.name, scheduled_runs), {"job": job, "slot": slot, "claimed_at": self.now}
            )
            return bool(result.rowcount == 1)

    async def _unclaim(self, job: str, slot: str) -> None:
        async with self.container.engine("app").begin() as conn:
            await conn.execute(delete(scheduled_runs).where(scheduled_runs.c.job == job, scheduled_runs.c.slot == slot))

    async def remind_managers(self) -> int:
        s = self.container.settings
        cutoff = self.now - timedelta(seconds=s.approval_reminder_after_s)
        async with self.container.engine("hotel").connect() as conn:
            due = (
                await conn.scalars(
                    select(hotel_approvals.c.reservation_id).where(
                        hotel_approvals.c.status == "pending",
                        hotel_approvals.c.reminded_at.is_(None),
                        hotel_approvals.c.requested_at <= cutoff,
                    )
                )
            ).all()
        sent = 0
        for reservation_id in due:
            async with self.container.engine("hotel").begin() as conn:
                claimed = await conn.execute(
                    update(hotel_approvals)
                    .where(
                        hotel_approvals.c.reservation_id == reservation_id,
                        hotel_approvals.c.status == "pending",
                        hotel_approvals.c.reminded_at.is_(None),
                    )
                    .values(reminded_at=self.now)
                )
            if claimed.rowcount == 1 and self.notifier is not None:
                try:
                    await self.notifier.remind_managers(reservation_id)
                except Exception:
                    # Not sent: give the claim back so the next tick (here or on a replica) tries again.
                    async with self.container.engine("hotel").begin() as conn:
                        await conn.execute(
                            update(hotel_approvals)
                            .where(hotel_approvals.c.reservation_id == reservation_id)
                            .values(reminded_at=None)
                        )
                    raise
                sent += 1
        return sent

    async def reject_overdue(self) -> int:
        s = self.container.settings
        cutoff = self.now - timedelta(seconds=s.approval_deadline_s)
        async with self.container.engine("hotel").connect() as conn:
            due = (
                await conn.scalars(
                    select(hotel_approvals.c.reservation_id).where(
                        hotel_approvals.c.status == "pending", hotel_approvals.c.requested_at <= cutoff
                    )
                )
            ).all()
        rejected = 0
        for reservation_id in due:
            try:
                await self.container.handle(
                    hc.RejectReservation(
                        reservation_id=reservation_id, manager_id=None, manager_name="—", reason=AUTO_REJECT_REASON
                    )
                )
                rejected += 1
            except DomainError as exc:  # decided a moment ago, by a manager or another replica
                log.info("auto-reject of %s skipped: %s", reservation_id, exc)
        return rejected

    async def remind_guests(self) -> int:
        """The day before check-in, from the configured local hour on, once per reservation."""
        hour = self.container.settings.check_in_reminder_hour
        async with self.container.engine("reservation").connect() as conn:
            zones = (await conn.execute(select(catalog_rooms.c.hotel_id, catalog_rooms.c.timezone).distinct())).all()
        sent = 0
        for hotel_id, tz in zones:
            local = self.now.astimezone(ZoneInfo(tz))
            if local.hour < hour:
                continue
            tomorrow = local.date() + timedelta(days=1)
            async with self.container.engine("reservation").connect() as conn:
                due = (
                    await conn.execute(
                        select(reservations.c.id, reservations.c.guest_id).where(
                            reservations.c.hotel_id == hotel_id,
                            reservations.c.check_in == tomorrow,
                            reservations.c.status == ReservationStatus.CONFIRMED.value,
                        )
                    )
                ).all()
            for reservation_id, guest_id in due:
                if await self._claim("check_in_reminder", str(reservation_id)) and self.notifier is not None:
                    try:
                        await self.notifier.remind_guest(reservation_id, guest_id)
                    except Exception:
                        await self._unclaim("check_in_reminder", str(reservation_id))
                        raise
                    sent += 1
        return sent

    async def settle_payments(self) -> tuple[int, int]:
        c = self.container
        if c.settings.payment_provider == "telegram":  # holds wait for Telegram: settle_checkouts
            return 0, 0
        cutoff = self.now - timedelta(seconds=c.settings.payment_timeout_s) - PAYMENT_SETTLE_MARGIN
        settled = await settle_stale_payments(c.reservation_uow(), c.payments, cutoff)
        # The guest last saw "Taking the payment…": each is told how their booking ended.
        for reservation, placed in [(r, True) for r in settled.placed] + [(r, False) for r in settled.released]:
            if self.notifier is None:
                break
            try:
                await self.notifier.payment_settled(reservation, placed)
            except Exception:
                log.exception("could not tell guest %s how booking %s ended", reservation.guest_id, reservation.id)
        return len(settled.placed), len(settled.released)

    async def settle_checkouts(self) -> int:
        """Telegram Payments: release holds that expired unpaid (the guest is told, the invoice
        withdrawn), and place or refund payments a crash or an outage left unsettled."""
        from bot import checkout as bot_checkout
        from domain.reservation.checkout import settle_checkouts

        c = self.container
        if c.settings.payment_provider != "telegram":
            return 0
        settled = await settle_checkouts(c.reservation_uow(), c.checkout_payments, c.clock)
        if self.notifier is not None:
            for released in settled.released:
                await bot_checkout.hold_expired(self.notifier, released)
            for result in settled.results:
                await bot_checkout.settled_by_sweep(self.notifier, result)
        return len(settled.released) + len(settled.results)

    async def housekeeping(self) -> int:
        """Prune what has served its purpose: processed inbox rows and sent outbox rows past the
        retention period, old claims, and the state of conversations nobody touched for as long."""
        cutoff = self.now - timedelta(days=self.container.settings.retention_days)
        pruned = 0
        for context in CONTEXTS:
            m = MESSAGING[context]
            async with self.container.engine(context).begin() as conn:
                pruned += (await conn.execute(delete(m.inbox).where(m.inbox.c.processed_at < cutoff))).rowcount
                pruned += (await conn.execute(delete(m.outbox).where(m.outbox.c.published_at < cutoff))).rowcount
        async with self.container.engine("app").begin() as conn:
            pruned += (await conn.execute(delete(scheduled_runs).where(scheduled_runs.c.claimed_at < cutoff))).rowcount
            pruned += (await conn.execute(delete(bot_state).where(bot_state.c.updated_at < cutoff))).rowcount
        return int(pruned)


class Scheduler:
    def __init__(self, container: Container, notifier: Any, relay: Any = None) -> None:
        self.jobs = Jobs(container, notifier)
        self.relay = relay
        self.tick = container.settings.scheduler_tick_s
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._running: set[asyncio.Task[Any]] = set()

    def _add(self, func: Any, seconds: float) -> None:
        func = counted_job(func)  # hotelbot_scheduler_runs_total

        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                await func()
            except asyncio.CancelledError:
                log.info("job %s interrupted by shutdown; it runs again after the restart", func.__name__)
            except Exception:
                log.exception("job %s failed; it runs again on the next tick", func.__name__)
            finally:
                if task is not None:
                    self._running.discard(task)

        self._scheduler.add_job(
            run,
            "interval",
            seconds=seconds,
            id=func.__name__,
            name=func.__name__,
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC),
        )

    async def start(self) -> None:
        j = self.jobs
        self._add(j.remind_managers, self.tick)
        self._add(j.reject_overdue, self.tick)
        self._add(j.remind_guests, self.tick)
        self._add(j.settle_payments, self.tick)
        self._add(j.settle_checkouts, self.tick)
        self._add(j.housekeeping, 6 * 3600)
        if self.relay is not None:
            self._add(self.relay.drain, 5)  # belt and braces for the prompt path
        self._scheduler.start()

    async def stop(self) -> None:
        """No new runs; a run in progress is interrupted (every job is safe to run again)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
