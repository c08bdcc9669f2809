"""The composition root of the bot: builds the Application, registers the handlers, starts and
stops receiving updates (long polling that confirms an update once handled, bot/polling.py; or a
webhook with Telegram's secret-token header)."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, ExtBot
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

from bot import admin, booking, checkout, common, guest, manager
from bot.commands import set_default_commands
from bot.context import BotContext
from bot.polling import ConfirmingPoller
from bot.ports import BotServices, BotStateStore, TelegramConfig
from bot.processor import PerUserUpdateProcessor
from bot.state import NothingAtStart, PerUpdateState

POLL_TIMEOUT_S = 10
# The conversations track one user in one chat on purpose (per_message=False): a guest may
# type a date instead of pressing the calendar. PTB warns about that combination; it is intended.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)


def file_url(base_url: str) -> str:
    return base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url


def build_application(
    telegram: TelegramConfig,
    services: BotServices,
    state: BotStateStore,
    request: BaseRequest | None = None,
) -> Any:
    """`state`: where each user's conversations and user data are read before and written after
    every update of theirs (nothing is loaded at start), so bot replicas can share one token."""
    turns = PerUpdateState(state)
    builder = (
        ApplicationBuilder()
        .token(telegram.token)
        .base_url(telegram.api_base_url)
        .base_file_url(file_url(telegram.api_base_url))
        .context_types(ContextTypes(context=BotContext))
        .persistence(NothingAtStart())
        .concurrent_updates(PerUserUpdateProcessor(state=turns))
        # Answers to a user's own taps are not throttled here (a guest waits for each one); a 429
        # from Telegram is still waited out and retried. Bulk sends go through the notifier's bot.
        .rate_limiter(AIORateLimiter(overall_max_rate=0, max_retries=5))
        .post_init(set_default_commands)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        builder = builder.get_updates_read_timeout(POLL_TIMEOUT_S + 5).connection_pool_size(64)
    builder = builder.updater(None)  # polling is bot.polling's: it confirms an update once handled
    application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
    application.bot_data["services"] = services
    for group, handler in (*checkout.first_handlers(), *common.first_handlers(), *manager.first_handlers()):
        application.add_handler(handler, group=group)
    application.add_handlers(common.handlers())
    application.add_handlers(checkout.handlers())
    application.add_handlers(admin.handlers())
    application.add_handler(booking.conversation())
    application.add_handlers(guest.handlers())
    application.add_handlers(manager.handlers())
    application.add_handlers(common.last_handlers())
    application.add_error_handler(common.on_error)
    turns.attach(application)
    return application


def build_notifier_bot(telegram: TelegramConfig, request: BaseRequest | None = None) -> ExtBot[None]:
    """The notifier's own bot: Telegram's broadcast limits (30 messages/s overall, 20 per minute in
    a group) are kept by PTB's AIORateLimiter, which also waits out a 429 and tries again."""
    return ExtBot(
        telegram.token,
        base_url=telegram.api_base_url,
        base_file_url=file_url(telegram.api_base_url),
        request=request,
        rate_limiter=AIORateLimiter(max_retries=8),  # type: ignore[arg-type]
    )


async def start_receiving(
    application: Any, settings: TelegramConfig, before_webhook: Callable[[], Awaitable[None]] | None = None
) -> ConfirmingPoller | None:
    """Long polling (the poller is returned, for stop_receiving); or, with a webhook URL, Telegram
    is told to post updates there: the process's HTTP gateway receives them (`before_webhook`
    starts it) and hands each to the application."""
    await application.start()
    if application.post_init:
        await application.post_init(application)
    if settings.webhook_url:
        if before_webhook is not None:
            await before_webhook()
        await application.bot.set_webhook(
            url=settings.webhook_url, secret_token=settings.webhook_secret, allowed_updates=Update.ALL_TYPES
        )
        return None
    poller = ConfirmingPoller(application.bot, lambda update: handle_now(application, update), POLL_TIMEOUT_S)
    await poller.start()
    return poller


async def stop_receiving(application: Any, poller: ConfirmingPoller | None) -> None:
    """Stop taking updates, finish those in hand, stop the application."""
    if poller is not None:
        await poller.stop()
    if application.running:
        await application.stop()


async def handle_now(application: Any, update: Update) -> None:
    """Handle one update that arrived some other way than PTB's updater (a webhook route that
    answers Telegram only once the update is handled), returning when it is: through the update
    processor, so it keeps its place in the user's lane and flood bucket and runs inside the user's
    turn (state read before, written after). `application.process_update` alone would skip all of
    that."""
    await application.update_processor.process_update(update, application.process_update(update))
