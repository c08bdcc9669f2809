"""What every context's tables share: the naming convention, UTC timestamps, and the outbox
and inbox each context has of its own."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
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


def messaging_tables(metadata: MetaData, prefix: str) -> Messaging:
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
