"""The bot's state rows are written with orjson: a row must read back as it did when the standard
library wrote it (dates and other objects as their str(), integer keys as strings), so that rows
written before and after the change mean the same to the bot."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import orjson

from infra.db.bot_state import _dumps


@dataclass
class _Draft:
    nights: int


def test_a_state_row_reads_back_as_the_standard_librarys_json_wrote_it() -> None:
    row = {
        "booking": {"check_in": date(2026, 12, 24), "guests": 2, "reservation_id": uuid.UUID(int=7).hex},
        "at": datetime(2026, 12, 5, 1, 30, tzinfo=UTC),
        "id": uuid.UUID(int=42),
        "draft": _Draft(3),
        "lang": "ko",
        "note": "체크인 15:00 — ✓",
        7: [1, 2.5, None, True],
    }
    before = json.dumps(row, default=str)
    assert orjson.loads(_dumps(row)) == json.loads(before)
    assert json.loads(_dumps(row))["at"] == "2026-12-05 01:30:00+00:00"


def test_a_row_orjson_refuses_is_read_as_before() -> None:
    from infra.db.bot_state import _loads

    assert _loads('{"x": NaN, "big": 123456789012345678901234567890}')["big"] == 123456789012345678901234567890
