"""Callback data: short, typed, parsed strictly. Anything that does not parse is a forged or
stale button and is answered politely; what does parse is still checked against the presser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from telegram import Update

APPROVE, REJECT, REASON = "ap", "rj", "rr"
CANCEL_ASK, CANCEL_YES, CANCEL_NO = "cx", "cy", "cn"
HOTEL, DAY, MONTH, ROOM, PAY, BACK, STOP, NOOP = "bh", "bd", "bm", "br", "bp", "bb", "bs", "no"
LANG, BOARD, ROOM_EDIT, ROOM_FIELD, MHOTEL = "lg", "bo", "re", "rf", "mh"
TERMS, STAY, CHECK_IN, CHECK_OUT = "tm", "sy", "ci", "co"  # a hotel's terms; a stay on the board

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_INT = re.compile(r"^-?\d{1,18}$")


def pack(kind: str, *parts: object) -> str:
    def one(p: object) -> str:
        if isinstance(p, UUID):
            return p.hex
        if isinstance(p, date):
            return p.strftime("%Y%m%d")
        return str(p)

    data = ":".join([kind, *map(one, parts)])
    assert len(data.encode()) <= 64, data
    return data


@dataclass(frozen=True)
class Parsed:
    kind: str
    parts: tuple[str, ...]

    def as_uuid(self, i: int = 0) -> UUID:
        value = self.parts[i]
        if not _HEX32.match(value):
            raise ValueError("not an id")
        return UUID(hex=value)

    def as_int(self, i: int = 0) -> int:
        value = self.parts[i]
        if not _INT.match(value):
            raise ValueError("not a number")
        return int(value)

    def as_date(self, i: int = 0) -> date:
        value = self.parts[i]
        if len(value) != 8 or not value.isdigit():
            raise ValueError("not a date")
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))

    def as_text(self, i: int = 0) -> str:
        return self.parts[i]


def pressed(update: Update) -> Parsed:
    """The data of the button this update pressed; ValueError when there is none or it does not
    parse (a forged or foreign button)."""
    query = update.callback_query
    parsed = parse(query.data if query is not None else None)
    if parsed is None:
        raise ValueError("no usable callback data")
    return parsed


def parse(data: str | None) -> Parsed | None:
    if not data or len(data) > 64:
        return None
    kind, *parts = data.split(":")
    return Parsed(kind, tuple(parts))
