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
# What a consumer hears without taking. On the in-process bus such an event, when nobody in the
# process takes it, passes instead of being refused (as when the view took and ignored it: a
# process of the contexts' consumers without the notifier). On RabbitMQ no queue of the consumer
# holds it, and a binding an earlier version made for it is removed when the queue is declared
# (the view took these until 2026-12-05).
HEARD: dict[str, frozenset[str]] = {"view": frozenset(e.routing_key() for e in view.HEARD_ONLY)}
