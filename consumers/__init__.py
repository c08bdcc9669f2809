"""The consumers: one module each. `transactional_consumers` are those whose whole effect is a
database transaction; the notifier needs a Telegram bot and is built with one."""

from __future__ import annotations

from consumers import hotel, notifier, payment, reservation, view
from consumers.base import Consumer
from infra.bootstrap import Container

NAMES = ("reservation", "hotel", "payment", "view", "notifier")
BUILDERS = {"reservation": reservation.build, "hotel": hotel.build, "payment": payment.build, "view": view.build}
# What each consumer's queue is bound to. The publisher declares all of it, so an event is
# queued for a consumer that has never run yet instead of being dropped as unroutable.
TOPOLOGY: dict[str, frozenset[str]] = {
    module.__name__.rsplit(".", 1)[1]: frozenset(e.routing_key() for e in module.EVENTS)
    for module in (reservation, hotel, payment, view, notifier)
}


def transactional_consumers(container: Container) -> list[Consumer]:
    return [build(container) for build in BUILDERS.values()]
