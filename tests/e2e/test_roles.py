"""What each role sees and may do: menus per role, /help, Korean, rooms editing, the paginated
board, and the admin's commands."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ADMIN, GUEST, MANAGER, World, say, tap
from tests.e2e.test_scenario import setup_hotel

pytestmark = pytest.mark.e2e


def _names(commands: list[dict] | None) -> set[str]:
    return {c["command"] for c in commands or []}


async def test_menus_and_help_follow_the_role(sqlite_world: World) -> None:
    api = sqlite_world.api
    await setup_hotel(sqlite_world)
    assert _names(api.commands_for({"type": "default"}, "")) == {"book", "my", "language", "help", "cancel"}
    assert {"board", "rooms", "addroom"} <= _names(api.commands_for({"type": "chat", "chat_id": MANAGER}, ""))
    assert "grant" not in _names(api.commands_for({"type": "chat", "chat_id": MANAGER}, ""))
    assert {"grant", "stats", "dlq"} <= _names(api.commands_for({"type": "chat", "chat_id": ADMIN}, ""))
    guest = api.user(GUEST, "Gus")
    help_text = (await say(guest, "/help", "/book")).text
    assert "/board" not in help_text and "/grant" not in help_text
    assert "/board" in (await say(api.users[MANAGER], "/help", "/book")).text
    assert "/grant" in (await say(api.users[ADMIN], "/help", "/book")).text
    await say(api.users[ADMIN], f"/revoke {MANAGER} 1", "no longer manages hotel 1")
    assert "board" not in _names(api.commands_for({"type": "chat", "chat_id": MANAGER}, ""))
    await say(api.users[MANAGER], "/board", "do not manage any hotel")


async def test_a_guest_who_picks_korean_is_answered_in_korean_and_it_is_remembered(sqlite_world: World) -> None:
    api = sqlite_world.api
    await setup_hotel(sqlite_world)
    guest = api.user(GUEST, "Gus")
    menu = await say(guest, "/start", "Pick your language")
    await tap(guest, menu, "한국어", "언어가 한국어로 설정되었습니다")
    await say(guest, "/book", "체크인 날짜를 선택하세요")
    await say(guest, "내일", "날짜를 읽을 수 없습니다")
    await say(guest, "/cancel", "중단했습니다")
    await sqlite_world.restart()
    await say(guest, "/my", "아직 예약이 없습니다")


async def test_a_manager_edits_a_room_and_pages_through_a_long_board(sqlite_world: World) -> None:
    api = sqlite_world.api
    await setup_hotel(sqlite_world)
    manager = api.users[MANAGER]
    for number in range(103, 110):
        await say(manager, "/addroom", "What is its number")
        await say(manager, str(number), "What type")
        await say(manager, "single", "How many guests")
        await say(manager, "1", "Price per night")
        await say(manager, "90000", f"Room {number}")
    rooms = await say(manager, "/rooms", "Rooms of Seaside Inn")
    menu = await tap(manager, rooms, "101 ·", "What do you want to change?")
    await tap(manager, menu, "Price", "New price per night for room 101")
    await say(manager, "abc", "could not read that as a price")
    await say(manager, "150000", "Room 101 updated: double, up to 2, 150,000 KRW/night, in service")
    rooms = await say(manager, "/rooms", "Rooms of Seaside Inn")
    menu = await tap(manager, rooms, "102 ·", "What do you want to change?")
    await tap(
        manager, menu, "Take out of service", "Room 102 updated: double, up to 2, 120,000 KRW/night, out of service"
    )
    menu = await tap(manager, await say(manager, "/rooms", "Rooms of"), "103 ·", "What do you want to change?")
    await tap(manager, menu, "Capacity", "New capacity for room 103")
    await say(manager, "25", "A room takes 1 to 20 guests")
    await say(manager, "3", "Room 103 updated: single, up to 3")

    async def board_shows(text: str, page_text: str) -> object:
        for _ in range(100):
            board = await say(manager, "/board", "Seaside Inn — page")
            if text in board.text:
                assert page_text in board.text
                return board
        raise AssertionError(board.text)

    board = await board_shows("150,000 KRW", "page 1/2")
    assert "Room 102 (double, 2p, 120,000 KRW) · out of service" in board.text
    second = await tap(manager, board, "Next ›", "page 2/2")
    assert "Room 109" in second.text and "Room 101" not in second.text
    await tap(manager, second, "‹ Prev", "page 1/2")
    # the edits reached the guests' side: room 102 is no longer offered
    guest = api.user(GUEST, "Gus")
    await say(guest, "/book", "check-in")


async def test_admin_commands_report_and_refuse(sqlite_world: World) -> None:
    api = sqlite_world.api
    await setup_hotel(sqlite_world)
    admin = api.users[ADMIN]
    await say(admin, "/addhotel only two | parts", "Usage: /addhotel")
    await say(admin, "/addhotel X | Y | Mars/Base | EUR", "I do not know the timezone Mars/Base")
    await say(admin, "/grant abc 1", "Usage: /grant")
    await say(admin, "/grant 5 99", "could not find that hotel")
    hotels = await say(admin, "/hotels", "Seaside Inn")
    assert f"managers: {MANAGER}" in hotels.text
    stats = await say(admin, "/stats", "Pending approvals")
    assert "Outbox backlog" in stats.text and "Dead letters: 0" in stats.text
    await say(admin, "/dlq", "No dead letters")
    await say(admin, "/dlq nobody", "Usage: /replay")
    await say(admin, "/replay payment", "0 dead letter(s) of payment sent back")
    guest = api.user(GUEST, "Gus")
    for command in ("/stats", "/dlq", "/replay payment", "/grant 1 1", "/hotels"):
        await say(guest, command, "not allowed")
