"""Guests: hotels, what is free with its nightly prices, booking (idempotent), their own
reservations, cancelling. The same commands and read models as the chat."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import uuid
from datetime import date, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask

from api.deps import Caller, Services
from api.occupancy import calendar as night_calendar
from api.occupancy import days, held_map
from api.ports import ApiServices
from api.problems import MEDIA_TYPE, domain_problem, problem
from api.schemas import (
    MAX_PAGE,
    CheckoutOut,
    HotelCalendar,
    HotelId,
    HotelOut,
    NightPrice,
    Page,
    ReservationOut,
    ReservationRequest,
    RoomOffer,
    page,
)
from domain.reservation.checkout import StartCheckout
from domain.reservation.commands import CancelReservation, PlaceReservation
from domain.reservation.model import BookingPolicy, check_check_in, nights_between
from domain.shared.errors import CheckOutNotAfterCheckIn, DomainError, NotFound, StayTooLong
from domain.view.model import ReservationView

log = logging.getLogger(__name__)
router = APIRouter(tags=["guest"])
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=10_000)]
# Reservation ids of idempotent requests: the same guest and key always name the same reservation.
KEYED = uuid.UUID("9b1f4f0e-3c4b-4a51-9d0e-6f1c2b7a8e11")


@router.get("/hotels", response_model=Page[HotelOut], summary="Hotels a guest can book")
async def hotels(svc: Services, _: Caller, limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
    rows = [HotelOut(id=i, name=n) for i, n in await svc.availability.hotels()]
    return page(rows, limit, offset)


@router.get("/hotels/{hotel_id}/availability", response_model=Page[RoomOffer], summary="Free rooms and their prices")
async def availability(
    hotel_id: HotelId,
    check_in: date,
    check_out: date,
    svc: Services,
    _: Caller,
    guests: Annotated[int, Query(ge=1, le=100)] = 1,
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    timezone = await svc.availability.hotel_timezone(hotel_id)
    if timezone is None:
        raise NotFound(what="hotel")
    if check_out <= check_in:
        raise CheckOutNotAfterCheckIn()
    nights = nights_between(check_in, check_out)
    if len(nights) > svc.config.max_nights:
        raise StayTooLong(max_nights=svc.config.max_nights, nights=len(nights))
    today = svc.clock.now().astimezone(ZoneInfo(timezone)).date()
    check_check_in(check_in, today, BookingPolicy(svc.config.max_nights, svc.config.max_days_ahead))
    rooms, terms = await svc.availability.offer(hotel_id, check_in, check_out, guests)
    if terms is None:  # no room is free
        return page([], limit, offset)
    # Each night at the hotel's price for it; the total is the quote a booking is made at
    # (extra guests included), so a total taken from here books without a "price changed".
    # Only the page's rooms are quoted (a hotel of 100 free rooms: 20 quotes a page, not 100).
    shown = page(rooms, limit, offset)
    shown["items"] = [
        RoomOffer(
            room_id=r.room_id,
            number=r.number,
            room_type=r.room_type,
            capacity=r.capacity,
            currency=r.currency,
            price_per_night=r.price_per_night,
            nights=[NightPrice(night=n, price=terms.night_price(r.room_id, r.price_per_night, n)[0]) for n in nights],
            total=terms.quote(r.room_id, r.price_per_night, check_in, check_out, guests).total,
        )
        for r in shown["items"]
    ]
    return shown


@router.get(
    "/hotels/{hotel_id}/calendar",
    response_model=HotelCalendar,
    summary="Night by night: each room in service, free or not, and its price (the Mini App's calendar)",
)
async def calendar(
    hotel_id: HotelId,
    svc: Services,
    _: Caller,
    start: date | None = None,
    count: Annotated[int, Query(alias="days", ge=1, le=62)] = 42,
) -> HotelCalendar:
    timezone = await svc.availability.hotel_timezone(hotel_id)
    if timezone is None:
        raise NotFound(what="hotel")
    today = svc.clock.now().astimezone(ZoneInfo(timezone)).date()
    first = start or today
    nights = days(first, count)
    rooms = await svc.occupancy.hotel_rooms(hotel_id)
    held = held_map(await svc.occupancy.held_nights(hotel_id, first, first + timedelta(days=count)))
    last = today + timedelta(days=svc.config.max_days_ahead)
    terms = await svc.availability.terms(hotel_id)
    return HotelCalendar(
        hotel_id=hotel_id,
        timezone=timezone,
        today=today,
        start=first,
        days=count,
        max_nights=min(svc.config.max_nights, terms.max_nights or svc.config.max_nights),
        checkout="chat" if svc.config.payments_in_chat else "page",
        rooms=night_calendar(rooms, held, nights, today, last, terms),
    )


def reservation_out(row: ReservationView) -> ReservationOut:
    return ReservationOut(
        reservation_id=row.reservation_id,
        status=row.status,
        hotel_id=row.hotel_id,
        room_id=row.room_id,
        check_in=row.check_in,
        check_out=row.check_out,
        guests=row.guests,
        total_price=row.total_price,
        currency=row.currency,
        payment_status=row.payment_status,
        hotel_name=row.hotel_name,
        room_number=row.room_number,
        guest_name=row.guest_name,
        reason=row.reason,
        decided_by_name=row.decided_by_name,
        updated_at=row.updated_at,
    )


def made_out(r: Any, payment_status: str | None = None) -> ReservationOut:
    """A reservation as a command just left it (the view may not have it yet)."""
    return ReservationOut(
        reservation_id=r.id,
        status=str(r.status),
        hotel_id=r.hotel_id,
        room_id=r.room_id,
        check_in=r.check_in,
        check_out=r.check_out,
        guests=r.guests,
        total_price=r.total_price,
        currency=r.currency,
        payment_status=payment_status,
        guest_name=r.guest_name,
    )


def _placed(reservation: Any) -> dict[str, Any]:
    return made_out(reservation, payment_status="approved").model_dump(mode="json")


async def _receipt(svc: ApiServices, reservation: Any) -> None:
    """The guest gets the same receipt in the chat as for a booking made there (once: a replayed
    answer sends none). Placed is placed: a receipt that cannot be sent now is only logged.
    Sent as the response's background task, once the answer is out: Telegram takes ~30 messages
    a second from a bot, so a crowd booking here would otherwise wait in that queue for its HTTP
    answer (measured: 27 bookings/s with p50 1.33 s, against 157/s and 192 ms without the wait).
    A stopping gateway lets these finish before the bot closes (Runtime.stop)."""
    if svc.receipts is None:
        return
    try:
        await svc.receipts(reservation)
    except Exception:
        log.exception("receipt of %s not sent to the chat", reservation.id)


def _created(body: dict[str, Any], svc: ApiServices, reservation: Any) -> JSONResponse:
    """201 with the placed reservation; its chat receipt goes once the answer is out."""
    return JSONResponse(body, status_code=201, background=BackgroundTask(_receipt, svc, reservation))


@router.post(
    "/reservations",
    status_code=201,
    response_model=ReservationOut,
    summary="Reserve a room: nights held, payment taken, reservation placed, or nothing at all",
    responses={409: {"description": "Taken, changed terms, or the Idempotency-Key is in use"}},
)
async def place(
    body: ReservationRequest,
    svc: Services,
    caller: Caller,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    command = PlaceReservation(
        guest_id=caller.user_id,
        guest_name=caller.name or f"guest {caller.user_id}",
        room_id=body.room_id,
        check_in=body.check_in,
        check_out=body.check_out,
        guests=body.guests,
        total=body.total,
        currency=body.currency if body.total is not None else None,
    )
    if idempotency_key is None:
        reservation = await svc.handle(command)
        return _created(_placed(reservation), svc, reservation)
    principal = str(caller.user_id)
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    # The key names the reservation too: even a request that slipped past the claim holds the
    # same reservation id, which the reservation context can store once only.
    keyed_id = uuid.uuid5(KEYED, f"{principal}:{idempotency_key}")
    claim = await svc.idempotency.claim(principal, idempotency_key, digest)
    if not claim.first:
        if claim.request_hash != digest:
            return problem(
                422, "idempotency_key_reused", "idempotency key reused", "This key was used for another request."
            )
        if claim.status_code is None:
            # Placed, but the answer was never stored (the process died in between): the view knows.
            row = await svc.views.reservation(keyed_id)
            if row is not None and row.guest_id == caller.user_id:
                return JSONResponse(reservation_out(row).model_dump(mode="json"), status_code=201)
            return problem(
                409,
                "request_in_progress",
                "request in progress",
                "The first request with this key is still being answered.",
                {"Retry-After": "1"},
            )
        media = MEDIA_TYPE if claim.status_code >= 400 else "application/json"
        replayed = json.loads(claim.response or "{}")
        headers = {"Idempotent-Replayed": "true"}
        return JSONResponse(replayed, status_code=claim.status_code, headers=headers, media_type=media)
    keyed = dataclasses.replace(command, reservation_id=keyed_id)
    try:
        reservation = await svc.handle(keyed)
    except DomainError as exc:
        if exc.transient:  # nothing was booked or charged: the same key may try again
            await svc.idempotency.release(principal, idempotency_key)
            return domain_problem(exc, svc.describe(exc))
        answer = domain_problem(exc, svc.describe(exc))
        await svc.idempotency.answer(principal, idempotency_key, answer.status_code, bytes(answer.body).decode())
        return answer
    except BaseException:
        await svc.idempotency.release(principal, idempotency_key)
        raise
    body_out = _placed(reservation)
    await svc.idempotency.answer(principal, idempotency_key, 201, json.dumps(body_out))
    return _created(body_out, svc, reservation)


@router.post(
    "/checkouts",
    status_code=201,
    response_model=CheckoutOut,
    summary="Telegram Payments: hold the nights and send the invoice to the guest's chat, to pay there",
    responses={409: {"description": "Taken meanwhile"}, 503: {"description": "No bot here to send the invoice"}},
)
async def checkout_in_chat(
    body: ReservationRequest,
    svc: Services,
    caller: Caller,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CheckoutOut:
    if not svc.config.payments_in_chat:
        raise HTTPException(409, "Payments are taken here: POST /api/v1/reservations.")
    if svc.checkout_in_chat is None:
        raise HTTPException(503, "Invoices cannot be sent from here now.", headers={"Retry-After": "60"})
    # The same key names the same checkout: asked again, the invoice already sent is not sent twice.
    key = f"{caller.user_id}:{idempotency_key}" if idempotency_key else uuid.uuid4().hex
    cmd = StartCheckout(
        guest_id=caller.user_id,
        guest_name=caller.name or f"guest {caller.user_id}",
        room_id=body.room_id,
        check_in=body.check_in,
        check_out=body.check_out,
        guests=body.guests,
        reservation_id=uuid.uuid5(KEYED, f"checkout:{key}"),
        total=body.total,  # the invoice is for the total the page showed, or the guest is asked again
        currency=body.currency if body.total is not None else None,
    )
    checkout = await svc.checkout_in_chat(cmd)
    return CheckoutOut(
        reservation_id=checkout.reservation_id,
        status="held",
        total_price=checkout.total_price,
        currency=checkout.currency,
        expires_at=checkout.expires_at,
    )


@router.get("/reservations", response_model=Page[ReservationOut], summary="My reservations, newest first")
async def mine(svc: Services, caller: Caller, limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
    rows = await svc.views.guest_reservations(caller.user_id, limit=offset + limit + 1)
    return page([reservation_out(r) for r in rows], limit, offset)


@router.get("/reservations/{reservation_id}", response_model=ReservationOut, summary="One of my reservations")
async def one(reservation_id: UUID, svc: Services, caller: Caller) -> ReservationOut:
    row = await svc.views.reservation(reservation_id)
    if row is None or row.guest_id != caller.user_id:  # someone else's: say nothing about it
        raise NotFound(what="reservation")
    return reservation_out(row)


@router.post("/reservations/{reservation_id}/cancel", response_model=ReservationOut, summary="Cancel; refunded")
async def cancel(reservation_id: UUID, svc: Services, caller: Caller) -> ReservationOut:
    r = await svc.handle(CancelReservation(reservation_id=reservation_id, guest_id=caller.user_id))
    return made_out(r)
