"""The hotel context's tables: hotels, managers, rooms, approval requests."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)

from infra.db.tables.common import NAMING, Serial, Timestamp, messaging_tables

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
    Column("stay", String(16), nullable=False, server_default="expected"),  # StayStatus
    Column("stay_changed_on", Date),  # the hotel-local day of the last check-in, check-out or no-show
)
hotel_terms = Table(
    # A hotel's terms (domain.shared.terms.HotelTerms.to_dict): prices, stay limits, times and
    # cancellation policy, one document a hotel, replaced whole on every change (`revision`).
    "hotel_terms",
    hotel_metadata,
    Column("hotel_id", BigInteger, ForeignKey("hotel_hotels.id", ondelete="CASCADE"), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("terms", JSON, nullable=False),
)
hotel_defaults = Table(
    # What the admins set for hotels added from now on (today: "policy", the cancellation policy).
    "hotel_defaults",
    hotel_metadata,
    Column("name", String(32), primary_key=True),
    Column("value", JSON, nullable=False),
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
hotel_messaging = messaging_tables(hotel_metadata, "hotel")
