"""The payment context's tables."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    MetaData,
    String,
    Table,
    Uuid,
)

from infra.db.tables.common import NAMING, Timestamp, messaging_tables

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
    Column("refunded_amount", BigInteger),  # what went back (the policy may keep a fee)
)
payment_messaging = messaging_tables(payment_metadata, "payment")
