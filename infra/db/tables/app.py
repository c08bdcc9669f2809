"""What belongs to no bounded context: the bot's own state, the in-process bus, job claims and
the notifier's notices."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from infra.db.tables.common import NAMING, Serial, Timestamp

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
idempotency_keys = Table(
    # The HTTP API's Idempotency-Key of each guest's POST that books: the first request claims the
    # key (primary key), the answer is stored after; a repeat gets the stored answer back.
    "app_idempotency_keys",
    app_metadata,
    Column("principal", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),  # NULL: the first request is still being answered
    Column("response", Text),
    Column("created_at", Timestamp, nullable=False, index=True),
)
