"""Timed work: what is due is the owning context's to say, through its own commands and
repositories; this module only asks (the command bus), tells (the notifier) and keeps time.
- approval reminders: the hotel claims each due request (one conditional update: one winner per
  request across replicas); a reminder that could not be sent is given back for the next tick;
- auto-rejection: the hotel rejects its overdue requests as a manager would, under the row lock,
  so a manager's approval a moment before the deadline wins cleanly;
- check-in reminders: the reservation context says which stays start tomorrow; each is claimed
  in `app_job_runs`, whose primary key admits one claimer;
- the payment sweep: the reservation context settles holds a crash left waiting;
- no-shows: the hotel marks approved stays not checked in by its no-show hour the day after
  arrival, each under its row lock (one mark, one event, across replicas); the reservation
  context, the refund and the notices follow from the event.
The engine (APScheduler) is infra.scheduler; this module says what runs how often."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from domain.hotel import commands as hc
from domain.reservation import commands as rc
from domain.reservation.checkout import SettleCheckouts
from domain.reservation.checkout import Settled as CheckoutsSettled
from domain.reservation.handlers import Settled
from domain.reservation.model import Reservation
from infra.config import CONTEXTS
from infra.db.housekeeping import prune
from infra.db.job_runs import JobClaims
from infra.scheduler import Scheduler
from main.bootstrap import Container

log = logging.getLogger(__name__)

AUTO_REJECT_REASON = "deadline"  # a reason code: each reader sees it in their own language
# A hold is settled by the sweep only once its payment call must have ended (timeout) with a margin.
PAYMENT_SETTLE_MARGIN = timedelta(minutes=1)


class Jobs:
    """Each job is one call that does whatever is due now by the container's clock."""

    def __init__(self, container: Container, notifier: Any) -> None:
        s = container.settings
        self.handle = container.handle
        self.clock = container.clock
        self.notifier = notifier
        self.claims = JobClaims(container.engine("app"))
        self._engines = {context: container.engine(context) for context in CONTEXTS}
        self._app = container.engine("app")
        self.reminder_after = timedelta(seconds=s.approval_reminder_after_s)
        self.deadline = timedelta(seconds=s.approval_deadline_s)
        self.check_in_hour = s.check_in_reminder_hour
        self.no_show_hour = s.no_show_hour
        self.payment_timeout = timedelta(seconds=s.payment_timeout_s)
        self.retention = timedelta(days=s.retention_days)
        self.telegram_payments = s.payment_provider == "telegram"

    @property
    def now(self) -> datetime:
        return self.clock.now()

    async def remind_managers(self) -> int:
        now = self.now
        due = await self.handle(hc.ClaimApprovalReminders(requested_before=now - self.reminder_after, now=now))
        sent = 0
        for reservation_id in due:
            if self.notifier is None:
                continue
            try:
                await self.notifier.remind_managers(reservation_id)
            except Exception:
                # Not sent: give the claim back so the next tick (here or on a replica) tries again.
                await self.handle(hc.ReleaseApprovalReminder(reservation_id=reservation_id))
                raise
            sent += 1
        return sent

    async def reject_overdue(self) -> int:
        overdue = hc.RejectOverdueRequests(requested_before=self.now - self.deadline, reason=AUTO_REJECT_REASON)
        rejected: int = await self.handle(overdue)
        return rejected

    async def remind_guests(self) -> int:
        """The day before check-in, from the configured local hour on, once per reservation."""
        due: list[Reservation] = await self.handle(rc.FindCheckInReminders(now=self.now, from_hour=self.check_in_hour))
        sent = 0
        for reservation in due:
            slot = str(reservation.id)
            if not await self.claims.claim("check_in_reminder", slot, self.now) or self.notifier is None:
                continue
            try:
                await self.notifier.remind_guest(reservation.id, reservation.guest_id)
            except Exception:
                await self.claims.unclaim("check_in_reminder", slot)
                raise
            sent += 1
        return sent

    async def mark_no_shows(self) -> int:
        """The guest and the managers hear of it from the events (GuestNoShow → ReservationNoShow
        → the refund), so nothing is told from here and a crash after the mark loses nothing."""
        marked: list[object] = await self.handle(hc.MarkNoShows(now=self.now, hour=self.no_show_hour))
        return len(marked)

    async def settle_payments(self) -> tuple[int, int]:
        if self.telegram_payments:  # holds wait for Telegram: settle_checkouts
            return 0, 0
        cutoff = self.now - self.payment_timeout - PAYMENT_SETTLE_MARGIN
        settled: Settled = await self.handle(rc.SettleStalePayments(created_before=cutoff))
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

        if not self.telegram_payments:
            return 0
        settled: CheckoutsSettled = await self.handle(SettleCheckouts())
        if self.notifier is not None:
            for released in settled.released:
                await bot_checkout.hold_expired(self.notifier, released)
            for result in settled.results:
                await bot_checkout.settled_by_sweep(self.notifier, result)
        return len(settled.released) + len(settled.results)

    async def housekeeping(self) -> int:
        """Prune message bookkeeping and idle conversation state past the retention period."""
        return await prune(self._engines, self._app, self.now - self.retention)


def scheduler(container: Container, notifier: Any, relay: Any = None) -> Scheduler:
    jobs = Jobs(container, notifier)
    tick = container.settings.scheduler_tick_s
    engine = Scheduler()
    engine.every(tick, jobs.remind_managers)
    engine.every(tick, jobs.reject_overdue)
    engine.every(tick, jobs.remind_guests)
    engine.every(tick, jobs.settle_payments)
    engine.every(tick, jobs.settle_checkouts)
    engine.every(tick, jobs.mark_no_shows)
    engine.every(6 * 3600, jobs.housekeeping)
    if relay is not None:
        engine.every(5, relay.drain)  # belt and braces for the prompt path
    return engine
