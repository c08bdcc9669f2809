"""The consumers: one module each. `transactional_consumers` are those whose whole effect is a
database transaction; the notifier needs a Telegram bot and is built with one."""

from __future__ import annotations

from consumers import hotel, payment, reservation, view
from consumers.base import Consumer
from infra.bootstrap import Container

NAMES = ("reservation", "hotel", "payment", "view", "notifier")
BUILDERS = {"reservation": reservation.build, "hotel": hotel.build, "payment": payment.build, "view": view.build}


def transactional_consumers(container: Container) -> list[Consumer]:
    return [build(container) for build in BUILDERS.values()]
