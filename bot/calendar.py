"""The inline calendar: a month of day buttons; past days show as plain numbers that answer
"already passed"; other days that cannot be picked show as dots; days the hotel's stay limits
refuse (a check-out too soon or too late) show as dots that say why when pressed."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import lru_cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks as cb

PAST_DAY = cb.pack(cb.NOOP, "past")
REFUSED = "why"  # cb.NOOP's part for a day the stay limits refuse: pack(NOOP, REFUSED, day)
WEEKDAYS = {"en": ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"], "ko": ["월", "화", "수", "목", "금", "토", "일"]}


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def calendar_keyboard(
    month: date,
    pickable: Callable[[date], bool],
    lang: str,
    *,
    can_go_back: bool,
    can_go_forward: bool,
    extra: list[list[InlineKeyboardButton]] | None = None,
    today: date | None = None,
    refused: Callable[[date], bool] | None = None,
) -> InlineKeyboardMarkup:
    """Days before `today` show as plain numbers that answer "already passed" when pressed; days
    `refused` names (not pickable for a reason the guest can be told) carry their date."""
    noop = cb.pack(cb.NOOP)
    rows: list[Sequence[InlineKeyboardButton]] = []
    prev_button = (
        InlineKeyboardButton("‹", callback_data=cb.pack(cb.MONTH, add_months(month, -1).strftime("%Y%m")))
        if can_go_back
        else InlineKeyboardButton(" ", callback_data=noop)
    )
    next_button = (
        InlineKeyboardButton("›", callback_data=cb.pack(cb.MONTH, add_months(month, 1).strftime("%Y%m")))
        if can_go_forward
        else InlineKeyboardButton(" ", callback_data=noop)
    )
    rows.append([prev_button, InlineKeyboardButton(month.strftime("%Y-%m"), callback_data=noop), next_button])
    days = (add_months(month, 1) - month).days
    past = 0 if today is None else max(0, min(days, (today - month).days))
    open_days = tuple(pickable(month + timedelta(days=n)) for n in range(days))
    why = tuple(refused(month + timedelta(days=n)) for n in range(days)) if refused else ()
    rows.extend(_grid(month, open_days, lang, past, why))
    rows.extend(extra or [])
    return InlineKeyboardMarkup(rows)


@lru_cache(maxsize=1024)
def _grid(
    month: date, pickable: tuple[bool, ...], lang: str, past: int = 0, refused: tuple[bool, ...] = ()
) -> tuple[tuple[InlineKeyboardButton, ...], ...]:
    """The weekday header and the day buttons: the same for every guest who sees the same month
    with the same days open, so built once (buttons are immutable) — ~45 objects a calendar."""
    noop = cb.pack(cb.NOOP)
    rows = [tuple(InlineKeyboardButton(d, callback_data=noop) for d in WEEKDAYS.get(lang, WEEKDAYS["en"]))]
    for week in calendar.Calendar().monthdatescalendar(month.year, month.month):
        row = []
        for day in week:
            if day.month != month.month:
                row.append(InlineKeyboardButton(" ", callback_data=noop))
            elif pickable[day.day - 1]:
                row.append(InlineKeyboardButton(str(day.day), callback_data=cb.pack(cb.DAY, day)))
            elif day.day <= past:
                row.append(InlineKeyboardButton(str(day.day), callback_data=PAST_DAY))
            else:
                why = refused[day.day - 1] if refused else False
                data = cb.pack(cb.NOOP, REFUSED, day) if why else noop
                row.append(InlineKeyboardButton(f"·{day.day}·" if day.day < 10 else "··", callback_data=data))
        rows.append(tuple(row))
    return tuple(rows)


def parse_typed_date(text: str) -> date | None:
    text = text.strip()
    if len(text) > 10:
        return None
    for sep in ("-", ".", "/"):
        parts = text.split(sep)
        if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
            try:
                return date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                return None
    return None
