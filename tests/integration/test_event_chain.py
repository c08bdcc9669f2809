"""The whole asynchronous chain, once on SQLite with the in-process bus and once on PostgreSQL
with RabbitMQ: place → approve → CONFIRMED; place → reject → REJECTED, refunded, nights free;
place → guest cancels → refunded. The view says so each time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from domain.hotel import commands as hc
from domain.reservation.commands import CancelReservation
from main.processes import Runtime
from tests.conftest import make_settings, scalar
from tests.integration.helpers import MANAGER, eventually, place, seed_hotel, stay

pytestmark = pytest.mark.integration
CONSUMERS = ("reservation", "hotel", "payment", "view")


@pytest.fixture(params=["sqlite+inprocess", "postgresql+rabbitmq"])
async def runtime(request: Any, sqlite_url: str, pg_url: str, amqp: Callable[..., dict]) -> AsyncIterator[Runtime]:
    if request.param == "sqlite+inprocess":
        settings, url = make_settings(database_url=sqlite_url), sqlite_url
    else:
        from tests.conftest import truncate_all

        await truncate_all(pg_url)
        settings, url = make_settings(database_url=pg_url, **amqp()), pg_url
    rt = Runtime(settings, bot=False, consumers=CONSUMERS, scheduler=False, relay_sweep_s=0.5)
    rt.url = url  # type: ignore[attr-defined]
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop()


async def _view(rt: Runtime, reservation_id: Any, status: str, payment: str) -> Any:
    async def check() -> Any:
        row = await rt.container.views.reservation(reservation_id)
        return row if row and (row.status, row.payment_status) == (status, payment) else None

    return await eventually(check)


async def _reservation_status(rt: Runtime, reservation_id: Any, status: str) -> None:
    async def check() -> bool:
        async with rt.container.reservation_uow() as uow:
            found = await uow.reservations.get(reservation_id)
        return found is not None and found.status.value == status

    await eventually(check)


async def _approval_recorded(rt: Runtime, reservation_id: Any) -> None:
    await eventually(lambda: rt.container.hotels.approval(reservation_id))


async def test_place_then_approve_confirms_and_the_view_says_so(runtime: Runtime) -> None:
    c = runtime.container
    _, (room,) = await seed_hotel(c, sync_catalog=False)
    r = await c.handle(place(room, 1, *stay(c)))
    await _approval_recorded(runtime, r.id)
    await c.handle(hc.ApproveReservation(reservation_id=r.id, manager_id=MANAGER, manager_name="Mia"))
    await _reservation_status(runtime, r.id, "confirmed")
    row = await _view(runtime, r.id, "confirmed", "approved")
    assert row.decided_by_name == "Mia" and row.room_number == "101"
    rooms, reservations = await c.views.board(room.hotel_id)
    assert [x.number for x in rooms] == ["101"] and [x.reservation_id for x in reservations] == [r.id]


async def test_place_then_reject_refunds_and_frees_the_nights(runtime: Runtime) -> None:
    c = runtime.container
    _, (room,) = await seed_hotel(c, sync_catalog=False)
    check_in, check_out = stay(c)
    r = await c.handle(place(room, 2, check_in, check_out))
    await _approval_recorded(runtime, r.id)
    await c.handle(
        hc.RejectReservation(reservation_id=r.id, manager_id=MANAGER, manager_name="Mia", reason="closed for works")
    )
    row = await _view(runtime, r.id, "rejected", "refunded")
    assert row.reason == "closed for works"
    assert await c.availability.free_rooms(room.hotel_id, check_in, check_out, 1)
    url = runtime.url  # type: ignore[attr-defined]
    assert await scalar(url, "SELECT count(*) FROM reservation_nights") == 0
    assert await scalar(url, "SELECT count(*) FROM payment_payments WHERE status = 'refunded'") == 1


async def test_guest_cancels_and_is_refunded(runtime: Runtime) -> None:
    c = runtime.container
    _, (room,) = await seed_hotel(c, sync_catalog=False)
    r = await c.handle(place(room, 3, *stay(c)))
    await c.handle(CancelReservation(reservation_id=r.id, guest_id=3))
    await _view(runtime, r.id, "cancelled", "refunded")

    async def withdrawn() -> bool:
        request = await c.hotels.approval(r.id)
        return request is not None and request.status.value == "withdrawn"

    await eventually(withdrawn)
    with pytest.raises(Exception, match="withdrawn"):
        await c.handle(hc.ApproveReservation(reservation_id=r.id, manager_id=MANAGER, manager_name="Mia"))
