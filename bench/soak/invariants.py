"""The promises a soak checks at the end, as pure functions of what it saw: the rows of every
context, what the Bot API stand-in holds in every chat, the broker's queues, and how each process
stopped. `check(snapshot)` returns one row per promise; unit tests feed it seeded violations."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.texts import reservation_code

LIVE = ("placed", "confirmed")
UNDONE = ("cancelled", "rejected")


@dataclass(frozen=True)
class Action:
    """One message or button press of a scripted user, and whether the bot answered it."""

    user_id: int
    what: str
    answered: bool
    told_error: bool = False  # the answer was "Sorry, something went wrong"


@dataclass(frozen=True)
class Reservation:
    id: Any
    guest_id: int
    room_id: Any
    check_in: date
    check_out: date
    status: str


@dataclass(frozen=True)
class Payment:
    reservation_id: Any
    status: str  # approved | refunded
    refunds: int = 0  # refunds the provider made for it


@dataclass(frozen=True)
class Copy:
    """A message in a chat: its text and buttons as they are now."""

    chat_id: int
    text: str
    buttons: tuple[str, ...] = ()


@dataclass
class Snapshot:
    actions: list[Action] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)  # reservation codes the guests got a receipt for
    reservations: list[Reservation] = field(default_factory=list)  # every one past its payment
    nights: list[tuple[Any, date, Any]] = field(default_factory=list)  # (room, night, reservation) held
    payments: list[Payment] = field(default_factory=list)
    view: list[tuple[Any, str]] = field(default_factory=list)  # (reservation, status) rows of the view
    managers: tuple[int, ...] = ()
    # withdrawn by the guest before a decision: the managers may never have been shown the request
    withdrawn: set[Any] = field(default_factory=set)
    messages: list[Copy] = field(default_factory=list)  # every message the bot sent, as it is now
    outbox: dict[str, int] = field(default_factory=dict)  # unpublished rows per context
    queues: dict[str, int] = field(default_factory=dict)  # messages per queue (".dead" ones are parked)
    parked: int = 0  # dead letters waiting for an admin
    stops: list[tuple[str, str, int | None]] = field(default_factory=list)  # (process, how, exit code)


@dataclass(frozen=True)
class Row:
    promise: str
    ok: bool
    detail: str


def _nights(r: Reservation) -> list[date]:
    return [r.check_in + timedelta(days=n) for n in range((r.check_out - r.check_in).days)]


def _some(items: list[str], limit: int = 3) -> str:
    return "; ".join(items[:limit]) + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def answered(s: Snapshot) -> Row:
    missing = [f"user {a.user_id}: {a.what}" for a in s.actions if not a.answered]
    errors = [f"user {a.user_id}: {a.what}" for a in s.actions if a.told_error]
    bad = [*(f"unanswered {m}" for m in missing), *(f"'went wrong' {e}" for e in errors)]
    detail = f"{len(s.actions)} actions, {len(missing)} unanswered, {len(errors)} told 'something went wrong'"
    return Row("every action answered", not bad, detail + (f": {_some(bad)}" if bad else ""))


def receipts(s: Snapshot) -> Row:
    by_code = Counter(reservation_code(r.id) for r in s.reservations)
    bad = [code for code in set(s.receipts) if by_code[code] != 1]
    detail = f"{len(set(s.receipts))} receipts, {len(s.reservations)} reservations"
    return Row("every receipt one reservation", not bad, detail + (f": not one: {_some(bad)}" if bad else ""))


def nights(s: Snapshot) -> Row:
    held: dict[tuple[Any, date], list[Any]] = defaultdict(list)
    for room, night, reservation in s.nights:
        held[(room, night)].append(reservation)
    by_id = {r.id: r for r in s.reservations}
    bad = [f"{room} {night}: {len(who)} holders" for (room, night), who in held.items() if len(who) > 1]
    wanted: dict[tuple[Any, date], list[Any]] = defaultdict(list)
    for r in s.reservations:
        if r.status in LIVE:
            for night in _nights(r):
                wanted[(r.room_id, night)].append(r.id)
    bad += [f"{room} {night}: {len(who)} live reservations" for (room, night), who in wanted.items() if len(who) > 1]
    bad += [f"{reservation_code(ids[0])} lost its night {key[1]}" for key, ids in wanted.items() if key not in held]
    for key, holders in held.items():
        for holder in holders:
            r = by_id.get(holder)
            if r is not None and r.status not in LIVE:
                bad.append(f"{reservation_code(holder)} ({r.status}) still holds {key[1]}")
    detail = f"{len(s.nights)} nights held by {sum(1 for r in s.reservations if r.status in LIVE)} live reservations"
    return Row("no night held twice", not bad, detail + (f": {_some(bad)}" if bad else ""))


def payments(s: Snapshot) -> Row:
    ids = {r.id for r in s.reservations}
    per = Counter(p.reservation_id for p in s.payments)
    bad = [f"payment of unknown reservation {p.reservation_id}" for p in s.payments if p.reservation_id not in ids]
    bad += [f"{reservation_code(r.id)}: {per[r.id]} payments" for r in s.reservations if per[r.id] != 1]
    detail = f"{len(s.payments)} payments"
    return Row("every payment with its reservation", not bad, detail + (f": {_some(bad)}" if bad else ""))


def refunds(s: Snapshot) -> Row:
    by_reservation = {p.reservation_id: p for p in s.payments}
    bad = []
    told = Counter(
        code for m in s.messages if "has been refunded for reservation" in m.text for code in [_code_in(m.text)]
    )
    for r in s.reservations:
        p = by_reservation.get(r.id)
        refunded = p is not None and p.status == "refunded"
        if r.status in UNDONE and not (refunded and p is not None and p.refunds <= 1):
            bad.append(f"{reservation_code(r.id)} {r.status}: payment {p.status if p else 'missing'}")
        if r.status in LIVE and refunded:
            bad.append(f"{reservation_code(r.id)} {r.status} but refunded")
        if refunded and told[reservation_code(r.id)] != 1:
            bad.append(f"{reservation_code(r.id)}: guest told of the refund {told[reservation_code(r.id)]} times")
    undone = sum(1 for r in s.reservations if r.status in UNDONE)
    detail = f"{undone} cancelled or rejected, {sum(1 for p in s.payments if p.status == 'refunded')} refunded"
    return Row("one refund per cancelled/rejected reservation", not bad, detail + (f": {_some(bad)}" if bad else ""))


def _code_in(text: str) -> str:
    """The reservation code a notice is about: the word after 'reservation'."""
    words = text.replace("(", " ").replace(")", " ").replace(":", " ").replace(".", " ").split()
    for before, word in itertools.pairwise(words):
        if before.lower() == "reservation":
            return word
    return ""


def _requests(s: Snapshot) -> dict[tuple[int, str], list[Copy]]:
    copies: dict[tuple[int, str], list[Copy]] = defaultdict(list)
    for m in s.messages:
        if m.chat_id in s.managers and "New reservation" in m.text.split("\n", 1)[0]:
            copies[(m.chat_id, _code_in(m.text))].append(m)
    return copies


def view_and_managers(s: Snapshot) -> Row:
    rows = Counter(rid for rid, _ in s.view)
    status = dict(s.view)
    bad = [f"{reservation_code(r.id)}: {rows[r.id]} view rows" for r in s.reservations if rows[r.id] != 1]
    bad += [
        f"{reservation_code(r.id)}: view says {status[r.id]}, it is {r.status}"
        for r in s.reservations
        if rows[r.id] == 1 and status[r.id] != r.status
    ]
    copies = _requests(s)
    for r in s.reservations:
        wanted = (0, 1) if r.id in s.withdrawn else (1,)
        for manager in s.managers:
            n = len(copies.get((manager, reservation_code(r.id)), []))
            if n not in wanted:
                bad.append(f"{reservation_code(r.id)}: manager {manager} has {n} copies")
    unseen = sum(1 for r in s.reservations if not any((m, reservation_code(r.id)) in copies for m in s.managers))
    detail = (
        f"{len(s.view)} view rows, {sum(len(c) for c in copies.values())} manager copies "
        f"({unseen} withdrawn before the managers were shown them)"
    )
    return Row("every reservation in the view and with the managers once", not bad, detail + _tail(bad))


def _tail(bad: list[str]) -> str:
    return f": {_some(bad)}" if bad else ""


def copies_agree(s: Snapshot) -> Row:
    copies = _requests(s)
    bad = []
    for r in s.reservations:
        for manager in s.managers:
            for copy in copies.get((manager, reservation_code(r.id)), []):
                wanted = {
                    "confirmed": ["Approved by"],
                    "rejected": ["Rejected by"],
                    "cancelled": ["Cancelled by the guest"],
                    "placed": [],
                }.get(r.status, [])
                unwanted = ["Cancelled by the guest"] if r.status != "cancelled" else []
                if r.status != "placed" and copy.buttons:
                    bad.append(f"{reservation_code(r.id)} {r.status}: copy still has buttons")
                if r.status == "placed" and not copy.buttons:
                    bad.append(f"{reservation_code(r.id)} pending: copy without buttons")
                if any(w not in copy.text for w in wanted) or any(u in copy.text for u in unwanted):
                    bad.append(f"{reservation_code(r.id)} {r.status}: copy ends {copy.text.splitlines()[-1]!r}")
    return Row("every manager copy agrees with the final state", not bad, f"{len(s.reservations)} checked" + _tail(bad))


# The guest's last notice about a reservation, per final state.
LAST_WORD = {
    "placed": "Paid — thank you!",
    "confirmed": "confirmed your reservation",
    "rejected": "has been refunded for reservation",
    "cancelled": "has been refunded for reservation",
}
NOTICES = ("Paid — thank you!", "confirmed your reservation", "could not accept reservation", "has been refunded for")


def last_words(s: Snapshot) -> Row:
    last: dict[tuple[int, str], str] = {}
    for m in s.messages:  # in the order they were first sent; a notice is never edited into another
        if any(n in m.text for n in NOTICES):
            last[(m.chat_id, _code_in(m.text))] = m.text
    bad = []
    for r in s.reservations:
        text = last.get((r.guest_id, reservation_code(r.id)), "")
        if LAST_WORD[r.status] not in text if r.status in LAST_WORD else True:
            bad.append(f"{reservation_code(r.id)} {r.status}: last told {text.splitlines()[0] if text else None!r}")
    return Row("every guest's last message agrees", not bad, f"{len(s.reservations)} checked" + _tail(bad))


def drained(s: Snapshot) -> Row:
    outbox = {k: v for k, v in s.outbox.items() if v}
    queues = {k: v for k, v in s.queues.items() if v and not k.endswith(".dead")}
    bad = [f"outbox {k}: {v}" for k, v in outbox.items()] + [f"queue {k}: {v}" for k, v in queues.items()]
    detail = f"{len(s.outbox)} outboxes, {len(s.queues)} queues"
    return Row("outboxes and queues empty", not bad, detail + _tail(bad))


def parked(s: Snapshot) -> Row:
    dead = {k: v for k, v in s.queues.items() if v and k.endswith(".dead")}
    bad = [f"{k}: {v}" for k, v in dead.items()] + ([f"{s.parked} dead letters"] if s.parked else [])
    return Row("nothing parked", not bad, "0" if not bad else _some(bad))


def clean_stops(s: Snapshot) -> Row:
    """Every SIGTERM ended in exit 0, and no process ended without being asked to."""
    terms = [(name, code) for name, how, code in s.stops if how == "SIGTERM"]
    bad = [f"{name}: {'no exit in time' if code is None else f'exit {code}'}" for name, code in terms if code != 0]
    bad += [f"{name} ended on its own (exit {code})" for name, how, code in s.stops if how == "died"]
    return Row("every process stopped cleanly on SIGTERM", not bad, f"{len(terms)} SIGTERMs" + _tail(bad))


CHECKS = (answered, receipts, nights, payments, refunds, view_and_managers, copies_agree, last_words, drained,
          parked, clean_stops)  # fmt: skip


def check(s: Snapshot) -> list[Row]:
    return [promise(s) for promise in CHECKS]


def table(rows: list[Row]) -> str:
    width = max(len(r.promise) for r in rows)
    lines = [f"{'promise'.ljust(width)}  ok    detail", "-" * (width + 40)]
    lines += [f"{r.promise.ljust(width)}  {'PASS' if r.ok else 'FAIL'}  {r.detail}" for r in rows]
    return "\n".join(lines)
