"""The view context's tables: what a guest's list and a hotel's board show, filled by events."""

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
    # The price lines (QuoteLine.to_dict each) and the cancellation policy (to_dict) booked under.
    Column("price_lines", JSON, nullable=False, server_default="[]"),
    Column("policy", JSON),
    Column("fee", BigInteger),  # kept under the policy (cancelled, no-show)
    Column("refund_amount", BigInteger),  # given back under the policy (cancelled, no-show)
    Column("checked_in_on", Date),
    Column("left_on", Date),
    Column("refunded_amount", BigInteger),  # what the payment gave back
    Column("kept_amount", BigInteger),  # and what it kept
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
view_messaging = messaging_tables(view_metadata, "view")
