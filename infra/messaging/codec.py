"""Events to and from their JSON wire form: `{"type", "version", "event_id", "occurred_at", ...}`."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any
from uuid import UUID

import orjson

import domain.hotel.events
import domain.payment.events
import domain.reservation.events  # noqa: F401  (registers every event type)
from domain.shared.events import Event


class UndecodableMessage(ValueError):
    """The message is not an event this code knows how to read: it goes to the dead letters."""


def encode(event: Event) -> bytes:
    """Compact UTF-8 JSON; orjson writes UUIDs as their str() and dates and times in ISO 8601
    (as isoformat() does), several times faster than the standard library's json with the
    conversions done by hand."""
    body = {"type": event.routing_key(), "version": event.version}
    for name in _names(type(event)):  # type: ignore[arg-type]
        body[name] = getattr(event, name)
    return orjson.dumps(body, default=_other)


def _other(value: Any) -> Any:
    """What orjson does not write itself: UUIDs of other classes (asyncpg's, read from a row),
    dates and times of subclasses."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


@cache
def _names(cls: Any) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@cache
def _field_types(cls: Any) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


@cache
def _added_later(cls: Any) -> frozenset[str]:
    """Fields an older version of the event may lack: those with a default."""
    return frozenset(f.name for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING)


@cache
def _readers(cls: Any) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """Each field's reader, worked out from its type once per event class, not per message."""
    return tuple((name, _reader(kind)) for name, kind in _field_types(cls).items())


def _reader(kind: Any) -> Callable[[Any], Any]:
    args = typing.get_args(kind)
    if type(None) in args:  # `X | None`
        (inner,) = [a for a in args if a is not type(None)]
        read = _reader(inner)
        return lambda value: None if value is None else read(value)
    origin = typing.get_origin(kind)
    if origin is dict:
        return _document
    if origin is list:
        (item,) = args
        read_item = _reader(item)
        return lambda value: [read_item(v) for v in _a_list(value)]
    if kind is UUID:
        return _uuid
    if kind is datetime:
        return _aware
    if kind is date:
        return date.fromisoformat
    if kind is bool:
        return _checked(lambda v: isinstance(v, bool), "not a boolean")
    if kind is int:
        return _checked(lambda v: isinstance(v, int) and not isinstance(v, bool), "not an integer")
    if kind is str:
        return _checked(lambda v: isinstance(v, str), "not a string")
    return lambda value: value


def _document(value: Any) -> Any:
    # A document (a hotel's terms, a cancellation policy): its shape is the schema's to check.
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


def _a_list(value: Any) -> Any:
    if not isinstance(value, list):
        raise ValueError("not a list")
    return value


def _uuid(value: Any) -> UUID:
    if not isinstance(value, str):
        raise ValueError("not a UUID string")  # UUID(5) would raise AttributeError, not ValueError
    return UUID(value)


def _aware(value: Any) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("naive datetime")
    return parsed


def _checked(ok: Callable[[Any], bool], problem: str) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        if not ok(value):
            raise ValueError(problem)
        return value

    return read


def from_dict(body: dict[str, Any]) -> Event:
    try:
        cls = Event.registry[body["type"]]
        version = body.get("version")
        if not isinstance(version, int) or not 1 <= version <= cls.version:
            raise UndecodableMessage(f"{body['type']} version {version} is not one of 1..{cls.version}")
        # An earlier version (still in flight during a rolling upgrade) lacks the fields added
        # since; each of those has a default, which it takes.
        optional = _added_later(cls) if version < cls.version else frozenset()  # type: ignore[arg-type]
        readers = _readers(cls)  # type: ignore[arg-type]
        kwargs = {name: read(body[name]) for name, read in readers if name in body or name not in optional}
        return cls(**kwargs)
    except UndecodableMessage:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise UndecodableMessage(f"cannot read event: {exc!r}") from exc


def decode(raw: bytes | str) -> Event:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:  # not JSON, or not UTF-8
        raise UndecodableMessage(f"not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise UndecodableMessage("not a JSON object")
    return from_dict(body)
