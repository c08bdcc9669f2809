"""Each context's tables, in a MetaData of its own, one module per context. Table names carry the
context's prefix so the four contexts can share one database by default, or live in four.
Every name is re-exported here, so `from infra.db.tables import …` keeps working."""

from __future__ import annotations

from infra.db.tables.app import (
    app_metadata,
    bot_state,
    bot_users,
    dead_letters,
    idempotency_keys,
    notices,
    scheduled_runs,
)
from infra.db.tables.common import NAMING, Messaging, Serial, Timestamp, UtcDateTime, messaging_tables
from infra.db.tables.hotel import (
    hotel_approval_messages,
    hotel_approvals,
    hotel_defaults,
    hotel_managers,
    hotel_messaging,
    hotel_metadata,
    hotel_rooms,
    hotel_terms,
    hotel_withdrawals,
    hotels,
)
from infra.db.tables.payment import payment_messaging, payment_metadata, payments
from infra.db.tables.reservation import (
    catalog_rooms,
    catalog_terms,
    held_nights,
    reservation_checkouts,
    reservation_messaging,
    reservation_metadata,
    reservations,
)
from infra.db.tables.view import reservation_view, room_view, view_messaging, view_metadata

# Every context's MetaData (alembic/env.py migrates each on its own) and messaging tables.
METADATA = {
    "hotel": hotel_metadata,
    "reservation": reservation_metadata,
    "payment": payment_metadata,
    "view": view_metadata,
    "app": app_metadata,
}
MESSAGING = {
    "hotel": hotel_messaging,
    "reservation": reservation_messaging,
    "payment": payment_messaging,
    "view": view_messaging,
}

__all__ = [
    "MESSAGING",
    "METADATA",
    "NAMING",
    "Messaging",
    "Serial",
    "Timestamp",
    "UtcDateTime",
    "app_metadata",
    "bot_state",
    "bot_users",
    "catalog_rooms",
    "catalog_terms",
    "dead_letters",
    "held_nights",
    "hotel_approval_messages",
    "hotel_approvals",
    "hotel_defaults",
    "hotel_managers",
    "hotel_messaging",
    "hotel_metadata",
    "hotel_rooms",
    "hotel_terms",
    "hotel_withdrawals",
    "hotels",
    "idempotency_keys",
    "messaging_tables",
    "notices",
    "payment_messaging",
    "payment_metadata",
    "payments",
    "reservation_checkouts",
    "reservation_messaging",
    "reservation_metadata",
    "reservation_view",
    "reservations",
    "room_view",
    "scheduled_runs",
    "view_messaging",
    "view_metadata",
]
