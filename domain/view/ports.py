"""The view context's port: a unit of work that projects events into its read models."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from domain.shared.events import Event
from domain.shared.ports import UnitOfWork
from domain.view.model import ReservationView, RoomView


class ViewUnitOfWork(UnitOfWork, Protocol):
    async def project(self, event: Event) -> None:
        """Fold one event into the reservation and room views it touches."""
        ...


class ViewReader(Protocol):
    """The materialized views a guest's list and a hotel's board are read from."""

    async def guest_reservations(self, guest_id: int, limit: int = 20) -> list[ReservationView]: ...

    async def reservation(self, reservation_id: UUID) -> ReservationView | None: ...

    async def board(self, hotel_id: int) -> tuple[list[RoomView], list[ReservationView]]: ...

    async def counts_by_status(self) -> dict[str, int]: ...

    async def refunds_pending(self) -> int: ...
