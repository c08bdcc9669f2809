"""The soak's promise checks catch what they promise to: a clean run passes every one, and each
seeded violation fails the promise it breaks (and only that one)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta
from uuid import uuid4

import pytest

from bench.soak import invariants as inv
from bot.texts import reservation_code

GUEST, MANAGERS = 11, (501, 502)
ROOM = uuid4()
DAY = date(2027, 3, 1)


def _reservation(status: str, nights_from: int) -> inv.Reservation:
    check_in = DAY + timedelta(days=nights_from)
    return inv.Reservation(uuid4(), GUEST, ROOM, check_in, check_in + timedelta(days=2), status)


def _told(r: inv.Reservation) -> list[inv.Copy]:
    code = reservation_code(r.id)
    guest = [inv.Copy(GUEST, f"✅ Paid — thank you!\nReservation {code}\nSoak Inn, room 101")]
    guest += {
        "confirmed": [inv.Copy(GUEST, f"🎉 Soak Inn confirmed your reservation {code} (…). See you soon!")],
        "rejected": [
            inv.Copy(GUEST, f"😔 Soak Inn could not accept reservation {code}: We are fully booked"),
            inv.Copy(GUEST, f"💸 100 KRW has been refunded for reservation {code}."),
        ],
        "cancelled": [inv.Copy(GUEST, f"💸 100 KRW has been refunded for reservation {code}.")],
    }[r.status]
    ending = {
        "confirmed": "✅ Approved by Mia at 10:00",
        "rejected": "❌ Rejected by Mia at 10:00: We are fully booked",
        "cancelled": "↩️ Cancelled by the guest at 10:00",
    }[r.status]
    managers = [inv.Copy(m, f"🛎 New reservation {code}\nSoak Inn, room 101\n{ending}") for m in MANAGERS]
    return managers + guest


def clean() -> inv.Snapshot:
    reservations = [_reservation("confirmed", 0), _reservation("rejected", 0), _reservation("cancelled", 1)]
    live = reservations[0]
    return inv.Snapshot(
        actions=[inv.Action(GUEST, "/book", True), inv.Action(MANAGERS[0], "approve", True)],
        receipts=[reservation_code(r.id) for r in reservations],
        reservations=reservations,
        nights=[(ROOM, live.check_in, live.id), (ROOM, live.check_in + timedelta(days=1), live.id)],
        payments=[
            inv.Payment(r.id, "approved" if r is live else "refunded", 0 if r is live else 1) for r in reservations
        ],
        view=[(r.id, r.status) for r in reservations],
        managers=MANAGERS,
        messages=[copy for r in reservations for copy in _told(r)],
        outbox={"reservation_outbox": 0, "hotel_outbox": 0},
        queues={"hotelbot.view": 0, "hotelbot.view.dead": 0},
        stops=[("bot", "SIGTERM", 0), ("relay", "kill -9", -9)],
    )


def test_a_clean_run_keeps_every_promise() -> None:
    rows = inv.check(clean())
    assert [r.promise for r in rows if not r.ok] == []
    assert len(rows) == len(inv.CHECKS)


def _first(s: inv.Snapshot, status: str) -> inv.Reservation:
    return next(r for r in s.reservations if r.status == status)


def _replace_text(s: inv.Snapshot, old: str, new: str, chat: int) -> None:
    s.messages = [
        dataclasses.replace(m, text=m.text.replace(old, new)) if m.chat_id == chat and old in m.text else m
        for m in s.messages
    ]


def unanswered(s: inv.Snapshot) -> None:
    s.actions.append(inv.Action(GUEST, "pay", False))


def told_went_wrong(s: inv.Snapshot) -> None:
    s.actions.append(inv.Action(GUEST, "pay", True, told_error=True))


def receipt_without_reservation(s: inv.Snapshot) -> None:
    s.receipts.append(reservation_code(uuid4()))


def night_held_twice(s: inv.Snapshot) -> None:
    live = _first(s, "confirmed")
    twin = dataclasses.replace(live, id=uuid4())
    s.reservations.append(twin)
    s.payments.append(inv.Payment(twin.id, "approved"))
    s.view.append((twin.id, "confirmed"))
    s.messages += _told(twin)
    s.nights.append((ROOM, live.check_in, twin.id))


def cancelled_still_holding_a_night(s: inv.Snapshot) -> None:
    gone = _first(s, "cancelled")
    s.nights.append((ROOM, gone.check_in, gone.id))


def payment_without_reservation(s: inv.Snapshot) -> None:
    s.payments.append(inv.Payment(uuid4(), "approved"))


def cancelled_not_refunded(s: inv.Snapshot) -> None:
    gone = _first(s, "cancelled")
    s.payments = [dataclasses.replace(p, status="approved") if p.reservation_id == gone.id else p for p in s.payments]


def refund_told_twice(s: inv.Snapshot) -> None:
    gone = _first(s, "rejected")
    s.messages.append(inv.Copy(GUEST, f"💸 100 KRW has been refunded for reservation {reservation_code(gone.id)}."))


def missing_from_the_view(s: inv.Snapshot) -> None:
    s.view = s.view[1:]


def a_manager_told_twice(s: inv.Snapshot) -> None:
    s.messages.append(next(m for m in s.messages if m.chat_id == MANAGERS[1]))


def a_withdrawn_request_shown_twice(s: inv.Snapshot) -> None:
    gone = _first(s, "cancelled")
    s.withdrawn = {gone.id}
    s.messages.append(next(m for m in s.messages if m.chat_id == MANAGERS[0] and reservation_code(gone.id) in m.text))


def bare_request_left(s: inv.Snapshot) -> None:
    _replace_text(s, "\n↩️ Cancelled by the guest at 10:00", "", MANAGERS[0])


def told_confirmed_after_cancelled(s: inv.Snapshot) -> None:
    gone = _first(s, "cancelled")
    s.messages.append(inv.Copy(GUEST, f"🎉 Soak Inn confirmed your reservation {reservation_code(gone.id)}."))


def outbox_left(s: inv.Snapshot) -> None:
    s.outbox["hotel_outbox"] = 3


def parked_message(s: inv.Snapshot) -> None:
    s.queues["hotelbot.view.dead"] = 1


def unclean_stop(s: inv.Snapshot) -> None:
    s.stops.append(("consume view", "SIGTERM", 1))


def ended_on_its_own(s: inv.Snapshot) -> None:
    s.stops.append(("relay", "died", 1))


@pytest.mark.parametrize(
    ("violation", "promise"),
    [
        (unanswered, "every action answered"),
        (told_went_wrong, "every action answered"),
        (receipt_without_reservation, "every receipt one reservation"),
        (night_held_twice, "no night held twice"),
        (cancelled_still_holding_a_night, "no night held twice"),
        (payment_without_reservation, "every payment with its reservation"),
        (cancelled_not_refunded, "one refund per cancelled/rejected reservation"),
        (refund_told_twice, "one refund per cancelled/rejected reservation"),
        (missing_from_the_view, "every reservation in the view and with the managers once"),
        (a_manager_told_twice, "every reservation in the view and with the managers once"),
        (a_withdrawn_request_shown_twice, "every reservation in the view and with the managers once"),
        (bare_request_left, "every manager copy agrees with the final state"),
        (told_confirmed_after_cancelled, "every guest's last message agrees"),
        (outbox_left, "outboxes and queues empty"),
        (parked_message, "nothing parked"),
        (unclean_stop, "every process stopped cleanly on SIGTERM"),
        (ended_on_its_own, "every process stopped cleanly on SIGTERM"),
    ],
)
def test_a_seeded_violation_breaks_its_promise(violation: Callable[[inv.Snapshot], None], promise: str) -> None:
    s = clean()
    violation(s)
    failed = [r.promise for r in inv.check(s) if not r.ok]
    assert promise in failed, inv.table(inv.check(s))


def test_a_request_the_guest_withdrew_before_the_managers_were_shown_it_needs_no_copy() -> None:
    s = clean()
    gone = _first(s, "cancelled")
    code = reservation_code(gone.id)
    s.messages = [m for m in s.messages if not (m.chat_id in MANAGERS and code in m.text)]
    assert not inv.view_and_managers(s).ok
    s.withdrawn = {gone.id}
    assert inv.view_and_managers(s).ok
