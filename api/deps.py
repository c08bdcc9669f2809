"""Who asks, as route dependencies. The token says who it is; what they may do is asked of the
hotel context and the configuration on every request, so a revoked manager or an admin taken off
ADMIN_IDS loses access on their next request, whatever their token says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import BadToken, Tokens
from api.ports import ApiServices
from api.schemas import HotelId

bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/telegram or `hotelbot admin token`.")
UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


def services(request: Request) -> ApiServices:
    found: ApiServices = request.app.state.services
    return found


def tokens(request: Request) -> Tokens:
    found: Tokens = request.app.state.tokens
    return found


Services = Annotated[ApiServices, Depends(services)]


@dataclass(frozen=True)
class Principal:
    user_id: int
    role: str  # what the token was issued for: guest < manager, admin
    name: str


async def principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "A bearer token is required.", headers=UNAUTHORIZED)
    try:
        claims = tokens(request).verify(credentials.credentials)
    except BadToken:
        raise HTTPException(401, "The token is expired, altered or not ours.", headers=UNAUTHORIZED) from None
    return Principal(claims.user_id, claims.role, claims.name)


Caller = Annotated[Principal, Depends(principal)]


async def manager(caller: Caller, svc: Services) -> Principal:
    """Someone the hotel context lists as a manager of some hotel now (which hotel, each use case
    checks itself, as for the chat)."""
    if caller.role == "guest" or not await svc.hotels.managed_by(caller.user_id):
        raise HTTPException(403, "Only a hotel's managers may do this.")
    return caller


async def admin(caller: Caller, svc: Services) -> Principal:
    if caller.role != "admin" or caller.user_id not in svc.config.admin_ids:
        raise HTTPException(403, "Only an admin may do this.")
    return caller


Manager = Annotated[Principal, Depends(manager)]
Admin = Annotated[Principal, Depends(admin)]


async def managed_hotel(hotel_id: HotelId, caller: Manager, svc: Services) -> int:
    if hotel_id not in {h.id for h in await svc.hotels.managed_by(caller.user_id)}:
        raise HTTPException(403, "You do not manage this hotel.")
    return hotel_id
