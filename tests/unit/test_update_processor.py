"""One user's updates run strictly in order; different users' run side by side."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from telegram import Chat, Message, Update, User

from bot.processor import PerUserUpdateProcessor


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, f"u{user_id}", is_bot=False)
    message = Message(update_id, None, Chat(user_id, "private"), from_user=user, text="hi")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_one_users_updates_run_in_order_while_another_user_is_not_held_up() -> None:
    processor = PerUserUpdateProcessor(max_concurrent_updates=64, rate_per_s=1000, burst=1000)
    log: list[tuple[str, int, int]] = []

    async def handle(update_id: int, user_id: int, seconds: float) -> None:
        log.append(("start", user_id, update_id))
        await asyncio.sleep(seconds)
        log.append(("end", user_id, update_id))

    slow_user = [processor.process_update(_update(i, 1), handle(i, 1, 0.05)) for i in range(1, 4)]
    other_user = processor.process_update(_update(10, 2), handle(10, 2, 0))
    await asyncio.gather(*slow_user, other_user)

    mine = [(kind, uid) for kind, user, uid in log if user == 1]
    assert mine == [("start", 1), ("end", 1), ("start", 2), ("end", 2), ("start", 3), ("end", 3)]
    # user 2 finished while user 1 was still on its first update
    assert log.index(("end", 2, 10)) < log.index(("end", 1, 1))


async def test_a_flooding_user_is_slowed_to_the_bucket_rate() -> None:
    processor = PerUserUpdateProcessor(max_concurrent_updates=64, rate_per_s=20, burst=5)
    done: list[float] = []
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def handle() -> None:
        done.append(loop.time() - started)

    await asyncio.gather(*(processor.process_update(_update(i, 7), handle()) for i in range(15)))
    assert len(done) == 15
    assert done[4] < 0.3  # the burst goes through at once
    assert done[-1] >= 0.4  # the other 10 at 20/s


class RecordingTurns:
    """A fake of the database's turns: records them; an update id in `handled` is a repeat."""

    def __init__(self, handled: tuple[int, ...] = (), broken: bool = False) -> None:
        self.handled, self.broken = set(handled), broken
        self.log: list[str] = []

    @contextlib.asynccontextmanager
    async def turn(self, update: object, user_id: int) -> AsyncIterator[bool]:
        assert isinstance(update, Update)
        if self.broken:
            raise ConnectionError("database away")
        self.log.append(f"begin {user_id}")
        yield update.update_id not in self.handled
        self.log.append(f"end {user_id}")


async def test_each_update_runs_inside_its_users_turn_and_a_repeat_does_not_run() -> None:
    turns = RecordingTurns(handled=(2,))
    processor = PerUserUpdateProcessor(rate_per_s=1000, burst=1000, state=turns)
    ran: list[int] = []

    async def handle(update_id: int) -> None:
        turns.log.append(f"handle {update_id}")
        ran.append(update_id)

    for update_id in (1, 2, 3):
        await processor.process_update(_update(update_id, 5), handle(update_id))
    assert ran == [1, 3]
    assert turns.log == ["begin 5", "handle 1", "end 5", "begin 5", "end 5", "begin 5", "handle 3", "end 5"]


async def test_an_update_whose_state_cannot_be_read_is_logged_not_left_half_run() -> None:
    processor = PerUserUpdateProcessor(rate_per_s=1000, burst=1000, state=RecordingTurns(broken=True))
    ran: list[int] = []

    async def handle() -> None:
        ran.append(1)

    coroutine = handle()
    await processor.process_update(_update(1, 5), coroutine)
    assert ran == []
    assert coroutine.cr_frame is None  # closed, not left to warn that it was never awaited
