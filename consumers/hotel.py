"""hotel ← the reservation context's events, mapped to the hotel's own commands: a placed
reservation opens an approval request; a cancellation withdraws it (pending or decided)."""

from __future__ import annotations

from domain.hotel import handlers
from domain.hotel.commands import OpenApprovalRequest, WithdrawApprovalRequest
from domain.hotel.ports import HotelUnitOfWork
from domain.reservation.events import ReservationCancelled, ReservationPlaced
from domain.shared.events import Event
from domain.shared.ports import EventPolicy as Policy


async def placed(event: ReservationPlaced, uow: HotelUnitOfWork) -> None:
    command = OpenApprovalRequest(
        reservation_id=event.reservation_id,
        hotel_id=event.hotel_id,
        hotel_name=event.hotel_name,
        room_id=event.room_id,
        room_number=event.room_number,
        guest_id=event.guest_id,
        guest_name=event.guest_name,
        check_in=event.check_in,
        check_out=event.check_out,
        guests=event.guests,
        total_price=event.total_price,
        currency=event.currency,
        requested_at=event.occurred_at,
    )
    await handlers.open_approval_request(command, uow)


async def cancelled(event: ReservationCancelled, uow: HotelUnitOfWork) -> None:
    await handlers.withdraw_approval_request(
        WithdrawApprovalRequest(reservation_id=event.reservation_id, at=event.occurred_at), uow
    )


POLICIES: dict[type[Event], Policy] = {
    ReservationPlaced: placed,
    ReservationCancelled: cancelled,
}
EVENTS = tuple(POLICIES)
