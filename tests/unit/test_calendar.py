"""The calendar a guest sees: past days are plain numbers, not dots."""

from __future__ import annotations

from datetime import date

from bot import callbacks as cb
from bot.calendar import PAST_DAY, REFUSED, calendar_keyboard


def _days(today: date, open_from: date) -> dict[str, str]:
    keyboard = calendar_keyboard(
        date(2026, 11, 1), lambda d: d >= open_from, "en", can_go_back=False, can_go_forward=True, today=today
    )
    return {
        str(b.text): str(b.callback_data)
        for row in keyboard.inline_keyboard[2:]
        for b in row
        if str(b.text).strip() and b.callback_data != cb.pack(cb.NOOP)
    }


def test_past_days_show_as_plain_numbers_that_cannot_be_picked() -> None:
    days = _days(today=date(2026, 11, 27), open_from=date(2026, 11, 27))
    assert days["1"] == days["12"] == days["26"] == PAST_DAY
    assert days["27"] == cb.pack(cb.DAY, date(2026, 11, 27))
    assert len(days) == 30  # every day of the month has its number; no row of dots


def test_days_that_are_full_but_not_past_are_still_marked_as_taken() -> None:
    days = _days(today=date(2026, 11, 10), open_from=date(2026, 11, 20))
    assert days["9"] == PAST_DAY and "10" not in days and "19" not in days
    assert days["20"] == cb.pack(cb.DAY, date(2026, 11, 20))


def test_days_the_stay_limits_refuse_carry_their_date_so_pressing_one_can_say_why() -> None:
    check_in = date(2026, 11, 20)
    keyboard = calendar_keyboard(
        date(2026, 11, 1),
        lambda d: date(2026, 11, 22) <= d <= date(2026, 11, 25),
        "en",
        can_go_back=False,
        can_go_forward=True,
        today=date(2026, 11, 10),
        refused=lambda d: d > check_in and not date(2026, 11, 22) <= d <= date(2026, 11, 25),
    )
    data = {str(b.callback_data) for row in keyboard.inline_keyboard for b in row}
    assert cb.pack(cb.NOOP, REFUSED, date(2026, 11, 21)) in data  # one night: too short
    assert cb.pack(cb.NOOP, REFUSED, date(2026, 11, 26)) in data  # beyond the longest stay
    assert cb.pack(cb.DAY, date(2026, 11, 22)) in data
    assert cb.pack(cb.NOOP, REFUSED, date(2026, 11, 20)) not in data  # not a check-out day at all
