from __future__ import annotations

import json

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
