"""Many callers asking the same read at once share it, and none is answered from a read that
started before it asked (the property a guest relies on after their hold failed: the room just
taken is not shown to them as free)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from infra.db.shared_reads import SharedReads


class Store:
    """A value that writers change; each read sees it as it was when the read began, and ends only
    when the test lets it."""

    def __init__(self) -> None:
        self.value, self.reads = 0, 0
        self.release = asyncio.Event()
        self.began = asyncio.Event()

    async def read(self) -> int:
        self.reads += 1
        seen = self.value
        self.began.set()
        await self.release.wait()
        return seen


async def test_a_caller_who_asks_while_the_same_read_is_on_its_way_gets_one_that_began_after_it_asked() -> None:
    shared, store = SharedReads(), Store()
    early = asyncio.create_task(shared.read("k", store.read))
    await store.began.wait()
    store.value = 1  # committed after the first read began: it cannot be in that read
    late = [asyncio.create_task(shared.read("k", store.read)) for _ in range(50)]
    await asyncio.sleep(0)
    store.release.set()
    assert await early == 0
    assert await asyncio.gather(*late) == [1] * 50
    # fifty callers who came while a read was on its way cost one more read, not fifty
    assert store.reads == 2
    assert _nothing_kept(shared)


async def test_a_quiet_read_goes_out_at_once_and_nothing_is_kept_after_it() -> None:
    shared, store = SharedReads(), Store()
    store.release.set()
    assert await shared.read("k", store.read) == 0
    store.value = 5
    assert await shared.read("k", store.read) == 5
    assert store.reads == 2
    # different questions never share a read
    store.value = 6
    assert await asyncio.gather(shared.read("a", store.read), shared.read("b", store.read)) == [6, 6]
    assert store.reads == 4
    assert _nothing_kept(shared)


async def test_a_caller_who_gives_up_leaves_the_read_to_the_others_who_wait_on_it() -> None:
    shared, store = SharedReads(), Store()
    first = asyncio.create_task(shared.read("k", store.read))
    await store.began.wait()
    impatient, patient = (asyncio.create_task(shared.read("k", store.read)) for _ in range(2))
    await asyncio.sleep(0)
    impatient.cancel()  # both wait for the same next read
    with contextlib.suppress(asyncio.CancelledError):
        await impatient
    store.value = 3
    store.release.set()
    assert await first == 0
    assert await patient == 3 and store.reads == 2
    assert _nothing_kept(shared)


async def test_a_failed_read_fails_its_callers_each_with_an_error_of_their_own_and_is_read_again() -> None:
    shared, calls = SharedReads(), []

    async def broken() -> int:
        calls.append(1)
        await asyncio.sleep(0.01)
        raise ConnectionError("the database went away")

    results = await asyncio.gather(*(shared.read("k", broken) for _ in range(3)), return_exceptions=True)
    assert len(calls) == 1  # one read failed, for the three who asked
    assert all(isinstance(r, ConnectionError) and str(r) == "the database went away" for r in results)
    # each caller raised an object of its own: one caller's traceback is never on another's error
    assert len({id(r) for r in results}) == 3

    async def healthy() -> int:
        return 7

    assert await shared.read("k", healthy) == 7
    with pytest.raises(ConnectionError):
        await shared.read("k", broken)
    assert _nothing_kept(shared)


async def test_a_read_stuck_on_its_way_holds_up_the_next_only_for_a_while() -> None:
    shared, store = SharedReads(behind_s=0.2), Store()  # never released: a dead connection
    stuck = asyncio.create_task(shared.read("k", store.read))
    await store.began.wait()
    store.value = 2

    async def quick() -> int:
        return store.value

    started = asyncio.get_running_loop().time()
    assert await shared.read("k", quick) == 2
    assert 0.2 <= asyncio.get_running_loop().time() - started < 1.0
    stuck.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await stuck


def _nothing_kept(shared: SharedReads) -> bool:
    return not shared._on_way and not shared._not_begun and not shared._reading
