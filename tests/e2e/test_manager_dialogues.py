"""A manager's dialogues keep their place: a refused answer says why (each bound with its own
words, in the manager's language) and asks the same question again, with every earlier answer
kept; a room number already taken is said at the number; a typed rejection reason is taken."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.conftest import GUEST, MANAGER, World, pick_day, say, tap
from tests.e2e.test_scenario import book, seoul_today, setup_hotel

pytestmark = pytest.mark.e2e


async def test_a_too_high_price_is_answered_with_the_maximum_and_the_new_room_is_still_added(
    sqlite_world: World,
) -> None:
    await setup_hotel(sqlite_world)
    manager = sqlite_world.api.users[MANAGER]
    await say(manager, "/addroom", "What is its number")
    await say(manager, "201", "What type")
    await say(manager, "suite", "How many guests")
    await say(manager, "4", "Price per night in KRW")
    refused = await say(manager, "999999999999", "The price per night can be at most 100,000,000 KRW.")
    assert "above zero" not in refused.text and "Price per night in KRW" in refused.text
    refused = await say(manager, "0", "The price per night must be above zero.")
    assert "Price per night in KRW" in refused.text
    refused = await say(manager, "12.5", "could not read that as a price")
    assert "120000" in refused.text  # an example in the hotel's currency, which has no cents
    await say(manager, "250000", "Room 201 (suite, up to 4, 250,000 KRW/night) is added")


async def test_a_capacity_out_of_bounds_is_answered_with_the_bounds_and_asked_again(sqlite_world: World) -> None:
    await setup_hotel(sqlite_world)
    manager = sqlite_world.api.users[MANAGER]
    await say(manager, "/addroom", "What is its number")
    await say(manager, "202", "What type")
    await say(manager, "suite", "How many guests")
    refused = await say(manager, "25", "A room takes 1 to 20 guests.")
    assert "How many guests can it take? (1–20)" in refused.text  # the same question again
    await say(manager, "two", "Please send a whole number")
    await say(manager, "3", "Price per night in KRW")
    await say(manager, "90000", "Room 202 (suite, up to 3, 90,000 KRW/night) is added")


async def test_a_korean_manager_is_refused_in_korean_and_asked_again(sqlite_world: World) -> None:
    await setup_hotel(sqlite_world)
    manager = sqlite_world.api.users[MANAGER]
    menu = await say(manager, "/language", "한국어")
    await tap(manager, menu, "한국어", "언어가 한국어로 설정되었습니다")
    await say(manager, "/addroom", "객실 번호는?")
    refused = await say(manager, "1" * 17, "객실 번호은(는) 최대 16자까지 입력할 수 있습니다.")
    assert "객실 번호는?" in refused.text
    await say(manager, "301", "객실 유형은?")
    await say(manager, "스위트", "최대 몇 명")
    await say(manager, "30", "객실 인원은 1명부터 20명까지입니다.")
    await say(manager, "2", "1박 요금 (KRW)")
    refused = await say(manager, "999999999999", "1박 요금은 최대 100,000,000 KRW까지입니다.")
    assert "1박 요금 (KRW)" in refused.text
    await say(manager, "150000", "301호 (스위트, 최대 2명, 1박 150,000 KRW)가 추가되어")


async def test_a_room_number_the_hotel_has_is_refused_at_the_number(sqlite_world: World) -> None:
    await setup_hotel(sqlite_world)
    manager = sqlite_world.api.users[MANAGER]
    await say(manager, "/addroom", "What is its number")
    refused = await say(manager, "101", "This hotel already has a room 101.")
    assert "What is its number" in refused.text
    await say(manager, "103", "What type")


async def test_too_many_guests_before_a_room_is_chosen_speaks_of_the_hotels_rooms(sqlite_world: World) -> None:
    await setup_hotel(sqlite_world)
    guest = sqlite_world.api.user(GUEST, "Gus")
    check_in = seoul_today() + timedelta(days=3)
    calendar = await say(guest, "/book", "pick your check-in day")
    calendar = await pick_day(guest, calendar, check_in, "Now pick your check-out day")
    await pick_day(guest, calendar, check_in + timedelta(days=1), "How many guests")
    refused = await say(guest, "9", "take 1 to 2 guests")
    assert "This room" not in refused.text and "rooms of this hotel" in refused.text


async def test_the_receipt_states_the_number_of_nights(sqlite_world: World) -> None:
    await setup_hotel(sqlite_world)
    code = await book(sqlite_world, GUEST, "Gus", seoul_today() + timedelta(days=3), 2, "101")
    receipt = await sqlite_world.api.users[GUEST].expect(f"Reservation {code}")
    assert "Paid — thank you!" in receipt.text and "2 night(s)" in receipt.text


async def test_a_reason_typed_without_replying_is_taken_and_the_prompt_loses_its_buttons(
    sqlite_world: World,
) -> None:
    await setup_hotel(sqlite_world)
    manager = sqlite_world.api.users[MANAGER]
    code = await book(sqlite_world, GUEST, "Gus", seoul_today() + timedelta(days=3), 1, "101")
    request = await manager.expect(f"New reservation {code}")
    prompt = await tap(manager, request, "❌ Reject", "Why are you rejecting")
    await say(manager, "The pool is closed that week", "Done")
    await sqlite_world.api.users[GUEST].expect(f"could not accept reservation {code}: The pool is closed that week")
    await manager.expect("Rejected by Mia")
    assert not prompt.buttons()  # no reason button left to press (it could only answer "Too late")


async def test_while_asked_for_a_reason_the_next_text_is_the_reason_and_the_room_dialogue_waits(
    sqlite_world: World,
) -> None:
    await setup_hotel(sqlite_world)
    manager = sqlite_world.api.users[MANAGER]
    code = await book(sqlite_world, GUEST, "Gus", seoul_today() + timedelta(days=3), 1, "101")
    request = await manager.expect(f"New reservation {code}")
    await say(manager, "/addroom", "What is its number")
    await say(manager, "104", "What type")
    await tap(manager, request, "❌ Reject", "Why are you rejecting")
    await say(manager, "A" * 201, "The reason can be at most 200 characters.")  # still asked
    await say(manager, "Closed for works", "Done")
    await sqlite_world.api.users[GUEST].expect(f"could not accept reservation {code}: Closed for works")
    await say(manager, "suite", "How many guests")  # the new room's dialogue was waiting where it was
    await say(manager, "2", "Price per night in KRW")
    await say(manager, "100000", "Room 104 (suite, up to 2, 100,000 KRW/night) is added")


async def test_cancel_while_asked_for_a_reason_leaves_the_request_pending(sqlite_world: World) -> None:
    await setup_hotel(sqlite_world)
    manager = sqlite_world.api.users[MANAGER]
    code = await book(sqlite_world, GUEST, "Gus", seoul_today() + timedelta(days=3), 1, "101")
    request = await manager.expect(f"New reservation {code}")
    prompt = await tap(manager, request, "❌ Reject", "Why are you rejecting")
    await say(manager, "/cancel", f"{code} is not rejected")
    assert not prompt.buttons()
    await say(manager, "hello", "I did not understand that")  # no longer a reason
    await tap(manager, request, "✅ Approve", "Approved by Mia")


async def test_a_reason_button_reaches_the_guest_in_the_guests_language(sqlite_world: World) -> None:
    await setup_hotel(sqlite_world)
    manager = sqlite_world.api.users[MANAGER]
    await tap(manager, await say(manager, "/language", "한국어"), "한국어", "언어가 한국어로 설정되었습니다")
    code = await book(sqlite_world, GUEST, "Gus", seoul_today() + timedelta(days=3), 1, "101")
    request = await manager.expect(f"새 예약 {code}")
    prompt = await tap(manager, request, "❌ 거절", "거절하는 이유")
    await tap(manager, prompt, "만실입니다", "처리했습니다")
    await sqlite_world.api.users[GUEST].expect(f"could not accept reservation {code}: We are fully booked")
    await manager.expect("거절: 만실입니다")
