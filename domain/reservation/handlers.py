"""The reservation context's use cases and its policies on the hotel's events."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta
from typing import NamedTuple, Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.reservation.commands import (
    CancelReservation,
    ConfirmReservation,
    FindCheckInReminders,
    PlaceReservation,
    QuoteCancellation,
    RecordCheckIn,
    RecordCheckOut,
    RecordNoShow,
    RejectReservation,
    SettleStalePayments,
    SyncCatalogRoom,
    SyncHotelTerms,
)
from domain.reservation.model import BookingPolicy, CatalogRoom, Reservation, ReservationStatus
from domain.reservation.ports import PaymentGateway, ReservationUnitOfWork
from domain.shared.errors import (
    AlreadyDecided,
    NotFound,
    PaymentBeingSettled,
    PaymentTakenBookingPending,
)
from domain.shared.ports import Clock

log = logging.getLogger(__name__)


class Request(Protocol):
    """What a guest asks for, by the sandbox (PlaceReservation) or an invoice (StartCheckout)."""

    @property
    def guest_id(self) -> int: ...
    @property
    def guest_name(self) -> str: ...
    @property
    def room_id(self) -> UUID: ...
    @property
    def check_in(self) -> date: ...
    @property
    def check_out(self) -> date: ...
    @property
    def guests(self) -> int: ...
    @property
    def reservation_id(self) -> UUID | None: ...
    @property
    def total(self) -> int | None: ...
    @property
    def currency(self) -> str | None: ...


async def requested(
    cmd: Request, uow: ReservationUnitOfWork, now: datetime, policy: BookingPolicy
) -> tuple[CatalogRoom, Reservation]:
    """The reservation a guest's request makes of the room as the catalog has it now, on the
    terms they confirmed (QuoteChanged otherwise). Inside the caller's transaction."""
    found = await uow.catalog.room_with_terms(cmd.room_id)
    if found is None:
        raise NotFound(what="room")
    room, terms = found
    reservation = Reservation.request(
        room=room,
        guest_id=cmd.guest_id,
        guest_name=cmd.guest_name,
        check_in=cmd.check_in,
        check_out=cmd.check_out,
        guests=cmd.guests,
        now=now,
        policy=policy,
        reservation_id=cmd.reservation_id,
        terms=terms,
    )
    reservation.keep_quote(cmd.total, cmd.currency)
    return room, reservation


async def place_reservation(
    cmd: PlaceReservation,
    uow: ReservationUnitOfWork,
    payments: PaymentGateway,
    clock: Clock,
    policy: BookingPolicy,
) -> Reservation:
    """Hold the nights, take the payment, then keep everything or nothing.

    The hold is committed before the payment call so that a slow provider never keeps a database
    transaction (or SQLite's single writer) open; the unique (room_id, night) constraint refuses
    every competing request at once. If the payment fails, the hold and the reservation row are
    deleted and no event was ever written. A crash between the steps leaves a PENDING_PAYMENT row
    that `settle_stale_payments` completes or releases.
    """
    async with uow:
        # Asked before (the bot names each request): the first answer, read in the transaction
        # that would otherwise hold the nights, so asking costs no transaction of its own.
        earlier = await uow.reservations.get(cmd.reservation_id) if cmd.reservation_id is not None else None
        if earlier is not None:
            return _asked_again(earlier, cmd.guest_id)
        # The catalog is read in the transaction that holds the nights, and the charge below is
        # this very total: the guest pays what they confirmed, or is asked again.
        room, reservation = await requested(cmd, uow, clock.now(), policy)
        # The nights first: a request that lost them is refused before it writes anything else.
        await uow.nights.hold(reservation)
        await uow.reservations.add(reservation)
        await uow.commit()

    try:
        payment_id = await payments.charge(
            reservation_id=reservation.id,
            guest_id=reservation.guest_id,
            amount=reservation.total_price,
            currency=reservation.currency,
        )
    except BaseException:
        # No payment was taken (declined, refused by the open breaker, or reversed after a lost
        # answer): nothing of this reservation may remain.
        await asyncio.shield(_forget(uow, reservation.id))
        raise

    try:
        async with uow:
            await _complete(uow, reservation.id, payment_id, room)
            await uow.commit()
    except Exception as exc:
        # Paid, but not yet recorded as placed (the database went away): the hold stays, and the
        # payment sweep places it from the approved payment. The guest is told exactly that.
        log.error("reservation %s paid but not placed yet (%r); the sweep will place it", reservation.id, exc)
        raise PaymentTakenBookingPending() from exc
    reservation.status, reservation.payment_id = ReservationStatus.PLACED, payment_id
    return reservation


def _asked_again(earlier: Reservation, guest_id: int) -> Reservation:
    """The same request a second time (Pay pressed again after the first press was lost with the
    process that took it): never a second hold or charge — the booking the first one made."""
    if earlier.guest_id != guest_id:
        raise NotFound(what="reservation")
    if earlier.status is ReservationStatus.PENDING_PAYMENT:
        raise PaymentBeingSettled()
    if earlier.status in (ReservationStatus.REJECTED, ReservationStatus.CANCELLED):
        raise AlreadyDecided(status=earlier.status.value)
    return earlier


async def _forget(uow: ReservationUnitOfWork, reservation_id: UUID) -> None:
    """Undo a hold whose payment did not succeed: no row, no night, no event remains."""
    try:
        async with uow:
            await uow.nights.release(reservation_id)
            await uow.reservations.delete(reservation_id)
            await uow.commit()
    except Exception:  # the sweep releases it later; the guest's answer must not wait on this
        log.exception("could not release hold of %s now; the payment sweep will", reservation_id)


async def _complete(
    uow: ReservationUnitOfWork, reservation_id: UUID, payment_id: UUID, room: CatalogRoom
) -> Reservation:
    reservation = await uow.reservations.get(reservation_id, for_update=True)
    if reservation is None:
        raise NotFound(what="reservation")
    reservation.mark_placed(payment_id, room)
    await uow.reservations.save(reservation)
    return reservation


class Settled(NamedTuple):
    """What the payment sweep did: the reservations it placed and those it released, so that
    each guest can be told."""

    placed: list[Reservation]
    released: list[Reservation]


async def settle_stale_payments(uow: ReservationUnitOfWork, payments: PaymentGateway, cutoff: datetime) -> Settled:
    """Holds left PENDING_PAYMENT by a crash: place those that were paid, release the rest."""
    async with uow:
        stale = await uow.reservations.pending_payment_before(cutoff)
    placed: list[Reservation] = []
    released: list[Reservation] = []
    for reservation in stale:
        payment_id = await payments.approved_payment(reservation.id)
        async with uow:
            current = await uow.reservations.get(reservation.id, for_update=True)
            if current is None or current.status is not ReservationStatus.PENDING_PAYMENT:
                continue
            if payment_id is None:
                await uow.nights.release(reservation.id)
                await uow.reservations.delete(reservation.id)
                settled, done = current, released
            else:
                room = await uow.catalog.get(current.room_id)
                assert room is not None
                settled, done = await _complete(uow, reservation.id, payment_id, room), placed
            await uow.commit()
        done.append(settled)
    return Settled(placed, released)


async def cancel_reservation(cmd: CancelReservation, uow: ReservationUnitOfWork, clock: Clock) -> Reservation:
    async with uow:
        reservation = await uow.reservations.get(cmd.reservation_id, for_update=True)
        if reservation is None or reservation.status is ReservationStatus.PENDING_PAYMENT:
            raise NotFound(what="reservation")
        room = await uow.catalog.get(reservation.room_id)
        reservation.cancel(cmd.guest_id, clock.now(), room.timezone if room else "UTC")
        await uow.nights.release(reservation.id)
        await uow.reservations.save(reservation)
        await uow.commit()
    return reservation


class CancellationQuote(NamedTuple):
    fee: int
    refund: int
    currency: str
    last_free_day: date | None


async def quote_cancellation(cmd: QuoteCancellation, uow: ReservationUnitOfWork, clock: Clock) -> CancellationQuote:
    """What cancelling now would keep and give back, by the same rule `cancel` applies."""
    async with uow:
        reservation = await uow.reservations.get(cmd.reservation_id)
        if reservation is None:
            raise NotFound(what="reservation")
        room = await uow.catalog.get(reservation.room_id)
    fee, refund = reservation.cancellation(cmd.guest_id, clock.now(), room.timezone if room else "UTC")
    return CancellationQuote(fee, refund, reservation.currency, reservation.policy.last_free_day(reservation.check_in))


# --- asked by the reservation context's consumer, inside its unit of work ----------------------


async def sync_catalog_room(cmd: SyncCatalogRoom, uow: ReservationUnitOfWork) -> None:
    await uow.catalog.upsert(cmd.room)


async def sync_hotel_terms(cmd: SyncHotelTerms, uow: ReservationUnitOfWork) -> None:
    await uow.catalog.upsert_terms(cmd.hotel_id, cmd.terms)


async def _staying(uow: ReservationUnitOfWork, reservation_id: UUID, *allowed: ReservationStatus) -> Reservation | None:
    reservation = await uow.reservations.get(reservation_id, for_update=True)
    if reservation is None or reservation.status not in allowed:
        # Cancelled meanwhile, or a repeated delivery: the stay's record stands as it is.
        log.info("stay event on %s ignored: reservation is %s", reservation_id, reservation and reservation.status)
        return None
    return reservation


async def record_check_in(cmd: RecordCheckIn, uow: ReservationUnitOfWork) -> None:
    reservation = await _staying(uow, cmd.reservation_id, ReservationStatus.CONFIRMED)
    if reservation is not None:
        reservation.check_in_guest(cmd.on)
        await uow.reservations.save(reservation)


async def record_check_out(cmd: RecordCheckOut, uow: ReservationUnitOfWork) -> None:
    reservation = await _staying(uow, cmd.reservation_id, ReservationStatus.CHECKED_IN)
    if reservation is not None:
        if reservation.check_out_guest(cmd.on):
            await uow.nights.release_from(reservation.id, cmd.on)
        await uow.reservations.save(reservation)


async def record_no_show(cmd: RecordNoShow, uow: ReservationUnitOfWork) -> None:
    reservation = await _staying(uow, cmd.reservation_id, ReservationStatus.CONFIRMED)
    if reservation is not None:
        reservation.no_show()
        await uow.nights.release_from(reservation.id, cmd.on)
        await uow.reservations.save(reservation)


async def _decided(uow: ReservationUnitOfWork, reservation_id: UUID) -> Reservation | None:
    reservation = await uow.reservations.get(reservation_id, for_update=True)
    if reservation is None or reservation.status is not ReservationStatus.PLACED:
        # The guest cancelled before the hotel's decision arrived: the cancellation stands.
        log.info(
            "hotel decision on %s ignored: reservation is %s",
            reservation_id,
            reservation.status if reservation else "unknown",
        )
        return None
    return reservation


async def confirm_reservation(cmd: ConfirmReservation, uow: ReservationUnitOfWork) -> None:
    reservation = await _decided(uow, cmd.reservation_id)
    if reservation is not None:
        reservation.confirm(cmd.decided_by_name)
        await uow.reservations.save(reservation)


async def reject_reservation(cmd: RejectReservation, uow: ReservationUnitOfWork) -> None:
    reservation = await _decided(uow, cmd.reservation_id)
    if reservation is not None:
        reservation.reject(cmd.reason)
        await uow.nights.release(reservation.id)
        await uow.reservations.save(reservation)


# --- timed work --------------------------------------------------------------------------------


async def settle_stale(cmd: SettleStalePayments, uow: ReservationUnitOfWork, payments: PaymentGateway) -> Settled:
    return await settle_stale_payments(uow, payments, cmd.created_before)


async def check_in_reminders(query: FindCheckInReminders, uow: ReservationUnitOfWork) -> list[Reservation]:
    """Confirmed stays that begin tomorrow, hotel by hotel in the hotel's own time zone (so a
    change to or from summer time moves the reminder with the hotel's clock)."""
    due: list[Reservation] = []
    async with uow:
        for hotel_id, timezone in await uow.catalog.hotel_timezones():
            local = query.now.astimezone(ZoneInfo(timezone))
            if local.hour < query.from_hour:
                continue
            due += await uow.reservations.confirmed_checking_in(hotel_id, local.date() + timedelta(days=1))
    return due
