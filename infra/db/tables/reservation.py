"""The reservation context's tables: its copy of the room catalog, reservations, held nights."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
)

from infra.db.tables.common import NAMING, Timestamp, messaging_tables

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
    # The quote's lines and the cancellation policy booked under (NULL on rows from before price
    # rules: one flat price, the default policy), what a cancellation or no-show kept and gave
    # back, and the day a checked-out guest left.
    Column("price_lines", JSON),
    Column("policy", JSON),
    Column("fee", BigInteger),
    Column("refund_amount", BigInteger),
    Column("left_on", Date),
)
catalog_terms = Table(
    # The reservation context's copy of each hotel's terms, from the hotel's terms_changed events.
    "reservation_hotel_terms",
    reservation_metadata,
    Column("hotel_id", BigInteger, primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("terms", JSON, nullable=False),
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
    Column("price_lines", JSON),  # the quote's lines (NULL: one flat price_per_night)
    Column("policy", JSON),  # the cancellation policy the nights are held under (NULL: the default)
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("chat_id", BigInteger),
    Column("invoice_message_id", BigInteger),
)
reservation_messaging = messaging_tables(reservation_metadata, "reservation")
