"""Scripted guests and managers, talking to the bot through the Bot API stand-in: guests book
(typed dates), pay and sometimes cancel through /my; managers approve or reject each request with
its buttons. Every message or press is an `Action`: answered, or not."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bench.soak.invariants import Action
from tests.botapi import FakeBotApi, Message, User

ERROR = "something went wrong"
# What the notifier sends on its own: never taken for the answer to an action.
NOTICES = ("confirmed your reservation", "could not accept reservation", "has been refunded for", "New reservation",
           "The guest cancelled", "is still waiting for your decision")  # fmt: skip
INTERIM = ("Taking the payment",)  # shown while the answer is being worked out


class Chats:
    """Per chat, the messages the bot sent (kept in step with the stand-in's flat list)."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self._seen = 0
        self._by_chat: dict[int, list[Message]] = defaultdict(list)

    def of(self, chat_id: int) -> list[Message]:
        sent = self.api.sent
        for message in sent[self._seen :]:
            self._by_chat[message.chat_id].append(message)
        self._seen = len(sent)
        return self._by_chat[chat_id]


@dataclass
class Script:
    api: FakeBotApi
    chats: Chats
    rng: random.Random
    timeout_s: float
    actions: list[Action] = field(default_factory=list)
    repeats: int = 0  # actions a user sent again after silence

    async def act(self, user: User, what: str, do: Any, expect: tuple[str, ...]) -> Message | None:
        """Do `do()` and wait for a message (new, or edited since) containing one of `expect`, or an
        answer the script did not expect. Silence for `timeout_s`: the user tries once more, as
        people do. Returns the expected answer, or None."""
        for attempt in range(2):
            inbox = self.chats.of(user.id)
            before = {id(m): (m.text, len(m.edits), str(m.reply_markup)) for m in inbox}
            after = len(inbox)
            answers = len(user.answers)
            try:
                await do()
            except AssertionError:  # the button is gone from the message: the user cannot do it again
                break
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.timeout_s
            other_since: float | None = None
            while loop.time() < deadline:
                changed = self.api.changed
                fresh = [
                    m
                    for m in self.chats.of(user.id)[max(0, after - 8) :]
                    if before.get(id(m)) != (m.text, len(m.edits), str(m.reply_markup))
                ]
                for m in reversed(fresh):
                    if any(e in m.text for e in expect):
                        self.actions.append(Action(user.id, what, True))
                        return m
                other = [m for m in fresh if not any(n in m.text for n in NOTICES + INTERIM)]
                if other or (len(user.answers) > answers and user.answers[-1].get("text")):
                    other_since = loop.time() if other_since is None else other_since
                    if loop.time() - other_since > 2:  # an answer, not the one expected, and nothing else came
                        told_error = any(ERROR in m.text for m in other)
                        self.actions.append(Action(user.id, what, True, told_error))
                        return None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), max(0.01, min(0.5, deadline - loop.time())))
            if attempt == 0:
                self.repeats += 1
        seen = [f"{m.text[:70]!r} {m.buttons()[:4]}" for m in self.chats.of(user.id)[-3:]]
        answers = [a.get("text") for a in user.answers[-2:]]
        self.actions.append(Action(user.id, f"{what} (last seen: {' | '.join(seen)}; query answers {answers})", False))
        return None


def button(message: Message, prefix: str) -> str | None:
    for text in message.buttons():
        if text.startswith(prefix):
            return text
    return None


@dataclass
class Guests:
    script: Script
    rooms: list[str]
    today: date
    receipts: list[str] = field(default_factory=list)
    cancelled: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def live(self, user: User, think_s: float) -> None:
        rng = self.script.rng
        mine: list[str] = []
        while not self.stop.is_set():
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
            if mine and rng.random() < 0.25:
                await self.cancel(user, think_s)
                continue
            code = await self.book(user, think_s)
            if code:
                mine.append(code)
                if rng.random() < 0.15:  # a change of mind at once: the request still awaits a decision
                    await self.cancel(user, 0.0)

    async def book(self, user: User, think_s: float) -> str | None:
        s, rng = self.script, self.script.rng
        check_in = self.today + timedelta(days=rng.randint(3, 40))
        check_out = check_in + timedelta(days=rng.randint(1, 3))

        async def say(text: str) -> Any:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
            await user.send(text)

        if not await s.act(user, "/book", lambda: say("/book"), ("check-in",)):
            return None
        if not await s.act(user, "check-in day", lambda: say(check_in.isoformat()), ("check-out",)):
            return None
        if not await s.act(user, "check-out day", lambda: say(check_out.isoformat()), ("How many guests",)):
            return None
        rooms = await s.act(user, "guests", lambda: say("1"), ("Free from", "No room is free"))
        if rooms is None or "Free from" not in rooms.text or not rooms.buttons():
            return None  # nothing free on those days (a calendar to pick others): another try later
        wanted = rng.choice(self.rooms)
        choice = button(rooms, f"{wanted} ") or rooms.buttons()[0]

        async def press(message: Message, text: str) -> None:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
            await user.press(message, text)

        confirm = await s.act(user, "room", lambda: press(rooms, choice), ("Please check", "just been taken"))
        if confirm is None or not button(confirm, "Pay "):
            return None
        pay = button(confirm, "Pay ") or ""
        receipt = await s.act(user, "pay", lambda: press(confirm, pay), ("Paid — thank you!", "just been taken"))
        if receipt is None or "Paid — thank you!" not in receipt.text:
            return None
        code = receipt.text.split("Reservation ", 1)[1].split()[0]
        self.receipts.append(code)
        return code

    async def cancel(self, user: User, think_s: float) -> None:
        s, rng = self.script, self.script.rng
        listing = await s.act(user, "/my", lambda: user.send("/my"), ("Your reservations", "no reservations"))
        choices = [b for b in (listing.buttons() if listing else []) if b.startswith("Cancel ")]
        if listing is None or not choices:
            return
        choice = rng.choice(choices)
        await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
        question = await s.act(user, "cancel", lambda: user.press(listing, choice), ("will be refunded",))
        if question is None or not button(question, "Yes, cancel it"):
            return
        done = await s.act(user, "yes, cancel", lambda: user.press(question, "Yes, cancel it"), ("is cancelled",))
        if done is not None:
            self.cancelled += 1


@dataclass
class Managers:
    script: Script
    users: list[User]
    decided: int = 0
    rejected: int = 0
    _pressed: dict[tuple[int, int], float] = field(default_factory=dict)  # when each request was taken up

    def open_requests(self) -> list[tuple[User, Message]]:
        found = []
        now = asyncio.get_running_loop().time()
        for user in self.users:
            for m in self.script.chats.of(user.id):
                again = now - self._pressed.get((user.id, m.message_id), -1e9) > 90  # if nothing came of it
                if again and "New reservation" in m.text and "✅ Approve" in m.buttons():
                    found.append((user, m))
        return found

    async def work(self, stop: asyncio.Event, hurry: asyncio.Event) -> None:
        """Decide every request, each after a while (long enough for some guests to change their mind)."""
        busy: set[asyncio.Task[None]] = set()
        while not (stop.is_set() and not busy):
            if not stop.is_set():
                for user, message in self.open_requests():
                    self._pressed[(user.id, message.message_id)] = asyncio.get_running_loop().time()
                    task = asyncio.create_task(self.decide(user, message, 0.2 if hurry.is_set() else 6.0))
                    busy.add(task)
                    task.add_done_callback(busy.discard)
            await asyncio.sleep(0.3)

    async def decide(self, user: User, message: Message, wait_s: float) -> None:
        s, rng = self.script, self.script.rng
        await asyncio.sleep(rng.uniform(0.2, 1.0) * wait_s)
        if "✅ Approve" not in message.buttons():
            return  # withdrawn or decided by the other manager meanwhile
        if rng.random() < 0.75:
            done = await s.act(user, "approve", lambda: user.press(message, "✅ Approve"), ("Approved by", "Too late"))
            self.decided += 1 if done is not None and "Approved by" in done.text else 0
            return
        ask = await s.act(user, "reject", lambda: user.press(message, "❌ Reject"), ("Why are you rejecting",))
        if ask is None or not button(ask, "We are fully booked"):
            return
        done = await s.act(user, "reason", lambda: user.press(ask, "We are fully booked"), ("Done", "Too late"))
        if done is not None and "Done" in done.text:
            self.decided += 1
            self.rejected += 1
