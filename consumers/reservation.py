"""reservation ← the hotel's events, mapped to the reservation context's own commands: its
decisions confirm or reject a reservation; room and terms changes refresh the reservation side's
catalog; the stay as the hotel marks it (checked in, checked out, no-show) moves the reservation."""

from __future__ import annotations

from domain.hotel.events import (
    GuestCheckedIn,
    GuestCheckedOut,
    GuestNoShow,
    HotelTermsChanged,
    ReservationApproved,
    ReservationRejectedByHotel,
    RoomCreated,
    RoomEvent,
    RoomUpdated,
)
from domain.reservation import handlers
from domain.reservation.commands import (
    ConfirmReservation,
    RecordCheckIn,
    RecordCheckOut,
    RecordNoShow,
    RejectReservation,
    SyncCatalogRoom,
    SyncHotelTerms,
)
from domain.reservation.model import CatalogRoom
from domain.reservation.ports import ReservationUnitOfWork
from domain.shared.events import Event
from domain.shared.ports import EventPolicy as Policy
from domain.shared.terms import HotelTerms


async def approved(event: ReservationApproved, uow: ReservationUnitOfWork) -> None:
    command = ConfirmReservation(reservation_id=event.reservation_id, decided_by_name=event.decided_by_name)
    await handlers.confirm_reservation(command, uow)


async def rejected(event: ReservationRejectedByHotel, uow: ReservationUnitOfWork) -> None:
    await handlers.reject_reservation(RejectReservation(reservation_id=event.reservation_id, reason=event.reason), uow)


async def room_changed(event: RoomEvent, uow: ReservationUnitOfWork) -> None:
    room = CatalogRoom(
        room_id=event.room_id,
        hotel_id=event.hotel_id,
        hotel_name=event.hotel_name,
        timezone=event.timezone,
        currency=event.currency,
        number=event.number,
        room_type=event.room_type,
        capacity=event.capacity,
        price_per_night=event.price_per_night,
        in_service=event.in_service,
        revision=event.revision,
    )
    await handlers.sync_catalog_room(SyncCatalogRoom(room=room), uow)


async def terms_changed(event: HotelTermsChanged, uow: ReservationUnitOfWork) -> None:
    terms = HotelTerms.from_dict(event.terms).with_changes(revision=event.revision)
    await handlers.sync_hotel_terms(SyncHotelTerms(hotel_id=event.hotel_id, terms=terms), uow)


async def checked_in(event: GuestCheckedIn, uow: ReservationUnitOfWork) -> None:
    await handlers.record_check_in(RecordCheckIn(reservation_id=event.reservation_id, on=event.on), uow)


async def checked_out(event: GuestCheckedOut, uow: ReservationUnitOfWork) -> None:
    await handlers.record_check_out(RecordCheckOut(reservation_id=event.reservation_id, on=event.on), uow)


async def no_show(event: GuestNoShow, uow: ReservationUnitOfWork) -> None:
    await handlers.record_no_show(RecordNoShow(reservation_id=event.reservation_id, on=event.on), uow)


POLICIES: dict[type[Event], Policy] = {
    ReservationApproved: approved,
    ReservationRejectedByHotel: rejected,
    RoomCreated: room_changed,
    RoomUpdated: room_changed,
    HotelTermsChanged: terms_changed,
    GuestCheckedIn: checked_in,
    GuestCheckedOut: checked_out,
    GuestNoShow: no_show,
}
EVENTS = tuple(POLICIES)
