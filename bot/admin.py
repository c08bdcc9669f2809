"""Admin commands (Telegram ids in ADMIN_IDS): hotels, the manager role, system state, dead letters."""

from __future__ import annotations

from functools import wraps
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot import terms_input
from bot.commands import refresh_commands
from bot.context import BotContext
from bot.manager.terms import policy_text
from bot.texts import error_text
from bot.ui import show
from domain.hotel import commands as hc
from domain.shared.errors import DomainError


def admin_only(handler: Any) -> Any:
    @wraps(handler)
    async def guarded(update: Update, context: BotContext) -> None:
        user = update.effective_user
        if user is None or not context.is_admin(user.id):
            await show(update, context.t("not_allowed"))
            return
        try:
            await handler(update, context)
        except DomainError as exc:
            await show(update, error_text(context.lang, exc))

    return guarded


@admin_only
async def add_hotel(update: Update, context: BotContext) -> None:
    parts = [p.strip() for p in " ".join(context.args or []).split("|")]
    if len(parts) != 4 or not all(parts):
        await show(update, context.t("addhotel_usage"))
        return
    hotel = await context.services.handle(
        hc.AddHotel(name=parts[0], city=parts[1], timezone=parts[2], currency=parts[3])
    )
    await show(
        update,
        context.t(
            "hotel_added",
            id=hotel.id,
            name=hotel.name,
            city=hotel.city,
            timezone=hotel.timezone,
            currency=hotel.currency,
        ),
    )


def _two_ids(context: BotContext) -> tuple[int, int] | None:
    args = context.args or []
    if len(args) != 2 or not all(a.isascii() and a.isdigit() and len(a) < 19 for a in args):
        return None
    return int(args[0]), int(args[1])


@admin_only
async def grant(update: Update, context: BotContext) -> None:
    ids = _two_ids(context)
    if ids is None:
        await show(update, context.t("grant_usage"))
        return
    user_id, hotel_id = ids
    await context.services.handle(hc.GrantManager(hotel_id=hotel_id, user_id=user_id))
    await refresh_commands(context.application, user_id)
    await show(update, context.t("granted", user=user_id, hotel=hotel_id))


@admin_only
async def revoke(update: Update, context: BotContext) -> None:
    ids = _two_ids(context)
    if ids is None:
        await show(update, context.t("revoke_usage"))
        return
    user_id, hotel_id = ids
    done = await context.services.handle(hc.RevokeManager(hotel_id=hotel_id, user_id=user_id))
    await refresh_commands(context.application, user_id)
    await show(update, context.t("revoked" if done else "not_revoked", user=user_id, hotel=hotel_id))


@admin_only
async def hotels(update: Update, context: BotContext) -> None:
    found = await context.services.hotels.hotels()
    if not found:
        await show(update, context.t("hotels_none"))
        return
    await show(
        update,
        "\n".join(
            context.t(
                "hotel_line",
                id=h.id,
                name=h.name,
                city=h.city,
                timezone=h.timezone,
                currency=h.currency,
                managers=", ".join(map(str, sorted(h.managers))) or "-",
            )
            for h in found
        ),
    )


@admin_only
async def stats(update: Update, context: BotContext) -> None:
    c = context.services
    by_status = await c.views.counts_by_status()
    outbox = await c.operations.outbox_backlog()
    dead = await c.operations.dead_letters()
    await show(
        update,
        context.t(
            "stats",
            by_status=", ".join(f"{k} {v}" for k, v in sorted(by_status.items())) or "0",
            pending=await c.hotels.pending_count(),
            outbox=", ".join(f"{k} {v}" for k, v in outbox.items()),
            dead=len(dead),
        )
        + "\n"
        + context.t("stats_refunds", count=await c.views.refunds_pending()),
    )


@admin_only
async def dlq(update: Update, context: BotContext) -> None:
    consumer = context.args[0] if context.args else None
    if consumer is not None and consumer not in context.services.operations.consumer_names:
        await show(update, context.t("replay_usage", names=", ".join(context.services.operations.consumer_names)))
        return
    rows = await context.services.operations.dead_letters(consumer)
    if not rows:
        await show(update, context.t("dlq_none", where=f" ({consumer})" if consumer else ""))
        return
    await show(
        update,
        "\n".join(
            context.t(
                "dlq_line",
                consumer=r["consumer"],
                type=r["type"],
                event_id=r["event_id"],
                attempts=r["attempts"],
                error=str(r["error"])[:120],
            )
            for r in rows[:30]
        ),
    )


@admin_only
async def replay(update: Update, context: BotContext) -> None:
    args = context.args or []
    if len(args) != 1 or args[0] not in context.services.operations.consumer_names:
        await show(update, context.t("replay_usage", names=", ".join(context.services.operations.consumer_names)))
        return
    count = await context.services.operations.replay(args[0])
    await show(update, context.t("replayed", count=count, consumer=args[0]))


@admin_only
async def default_policy(update: Update, context: BotContext) -> None:
    """The cancellation policy every hotel added from now on starts with (its managers may then
    change their own): `/defaultpolicy 3 50%`, `/defaultpolicy 1 first-night`, `/defaultpolicy non-refundable`."""
    policy = terms_input.policy(context.args or [])  # out of bounds: InvalidTerms, said by admin_only
    if policy is None:
        await show(update, context.t("dp_usage"))
        return
    await context.services.handle(hc.SetDefaultPolicy(policy=policy))
    await show(update, context.t("dp_set", policy=policy_text(context.lang, policy)))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("addhotel", add_hotel),
        CommandHandler("grant", grant),
        CommandHandler("revoke", revoke),
        CommandHandler("hotels", hotels),
        CommandHandler("stats", stats),
        CommandHandler("dlq", dlq),
        CommandHandler("replay", replay),
        CommandHandler("defaultpolicy", default_policy),
    ]
