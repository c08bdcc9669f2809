"""The hotel context's use cases. Each takes a command, a unit of work and a clock."""

from __future__ import annotations

import logging
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.hotel import commands as c
from domain.hotel.events import HotelTermsChanged
from domain.hotel.model import ApprovalRequest, Hotel, Room, StayStatus
from domain.hotel.ports import HotelUnitOfWork
from domain.shared.errors import AlreadyDecided, InvalidTerms, NotAllowed, NotFound, NotStaying, RoomNumberTaken
from domain.shared.ports import Clock
from domain.shared.terms import HotelTerms

log = logging.getLogger(__name__)


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
        default = await uow.terms.default_policy()
        if default is not None:  # the admins' default cancellation policy for new hotels
            await _store_terms(uow, hotel.id or 0, HotelTerms(policy=default), 0)
        await uow.commit()
    return hotel


async def _store_terms(uow: HotelUnitOfWork, hotel_id: int, terms: HotelTerms, expected: int) -> HotelTerms:
    stored = terms.with_changes(revision=expected + 1)
    if not await uow.terms.save(hotel_id, stored, expected):
        raise InvalidTerms(rule="stale", limit=None)
    uow.emit(HotelTermsChanged(hotel_id=hotel_id, revision=stored.revision, terms=stored.to_dict()))
    return stored


async def change_terms(cmd: c.ChangeTerms, uow: HotelUnitOfWork) -> HotelTerms:
    """A manager's (or an admin's) change to the hotel's prices, stay limits, times or policy.
    Every rule naming a room names one of this hotel's rooms."""
    async with uow:
        hotel = await _hotel(uow, cmd.hotel_id)
        _ensure_manager(hotel, cmd.actor_id)
        rooms = {room.id for room in await uow.rooms.of_hotel(cmd.hotel_id)}
        if not cmd.terms.rooms_named() <= rooms:
            raise NotFound(what="room")
        stored = await _store_terms(uow, cmd.hotel_id, cmd.terms, cmd.expected_revision)
        await uow.commit()
    return stored


async def set_default_policy(cmd: c.SetDefaultPolicy, uow: HotelUnitOfWork) -> None:
    async with uow:
        await uow.terms.set_default_policy(cmd.policy)
        await uow.commit()


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
        await uow.commit()
    return request


async def reject_reservation(cmd: c.RejectReservation, uow: HotelUnitOfWork, clock: Clock) -> ApprovalRequest:
    async with uow:
        request = await _decidable(uow, cmd)
        request.reject(cmd.manager_id or 0, cmd.manager_name, cmd.reason, clock.now())
        await uow.approvals.save(request)
        await uow.commit()
    return request


async def _stay(uow: HotelUnitOfWork, cmd: c.CheckInGuest | c.CheckOutGuest) -> tuple[ApprovalRequest, Hotel]:
    request = await uow.approvals.get(cmd.reservation_id, for_update=True)
    if request is None:
        raise NotFound(what="reservation")
    hotel = await _hotel(uow, request.hotel_id)
    _ensure_manager(hotel, cmd.manager_id)
    return request, hotel


async def _save_stay(uow: HotelUnitOfWork, request: ApprovalRequest, previous: StayStatus) -> None:
    if not await uow.approvals.save_stay(request, previous):
        raise NotStaying(status="changed")  # moved a moment ago (the no-show sweep, another manager)


async def check_in_guest(cmd: c.CheckInGuest, uow: HotelUnitOfWork, clock: Clock) -> ApprovalRequest:
    async with uow:
        request, hotel = await _stay(uow, cmd)
        request.mark_checked_in(cmd.manager_id, cmd.manager_name, hotel.today(clock.now()))
        await _save_stay(uow, request, StayStatus.EXPECTED)
        await uow.commit()
    return request


async def check_out_guest(cmd: c.CheckOutGuest, uow: HotelUnitOfWork, clock: Clock) -> ApprovalRequest:
    async with uow:
        request, hotel = await _stay(uow, cmd)
        request.mark_checked_out(cmd.manager_id, cmd.manager_name, hotel.today(clock.now()))
        await _save_stay(uow, request, StayStatus.CHECKED_IN)
        await uow.commit()
    return request


async def mark_no_shows(cmd: c.MarkNoShows, uow: HotelUnitOfWork) -> list[UUID]:
    """Hotel by hotel in its own time zone: from `hour` on, stays that were to begin yesterday or
    earlier and were never checked in are no-shows. Each under its row lock, once."""
    marked: list[UUID] = []
    async with uow:
        hotels = await uow.hotels.all()
    for hotel in hotels:
        local = cmd.now.astimezone(ZoneInfo(hotel.timezone))
        if local.hour < cmd.hour:
            continue
        today = local.date()
        async with uow:
            due = await uow.approvals.expected_arriving_by(hotel.id or 0, today)
        for reservation_id in due:
            async with uow:
                request = await uow.approvals.get(reservation_id, for_update=True)
                if request is None or request.check_in >= today or not request.mark_no_show(today):
                    continue  # checked in a moment ago, or marked by another replica
                # one conditional update: of two replicas (or a manager's check-in) one wins
                if not await uow.approvals.save_stay(request, StayStatus.EXPECTED):
                    continue
                await uow.commit()
            marked.append(reservation_id)
    return marked


# --- asked by the hotel's consumer, inside its unit of work (see consumers/hotel.py) ----------


async def open_approval_request(cmd: c.OpenApprovalRequest, uow: HotelUnitOfWork) -> ApprovalRequest | None:
    """A paid reservation becomes a request for the hotel's managers to decide."""
    request = ApprovalRequest(
        reservation_id=cmd.reservation_id,
        hotel_id=cmd.hotel_id,
        room_id=cmd.room_id,
        room_number=cmd.room_number,
        guest_id=cmd.guest_id,
        guest_name=cmd.guest_name,
        check_in=cmd.check_in,
        check_out=cmd.check_out,
        guests=cmd.guests,
        total_price=cmd.total_price,
        currency=cmd.currency,
        requested_at=cmd.requested_at,
    )
    withdrawn_at = await uow.approvals.withdrawn_at(cmd.reservation_id)
    if withdrawn_at is not None:  # the guest's cancellation overtook this request
        request.withdraw(withdrawn_at)
        request.events.clear()  # no manager heard of it: there is nothing to take back
    if not await uow.approvals.add(request):
        return None  # recorded already
    request.open(cmd.hotel_name)
    return request


async def withdraw_approval_request(cmd: c.WithdrawApprovalRequest, uow: HotelUnitOfWork) -> None:
    """The guest cancelled: a pending request is withdrawn (a later Approve press is refused), a
    decided one is marked cancelled by the guest; either way the managers are told."""
    request = await uow.approvals.get(cmd.reservation_id, for_update=True)
    if request is None:
        await uow.approvals.remember_withdrawal(cmd.reservation_id, cmd.at)
        return
    request.withdraw(cmd.at)
    await uow.approvals.save(request)


# --- timed work --------------------------------------------------------------------------------


async def claim_approval_reminders(cmd: c.ClaimApprovalReminders, uow: HotelUnitOfWork) -> list[UUID]:
    """The requests whose managers are to be reminded now, each claimed by one caller only."""
    async with uow:
        due = await uow.approvals.due_for_reminder(cmd.requested_before)
    claimed = []
    for reservation_id in due:
        async with uow:
            won = await uow.approvals.claim_reminder(reservation_id, cmd.now)
            await uow.commit()
        if won:
            claimed.append(reservation_id)
    return claimed


async def release_approval_reminder(cmd: c.ReleaseApprovalReminder, uow: HotelUnitOfWork) -> None:
    async with uow:
        await uow.approvals.release_reminder(cmd.reservation_id)
        await uow.commit()


async def reject_overdue_requests(cmd: c.RejectOverdueRequests, uow: HotelUnitOfWork, clock: Clock) -> int:
    """The hotel's own rejection of requests nobody decided in time. Each is decided under its row
    lock like a manager's press, so an approval a moment earlier wins cleanly."""
    async with uow:
        due = await uow.approvals.pending_before(cmd.requested_before)
    rejected = 0
    for reservation_id in due:
        reject = c.RejectReservation(
            reservation_id=reservation_id, manager_id=None, manager_name="—", reason=cmd.reason
        )
        try:
            await reject_reservation(reject, uow, clock)
        except AlreadyDecided as exc:  # decided a moment ago, by a manager or another replica
            log.info("auto-reject of %s skipped: %s", reservation_id, exc)
            continue
        rejected += 1
    return rejected
