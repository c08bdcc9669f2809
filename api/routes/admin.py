"""Admins (Telegram user ids in ADMIN_IDS): hotels, granting and revoking managers, the
cancellation policy new hotels start with, dead letters and their replay."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import Admin, Services
from api.schemas import (
    MAX_PAGE,
    DeadLetter,
    HotelDetail,
    HotelId,
    ManagerChange,
    NewHotel,
    Page,
    PolicyIO,
    Replayed,
    UserId,
    page,
)
from api.terms import policy_of, policy_out
from domain.hotel.commands import AddHotel, GrantManager, RevokeManager, SetDefaultPolicy
from domain.hotel.model import Hotel
from domain.shared.errors import NotFound

router = APIRouter(prefix="/admin", tags=["admin"])
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=10_000)]


def hotel_out(h: Hotel) -> HotelDetail:
    return HotelDetail(
        id=h.id or 0, name=h.name, city=h.city, timezone=h.timezone, currency=h.currency, managers=sorted(h.managers)
    )


@router.get("/hotels", response_model=Page[HotelDetail], summary="Every hotel and its managers")
async def hotels(svc: Services, _: Admin, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    return page([hotel_out(h) for h in await svc.hotels.hotels()], limit, offset)


@router.post("/hotels", status_code=201, response_model=HotelDetail, summary="Add a hotel")
async def add_hotel(body: NewHotel, svc: Services, _: Admin) -> HotelDetail:
    hotel = await svc.handle(AddHotel(name=body.name, city=body.city, timezone=body.timezone, currency=body.currency))
    return hotel_out(hotel)


@router.put("/hotels/{hotel_id}/managers/{user_id}", response_model=ManagerChange, summary="Grant the manager role")
async def grant(hotel_id: HotelId, user_id: UserId, svc: Services, _: Admin) -> ManagerChange:
    await svc.handle(GrantManager(hotel_id=hotel_id, user_id=user_id))
    return ManagerChange(hotel_id=hotel_id, user_id=user_id, manager=True)


@router.delete("/hotels/{hotel_id}/managers/{user_id}", response_model=ManagerChange, summary="Revoke the manager role")
async def revoke(hotel_id: HotelId, user_id: UserId, svc: Services, _: Admin) -> ManagerChange:
    await svc.handle(RevokeManager(hotel_id=hotel_id, user_id=user_id))
    return ManagerChange(hotel_id=hotel_id, user_id=user_id, manager=False)


@router.get("/dead-letters", response_model=Page[DeadLetter], summary="Messages parked after their retries")
async def dead_letters(
    svc: Services,
    _: Admin,
    consumer: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    if consumer is not None and consumer not in svc.operations.consumer_names:
        raise NotFound(what="consumer")
    rows = await svc.operations.dead_letters(consumer)
    letters = [
        DeadLetter(
            consumer=str(row.get("consumer", consumer or "")),
            type=_text(row.get("type")),
            event_id=_text(row.get("event_id")),
            attempts=int(row["attempts"]) if row.get("attempts") is not None else None,
            error=_text(row.get("error")),
        )
        for row in rows
    ]
    return page(letters, limit, offset)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@router.post("/dead-letters/{consumer}/replay", response_model=Replayed, summary="Send a consumer's dead letters back")
async def replay(consumer: Annotated[str, Path(max_length=64)], svc: Services, _: Admin) -> Replayed:
    if consumer not in svc.operations.consumer_names:
        raise NotFound(what="consumer")
    return Replayed(consumer=consumer, replayed=await svc.operations.replay(consumer))


@router.put(
    "/default-policy",
    response_model=PolicyIO,
    summary="The cancellation policy every hotel added from now on starts with",
)
async def default_policy(body: PolicyIO, svc: Services, _: Admin) -> PolicyIO:
    policy = policy_of(body)
    await svc.handle(SetDefaultPolicy(policy=policy))
    return policy_out(policy)
