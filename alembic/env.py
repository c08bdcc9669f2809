"""Alembic environment: one independent migration history per bounded context.

Each context has its own folder under versions/, its own version table
(`alembic_version_<context>`) and its own database URL, so the four contexts can share one
database or live in four. `hotelbot migrate` runs them all; by hand:
`alembic -x context=reservation upgrade head` (URL from the settings)."""

from __future__ import annotations

import asyncio

from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from alembic import context as alembic_context
from infra.db.tables import METADATA

config = alembic_context.config
ctx = config.attributes.get("context") or alembic_context.get_x_argument(as_dictionary=True).get("context")
if ctx not in METADATA:
    raise SystemExit(f"pick a context with -x context=<{'|'.join(METADATA)}>")
url = config.attributes.get("url")
if url is None:
    from infra.config import load_settings

    url = load_settings().url_for(ctx)
target_metadata = METADATA[ctx]
version_table = f"alembic_version_{ctx}"


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # Autogenerate looks only at this context's tables, even in a shared database.
    if type_ == "table":
        return name in target_metadata.tables
    return True


def _configure(**kwargs: object) -> None:
    alembic_context.configure(
        target_metadata=target_metadata,
        version_table=version_table,
        include_object=include_object,
        render_as_batch=True,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with alembic_context.begin_transaction():
        alembic_context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    _configure(connection=connection)
    with alembic_context.begin_transaction():
        alembic_context.run_migrations()


async def run_async_migrations() -> None:
    connectable = async_engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await connectable.dispose()


if alembic_context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_async_migrations())
