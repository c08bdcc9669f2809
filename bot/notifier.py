"""The notifier: tells managers about requests the hotel opened for their decision (with
Approve / Reject buttons, edited in place for every manager as the request changes) and guests
about everything that happens to their reservations.

What users are told is true, in order, and once:
- every message is claimed (event, recipient) before it is sent and marked sent after, the mark
  written even if the delivery is interrupted, so a redelivered or duplicated event sends nothing;
- a notice about a state the reservation has already left is not sent, and a manager copy is
  always rendered from the request as it stands, never from the event;
- what follows a message waits for it (a decision for the request, a refund for the
  cancellation), and the wiring serialises deliveries of one reservation.

Messages go through python-telegram-bot's Bot with its AIORateLimiter, which waits out a 429 and
tries again. A user who blocked the bot is logged and skipped, never retried."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from bot import callbacks as cb
from bot.ports import RequestMessages, Users
from bot.stay_terms import breakdown, policy_text, reservation_receipt
from bot.texts import reason_text, reservation_code, t
from bot.ui import call
from domain.hotel.events import ApprovalRequested, ApprovalWithdrawn, ReservationApproved, ReservationRejectedByHotel
from domain.hotel.model import ApprovalRequest, ApprovalStatus, Hotel
from domain.hotel.ports import HotelReader
from domain.payment.events import PaymentRefunded
from domain.reservation.events import (
    ReservationCancelled,
    ReservationCheckedIn,
    ReservationCheckedOut,
    ReservationConfirmed,
    ReservationNoShow,
    ReservationRejected,
)
from domain.reservation.model import Reservation, ReservationStatus
from domain.reservation.ports import ReservationStates
from domain.shared.errors import NotReadyYet
from domain.shared.events import Event
from domain.shared.money import format_money

log = logging.getLogger(__name__)

# An event that must wait for an earlier message waits at most this long (counted from when it
# happened); after that it is told anyway rather than never.
PATIENCE = timedelta(minutes=10)
REQUESTED = "requested"  # noted once every manager of the hotel was sent the request


class Notices(Protocol):
    """What was told to whom: a claim per (event, recipient) taken before sending."""

    async def claim(self, event_id: UUID, chat_id: int, reservation_id: UUID, kind: str) -> bool:
        """True: send it now; False: it was sent already. Raises NotReadyYet while another
        delivery of the same event is sending it."""
        ...

    async def done(self, event_id: UUID, chat_id: int, message_id: int | None) -> None: ...

    async def release(self, event_id: UUID, chat_id: int) -> None: ...

    async def note(self, event_id: UUID, reservation_id: UUID, kind: str) -> None:
        """A row with no recipient, claimed and done at once: this event's messages went out."""
        ...

    async def kinds(self, reservation_id: UUID) -> set[str]: ...


class EarlierMessagePending(NotReadyYet):
    """What this event says must follow a message that has not been sent yet."""


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


def _today(timezone: str | None) -> date:
    """The hotel-local day now (a policy reads "free until …" from it)."""
    return datetime.now(UTC).astimezone(ZoneInfo(timezone or "UTC")).date()


def local_time(at: datetime | None, timezone: str) -> str:
    if at is None:
        return ""
    return at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def decided_text(lang: str, request: ApprovalRequest, hotel: Hotel) -> str:
    """The request as it stands: the decision, and whether the guest cancelled since."""
    base = request_text(lang, request, hotel.name)
    at = local_time(request.decided_at, hotel.timezone)
    lines = []
    if request.decided_by_name is not None and request.status is not ApprovalStatus.WITHDRAWN:
        if request.reason is None:
            lines.append(t(lang, "m_approved", name=request.decided_by_name, at=at))
        else:
            lines.append(
                t(lang, "m_rejected", name=request.decided_by_name, at=at, reason=reason_text(lang, request.reason))
            )
    if request.status in (ApprovalStatus.WITHDRAWN, ApprovalStatus.CANCELLED):
        lines.append(t(lang, "m_withdrawn", at=local_time(request.withdrawn_at or request.decided_at, hotel.timezone)))
    return "\n\n".join([base, *lines]) if lines else base


def manager_copy(lang: str, request: ApprovalRequest, hotel: Hotel) -> tuple[str, InlineKeyboardMarkup | None]:
    """A manager's copy of a request: with the buttons while it awaits a decision (also when it
    was decided before the managers heard of it, e.g. by the deadline, it shows the outcome)."""
    if request.status is ApprovalStatus.PENDING:
        return request_text(lang, request, hotel.name), decision_keyboard(lang, request.reservation_id)
    return decided_text(lang, request, hotel), None


class Notifier:
    def __init__(
        self,
        bot: Bot,
        hotels: HotelReader,
        users: Users,
        request_messages: RequestMessages,
        notices: Notices,
        reservations: ReservationStates,
    ) -> None:
        self.bot = bot
        self.hotels = hotels
        self.users = users
        self.request_messages = request_messages
        self.notices = notices
        self.reservations = reservations
        self.sent = 0
        self._delivering: set[asyncio.Future[None]] = set()

    async def send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> int | None:
        """The id of the message sent, or None if the user cannot be messaged. Telegram's answer
        (the message echoed back) is not made into a Message: only its id is used."""
        try:
            sent = await call(self.bot, "sendMessage", chat_id=chat_id, text=text, reply_markup=markup)
        except Forbidden as exc:
            log.warning("user %s cannot be reached (%s); not retrying", chat_id, exc.message)
            return None
        except BadRequest as exc:  # e.g. "chat not found": a user who never started the bot
            log.warning("user %s cannot be messaged (%s); not retrying", chat_id, exc.message)
            return None
        self.sent += 1
        return int(sent["message_id"])

    async def edit(self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        try:
            await call(
                self.bot, "editMessageText", chat_id=chat_id, message_id=message_id, text=text, reply_markup=markup
            )
        except Forbidden as exc:
            log.warning("user %s cannot be reached (%s); not retrying", chat_id, exc.message)
        except BadRequest as exc:  # unchanged, or deleted by the user: nothing to do
            log.info("message %s/%s not edited: %s", chat_id, message_id, exc.message)

    async def _lang(self, user_id: int) -> str:
        return await self.users.language(user_id) or "en"

    # --- once: claim, send, mark ---------------------------------------------------------------
    async def _once(
        self,
        event: Event,
        chat_id: int,
        reservation_id: UUID,
        kind: str,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Send unless this event already told this recipient. The send and its mark run on
        their own: a delivery interrupted meanwhile (a dropped broker connection cancels it)
        neither loses the mark nor leaves the claim to be sent again."""
        if not await self.notices.claim(event.event_id, chat_id, reservation_id, kind):
            return
        task = asyncio.ensure_future(self._deliver(event.event_id, chat_id, reservation_id, kind, text, markup))
        self._delivering.add(task)
        task.add_done_callback(self._delivering.discard)
        await asyncio.shield(task)

    async def _deliver(
        self,
        event_id: UUID,
        chat_id: int,
        reservation_id: UUID,
        kind: str,
        text: str,
        markup: InlineKeyboardMarkup | None,
    ) -> None:
        try:
            message_id = await self.send(chat_id, text, markup)
        except BaseException:
            await self.notices.release(event_id, chat_id)  # not sent: the retry sends it
            raise
        if message_id is not None and kind == "request":
            await self.request_messages.record(reservation_id, chat_id, message_id)
        await self.notices.done(event_id, chat_id, message_id)

    async def _note(self, event: Event, reservation_id: UUID, kind: str) -> None:
        """Remember that this event's messages went out (a row with no recipient)."""
        await self.notices.note(event.event_id, reservation_id, kind)

    async def _after(self, event: Event, reservation_id: UUID, *kinds: str) -> None:
        """Wait (retry later) until a message of one of `kinds` about this reservation went out."""
        if datetime.now(UTC) - event.occurred_at > PATIENCE:
            return
        if not set(kinds) & await self.notices.kinds(reservation_id):
            raise EarlierMessagePending(f"{event.routing_key()} {reservation_id} waits for {'/'.join(kinds)}")

    async def _is_now(self, event: Event, reservation_id: UUID, status: ReservationStatus) -> bool:
        current = await self.reservations.status(reservation_id)
        if current is not status:
            log.info("%s about %s not told: the reservation is %s now", event.routing_key(), reservation_id, current)
            return False
        return True

    # --- managers ------------------------------------------------------------------------------
    async def on_requested(self, event: ApprovalRequested) -> None:
        request = await self.hotels.approval(event.reservation_id)
        hotel = await self.hotels.hotel(event.hotel_id)
        if request is not None and hotel is not None and request.status is not ApprovalStatus.WITHDRAWN:
            for manager in sorted(hotel.managers):
                lang = await self._lang(manager)
                if request.status is ApprovalStatus.PENDING:
                    text, markup = (
                        request_text(lang, request, hotel.name),
                        decision_keyboard(lang, event.reservation_id),
                    )
                else:  # decided before the managers heard of it (e.g. by the deadline)
                    text, markup = decided_text(lang, request, hotel), None
                await self._once(event, manager, event.reservation_id, "request", text, markup)
        await self._note(event, event.reservation_id, REQUESTED)

    async def _show_request(self, reservation_id: UUID) -> ApprovalRequest | None:
        """Every manager copy rendered from the request as it stands now."""
        request = await self.hotels.approval(reservation_id)
        hotel = await self.hotels.hotel(request.hotel_id) if request is not None else None
        if request is None or hotel is None:
            return None
        for chat_id, message_id in await self.hotels.approval_messages(reservation_id):
            lang = await self._lang(chat_id)
            if request.status is ApprovalStatus.PENDING:
                await self.edit(
                    chat_id,
                    message_id,
                    request_text(lang, request, hotel.name),
                    decision_keyboard(lang, reservation_id),
                )
            else:
                await self.edit(chat_id, message_id, decided_text(lang, request, hotel))
        return request

    async def on_decided(self, event: ReservationApproved | ReservationRejectedByHotel) -> None:
        await self._after(event, event.reservation_id, REQUESTED)
        await self._show_request(event.reservation_id)

    async def on_withdrawn(self, event: ApprovalWithdrawn) -> None:
        await self._after(event, event.reservation_id, REQUESTED)
        request = await self._show_request(event.reservation_id)
        if request is None or event.previous_status == ApprovalStatus.PENDING.value:
            return  # nothing was decided: the edited copies say all there is to say
        hotel = await self.hotels.hotel(request.hotel_id)
        for manager in sorted(hotel.managers if hotel else ()):
            text = t(
                await self._lang(manager),
                "m_guest_cancelled",
                code=reservation_code(event.reservation_id),
                number=request.room_number,
                check_in=request.check_in,
                check_out=request.check_out,
            )
            await self._once(event, manager, event.reservation_id, "withdrawn", text)

    # --- guests --------------------------------------------------------------------------------
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
        if await self._is_now(event, event.reservation_id, ReservationStatus.CONFIRMED):
            facts = await self._guest_facts(event.reservation_id)
            text = t(await self._lang(event.guest_id), "n_confirmed", **facts)
            await self._once(event, event.guest_id, event.reservation_id, "confirmed", text)

    async def on_rejected(self, event: ReservationRejected) -> None:
        if await self._is_now(event, event.reservation_id, ReservationStatus.REJECTED):
            facts = await self._guest_facts(event.reservation_id)
            lang = await self._lang(event.guest_id)
            text = t(lang, "n_rejected", reason=reason_text(lang, event.reason), **facts)
            await self._once(event, event.guest_id, event.reservation_id, "rejected", text)

    async def on_cancelled(self, event: ReservationCancelled) -> None:
        # Only the guest cancels, and was answered where they did it (the question edited into the
        # outcome): nothing more is sent them, but it is noted so the refund notice follows in order.
        # The managers' copies follow the hotel's own account (on_withdrawn), never this event.
        await self._note(event, event.reservation_id, "cancelled")

    async def on_refunded(self, event: PaymentRefunded) -> None:
        """What went back, and what the cancellation policy kept (v2; a v1 event kept nothing)."""
        await self._after(event, event.reservation_id, "cancelled", "rejected", "no_show")
        text = t(
            await self._lang(event.guest_id),
            "n_refunded_part" if event.kept else "n_refunded",
            code=reservation_code(event.reservation_id),
            amount=format_money(event.amount, event.currency),
            kept=format_money(event.kept, event.currency),
        )
        await self._once(event, event.guest_id, event.reservation_id, "refunded", text)

    # --- the stay, as the hotel marks it -------------------------------------------------------
    async def on_no_show(self, event: ReservationNoShow) -> None:
        """The guest and the hotel's managers hear of a no-show: the fee kept, what goes back
        (the refund's own notice follows when the provider has paid it)."""
        if not await self._is_now(event, event.reservation_id, ReservationStatus.NO_SHOW):
            return
        facts = await self._guest_facts(event.reservation_id)
        money = {
            "fee": format_money(event.fee, event.currency),
            "refund": format_money(event.refund_amount, event.currency),
        }
        lang = await self._lang(event.guest_id)
        key = "n_no_show" if event.refund_amount else "n_no_show_nothing"
        await self._once(event, event.guest_id, event.reservation_id, "no_show", t(lang, key, **facts, **money))
        request = await self.hotels.approval(event.reservation_id)
        hotel = await self.hotels.hotel(event.hotel_id)
        for manager in sorted(hotel.managers if hotel else ()):
            text = t(
                await self._lang(manager),
                "m_no_show",
                code=facts["code"],
                number=facts["number"],
                check_in=facts["check_in"],
                check_out=facts["check_out"],
                guest=request.guest_name if request else "",
                **money,
            )
            await self._once(event, manager, event.reservation_id, "no_show", text)

    async def on_checked_in(self, event: ReservationCheckedIn) -> None:
        if await self._is_now(event, event.reservation_id, ReservationStatus.CHECKED_IN):
            facts = await self._guest_facts(event.reservation_id)
            terms = await self.hotels.terms(event.hotel_id)
            text = t(await self._lang(event.guest_id), "n_checked_in", time=terms.check_out_time, **facts)
            await self._once(event, event.guest_id, event.reservation_id, "checked_in", text)

    async def on_checked_out(self, event: ReservationCheckedOut) -> None:
        if await self._is_now(event, event.reservation_id, ReservationStatus.CHECKED_OUT):
            facts = await self._guest_facts(event.reservation_id)
            text = t(await self._lang(event.guest_id), "n_checked_out", **facts)
            await self._once(event, event.guest_id, event.reservation_id, "checked_out", text)

    def policies(self) -> dict[type[Event], Any]:
        return {
            ApprovalRequested: self.on_requested,
            ReservationApproved: self.on_decided,
            ReservationRejectedByHotel: self.on_decided,
            ApprovalWithdrawn: self.on_withdrawn,
            ReservationConfirmed: self.on_confirmed,
            ReservationRejected: self.on_rejected,
            ReservationCancelled: self.on_cancelled,
            PaymentRefunded: self.on_refunded,
            ReservationNoShow: self.on_no_show,
            ReservationCheckedIn: self.on_checked_in,
            ReservationCheckedOut: self.on_checked_out,
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

    async def placed_elsewhere(self, reservation: Reservation) -> None:
        """A booking placed outside the chat (the Mini App, the API): the guest gets the same
        receipt in the chat as for a booking made there."""
        room = await self.hotels.room(reservation.room_id)
        hotel = await self.hotels.hotel(reservation.hotel_id)
        text = reservation_receipt(
            await self._lang(reservation.guest_id),
            reservation,
            hotel.name if hotel else "",
            room.number if room else "",
            _today(hotel.timezone if hotel else None),
        )
        await self.send(reservation.guest_id, text)

    async def payment_settled(self, reservation: Reservation, placed: bool) -> None:
        """The payment sweep settled a booking its guest last saw at "Taking the payment…":
        placed (the receipt) or released (nothing was charged)."""
        room = await self.hotels.room(reservation.room_id)
        hotel = await self.hotels.hotel(reservation.hotel_id)
        lang = await self._lang(reservation.guest_id)
        quote, currency = reservation.price_lines, reservation.currency
        today = _today(hotel.timezone if hotel else None)
        await self.send(
            reservation.guest_id,
            t(
                lang,
                "n_settled_placed" if placed else "n_settled_released",
                code=reservation_code(reservation.id),
                hotel=hotel.name if hotel else "",
                number=room.number if room else "",
                check_in=reservation.check_in,
                check_out=reservation.check_out,
                guests=reservation.guests,
                breakdown=breakdown(lang, quote, currency),
                total=format_money(reservation.total_price, currency),
                policy=policy_text(lang, reservation.policy, quote, reservation.check_in, currency, today),
            ),
        )
