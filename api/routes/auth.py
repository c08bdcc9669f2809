"""The token exchange: a Telegram Mini App's initData (signed by Telegram for this bot) for a
short-lived bearer token. Integrations get theirs from `hotelbot admin token`."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request

from api.auth import BadInitData, verify_init_data
from api.deps import Services, tokens
from api.ports import ApiServices
from api.schemas import TelegramLogin, TokenOut

router = APIRouter(prefix="/auth", tags=["auth"])


async def role_of(svc: ApiServices, user_id: int) -> tuple[str, tuple[int, ...]]:
    """What the hotel context and the configuration say this user is now."""
    hotels = tuple(h.id or 0 for h in await svc.hotels.managed_by(user_id))
    role = "admin" if user_id in svc.config.admin_ids else "manager" if hotels else "guest"
    return role, hotels


@router.post("/telegram", response_model=TokenOut, summary="Exchange Mini App initData for a token")
async def telegram(body: TelegramLogin, request: Request, svc: Services) -> TokenOut:
    now = svc.clock.now()
    try:
        user = verify_init_data(body.init_data, svc.config.bot_token, now, svc.config.init_data_max_age_s)
    except BadInitData:
        raise HTTPException(401, "initData is not signed by Telegram for this bot, or too old.") from None
    role, hotels = await role_of(svc, user.user_id)
    ttl = svc.config.token_ttl_s
    token = tokens(request).issue(user.user_id, role, hotels, now, timedelta(seconds=ttl), user.first_name)
    return TokenOut(access_token=token, expires_in=ttl, role=role)
