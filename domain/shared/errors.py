"""Domain errors. Each carries a stable `code` (the bot translates it) and an English message
fit to show a guest or a manager as it is."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"
    template = "Something is not right with that request."
    # A transient error is the world's trouble, not the request's: trying again later may succeed.
    transient = False

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(self.template.format(**params))

    @property
    def message(self) -> str:
        return str(self)


class NotFound(DomainError):
    code = "not_found"
    template = "We could not find that {what}."


class NotAllowed(DomainError):
    code = "not_allowed"
    template = "Sorry, you are not allowed to do that."


class InvalidInput(DomainError):
    code = "invalid_input"
    template = "{reason}"


# --- reservation -----------------------------------------------------------------------------


class CheckOutNotAfterCheckIn(DomainError):
    code = "check_out_not_after_check_in"
    template = "The check-out date must be after the check-in date."


class CheckInInPast(DomainError):
    code = "check_in_in_past"
    template = "The check-in date {check_in} has already passed at the hotel."


class StayTooLong(DomainError):
    code = "stay_too_long"
    template = "A stay can be at most {max_nights} nights; this one is {nights}."


class GuestCountOutOfRange(DomainError):
    code = "guest_count_out_of_range"
    template = "This room takes between 1 and {capacity} guests; you asked for {guests}."


class RoomOutOfService(DomainError):
    code = "room_out_of_service"
    template = "Room {number} is not taking bookings right now."


class RoomTaken(DomainError):
    code = "room_taken"
    template = "Sorry, that room has just been taken for some of those nights. Please pick another."


class IllegalTransition(DomainError):
    code = "illegal_transition"
    template = "This reservation is {status}; it cannot be {action} any more."


class CancelTooLate(DomainError):
    code = "cancel_too_late"
    template = "Check-in day has started at the hotel; this reservation can no longer be cancelled."


# --- payment -----------------------------------------------------------------------------------


class PaymentDeclined(DomainError):
    code = "payment_declined"
    template = "The payment was declined: {reason}. Nothing was booked or charged."


class PaymentUnavailable(DomainError):
    code = "payment_unavailable"
    transient = True
    template = "The payment could not be completed just now. Nothing was booked or charged."


class PaymentTakenBookingPending(DomainError):
    code = "payment_taken_booking_pending"
    template = (
        "Your payment went through; we are still confirming the reservation. "
        "It will appear in /my within a few minutes."
    )
    transient = True


class PaymentsBusy(DomainError):
    code = "payments_busy"
    transient = True
    template = "Payments are busy, please try again in a few minutes. Nothing was booked or charged."


# --- hotel -------------------------------------------------------------------------------------


class RoomNumberTaken(DomainError):
    code = "room_number_taken"
    template = "This hotel already has a room {number}."


class InvalidRoom(DomainError):
    code = "invalid_room"
    template = "{reason}"


class AlreadyDecided(DomainError):
    code = "already_decided"
    template = "This reservation was already {status}; nothing was changed."


class NotReadyYet(Exception):
    """A consumer cannot apply an event *yet* (something it depends on has not happened, e.g. the
    hotel has not recorded the request). It is retried for as long as it takes, at a modest pace,
    and never parked for this reason alone."""


# --- checkout with real money (Telegram Payments) ----------------------------------------------


class AmountOutsideLimits(DomainError):
    code = "amount_outside_limits"
    template = "Telegram accepts a payment in {currency} only between {min} and {max}; this stay costs {total}."


class CurrencyNotPayable(DomainError):
    code = "currency_not_payable"
    template = "Payments in {currency} cannot be taken in Telegram. Nothing was booked or charged."


class HoldExpired(DomainError):
    code = "hold_expired"
    template = "This hold expired and the room was released. Please book again with /book."


class InvoiceNotValid(DomainError):
    code = "invoice_not_valid"
    template = "This invoice is not valid for any booking. Nothing was charged."


class InvoiceAmountChanged(DomainError):
    code = "invoice_amount_changed"
    template = "This invoice no longer matches the booking's price. Please book again with /book."
