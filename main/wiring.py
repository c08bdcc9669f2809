"""What each inbound adapter is handed: narrow ports cut from the container, never the container."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlparse
from uuid import UUID

from api.ports import ApiConfig, ApiServices, ChatCheckout, Receipts
from bot.ports import BotConfig, BotServices, CheckoutConfig, TelegramConfig
from bot.texts import error_text
from infra.config import Settings, SettingsError
from infra.db.idempotency import IdempotencyKeys
from main.admin import Operations
from main.bootstrap import Container, invoice_payloads


class ApprovalMessages:
    """The hotel context records where each manager's copy of a request was sent."""

    def __init__(self, container: Container) -> None:
        self.container = container

    async def record(self, reservation_id: UUID, chat_id: int, message_id: int) -> None:
        async with self.container.hotel_uow() as uow:
            await uow.approvals.record_message(reservation_id, chat_id, message_id)
            await uow.commit()


def bot_services(container: Container) -> BotServices:
    s = container.settings
    return BotServices(
        handle=container.handle,
        availability=container.availability,
        views=container.views,
        hotels=container.hotels,
        users=container.users,
        operations=Operations(container),
        clock=container.clock,
        config=BotConfig(
            admin_ids=s.admin_ids,
            max_nights=s.max_nights,
            max_days_ahead=s.max_days_ahead,
            mini_app_url=s.mini_app_url,
        ),
        checkout=CheckoutConfig(
            provider_token=s.telegram_payment_provider_token or "",
            payloads=invoice_payloads(s),
            hold_minutes=s.payment_hold_minutes,
            support_text=s.paysupport_text,
        )
        if s.payment_provider == "telegram"
        else None,
    )


def telegram_config(settings: Settings) -> TelegramConfig:
    if not settings.telegram_bot_token:
        raise SettingsError("setting TELEGRAM_BOT_TOKEN: required to talk to Telegram")
    return TelegramConfig(
        token=settings.telegram_bot_token,
        api_base_url=settings.telegram_api_base_url,
        webhook_url=settings.webhook_url,
        webhook_secret=settings.webhook_secret,
    )


def jwt_keys(settings: Settings) -> dict[str, str]:
    """JWT_KEYS; or JWT_SECRET as the one key; or (zero setup) one derived from the bot token,
    like the invoice payloads' key."""
    if settings.jwt_keys:
        return dict(settings.jwt_keys)
    if settings.jwt_secret:
        return {"main": settings.jwt_secret}
    if not settings.telegram_bot_token:
        raise SettingsError("setting JWT_KEYS: required to sign API tokens when TELEGRAM_BOT_TOKEN is not set")
    derived = hashlib.sha256(f"api-tokens:{settings.telegram_bot_token}".encode()).hexdigest()
    return {"bot": derived}


def chat_checkout(container: Container, bot: Any) -> ChatCheckout:
    """Telegram Payments from the Mini App: the chat's own checkout (hold, invoice in the chat)."""
    from bot.checkout import invoice_in_chat

    services = bot_services(container)

    async def checkout(cmd: Any) -> Any:
        lang = await container.users.language(cmd.guest_id) or "en"
        room = await container.availability.room(cmd.room_id)
        return await invoice_in_chat(bot, services, cmd.guest_id, lang, cmd, room.timezone if room else "UTC")

    return checkout


def api_services(
    container: Container, receipts: Receipts | None = None, checkout: ChatCheckout | None = None
) -> ApiServices:
    s = container.settings
    return ApiServices(
        handle=container.handle,
        availability=container.availability,
        views=container.views,
        hotels=container.hotels,
        operations=Operations(container),
        idempotency=IdempotencyKeys(container.engine("app")),
        clock=container.clock,
        occupancy=container.availability,
        receipts=receipts,
        checkout_in_chat=checkout if s.payment_provider == "telegram" else None,
        config=ApiConfig(
            admin_ids=s.admin_ids,
            jwt_keys=jwt_keys(s),
            token_ttl_s=s.api_token_ttl_s,
            bot_token=s.telegram_bot_token or "",
            init_data_max_age_s=s.api_init_data_max_age_s,
            max_nights=s.max_nights,
            max_days_ahead=s.max_days_ahead,
            cors_origins=s.api_cors_origins,
            max_body_bytes=s.api_max_body_bytes,
            rate_per_s=s.api_rate_per_s,
            webhook_path=urlparse(s.webhook_url).path or "/" if s.webhook_url else None,
            webhook_secret=s.webhook_secret,
            payments_in_chat=s.payment_provider == "telegram",
        ),
        describe=lambda exc: error_text("en", exc),
    )
