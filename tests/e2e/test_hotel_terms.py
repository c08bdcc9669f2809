"""Managers set their hotel's prices, stay rules, times and cancellation policy in the chat (/terms):
each answer a question asks for, a refused one said why and asked again, the terms unchanged; a
change built on terms another manager changed meanwhile is refused, not overwritten. Guests are
checked in and out from the board. Admins set the policy new hotels start with."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot import callbacks as cb
from bot.texts import reservation_code
from tests.botapi import Message, User
from tests.e2e.conftest import ADMIN, GUEST, MANAGER, OTHER_MANAGER, World, say, tap
from tests.e2e.test_scenario import book, seoul_today, setup_hotel

pytestmark = pytest.mark.e2e


async def test_a_manager_adds_a_season_and_sets_the_policy_and_every_bad_answer_is_asked_again(
    world: World,
) -> None:
    await setup_hotel(world)
    manager = world.api.users[MANAGER]
    terms = await say(manager, "/terms", "Prices and policy of Seaside Inn")
    assert "Seasons and events: none" in terms.text
    assert "Cancellation: free until 1 day(s) before check-in, then a fee of the first night" in terms.text

    await tap(manager, terms, "➕ Season or event", "What is its name?")
    await say(manager, "Christmas", "Its first night?")
    refused = await say(manager, "24 December", "I could not read that day.")
    assert "Its first night?" in refused.text  # the same question again
    await say(manager, "2026-12-24", "Its last night")
    refused = await say(manager, "2026-12-20", "The last day cannot be before the first day.")
    assert "Its last night" in refused.text
    await say(manager, "2026-12-26", "The price a night")
    await say(manager, "a lot", "I could not read that as a price.")
    refused = await say(manager, "+900%", "A percentage must be from -90% to +500%.")
    assert "The price a night" in refused.text
    rooms = await say(manager, "+25%", "For every room, or one room?")
    await say(manager, "101", "Please tap one of the buttons above")  # asked with buttons
    saved = await tap(manager, rooms, "room 101", "✅ Saved.")
    assert "Christmas: nights 2026-12-24 → 2026-12-26, base price +25% (room 101)" in saved.text

    kinds = await tap(manager, saved, "↩️ Cancellation policy", "Which cancellation policy?")
    await tap(manager, kinds, "Free until some days before, then a fee", "Free cancellation until how many")
    await say(manager, "three", "Please send a whole number")
    await say(manager, "3", "what does it cost?")
    refused = await say(manager, "150%", "A cancellation fee is 0% to 100% of the total.")
    assert "what does it cost?" in refused.text
    saved = await say(manager, "50%", "✅ Saved.")
    assert "Cancellation: free until 3 day(s) before check-in, then a fee of 50%" in saved.text
    assert "Christmas" in saved.text  # the season is still there

    # The rules live with the hotel: shown again the same later.
    again = await say(manager, "/terms", "Prices and policy of Seaside Inn")
    assert "base price +25% (room 101)" in again.text and "then a fee of 50%" in again.text


async def test_weekend_extra_guests_stay_limits_times_and_a_rule_removed(sqlite_world: World) -> None:
    await setup_hotel(sqlite_world)
    manager = sqlite_world.api.users[MANAGER]
    terms = await say(manager, "/terms", "Prices and policy of Seaside Inn")
    assert "Weekend nights: Fri, Sat" in terms.text

    days = await tap(manager, terms, "📅 Weekend", "Which nights are the weekend?")
    await tap(manager, days, "✅ Fri", "Which nights")  # Friday off
    await tap(manager, days, "Sun", "Which nights")  # Sunday on
    await tap(manager, days, "Done", "The weekend price a night")
    saved = await say(manager, "150000", "✅ Saved.")
    assert "Weekend nights: Sat, Sun" in saved.text and "weekend price 150,000 KRW (every room)" in saved.text

    await tap(manager, saved, "👥 Extra guests", "How many guests does a room's price include?")
    await say(manager, "0", "The guests included must be from 1 to 20.")
    await say(manager, "1", "for each guest beyond 1")
    await say(manager, "12.5", "could not read that as a price")
    saved = await say(manager, "20000", "✅ Saved.")
    assert "beyond 1 guest(s): 20,000 KRW per guest a night (every room)" in saved.text

    await tap(manager, saved, "🌙 Min/max nights", "The fewest nights")
    await say(manager, "2", "The most nights")
    refused = await say(manager, "1", "The maximum must be at least the minimum")
    assert "The most nights" in refused.text
    saved = await say(manager, "14", "✅ Saved.")
    assert "Stay: at least 2 night(s), at most 14" in saved.text

    when = await tap(manager, saved, "📏 Minimum stay", "for arrivals on which day?")
    await tap(manager, when, "Fri", "At least how many nights?")
    saved = await say(manager, "3", "✅ Saved.")
    assert "at least 3 nights for arrivals on Fri (every room)" in saved.text

    await tap(manager, saved, "🕒 Check-in/out times", "Check-in from and check-out until?")
    await say(manager, "after lunch", "I could not read those times.")
    await say(manager, "25:00 11:00", "Times are written as HH:MM")
    saved = await say(manager, "14:00 10:30", "✅ Saved.")
    assert "Check-in from 14:00, check-out until 10:30" in saved.text

    listing = await tap(manager, saved, "🗑 Remove a rule", "Which rule should go?")
    extra = listing.button_data("🗑 beyond 1 guest(s)")
    saved = await tap(manager, listing, "🗑 weekend price", "✅ Saved.")
    assert "weekend price" not in saved.text and "at least 3 nights for arrivals on Fri" in saved.text
    # A button of the list as it was names a revision that is gone: nothing more is removed.
    await manager.press_data(saved, extra)
    stale = await manager.expect("These terms changed while you were editing", after=0)
    assert "beyond 1 guest(s): 20,000 KRW" in stale.text


async def test_a_stale_edit_is_refused_and_a_forged_button_changes_nothing(sqlite_world: World) -> None:
    await setup_hotel(sqlite_world)
    api = sqlite_world.api
    admin, mia = api.users[ADMIN], api.users[MANAGER]
    other = api.user(OTHER_MANAGER, "Olga")
    await say(admin, f"/grant {OTHER_MANAGER} 1", "now manages hotel 1")
    await tap(other, await say(other, "/start", "Pick your language"), "English", "Language set")

    terms = await say(mia, "/terms", "Prices and policy")
    await tap(mia, terms, "🕒 Check-in/out times", "Check-in from and check-out until?")
    olga_terms = await say(other, "/terms", "Prices and policy")
    await tap(other, olga_terms, "🕒 Check-in/out times", "Check-in from and check-out until?")
    await say(other, "16:00 10:00", "✅ Saved.")

    refused = await say(mia, "14:00 12:00", "These terms changed while you were editing")
    assert "Check-in from 16:00, check-out until 10:00" in refused.text  # Olga's change stands
    await tap(mia, refused, "🕒 Check-in/out times", "Check-in from and check-out until?")
    saved = await say(mia, "14:00 12:00", "✅ Saved.")  # made again on the terms as they are now
    assert "Check-in from 14:00, check-out until 12:00" in saved.text
    before = len(mia.answers)
    for forged in ("rm:z:0:2", "rm:s:x:2", "room:nothex", "wd:9"):  # even from the hotel's manager
        await mia.press_data(saved, f"{cb.TERMS}:1:{forged}")
    await _answered(mia, before + 4)
    assert {a.get("text") for a in mia.answers[before:]} == {"This button is no longer valid. Nothing was changed."}

    guest = api.user(GUEST, "Gus")
    await tap(guest, await say(guest, "/start", "Pick your language"), "English", "Language set")
    probe = await say(guest, "/help", "/book")
    before = len(guest.answers)
    await guest.press_data(probe, cb.pack(cb.TERMS, 1, "times"))
    await guest.press_data(probe, f"{cb.TERMS}:one:times")
    await guest.press_data(probe, cb.pack(cb.TERMS, 1, "rm", "s", 0, 1))
    await _answered(guest, before + 3)
    assert [a.get("text") for a in guest.answers[before:]] == [
        "Sorry, you are not allowed to do that.",
        "This button is no longer valid. Nothing was changed.",
        "Sorry, you are not allowed to do that.",
    ]
    await say(guest, "15:00 11:00", "I did not understand that")  # no question was opened for them
    unchanged = await say(mia, "/terms", "Prices and policy")
    assert "Check-in from 14:00, check-out until 12:00" in unchanged.text


async def _answered(user: User, count: int, timeout: float = 10) -> None:
    for _ in range(int(timeout / 0.05)):
        if len(user.answers) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{user!r}: {len(user.answers)} answers, not {count}")


async def _board_with_stay(manager: User, code: str) -> Message:
    """/board until the confirmed stay shows (the view follows the events)."""
    for _ in range(60):
        board = await say(manager, "/board", "📋 Seaside Inn")
        if any(code in button for button in board.buttons()):
            return board
        await asyncio.sleep(0.25)
    raise AssertionError(f"{code} never got a button on the board")


async def test_a_guest_arriving_today_is_checked_in_and_out_from_the_board(world: World) -> None:
    await setup_hotel(world)
    manager = world.api.users[MANAGER]
    today = seoul_today()
    code = await book(world, GUEST, "Gus", today, 2, "101")
    await tap(manager, await manager.expect(f"New reservation {code}"), "✅ Approve", "Approved by Mia")
    later = await book(world, GUEST, "Gus", today + timedelta(days=5), 1, "102")
    later_request = await manager.expect(f"New reservation {later}")
    later_id = _rid(later_request)
    await tap(manager, later_request, "✅ Approve", "Approved by Mia")

    board = await _board_with_stay(manager, code)
    assert not any(later in button for button in board.buttons())  # not arriving today: no button
    card = await tap(manager, board, f"🛎 {code} · room 101 · Gus", f"Reservation {code}")
    assert "Expected" in card.text and "🧳 Check out" not in card.buttons()
    card = await tap(manager, card, "🛎 Check in", f"Checked in on {today}")
    assert manager.answers[-1].get("text") == "Checked in." and "🛎 Check in" not in card.buttons()
    card = await tap(manager, card, "🧳 Check out", "Checked out on")
    assert manager.answers[-1].get("text") == "Checked out." and "🧳 Check out" not in card.buttons()

    # A forged press for a stay that begins on a later day is refused politely and changes nothing.
    before = len(manager.answers)
    await manager.press_data(card, cb.pack(cb.CHECK_IN, later_id))
    await _answered(manager, before + 1)
    assert manager.answers[-1].get("text") not in ("Checked in.", None)
    card = await manager.expect(f"Reservation {later}")
    assert "Expected" in card.text and "🛎 Check in" not in card.buttons()  # arrives on a later day


def _rid(request: Message) -> str:
    """The reservation id an approval request's Approve button carries."""
    return request.button_data("✅").split(":")[1]


async def test_only_the_hotels_managers_may_check_a_guest_in(sqlite_world: World) -> None:
    await setup_hotel(sqlite_world)
    manager = sqlite_world.api.users[MANAGER]
    code = await book(sqlite_world, GUEST, "Gus", seoul_today(), 1, "101")
    request = await manager.expect(f"New reservation {code}")
    rid = _rid(request)
    await tap(manager, request, "✅ Approve", "Approved by Mia")
    guest = sqlite_world.api.users[GUEST]
    probe = await say(guest, "/help", "/book")
    before = len(guest.answers)
    await guest.press_data(probe, f"{cb.CHECK_IN}:{rid}")
    await guest.press_data(probe, f"{cb.STAY}:{rid}")
    await guest.press_data(probe, f"{cb.CHECK_IN}:not-an-id")
    await _answered(guest, before + 3)
    assert [a.get("text") for a in guest.answers[before:]] == [
        "Sorry, you are not allowed to do that.",
        "Sorry, you are not allowed to do that.",
        "This button is no longer valid. Nothing was changed.",
    ]
    board = await _board_with_stay(manager, code)
    card = await tap(manager, board, f"🛎 {code}", f"Reservation {code}")
    assert "Expected" in card.text and "🛎 Check in" in card.buttons()  # still expected
    assert reservation_code(rid) == code


async def test_an_admin_sets_the_policy_new_hotels_start_with(sqlite_world: World) -> None:
    api = sqlite_world.api
    admin, manager = api.user(ADMIN, "Ada"), api.user(MANAGER, "Mia")
    await say(admin, "/defaultpolicy soon", "Usage: /defaultpolicy")
    await say(admin, "/defaultpolicy 400 50%", "Free cancellation can end 1 to 365 days before check-in.")
    await say(admin, "/defaultpolicy 2 150%", "A cancellation fee is 0% to 100% of the total.")
    await say(manager, "/defaultpolicy non-refundable", "not allowed")
    await say(
        admin,
        "/defaultpolicy 5 first-night",
        "start with this cancellation policy: free until 5 day(s) before check-in, then a fee of the first night.",
    )
    await say(admin, "/addhotel Seaside Inn | Busan | Asia/Seoul | KRW", "Hotel 1 added")
    await say(admin, f"/grant {MANAGER} 1", "now manages hotel 1")
    await tap(manager, await say(manager, "/start", "Pick your language"), "English", "Language set")
    terms = await say(manager, "/terms", "Prices and policy of Seaside Inn")
    assert "Cancellation: free until 5 day(s) before check-in, then a fee of the first night" in terms.text
    await say(admin, "/defaultpolicy non-refundable", "this cancellation policy: non-refundable")
    await say(admin, "/addhotel Hill Lodge | Seoul | Asia/Seoul | KRW", "Hotel 2 added")
    await say(admin, f"/grant {MANAGER} 2", "now manages hotel 2")
    picker = await say(manager, "/terms", "Which hotel?")
    terms = await tap(manager, picker, "Hill Lodge", "Prices and policy of Hill Lodge")
    assert "Cancellation: non-refundable" in terms.text


async def test_a_korean_manager_sets_a_minimum_stay_by_dates_in_korean(sqlite_world: World) -> None:
    await setup_hotel(sqlite_world)
    manager = sqlite_world.api.users[MANAGER]
    await tap(manager, await say(manager, "/language", "한국어"), "한국어", "언어가 한국어로 설정되었습니다")
    terms = await say(manager, "/terms", "요금 및 정책")
    when = await tap(manager, terms, "📏 최소 숙박 규칙", "어느 요일 도착에")
    await tap(manager, when, "📆 기간으로", "어느 날짜 도착부터?")
    await say(manager, "2026-12-30", "어느 날짜 도착까지")
    refused = await say(manager, "2026-12-01", "끝 날짜는 시작 날짜보다 앞설 수 없습니다.")
    assert "어느 날짜 도착까지" in refused.text
    await say(manager, "2027-01-02", "최소 몇 박인가요?")
    await say(manager, "1", "최소 숙박은 1박부터 365박까지입니다")
    saved = await say(manager, "3", "✅ 저장했습니다.")
    assert "2026-12-30부터 2027-01-02까지 도착 시 최소 3박 (모든 객실)" in saved.text
