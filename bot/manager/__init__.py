"""Managers: Approve / Reject (with a reason) on each new reservation (decisions), /addroom and
/rooms (rooms), /board (board), check-in and check-out from the board (stays), /terms: prices,
stay rules and the cancellation policy (terms). Every button is checked on the server: the presser must manage
*that* hotel."""

from __future__ import annotations

from telegram.ext import BaseHandler

from bot.manager import board, decisions, rooms, stays, terms


def first_handlers() -> list[tuple[int, BaseHandler]]:  # type: ignore[type-arg]
    return decisions.first_handlers()


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [*decisions.handlers(), *rooms.handlers(), *board.handlers(), *stays.handlers(), *terms.handlers()]
