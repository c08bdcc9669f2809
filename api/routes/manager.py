"""Managers: their hotel's rooms (add, edit, in or out of service), open requests, approve,
reject with a reason, the board (read from the view context only), the hotel's terms (prices,
stay rules, times, cancellation policy) and checking guests in and out."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query

from api.deps import Manager, Services, managed_hotel
from api.occupancy import days, grid, held_map
from api.routes.guest import reservation_out
from api.schemas import (
    MAX_PAGE,
    Board,
    BoardRoom,
    Decision,
    ManagedHotel,
    NewRoom,
    OccupancyGrid,
    Page,
    Rejection,
    ReservationOut,
    RoomChange,
    RoomOut,
    StayOut,
    TermsChange,
    TermsOut,
    page,
)
from api.terms import terms_of, terms_out
from domain.hotel.commands import (
    ApproveReservation,
    ChangeTerms,
    CheckInGuest,
    CheckOutGuest,
    CreateRoom,
    RejectReservation,
    UpdateRoom,
)
from domain.hotel.model import ApprovalRequest, Room
from domain.shared.errors import NotFound

router = APIRouter(prefix="/manager", tags=["manager"])
Hotel = Annotated[int, Depends(managed_hotel)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=10_000)]


def room_out(room: Room) -> RoomOut:
    return RoomOut(
        room_id=room.id,
        hotel_id=room.hotel_id,
        number=room.number,
        room_type=room.room_type,
        capacity=room.capacity,
        price_per_night=room.price_per_night,
        in_service=room.in_service,
        revision=room.revision,
    )


@router.get("/hotels/{hotel_id}/rooms", response_model=Page[RoomOut], summary="The hotel's rooms")
async def rooms(hotel_id: Hotel, svc: Services, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    return page([room_out(r) for r in await svc.hotels.rooms(hotel_id)], limit, offset)


@router.post("/hotels/{hotel_id}/rooms", status_code=201, response_model=RoomOut, summary="Add a room")
async def add_room(hotel_id: Hotel, body: NewRoom, svc: Services, caller: Manager) -> RoomOut:
    room = await svc.handle(
        CreateRoom(
            hotel_id=hotel_id,
            number=body.number,
            room_type=body.room_type,
            capacity=body.capacity,
            price_per_night=body.price_per_night,
            actor_id=caller.user_id,
        )
    )
    return room_out(room)


@router.patch("/rooms/{room_id}", response_model=RoomOut, summary="Change a room, or take it in or out of service")
async def change_room(room_id: UUID, body: RoomChange, svc: Services, caller: Manager) -> RoomOut:
    room = await svc.handle(
        UpdateRoom(
            room_id=room_id,
            room_type=body.room_type,
            capacity=body.capacity,
            price_per_night=body.price_per_night,
            in_service=body.in_service,
            actor_id=caller.user_id,
        )
    )
    return room_out(room)


@router.get(
    "/hotels/{hotel_id}/requests", response_model=Page[ReservationOut], summary="Paid reservations awaiting a decision"
)
async def requests(hotel_id: Hotel, svc: Services, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    _, reservations = await svc.views.board(hotel_id)
    waiting = [reservation_out(r) for r in reservations if r.status == "placed"]
    return page(waiting, limit, offset)


def decision(request: ApprovalRequest) -> Decision:
    return Decision(
        reservation_id=request.reservation_id,
        status=str(request.status),
        decided_by_name=request.decided_by_name,
        reason=request.reason,
    )


@router.post("/requests/{reservation_id}/approve", response_model=Decision, summary="Approve a reservation")
async def approve(reservation_id: UUID, svc: Services, caller: Manager) -> Decision:
    name = caller.name or f"manager {caller.user_id}"
    cmd = ApproveReservation(reservation_id=reservation_id, manager_id=caller.user_id, manager_name=name)
    return decision(await svc.handle(cmd))


@router.post("/requests/{reservation_id}/reject", response_model=Decision, summary="Reject, with a reason; refunded")
async def reject(reservation_id: UUID, body: Rejection, svc: Services, caller: Manager) -> Decision:
    name = caller.name or f"manager {caller.user_id}"
    cmd = RejectReservation(
        reservation_id=reservation_id, manager_id=caller.user_id, manager_name=name, reason=body.reason
    )
    return decision(await svc.handle(cmd))


@router.get("/hotels/{hotel_id}/board", response_model=Board, summary="Every room and reservation of the hotel")
async def board(hotel_id: Hotel, svc: Services) -> Board:
    rooms, reservations = await svc.views.board(hotel_id)
    return Board(
        hotel_id=hotel_id,
        rooms=[
            BoardRoom(
                room_id=r.room_id,
                number=r.number,
                room_type=r.room_type,
                capacity=r.capacity,
                price_per_night=r.price_per_night,
                currency=r.currency,
                in_service=r.in_service,
            )
            for r in rooms
        ],
        reservations=[reservation_out(r) for r in reservations],
    )


@router.get("/hotels", response_model=list[ManagedHotel], summary="The hotels I manage")
async def my_hotels(svc: Services, caller: Manager) -> list[ManagedHotel]:
    hotels = await svc.hotels.managed_by(caller.user_id)
    return [ManagedHotel(id=h.id or 0, name=h.name, timezone=h.timezone) for h in hotels]


@router.get(
    "/hotels/{hotel_id}/occupancy",
    response_model=OccupancyGrid,
    summary="Rooms × nights, each night's state and the reservation holding it (the Mini App's grid)",
)
async def occupancy(
    hotel_id: Hotel,
    svc: Services,
    start: date | None = None,
    count: Annotated[int, Query(alias="days", ge=1, le=62)] = 30,
) -> OccupancyGrid:
    hotel = await svc.hotels.hotel(hotel_id)
    if hotel is None:
        raise NotFound(what="hotel")
    today = svc.clock.now().astimezone(ZoneInfo(hotel.timezone)).date()
    first = start or today
    rooms = await svc.occupancy.hotel_rooms(hotel_id)
    held = held_map(await svc.occupancy.held_nights(hotel_id, first, first + timedelta(days=count)))
    named = {reservation_id for reservation_id, _ in held.values()}
    _, reservations = await svc.views.board(hotel_id)
    return OccupancyGrid(
        hotel_id=hotel_id,
        hotel_name=hotel.name,
        timezone=hotel.timezone,
        today=today,
        start=first,
        days=count,
        rooms=grid(rooms, held, days(first, count)),
        reservations=[reservation_out(r) for r in reservations if r.reservation_id in named],
    )


# --- the hotel's terms ----------------------------------------------------------------------------


async def _currency(svc: Services, hotel_id: int) -> str:
    hotel = await svc.hotels.hotel(hotel_id)
    if hotel is None:
        raise NotFound(what="hotel")
    return hotel.currency


@router.get(
    "/hotels/{hotel_id}/terms",
    response_model=TermsOut,
    summary="The hotel's prices, stay rules, times and cancellation policy, with their revision",
)
async def terms(hotel_id: Hotel, svc: Services) -> TermsOut:
    currency = await _currency(svc, hotel_id)
    return terms_out(hotel_id, currency, await svc.hotels.terms(hotel_id))


@router.put(
    "/hotels/{hotel_id}/terms",
    response_model=TermsOut,
    summary="Replace the hotel's terms; 409 when they changed since expected_revision (nothing is overwritten)",
)
async def change_terms(hotel_id: Hotel, body: TermsChange, svc: Services, caller: Manager) -> TermsOut:
    currency = await _currency(svc, hotel_id)
    cmd = ChangeTerms(
        hotel_id=hotel_id, terms=terms_of(body), expected_revision=body.expected_revision, actor_id=caller.user_id
    )
    return terms_out(hotel_id, currency, await svc.handle(cmd))


# --- the stay -------------------------------------------------------------------------------------


def stay_out(request: ApprovalRequest) -> StayOut:
    return StayOut(
        reservation_id=request.reservation_id,
        hotel_id=request.hotel_id,
        stay=str(request.stay),
        on=request.stay_changed_on,
    )


@router.post("/reservations/{reservation_id}/check-in", response_model=StayOut, summary="The guest has arrived")
async def check_in(reservation_id: UUID, svc: Services, caller: Manager) -> StayOut:
    name = caller.name or f"manager {caller.user_id}"
    cmd = CheckInGuest(reservation_id=reservation_id, manager_id=caller.user_id, manager_name=name)
    return stay_out(await svc.handle(cmd))


@router.post(
    "/reservations/{reservation_id}/check-out",
    response_model=StayOut,
    summary="The guest has left (before the booked day: the remaining nights are free again)",
)
async def check_out(reservation_id: UUID, svc: Services, caller: Manager) -> StayOut:
    name = caller.name or f"manager {caller.user_id}"
    cmd = CheckOutGuest(reservation_id=reservation_id, manager_id=caller.user_id, manager_name=name)
    return stay_out(await svc.handle(cmd))
