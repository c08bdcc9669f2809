"""Each context's tables, in a MetaData of its own. Table names carry the context's prefix so the
four contexts can share one database by default, or live in four."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.engine import Dialect

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY.
Serial = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on PostgreSQL (timestamptz) and SQLite (which forgets the
    zone and hands back naive datetimes)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store times in UTC")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


Timestamp = UtcDateTime()


@dataclass(frozen=True)
class Messaging:
    outbox: Table
    inbox: Table


def _messaging(metadata: MetaData, prefix: str) -> Messaging:
    outbox = Table(
        f"{prefix}_outbox",
        metadata,
        Column("id", Serial, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("routing_key", String(80), nullable=False),
        Column("correlation_key", String(64), nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", Timestamp, nullable=False),
        Column("published_at", Timestamp),
    )
    Index(
        f"ix_{prefix}_outbox_unpublished",
        outbox.c.id,
        sqlite_where=outbox.c.published_at.is_(None),
        postgresql_where=outbox.c.published_at.is_(None),
    )
    inbox = Table(
        f"{prefix}_inbox",
        metadata,
        Column("consumer", String(40), primary_key=True),
        Column("event_id", Uuid, primary_key=True),
        Column("processed_at", Timestamp, nullable=False, index=True),
    )
    return Messaging(outbox, inbox)


# --- hotel -------------------------------------------------------------------------------------
hotel_metadata = MetaData(naming_convention=NAMING)
hotels = Table(
    "hotel_hotels",
    hotel_metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("city", String(64), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
)
hotel_managers = Table(
    "hotel_managers",
    hotel_metadata,
    Column("hotel_id", BigInteger, ForeignKey("hotel_hotels.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", BigInteger, primary_key=True, index=True),
)
hotel_rooms = Table(
    "hotel_rooms",
    hotel_metadata,
    Column("id", Uuid, primary_key=True),
    Column("hotel_id", BigInteger, ForeignKey("hotel_hotels.id"), nullable=False),
    Column("number", String(16), nullable=False),
    Column("room_type", String(64), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("price_per_night", BigInteger, nullable=False),
    Column("in_service", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
    UniqueConstraint("hotel_id", "number"),
)
hotel_approvals = Table(
    "hotel_approvals",
    hotel_metadata,
    Column("reservation_id", Uuid, primary_key=True),
    Column("hotel_id", BigInteger, nullable=False, index=True),
    Column("room_id", Uuid, nullable=False),
    Column("room_number", String(16), nullable=False),
    Column("guest_id", BigInteger, nullable=False),
    Column("guest_name", String(64), nullable=False),
    Column("check_in", Date, nullable=False),
    Column("check_out", Date, nullable=False),
    Column("guests", Integer, nullable=False),
    Column("total_price", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("requested_at", Timestamp, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("decided_by", BigInteger),
    Column("decided_by_name", String(64)),
    Column("decided_at", Timestamp),
    Column("reason", String(200)),
    Column("reminded_at", Timestamp),
    Column("withdrawn_at", Timestamp),  # when the guest cancelled (the request may have been decided)
)
hotel_withdrawals = Table(
    # A cancellation that arrived before its reservation did (events may overtake each other):
    # when the reservation arrives, its request is recorded as already withdrawn.
    "hotel_withdrawals",
    hotel_metadata,
    Column("reservation_id", Uuid, primary_key=True),
    Column("withdrawn_at", Timestamp, nullable=False),
)
hotel_approval_messages = Table(
    "hotel_approval_messages",
    hotel_metadata,
    Column("reservation_id", Uuid, primary_key=True),
    Column("chat_id", BigInteger, primary_key=True),
    Column("message_id", BigInteger, nullable=False),
)
hotel_messaging = _messaging(hotel_metadata, "hotel")

# --- reservation -------------------------------------------------------------------------------
reservation_metadata = MetaData(naming_convention=NAMING)
catalog_rooms = Table(
    "reservation_rooms",
    reservation_metadata,
    Column("room_id", Uuid, primary_key=True),
    Column("hotel_id", BigInteger, nullable=False, index=True),
    Column("hotel_name", String(64), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("number", String(16), nullable=False),
    Column("room_type", String(64), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("price_per_night", BigInteger, nullable=False),
    Column("in_service", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
)
reservations = Table(
    "reservation_reservations",
    reservation_metadata,
    Column("id", Uuid, primary_key=True),
    Column("guest_id", BigInteger, nullable=False, index=True),
    Column("guest_name", String(64), nullable=False),
    Column("hotel_id", BigInteger, nullable=False),
    Column("room_id", Uuid, nullable=False),
    Column("check_in", Date, nullable=False),
    Column("check_out", Date, nullable=False),
    Column("guests", Integer, nullable=False),
    Column("total_price", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("created_at", Timestamp, nullable=False),
    Column("payment_id", Uuid),
    Column("reason", String(200)),
)
held_nights = Table(
    "reservation_nights",
    reservation_metadata,
    # The primary key is what makes double booking impossible: one row per room and night.
    Column("room_id", Uuid, primary_key=True),
    Column("night", Date, primary_key=True),
    Column("reservation_id", Uuid, nullable=False, index=True),
)
reservation_checkouts = Table(
    # Telegram Payments: what the guest was offered and until when the nights are held for them.
    # Kept after the hold is released, so a payment that arrives late is placed or refunded.
    "reservation_checkouts",
    reservation_metadata,
    Column("reservation_id", Uuid, primary_key=True),
    Column("guest_id", BigInteger, nullable=False),
    Column("guest_name", String(64), nullable=False),
    Column("hotel_id", BigInteger, nullable=False),
    Column("hotel_name", String(64), nullable=False),
    Column("room_id", Uuid, nullable=False),
    Column("room_number", String(16), nullable=False),
    Column("check_in", Date, nullable=False),
    Column("check_out", Date, nullable=False),
    Column("guests", Integer, nullable=False),
    Column("price_per_night", BigInteger, nullable=False),
    Column("total_price", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("chat_id", BigInteger),
    Column("invoice_message_id", BigInteger),
)
reservation_messaging = _messaging(reservation_metadata, "reservation")

# --- payment -----------------------------------------------------------------------------------
payment_metadata = MetaData(naming_convention=NAMING)
payments = Table(
    "payment_payments",
    payment_metadata,
    Column("id", Uuid, primary_key=True),
    Column("reservation_id", Uuid, nullable=False, unique=True),
    Column("guest_id", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("provider_ref", String(64), nullable=False),
    Column("idempotency_key", String(80), nullable=False, unique=True),
    Column("created_at", Timestamp, nullable=False),
    Column("refund_ref", String(64)),
    Column("refunded_at", Timestamp),
    Column("telegram_charge_id", String(128), unique=True),
)
payment_messaging = _messaging(payment_metadata, "payment")

# --- view --------------------------------------------------------------------------------------
view_metadata = MetaData(naming_convention=NAMING)
reservation_view = Table(
    "view_reservations",
    view_metadata,
    Column("reservation_id", Uuid, primary_key=True),
    Column("guest_id", BigInteger, nullable=False, index=True),
    Column("hotel_id", BigInteger, nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("payment_status", String(16), nullable=False),
    Column("hotel_name", String(64), nullable=False),
    Column("room_id", Uuid),
    Column("room_number", String(16), nullable=False),
    Column("guest_name", String(64), nullable=False),
    Column("check_in", Date),
    Column("check_out", Date),
    Column("guests", Integer, nullable=False),
    Column("total_price", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", String(200)),
    Column("decided_by_name", String(64)),
    Column("updated_at", Timestamp),
)
room_view = Table(
    "view_rooms",
    view_metadata,
    Column("room_id", Uuid, primary_key=True),
    Column("hotel_id", BigInteger, nullable=False, index=True),
    Column("hotel_name", String(64), nullable=False),
    Column("number", String(16), nullable=False),
    Column("room_type", String(64), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("price_per_night", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("in_service", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
)
view_messaging = _messaging(view_metadata, "view")

METADATA = {
    "hotel": hotel_metadata,
    "reservation": reservation_metadata,
    "payment": payment_metadata,
    "view": view_metadata,
}
MESSAGING = {
    "hotel": hotel_messaging,
    "reservation": reservation_messaging,
    "payment": payment_messaging,
    "view": view_messaging,
}

# --- app: what belongs to no bounded context (the bot's own state, the in-process bus) --------
app_metadata = MetaData(naming_convention=NAMING)
dead_letters = Table(
    # The in-process bus parks failing messages here (RabbitMQ uses its own dead-letter queues).
    "app_dead_letters",
    app_metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("consumer", String(40), nullable=False, index=True),
    Column("event_id", Uuid, nullable=False),
    Column("routing_key", String(80), nullable=False),
    Column("payload", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Timestamp, index=True),  # NULL: parked until an admin replays it
    Column("created_at", Timestamp, nullable=False),
    UniqueConstraint("consumer", "event_id"),
)
bot_users = Table(
    "app_users",
    app_metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("language", String(8), nullable=False),
    Column("first_name", String(64), nullable=False, server_default=""),
)
bot_state = Table(
    # python-telegram-bot's persistence (conversations, user and chat data) as JSON documents.
    "app_bot_state",
    app_metadata,
    Column("kind", String(32), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated_at", Timestamp, nullable=False, index=True),
)
scheduled_runs = Table(
    # One row per (job, due slot): whoever inserts it runs the job; everyone else skips it.
    "app_job_runs",
    app_metadata,
    Column("job", String(64), primary_key=True),
    Column("slot", String(64), primary_key=True),
    Column("claimed_at", Timestamp, nullable=False),
)
notices = Table(
    # What the notifier told whom: a row per (event, recipient), claimed before the message is
    # sent and marked sent after, so however often an event is delivered it is told once.
    "app_notices",
    app_metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("chat_id", BigInteger, primary_key=True),
    Column("reservation_id", Uuid, nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("claimed_at", Timestamp, nullable=False),
    Column("sent_at", Timestamp),
    Column("message_id", BigInteger),
)
METADATA["app"] = app_metadata
