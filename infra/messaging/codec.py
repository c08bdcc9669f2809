"""Events to and from their JSON wire form: `{"type", "version", "event_id", "occurred_at", ...}`."""

from __future__ import annotations

import dataclasses
import json
import typing
from datetime import date, datetime
from functools import cache
from typing import Any
from uuid import UUID

import domain.hotel.events
import domain.payment.events
import domain.reservation.events  # noqa: F401  (registers every event type)
from domain.shared.events import Event


class UndecodableMessage(ValueError):
    """The message is not an event this code knows how to read: it goes to the dead letters."""


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def to_dict(event: Event) -> dict[str, Any]:
    body: dict[str, Any] = {"type": event.routing_key(), "version": event.version}
    for f in dataclasses.fields(event):
        body[f.name] = _plain(getattr(event, f.name))
    return body


def encode(event: Event) -> bytes:
    return json.dumps(to_dict(event), separators=(",", ":")).encode()


@cache
def _field_types(cls: Any) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


@cache
def _added_later(cls: Any) -> frozenset[str]:
    """Fields an older version of the event may lack: those with a default."""
    return frozenset(f.name for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING)


def _parse(kind: Any, value: Any) -> Any:
    args = typing.get_args(kind)
    if type(None) in args:  # `X | None`
        (inner,) = [a for a in args if a is not type(None)]
        return None if value is None else _parse(inner, value)
    origin = typing.get_origin(kind)
    if origin is dict:
        # A document (a hotel's terms, a cancellation policy): its shape is the schema's to check.
        if not isinstance(value, dict):
            raise ValueError("not an object")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ValueError("not a list")
        (item,) = args
        return [_parse(item, v) for v in value]
    if kind is UUID:
        return UUID(value)
    if kind is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive datetime")
        return parsed
    if kind is date:
        return date.fromisoformat(value)
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError("not a boolean")
        return value
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError("not an integer")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ValueError("not a string")
        return value
    return value


def from_dict(body: dict[str, Any]) -> Event:
    try:
        cls = Event.registry[body["type"]]
        version = body.get("version")
        if not isinstance(version, int) or not 1 <= version <= cls.version:
            raise UndecodableMessage(f"{body['type']} version {version} is not one of 1..{cls.version}")
        # An earlier version (still in flight during a rolling upgrade) lacks the fields added
        # since; each of those has a default, which it takes.
        optional = _added_later(cls) if version < cls.version else frozenset()  # type: ignore[arg-type]
        kwargs = {
            name: _parse(kind, body[name])
            for name, kind in _field_types(cls).items()  # type: ignore[arg-type]
            if name in body or name not in optional
        }
        return cls(**kwargs)
    except UndecodableMessage:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise UndecodableMessage(f"cannot read event: {exc!r}") from exc


def decode(raw: bytes | str) -> Event:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UndecodableMessage(f"not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise UndecodableMessage("not a JSON object")
    return from_dict(body)
