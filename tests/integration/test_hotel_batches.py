"""The hotel's consumer applying a batch of the reservations' events: the requests come out as the
same events applied one by one would leave them, and a batch of placed reservations reads their
withdrawals and writes their requests in one statement each, not two statements a reservation.
On PostgreSQL and SQLite."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import text

from consumers.hotel import placed as open_request
from domain.reservation.events import ReservationCancelled, ReservationPlaced
from domain.shared.events import Event
from main.bootstrap import Container
from main.consumers import transactional_consumers
from tests.conftest import make_settings
from tests.integration.helpers import placed_event


def _story(first_guest: int) -> tuple[dict[str, ReservationPlaced], list[Event], list[Event]]:
    """Reservations in each situation a batch meets, by role; the events before the batch, and the batch."""
    roles = ("cancelled before it arrived", "cancelled in the batch", "overtaken in the batch", "plain", "plain too")
    placed = {role: placed_event(first_guest + i) for i, role in enumerate(roles)}

    def cancelled(role: str) -> ReservationCancelled:
        p = placed[role]
        return ReservationCancelled(reservation_id=p.reservation_id, guest_id=p.guest_id, hotel_id=p.hotel_id)

    before: list[Event] = [cancelled("cancelled before it arrived")]
    batch: list[Event] = [
        placed["cancelled before it arrived"],
        placed["cancelled in the batch"],
        cancelled("overtaken in the batch"),
        placed["plain"],
        cancelled("cancelled in the batch"),
        placed["overtaken in the batch"],
        placed["plain too"],
        placed["plain"],  # delivered twice in one batch: applied once
    ]
    return placed, before, batch


async def _outcome(container: Container, placed: dict[str, ReservationPlaced]) -> dict[str, Any]:
    """Per role: the request's status, and what the hotel published about it, in order."""
    outcome: dict[str, Any] = {}
    async with container.engine("hotel").connect() as conn:
        said = (await conn.execute(text("SELECT routing_key, payload FROM hotel_outbox ORDER BY id"))).all()
    for role, p in placed.items():
        request = await container.hotels.approval(p.reservation_id)
        keys = [key for key, payload in said if str(p.reservation_id) in payload]
        outcome[role] = (request.status.value if request else None, keys)
    return outcome


async def test_a_batch_leaves_the_requests_as_one_by_one_would(db_url: str) -> None:
    container = Container(make_settings(database_url=db_url))
    (hotel,) = [c for c in transactional_consumers(container) if c.name == "hotel"]
    assert hotel.handle_batch is not None
    try:
        alone, before, events = _story(1)
        for e in [*before, *events]:
            await hotel.handle(e)
        batched, before_batch, batch = _story(100)
        for e in before_batch:
            await hotel.handle(e)
        await hotel.handle_batch(batch)

        one_by_one = await _outcome(container, alone)
        assert await _outcome(container, batched) == one_by_one
        assert one_by_one == {
            "cancelled before it arrived": ("withdrawn", []),  # no manager heard of it
            "cancelled in the batch": ("withdrawn", ["hotel.approval_requested", "hotel.approval_withdrawn"]),
            "overtaken in the batch": ("withdrawn", []),
            "plain": ("pending", ["hotel.approval_requested"]),
            "plain too": ("pending", ["hotel.approval_requested"]),
        }
    finally:
        await container.engines.dispose()


async def test_a_batch_of_placed_reservations_reads_their_withdrawals_once_and_writes_their_requests_once(
    db_url: str,
) -> None:
    container = Container(make_settings(database_url=db_url))
    (hotel,) = [c for c in transactional_consumers(container) if c.name == "hotel"]
    assert hotel.handle_batch is not None
    statements: list[str] = []

    def counted(*args: Any) -> None:
        statements.append(" ".join(str(args[2]).split()))

    try:
        placed = [placed_event(guest) for guest in range(1, 9)]
        first = placed[0]
        await hotel.handle(ReservationCancelled(reservation_id=first.reservation_id, guest_id=1, hotel_id=1))
        sa_event.listen(container.engine("hotel").sync_engine, "before_cursor_execute", counted)
        await hotel.handle_batch(placed)

        assert len([s for s in statements if "FROM hotel_withdrawals" in s]) == 1
        assert len([s for s in statements if s.startswith("INSERT INTO hotel_approvals ")]) == 1
        assert await container.hotels.pending_count() == 7  # and the first one recorded as withdrawn
        request = await container.hotels.approval(first.reservation_id)
        assert request is not None and request.status.value == "withdrawn"
    finally:
        await container.engines.dispose()


async def test_a_request_opened_in_a_batch_is_seen_by_a_later_read_in_the_same_transaction(db_url: str) -> None:
    """Requests wait to be written together; anything that reads requests first writes them."""
    container = Container(make_settings(database_url=db_url))
    try:
        first, second = placed_event(1), placed_event(2)
        async with container.hotel_uow() as uow:
            await uow.prepare([first, second])
            for p in (first, second):
                await open_request(p, uow)
            assert await uow.approvals.count_pending() == 2
            request = await uow.approvals.get(second.reservation_id)
            assert request is not None and request.guest_id == second.guest_id
            await uow.commit()
        assert await container.hotels.pending_count() == 2
    finally:
        await container.engines.dispose()
