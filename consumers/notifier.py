"""notifier ← what managers and guests must hear about.

What to say is the bot's (bot/notifier.py); this module only names what the notifier hears."""

from __future__ import annotations

from domain.hotel.events import ReservationApproved, ReservationRejectedByHotel
from domain.payment.events import PaymentRefunded
from domain.reservation.events import (
    ReservationCancelled,
    ReservationConfirmed,
    ReservationPlaced,
    ReservationRejected,
)

NAME = "notifier"
EVENTS = (
    ReservationPlaced,
    ReservationApproved,
    ReservationRejectedByHotel,
    ReservationConfirmed,
    ReservationRejected,
    ReservationCancelled,
    PaymentRefunded,
)
