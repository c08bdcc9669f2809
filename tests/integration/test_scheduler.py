"""Timed work with a controllable clock (no real sleeping for hours): reminders once at the right
time, auto-rejection with refund, a manager's last-minute approval winning, overdue work after an
outage run once, two schedulers producing one reminder, and the day before check-in across DST."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.hotel import commands as hc
from domain.shared.errors import AlreadyDecided
from infra.clock import FixedClock
from main.bootstrap import Container
from main.jobs import Jobs
from main.processes import Runtime
from tests.botapi import FakeBotApi
from tests.conftest import make_settings
from tests.integration.helpers import MANAGER, eventually, place, seed_hotel

pytestmark = pytest.mark.integration
GUEST = 4242


@dataclass
class Clocked:
    api: FakeBotApi
    clock: FixedClock
    runtime: Runtime
    url: str

    @property
    def container(self) -> Container:
        return self.runtime.container

    def jobs(self) -> Jobs:
        return Jobs(self.container, self.runtime.notifier)

    async def restart(self) -> None:
        await self.runtime.stop()
        self.runtime = _runtime(self.url, self.api, self.clock)
        await self.runtime.start()


def _runtime(url: str, api: FakeBotApi, clock: FixedClock) -> Runtime:
    settings = make_settings(database_url=url, telegram_api_base_url=api.base_url)
    return Runtime(settings, bot=False, scheduler=False, container=Container(settings, clock=clock), relay_sweep_s=0.2)


@pytest.fixture(params=["sqlite", "postgresql"])
async def clocked(request: Any, sqlite_url: str, pg: str) -> AsyncIterator[Clocked]:
    api = FakeBotApi()
    await api.start()
    url = sqlite_url if request.param == "sqlite" else pg
    clock = FixedClock(datetime.now(UTC))
    runtime = _runtime(url, api, clock)
    await runtime.start()
    world = Clocked(api, clock, runtime, url)
    try:
        yield world
    finally:
        await world.runtime.stop()
        await api.stop()


async def _placed_request(w: Clocked, check_in: date | None = None, tz: str = "Asia/Seoul") -> Any:
    c = w.container
    _, (room,) = await seed_hotel(c, sync_catalog=False, tz=tz)
    check_in = check_in or w.clock.now().date() + timedelta(days=10)
    r = await c.handle(place(room, GUEST, check_in, check_in + timedelta(days=2)))
    await eventually(lambda: c.hotels.approval(r.id))
    await w.api.user(MANAGER, "Mia").expect("New reservation")
    return r


def _texts(w: Clocked, chat_id: int, contains: str) -> list[str]:
    return [m.text for m in w.api.sent if m.chat_id == chat_id and contains in m.text]


async def test_managers_are_reminded_once_when_the_reminder_is_due(clocked: Clocked) -> None:
    w = clocked
    await _placed_request(w)
    jobs = w.jobs()
    w.clock.advance(timedelta(hours=1, minutes=59))
    assert await jobs.remind_managers() == 0
    w.clock.advance(timedelta(minutes=2))
    assert await jobs.remind_managers() == 1
    assert await jobs.remind_managers() == 0
    await w.api.wait_idle()
    assert len(_texts(w, MANAGER, "still waiting for your decision")) == 1


async def test_after_the_deadline_the_request_is_rejected_refunded_and_the_guest_told(clocked: Clocked) -> None:
    w = clocked
    r = await _placed_request(w)
    jobs = w.jobs()
    w.clock.advance(timedelta(hours=23, minutes=59))
    assert await jobs.reject_overdue() == 0
    w.clock.advance(timedelta(minutes=2))
    assert await jobs.reject_overdue() == 1
    guest = w.api.user(GUEST, "Guest")
    await guest.expect("the hotel did not answer in time")
    await guest.expect("refunded for reservation")

    async def view_says_so() -> bool:
        row = await w.container.views.reservation(r.id)
        return row is not None and (row.status, row.payment_status) == ("rejected", "refunded")

    await eventually(view_says_so)
    assert await jobs.reject_overdue() == 0
    await w.api.wait_idle()
    # The managers' copy says it too, in their own words.
    assert _texts(w, MANAGER, "Rejected by —") and _texts(w, MANAGER, "the hotel did not answer in time")


async def test_the_deadline_reason_reaches_a_korean_guest_in_korean(clocked: Clocked) -> None:
    w = clocked
    await w.container.users.set_language(GUEST, "ko")
    await _placed_request(w)
    w.clock.advance(timedelta(hours=24, minutes=1))
    assert await w.jobs().reject_overdue() == 1
    await w.api.user(GUEST, "Guest").expect("호텔이 기한 안에 답하지 않았습니다")
    await w.api.wait_idle()
    assert not _texts(w, GUEST, "did not answer in time")


async def test_an_approval_at_the_last_moment_wins_over_the_deadline(clocked: Clocked) -> None:
    w = clocked
    r = await _placed_request(w)
    w.clock.advance(timedelta(hours=24, minutes=1))
    # The manager presses Approve exactly while the deadline job runs: one of them wins, whole.
    approve = w.container.handle(hc.ApproveReservation(reservation_id=r.id, manager_id=MANAGER, manager_name="Mia"))
    results = await asyncio.gather(approve, w.jobs().reject_overdue(), return_exceptions=True)
    request = await w.container.hotels.approval(r.id)
    assert request is not None
    if request.status.value == "approved":
        assert results[1] == 0
    else:  # the job got there first: the manager was told it was too late
        assert isinstance(results[0], AlreadyDecided) and results[0].params == {"status": "rejected"}
    # Approved a minute before the deadline: no auto-rejection follows.
    r2 = await _placed_request(w)
    w.clock.advance(timedelta(hours=23, minutes=59))
    await w.container.handle(hc.ApproveReservation(reservation_id=r2.id, manager_id=MANAGER, manager_name="Mia"))
    w.clock.advance(timedelta(minutes=2))
    assert await w.jobs().reject_overdue() == 0
    approved = await w.container.hotels.approval(r2.id)
    assert approved is not None and approved.status.value == "approved"


async def test_work_that_fell_due_during_an_outage_runs_once_after_the_restart(clocked: Clocked) -> None:
    w = clocked
    r = await _placed_request(w)
    await w.runtime.stop()
    w.clock.advance(timedelta(days=3))  # the process was down for three days
    w.runtime = _runtime(w.url, w.api, w.clock)
    await w.runtime.start()
    for _ in range(3):
        jobs = w.jobs()
        await jobs.remind_managers()
        await jobs.reject_overdue()
    await w.api.user(GUEST, "Guest").expect("did not answer in time")
    await w.api.wait_idle()
    assert len(_texts(w, GUEST, "did not answer in time")) == 1
    assert len(_texts(w, MANAGER, "still waiting for your decision")) == 1
    request = await w.container.hotels.approval(r.id)
    assert request is not None and request.status.value == "rejected"


async def test_two_schedulers_against_one_database_send_one_reminder(clocked: Clocked) -> None:
    w = clocked
    await _placed_request(w)
    w.clock.advance(timedelta(hours=3))
    # A second replica: its own engines and pools, as a second process would have.
    other = Container(w.container.settings, clock=w.clock)
    try:
        replica = Jobs(other, w.runtime.notifier)
        sent = await asyncio.gather(*(j.remind_managers() for j in (w.jobs(), replica, w.jobs(), replica)))
    finally:
        await other.close()
    assert sum(sent) == 1
    await w.api.wait_idle()
    assert len(_texts(w, MANAGER, "still waiting for your decision")) == 1


async def test_the_check_in_reminder_comes_the_day_before_at_the_local_hour_across_a_dst_change(
    clocked: Clocked,
) -> None:
    w = clocked
    # Berlin moves its clocks forward on 2027-03-28: 18:00 local that day is 16:00 UTC, not 17:00.
    w.clock.set(datetime(2027, 3, 20, 12, 0, tzinfo=UTC))
    r = await _placed_request(w, check_in=date(2027, 3, 29), tz="Europe/Berlin")
    await w.container.handle(hc.ApproveReservation(reservation_id=r.id, manager_id=MANAGER, manager_name="Mia"))

    async def confirmed() -> bool:
        async with w.container.reservation_uow() as uow:
            found = await uow.reservations.get(r.id)
        return found is not None and found.status.value == "confirmed"

    await eventually(confirmed)
    jobs = w.jobs()
    w.clock.set(datetime(2027, 3, 27, 17, 30, tzinfo=UTC))  # two days before: not yet
    assert await jobs.remind_guests() == 0
    w.clock.set(datetime(2027, 3, 28, 15, 59, tzinfo=UTC))  # 17:59 CEST
    assert await jobs.remind_guests() == 0
    w.clock.set(datetime(2027, 3, 28, 16, 1, tzinfo=UTC))  # 18:01 CEST
    assert await jobs.remind_guests() == 1
    assert await jobs.remind_guests() == 0
    message = await w.api.user(GUEST, "Guest").expect("See you tomorrow!")
    assert "2027-03-29" in message.text and "room 101" in message.text


async def test_housekeeping_prunes_what_is_past_the_retention_period_and_keeps_the_rest(clocked: Clocked) -> None:
    from tests.conftest import scalar

    w = clocked
    r = await _placed_request(w)
    await w.container.handle(hc.ApproveReservation(reservation_id=r.id, manager_id=MANAGER, manager_name="Mia"))
    await eventually(lambda: _all_sent(w))
    inbox_rows = await scalar(w.url, "SELECT count(*) FROM hotel_inbox")
    assert inbox_rows > 0
    jobs = w.jobs()
    assert await jobs.housekeeping() == 0  # nothing is old yet
    w.clock.advance(timedelta(days=31))
    assert await jobs.housekeeping() > 0
    for table in ("hotel_inbox", "reservation_inbox", "view_inbox", "reservation_outbox", "hotel_outbox"):
        assert await scalar(w.url, f"SELECT count(*) FROM {table}") == 0, table
    # the state itself is never pruned: only the bookkeeping of messages
    assert await scalar(w.url, "SELECT count(*) FROM reservation_reservations") == 1
    assert await scalar(w.url, "SELECT count(*) FROM view_reservations") == 1


async def _all_sent(w: Clocked) -> bool:
    from tests.conftest import scalar

    unsent = 0
    for context in ("reservation", "hotel", "payment"):
        unsent += await scalar(w.url, f"SELECT count(*) FROM {context}_outbox WHERE published_at IS NULL")
    return unsent == 0 and await scalar(w.url, "SELECT count(*) FROM view_reservations WHERE status='confirmed'") == 1


async def test_a_reminder_that_could_not_be_sent_is_tried_again_on_the_next_tick(clocked: Clocked) -> None:
    w = clocked
    await _placed_request(w)
    w.clock.advance(timedelta(hours=3))
    jobs = w.jobs()
    network_down = {"error_code": 502, "description": "Bad Gateway"}
    w.api.fail_next["sendMessage"] = [dict(network_down) for _ in range(20)]
    with pytest.raises(Exception, match="Bad Gateway"):
        await jobs.remind_managers()
    w.api.fail_next["sendMessage"] = []
    assert await jobs.remind_managers() == 1
    await w.api.wait_idle()
    assert len(_texts(w, MANAGER, "still waiting for your decision")) == 1
