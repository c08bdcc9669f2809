"""notifier ← what managers and guests must hear about.

What to say is the bot's (bot/notifier.py); this module only names what the notifier hears. The
managers hear of a request when the hotel opens it (ApprovalRequested), not when the reservation
is placed: the hotel is the one that knows what is there to decide."""

from __future__ import annotations

from domain.hotel.events import ApprovalRequested, ApprovalWithdrawn, ReservationApproved, ReservationRejectedByHotel
from domain.payment.events import PaymentRefunded
from domain.reservation.events import (
    ReservationCancelled,
    ReservationCheckedIn,
    ReservationCheckedOut,
    ReservationConfirmed,
    ReservationNoShow,
    ReservationRejected,
)

NAME = "notifier"
EVENTS = (
    ApprovalRequested,
    ReservationApproved,
    ReservationRejectedByHotel,
    ApprovalWithdrawn,
    ReservationConfirmed,
    ReservationRejected,
    ReservationCancelled,
    PaymentRefunded,
    # the stay as the hotel marked it: the guest and the managers hear of a no-show (with the fee
    # kept), the guest of checking in and out
    ReservationNoShow,
    ReservationCheckedIn,
    ReservationCheckedOut,
)
