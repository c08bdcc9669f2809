from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime

import pytest

from infra.messaging.codec import UndecodableMessage, decode, encode
from tests.unit.test_view import _story


def test_every_event_survives_the_wire_unchanged() -> None:
    for event in _story():
        assert decode(encode(event)) == event


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe",
        b"[]",
        b'{"type": "reservation.exploded", "version": 1}',
        b"not json",
        b'{"type": "reservation.cancelled", "version": 1, "event_id": "nope"}',
    ],
)
def test_a_message_that_cannot_be_read_is_reported_as_such(raw: bytes) -> None:
    with pytest.raises(UndecodableMessage):
        decode(raw)


def test_an_unknown_schema_version_is_not_guessed_at() -> None:
    body = json.loads(encode(_story()[-1]))
    body["version"] = 99
    with pytest.raises(UndecodableMessage, match="version 99"):
        decode(json.dumps(body))


def test_an_event_is_written_as_its_plain_fields_would_be_by_the_standard_library() -> None:
    """orjson writes the bytes: what a reader on the other side parses is what json.dumps of the
    plain fields (UUIDs, dates and times as strings, ISO 8601) would have given it."""

    def plain(value: object) -> object:
        return value.isoformat() if isinstance(value, date | datetime) else str(value)

    for event in _story():
        fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
        by_hand = {"type": event.routing_key(), "version": event.version, **fields}
        assert json.loads(encode(event)) == json.loads(json.dumps(by_hand, default=plain))


def test_an_event_holding_a_uuid_read_from_postgresql_is_written_as_any_other() -> None:
    from asyncpg.pgproto.pgproto import UUID as PgUUID

    event = _story()[0]
    read = dataclasses.replace(event, reservation_id=PgUUID(str(event.reservation_id)))  # type: ignore[type-var]
    assert encode(read) == encode(event)


def test_a_uuid_field_that_is_no_string_is_reported_as_unreadable() -> None:
    body = json.loads(encode(_story()[0]))
    body["event_id"] = 5
    with pytest.raises(UndecodableMessage):
        decode(json.dumps(body))
