"""Log lines that carry their flow: the reservation, event, correlation and Telegram user ids.

Standard library logging with a filter, not structlog: python-telegram-bot, SQLAlchemy, aio-pika,
APScheduler and uvicorn all log through the standard library, so a filter on the root handler
stamps their lines too, with no second logging pipeline and no new dependency. Where a flow
starts (an update, a delivery, a job run) `flow(...)` sets context variables; asyncio copies them
into every task the flow starts, and the filter copies them onto each record."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

FIELDS = ("reservation_id", "event_id", "correlation_id", "user_id")
_vars: dict[str, ContextVar[str | None]] = {name: ContextVar(name, default=None) for name in FIELDS}


@contextlib.contextmanager
def flow(**values: object) -> Iterator[None]:
    """Within the block (and the tasks it starts), log lines carry these ids; None leaves one as it was."""
    tokens = [(_vars[k], _vars[k].set(str(v))) for k, v in values.items() if v is not None]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def event_flow(event: Any) -> contextlib.AbstractContextManager[None]:
    """The flow of one delivered event: its id, its correlation key, its reservation and guest if it has them."""
    return flow(
        event_id=event.event_id,
        correlation_id=event.correlation_key,
        reservation_id=getattr(event, "reservation_id", None),
        user_id=getattr(event, "guest_id", None),
    )


def bind(**values: object) -> None:
    """Add ids to the current flow from here on (e.g. a reservation id once it exists)."""
    for key, value in values.items():
        if value is not None:
            _vars[key].set(str(value))


def current() -> dict[str, str]:
    return {name: value for name, var in _vars.items() if (value := var.get()) is not None}


class FlowFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _vars.items():
            setattr(record, name, var.get())
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the flow's ids, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str, fmt: str) -> None:
    """Root logging for a hotelbot process: `text` (the default) or `json` lines on stderr."""
    handler = logging.StreamHandler()
    handler.addFilter(FlowFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
