"""The hotel context's use cases. Each takes a command, a unit of work and a clock."""

from __future__ import annotations

from domain.hotel import commands as c
from domain.hotel.model import ApprovalRequest, Hotel, Room
from domain.hotel.ports import HotelUnitOfWork
from domain.reservation.events import ReservationCancelled, ReservationPlaced
from domain.shared.errors import NotAllowed, NotFound, RoomNumberTaken
from domain.shared.ports import Clock


async def _hotel(uow: HotelUnitOfWork, hotel_id: int) -> Hotel:
    hotel = await uow.hotels.get(hotel_id)
    if hotel is None:
        raise NotFound(what="hotel")
    return hotel


def _ensure_manager(hotel: Hotel, actor_id: int | None) -> None:
    if actor_id is not None and not hotel.is_manager(actor_id):
        raise NotAllowed()


async def add_hotel(cmd: c.AddHotel, uow: HotelUnitOfWork) -> Hotel:
    async with uow:
        hotel = await uow.hotels.add(Hotel.create(cmd.name, cmd.city, cmd.timezone, cmd.currency))
        await uow.commit()
    return hotel


async def grant_manager(cmd: c.GrantManager, uow: HotelUnitOfWork) -> Hotel:
    async with uow:
        hotel = await _hotel(uow, cmd.hotel_id)
        if not hotel.is_manager(cmd.user_id):
            await uow.hotels.add_manager(hotel.id or 0, cmd.user_id)
            hotel.managers.add(cmd.user_id)
        await uow.commit()
    return hotel


async def revoke_manager(cmd: c.RevokeManager, uow: HotelUnitOfWork) -> bool:
    async with uow:
        await _hotel(uow, cmd.hotel_id)
        removed = await uow.hotels.remove_manager(cmd.hotel_id, cmd.user_id)
        await uow.commit()
    return removed


async def create_room(cmd: c.CreateRoom, uow: HotelUnitOfWork) -> Room:
    async with uow:
        hotel = await _hotel(uow, cmd.hotel_id)
        _ensure_manager(hotel, cmd.actor_id)
        room = Room.create(hotel, cmd.number, cmd.room_type, cmd.capacity, cmd.price_per_night)
        if await uow.rooms.number_taken(hotel.id or 0, room.number):
            raise RoomNumberTaken(number=room.number)
        await uow.rooms.add(room)
        uow.emit(*room.events)
        await uow.commit()
    return room


async def update_room(cmd: c.UpdateRoom, uow: HotelUnitOfWork) -> Room:
    async with uow:
        room = await uow.rooms.get(cmd.room_id)
        if room is None:
            raise NotFound(what="room")
        hotel = await _hotel(uow, room.hotel_id)
        _ensure_manager(hotel, cmd.actor_id)
        room.update(
            hotel,
            room_type=cmd.room_type,
            capacity=cmd.capacity,
            price_per_night=cmd.price_per_night,
            in_service=cmd.in_service,
        )
        await uow.rooms.save(room)
        uow.emit(*room.events)
        await uow.commit()
    return room


async def _decidable(uow: HotelUnitOfWork, cmd: c.ApproveReservation | c.RejectReservation) -> ApprovalRequest:
    request = await uow.approvals.get(cmd.reservation_id, for_update=True)
    if request is None:
        raise NotFound(what="reservation")
    hotel = await _hotel(uow, request.hotel_id)
    _ensure_manager(hotel, cmd.manager_id)
    return request


async def approve_reservation(cmd: c.ApproveReservation, uow: HotelUnitOfWork, clock: Clock) -> ApprovalRequest:
    async with uow:
        request = await _decidable(uow, cmd)
        request.approve(cmd.manager_id, cmd.manager_name, clock.now())
        await uow.approvals.save(request)
        uow.emit(*request.events)
        await uow.commit()
    return request


async def reject_reservation(cmd: c.RejectReservation, uow: HotelUnitOfWork, clock: Clock) -> ApprovalRequest:
    async with uow:
        request = await _decidable(uow, cmd)
        request.reject(cmd.manager_id or 0, cmd.manager_name, cmd.reason, clock.now())
        await uow.approvals.save(request)
        uow.emit(*request.events)
        await uow.commit()
    return request


# --- policies: what the hotel does when the reservation context speaks ------------------------


async def on_reservation_placed(event: ReservationPlaced, uow: HotelUnitOfWork) -> None:
    """A paid reservation becomes a request for the hotel's managers to decide."""
    request = ApprovalRequest(
        reservation_id=event.reservation_id,
        hotel_id=event.hotel_id,
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
    withdrawn_at = await uow.approvals.withdrawn_at(event.reservation_id)
    if withdrawn_at is not None:  # the guest's cancellation overtook this event
        request.withdraw(withdrawn_at)
    await uow.approvals.add(request)


async def on_reservation_cancelled(event: ReservationCancelled, uow: HotelUnitOfWork) -> None:
    """The guest cancelled: the request is withdrawn and a later Approve press is refused."""
    request = await uow.approvals.get(event.reservation_id, for_update=True)
    if request is None:
        await uow.approvals.remember_withdrawal(event.reservation_id, event.occurred_at)
        return
    request.withdraw(event.occurred_at)
    await uow.approvals.save(request)
