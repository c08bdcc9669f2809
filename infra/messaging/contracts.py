"""The wire contract of every event: one JSON Schema per event type and version, committed under
infra/messaging/schemas/. A schema, once published, is never edited: a changed payload is a new
version with a schema of its own. `python -m infra.messaging.contracts` writes the schema of any
event type or version that has none yet (and never overwrites one)."""

from __future__ import annotations

import dataclasses
import json
import typing
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.shared.events import Event
from infra.messaging import codec  # noqa: F401  (registers every event type)

SCHEMAS = Path(__file__).parent / "schemas"
_JSON_TYPES: dict[Any, dict[str, str]] = {
    UUID: {"type": "string", "format": "uuid"},
    datetime: {"type": "string", "format": "date-time"},
    date: {"type": "string", "format": "date"},
    int: {"type": "integer"},
    str: {"type": "string"},
    bool: {"type": "boolean"},
}


def _json_type(hint: Any) -> dict[str, Any]:
    """A field's JSON type; `X | None` is X or null."""
    args = typing.get_args(hint)
    if type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        return {"anyOf": [_JSON_TYPES[inner], {"type": "null"}]}
    return _JSON_TYPES[hint]


def schema_path(cls: type[Event]) -> Path:
    return SCHEMAS / f"{cls.routing_key()}.v{cls.version}.json"


def schema_for(cls: type[Event]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {
        "type": {"const": cls.routing_key()},
        "version": {"const": cls.version},
    }
    for f in dataclasses.fields(cls):
        properties[f.name] = _json_type(hints[f.name])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{cls.routing_key()} v{cls.version}",
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def load(routing_key: str, version: int) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{routing_key}.v{version}.json").read_text())  # type: ignore[no-any-return]


def write_missing() -> list[Path]:
    written = []
    for cls in Event.registry.values():
        path = schema_path(cls)
        if not path.exists():
            path.write_text(json.dumps(schema_for(cls), indent=2) + "\n")
            written.append(path)
    return written


if __name__ == "__main__":
    for p in write_missing():
        print(f"wrote {p}")
