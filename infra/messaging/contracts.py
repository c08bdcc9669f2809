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


# The shapes of the fields that carry a document rather than a value, named by field. The domain
# writes them (domain.shared.terms: QuoteLine.to_dict, CancellationPolicy.to_dict,
# HotelTerms.to_dict); a consumer in another codebase reads them from here. Like every schema,
# a published shape is never edited: a changed one is a new version of the events that carry it.
_DATE = {"type": "string", "format": "date"}
_ROOM = {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]}  # None: every room
_INT_OR_NULL = {"anyOf": [{"type": "integer"}, {"type": "null"}]}
_DATE_OR_NULL = {"anyOf": [_DATE, {"type": "null"}]}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


_RATE = {
    "oneOf": [
        _object({"amount": {"type": "integer"}}),  # a nightly price of its own
        _object({"percent": {"type": "integer"}}),  # the base price moved by a percentage
    ]
}
POLICY = _object(
    {
        "kind": {"enum": ["free_until", "non_refundable"]},
        "free_days": {"type": "integer"},
        "fee": {"enum": ["percent", "first_night"]},
        "percent": {"type": "integer"},
    }
)
PRICE_LINE = _object(
    {
        "kind": {"enum": ["base", "season", "weekend", "extra_guests"]},
        "nights": {"type": "integer"},
        "price": {"type": "integer"},  # a night, in minor units
    },
    {
        "name": {"type": "string"},  # a season's
        "weekdays": _array({"type": "integer"}),  # a weekend line's nights (0 = Monday)
        "extra": {"type": "integer"},  # guests beyond those included
    },
)
TERMS = _object(
    {
        "revision": {"type": "integer"},
        "seasons": _array(
            _object(
                {
                    "name": {"type": "string"},
                    "first_night": _DATE,
                    "last_night": _DATE,
                    "rate": _RATE,
                    "room_id": _ROOM,
                }
            )
        ),
        "weekend_days": _array({"type": "integer"}),
        "weekend_rates": _array(_object({"rate": _RATE, "room_id": _ROOM})),
        "extra_guests": _array(
            _object({"included": {"type": "integer"}, "per_night": {"type": "integer"}, "room_id": _ROOM})
        ),
        "min_nights": {"type": "integer"},
        "max_nights": _INT_OR_NULL,
        "min_stays": _array(
            _object(
                {
                    "nights": {"type": "integer"},
                    "arrival_weekday": _INT_OR_NULL,
                    "first_day": _DATE_OR_NULL,
                    "last_day": _DATE_OR_NULL,
                    "room_id": _ROOM,
                }
            )
        ),
        "check_in_time": {"type": "string"},
        "check_out_time": {"type": "string"},
        "policy": POLICY,
    }
)
SHAPES: dict[str, dict[str, Any]] = {"price_lines": _array(PRICE_LINE), "policy": POLICY, "terms": TERMS}


def _json_type(hint: Any, name: str) -> dict[str, Any]:
    """A field's JSON type; `X | None` is X or null; a document (dict or list) has its shape."""
    args = typing.get_args(hint)
    if type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        return {"anyOf": [_json_type(inner, name), {"type": "null"}]}
    if typing.get_origin(hint) in (dict, list):
        if name not in SHAPES:
            raise LookupError(f"field {name!r} carries a document: describe its shape in contracts.SHAPES")
        return SHAPES[name]
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
        properties[f.name] = _json_type(hints[f.name], f.name)
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
