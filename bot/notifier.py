"""The notifier: tells managers about new reservations (with Approve / Reject buttons, edited in
place for every manager once decided) and guests about everything that happens to theirs.

Messages go through python-telegram-bot's Bot with its AIORateLimiter, which waits out a 429 and
tries again. A user who blocked the bot is logged and skipped, never retried."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden

from bot import callbacks as cb
from bot.ports import RequestMessages, Users
from bot.texts import reason_text, reservation_code, t
from domain.hotel.events import ReservationApproved, ReservationRejectedByHotel
from domain.hotel.model import ApprovalRequest, ApprovalStatus, Hotel
from domain.hotel.ports import HotelReader
from domain.payment.events import PaymentRefunded
from domain.reservation.events import (
    ReservationCancelled,
    ReservationConfirmed,
    ReservationPlaced,
    ReservationRejected,
)
from domain.shared.errors import NotReadyYet
from domain.shared.events import Event
from domain.shared.money import format_money

log = logging.getLogger(__name__)


class RequestNotRecordedYet(NotReadyYet):
    """The hotel context has not recorded the approval request yet: try again shortly, so that
    no manager ever sees a button the hotel would not recognise."""


def request_text(lang: str, request: ApprovalRequest, hotel_name: str) -> str:
    return t(
        lang,
        "m_request",
        code=reservation_code(request.reservation_id),
        hotel=hotel_name,
        number=request.room_number,
        check_in=request.check_in,
        check_out=request.check_out,
        nights=(request.check_out - request.check_in).days,
        guests=request.guests,
        guest=request.guest_name,
        total=format_money(request.total_price, request.currency),
    )


def decision_keyboard(lang: str, reservation_id: UUID) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(lang, "btn_approve"), callback_data=cb.pack(cb.APPROVE, reservation_id)),
                InlineKeyboardButton(t(lang, "btn_reject"), callback_data=cb.pack(cb.REJECT, reservation_id)),
            ]
        ]
    )


def local_time(at: datetime | None, timezone: str) -> str:
    if at is None:
        return ""
    return at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def decided_text(lang: str, request: ApprovalRequest, hotel: Hotel) -> str:
    base = request_text(lang, request, hotel.name)
    at = local_time(request.decided_at, hotel.timezone)
    if request.status is ApprovalStatus.APPROVED:
        return base + "\n\n" + t(lang, "m_approved", name=request.decided_by_name, at=at)
    if request.status is ApprovalStatus.REJECTED:
        reason = reason_text(lang, request.reason)
        return base + "\n\n" + t(lang, "m_rejected", name=request.decided_by_name, at=at, reason=reason)
    if request.status is ApprovalStatus.WITHDRAWN:
        return base + "\n\n" + t(lang, "m_withdrawn", at=at)
    return base


class Notifier:
    def __init__(
        self,
        bot: Bot,
        hotels: HotelReader,
        users: Users,
        request_messages: RequestMessages,
        wait_for_request_s: float = 2.0,
    ) -> None:
        self.bot = bot
        self.hotels = hotels
        self.users = users
        self.request_messages = request_messages
        self.wait_for_request_s = wait_for_request_s
        self.sent = 0

    async def send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> Message | None:
        try:
            message = await self.bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)
        except Forbidden as exc:
            log.warning("user %s cannot be reached (%s); not retrying", chat_id, exc.message)
            return None
        except BadRequest as exc:  # e.g. "chat not found": a user who never started the bot
            log.warning("user %s cannot be messaged (%s); not retrying", chat_id, exc.message)
            return None
        self.sent += 1
        return message

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        try:
            await self.bot.edit_message_text(chat_id=chat_id, message_id=message_id, text=text, reply_markup=None)
        except Forbidden as exc:
            log.warning("user %s cannot be reached (%s); not retrying", chat_id, exc.message)
        except BadRequest as exc:  # already edited, or deleted by the user: nothing to do
            log.info("message %s/%s not edited: %s", chat_id, message_id, exc.message)

    async def _lang(self, user_id: int) -> str:
        return await self.users.language(user_id) or "en"

    async def _request(self, reservation_id: UUID, wait: bool) -> ApprovalRequest:
        deadline = asyncio.get_running_loop().time() + (self.wait_for_request_s if wait else 0)
        while True:
            request = await self.hotels.approval(reservation_id)
            if request is not None:
                return request
            if asyncio.get_running_loop().time() >= deadline:
                raise RequestNotRecordedYet(str(reservation_id))
            await asyncio.sleep(0.05)

    # --- the policies -------------------------------------------------------------------------
    async def on_placed(self, event: ReservationPlaced) -> None:
        request = await self._request(event.reservation_id, wait=True)
        hotel = await self.hotels.hotel(event.hotel_id)
        if hotel is None or request.status is ApprovalStatus.WITHDRAWN:
            return  # cancelled before the managers heard of it: nothing to tell them
        already = {chat for chat, _ in await self.hotels.approval_messages(event.reservation_id)}
        for manager in sorted(hotel.managers - already):
            lang = await self._lang(manager)
            text = request_text(lang, request, hotel.name)
            if request.status is ApprovalStatus.PENDING:
                message = await self.send(manager, text, decision_keyboard(lang, event.reservation_id))
            else:
                message = await self.send(manager, decided_text(lang, request, hotel))
            if message is not None:
                await self.request_messages.record(event.reservation_id, manager, message.message_id)

    async def _show_decision(self, reservation_id: UUID) -> ApprovalRequest | None:
        request = await self.hotels.approval(reservation_id)
        if request is None:
            return None
        hotel = await self.hotels.hotel(request.hotel_id)
        if hotel is None:
            return None
        for chat_id, message_id in await self.hotels.approval_messages(reservation_id):
            await self.edit(chat_id, message_id, decided_text(await self._lang(chat_id), request, hotel))
        return request

    async def on_decided(self, event: ReservationApproved | ReservationRejectedByHotel) -> None:
        await self._show_decision(event.reservation_id)

    async def _guest_facts(self, reservation_id: UUID) -> dict[str, Any]:
        request = await self.hotels.approval(reservation_id)
        facts: dict[str, Any] = {
            "code": reservation_code(reservation_id),
            "hotel": "",
            "check_in": "",
            "check_out": "",
            "number": "",
        }
        if request is not None:
            hotel = await self.hotels.hotel(request.hotel_id)
            facts.update(
                hotel=hotel.name if hotel else "",
                check_in=request.check_in,
                check_out=request.check_out,
                number=request.room_number,
            )
        return facts

    async def on_confirmed(self, event: ReservationConfirmed) -> None:
        facts = await self._guest_facts(event.reservation_id)
        await self.send(event.guest_id, t(await self._lang(event.guest_id), "n_confirmed", **facts))

    async def on_rejected(self, event: ReservationRejected) -> None:
        facts = await self._guest_facts(event.reservation_id)
        lang = await self._lang(event.guest_id)
        await self.send(event.guest_id, t(lang, "n_rejected", reason=reason_text(lang, event.reason), **facts))

    async def on_cancelled(self, event: ReservationCancelled) -> None:
        # Only the guest cancels, and was answered where they did it (the question edited into
        # the outcome); the refund notice follows. The managers' copies show what happened.
        await self._show_decision(event.reservation_id)

    async def on_refunded(self, event: PaymentRefunded) -> None:
        await self.send(
            event.guest_id,
            t(
                await self._lang(event.guest_id),
                "n_refunded",
                code=reservation_code(event.reservation_id),
                amount=format_money(event.amount, event.currency),
            ),
        )

    def policies(self) -> dict[type[Event], Any]:
        return {
            ReservationPlaced: self.on_placed,
            ReservationApproved: self.on_decided,
            ReservationRejectedByHotel: self.on_decided,
            ReservationConfirmed: self.on_confirmed,
            ReservationRejected: self.on_rejected,
            ReservationCancelled: self.on_cancelled,
            PaymentRefunded: self.on_refunded,
        }

    # --- reminders (sent by the scheduler through the same rate-limited bot) --------------------
    async def remind_managers(self, reservation_id: UUID) -> None:
        request = await self.hotels.approval(reservation_id)
        hotel = await self.hotels.hotel(request.hotel_id) if request else None
        if request is None or hotel is None:
            return
        for manager in sorted(hotel.managers):
            lang = await self._lang(manager)
            await self.send(
                manager,
                t(
                    lang,
                    "m_reminder",
                    code=reservation_code(reservation_id),
                    check_in=request.check_in,
                    check_out=request.check_out,
                    number=request.room_number,
                ),
                decision_keyboard(lang, reservation_id),
            )

    async def remind_guest(self, reservation_id: UUID, guest_id: int) -> None:
        facts = await self._guest_facts(reservation_id)
        await self.send(guest_id, t(await self._lang(guest_id), "n_check_in_tomorrow", **facts))
