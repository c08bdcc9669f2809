"""Domain errors. Each carries a stable `code` and its parameters only; the sentence a guest or a
manager reads lives with the adapter that speaks to them (the bot's text catalog, in every
language it speaks). `str(error)` is a short debug form for logs: `code(name=value, ...)`."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "error"
    # The parameters every instance carries (each must be given, no other is accepted).
    fields: ClassVar[tuple[str, ...]] = ()
    # Parameters that are amounts of money in minor units, each with the parameter naming its currency.
    money: ClassVar[dict[str, str]] = {}
    # A transient error is the world's trouble, not the request's: trying again later may succeed.
    transient: ClassVar[bool] = False

    def __init__(self, **params: Any) -> None:
        if set(params) != set(self.fields):
            raise TypeError(f"{type(self).__name__} takes {self.fields}, not {tuple(params)}")
        self.params = params
        details = ", ".join(f"{k}={v!r}" for k, v in params.items())
        super().__init__(f"{self.code}({details})")


class NotFound(DomainError):
    code = "not_found"
    fields = ("what",)  # "hotel", "room", "reservation"


class NotAllowed(DomainError):
    code = "not_allowed"


class InvalidInput(DomainError):
    """Something typed or given does not meet a rule; each rule is its own subclass."""

    code = "invalid_input"


class TextEmpty(InvalidInput):
    code = "text_empty"
    fields = ("what",)  # "hotel_name", "city", "room_number", "room_type", "reason"


class TextTooLong(InvalidInput):
    code = "text_too_long"
    fields = ("what", "limit")


class UnknownTimezone(InvalidInput):
    code = "unknown_timezone"
    fields = ("timezone",)


class UnknownCurrency(InvalidInput):
    code = "unknown_currency"
    fields = ("currency",)


# --- reservation -----------------------------------------------------------------------------


class CheckOutNotAfterCheckIn(InvalidInput):
    code = "check_out_not_after_check_in"


class CheckInInPast(InvalidInput):
    code = "check_in_in_past"
    fields = ("check_in",)


class BookingTooFarAhead(InvalidInput):
    code = "booking_too_far_ahead"
    fields = ("max_days",)


class StayTooLong(InvalidInput):
    code = "stay_too_long"
    fields = ("max_nights", "nights")


class StayTooShort(InvalidInput):
    """Shorter than the hotel's minimum for this arrival: `arrival_weekday` (0 = Monday) or the
    arrival range (`first_day`..`last_day`, ISO dates) says which rule, both None the hotel's own."""

    code = "stay_too_short"
    fields = ("min_nights", "arrival_weekday", "first_day", "last_day")


class GuestCountOutOfRange(InvalidInput):
    code = "guest_count_out_of_range"
    fields = ("capacity", "guests")


class RoomOutOfService(DomainError):
    code = "room_out_of_service"
    fields = ("number",)


class RoomTaken(DomainError):
    code = "room_taken"


class IllegalTransition(DomainError):
    code = "illegal_transition"
    fields = ("status", "action")


class CancelTooLate(DomainError):
    code = "cancel_too_late"


class NotStaying(DomainError):
    """Check-in or check-out asked of a stay that is not at that point (not confirmed yet, not
    arrived yet, already left, a no-show), or on a day outside the stay."""

    code = "not_staying"
    fields = ("status",)


class InvalidTerms(InvalidInput):
    """A price rule, stay limit or cancellation policy that breaks a rule: `rule` names which
    (amount, percent, season_order, season_length, name, min_nights, max_nights, free_days,
    fee_percent, time, weekday, too_many, no_such_rule, stale), `limit` the bound when it has one."""

    code = "invalid_terms"
    fields = ("rule", "limit")


# --- payment -----------------------------------------------------------------------------------


class PaymentDeclined(DomainError):
    code = "payment_declined"
    fields = ("reason",)  # the provider's own words


class PaymentUnavailable(DomainError):
    code = "payment_unavailable"
    transient = True


class PaymentTakenBookingPending(DomainError):
    code = "payment_taken_booking_pending"
    transient = True


class PaymentBeingSettled(DomainError):
    """The same booking asked for again while its payment is still being settled (the process
    that took the first press stopped half-way): the payment sweep finishes it and says how."""

    code = "payment_being_settled"
    transient = True


class PaymentsBusy(DomainError):
    code = "payments_busy"
    transient = True


# --- hotel -------------------------------------------------------------------------------------


class RoomNumberTaken(DomainError):
    code = "room_number_taken"
    fields = ("number",)


class InvalidRoom(InvalidInput):
    """A room's terms break a rule; each rule is its own subclass."""

    code = "invalid_room"


class RoomCapacityOutOfRange(InvalidRoom):
    code = "room_capacity_out_of_range"
    fields = ("max",)


class RoomPriceNotPositive(InvalidRoom):
    code = "room_price_not_positive"


class RoomPriceTooHigh(InvalidRoom):
    code = "room_price_too_high"
    fields = ("max", "currency")
    money = {"max": "currency"}


class AlreadyDecided(DomainError):
    code = "already_decided"
    fields = ("status",)


class NotReadyYet(Exception):
    """A consumer cannot apply an event *yet* (something it depends on has not happened, e.g. the
    hotel has not recorded the request). It is retried for as long as it takes, at a modest pace,
    and never parked for this reason alone."""


class QuoteChanged(DomainError):
    """The terms changed between the confirm screen and the payment: nothing was held or charged;
    the guest is shown the new total and asked again."""

    code = "quote_changed"
    fields = ("total", "currency")
    money = {"total": "currency"}


# --- checkout with real money (Telegram Payments) ----------------------------------------------


class AmountOutsideLimits(DomainError):
    """Telegram takes payments in this currency only between its minimum and maximum."""

    code = "amount_outside_limits"
    fields = ("currency", "min", "max", "total")
    money = {"min": "currency", "max": "currency", "total": "currency"}


class CurrencyNotPayable(DomainError):
    code = "currency_not_payable"
    fields = ("currency",)


class HoldExpired(DomainError):
    code = "hold_expired"


class InvoiceNotValid(DomainError):
    code = "invoice_not_valid"


class InvoiceAmountChanged(DomainError):
    code = "invoice_amount_changed"
