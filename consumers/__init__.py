"""The consumers: one module each, mapping another context's events to this side's policies.
They name events and policies only; the composition root (main/) wires them to a bus."""

from __future__ import annotations

from consumers import hotel, notifier, payment, reservation, view

NAMES = ("reservation", "hotel", "payment", "view", "notifier")
# What each consumer's queue is bound to. The publisher declares all of it, so an event is
# queued for a consumer that has never run yet instead of being dropped as unroutable.
TOPOLOGY: dict[str, frozenset[str]] = {
    module.__name__.rsplit(".", 1)[1]: frozenset(e.routing_key() for e in module.EVENTS)
    for module in (reservation, hotel, payment, view, notifier)
}
