"""`hotelbot migrate`: every context's Alembic history, each against its own database URL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.config import Config

from alembic import command
from infra.config import DATABASES, Settings

ALEMBIC_DIR = Path(__file__).resolve().parents[2] / "alembic"


def alembic_config(context: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(ALEMBIC_DIR / "versions" / context))
    cfg.attributes["context"] = context
    cfg.attributes["url"] = url
    return cfg


def upgrade_sync(settings: Settings, revision: str = "head") -> None:
    for context in DATABASES:
        command.upgrade(alembic_config(context, settings.url_for(context)), revision)


def downgrade_sync(settings: Settings, revision: str = "base") -> None:
    for context in reversed(DATABASES):
        command.downgrade(alembic_config(context, settings.url_for(context)), revision)


async def upgrade(settings: Settings, revision: str = "head") -> None:
    # Alembic's async env runs its own event loop: give it a thread of its own.
    await asyncio.to_thread(upgrade_sync, settings, revision)
