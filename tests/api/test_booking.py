"""A guest books through the HTTP API; the hotel's managers hear of it in Telegram, decide in the
chat or through the API, and each side sees the other's decision. On SQLite with the in-process
bus and on PostgreSQL with RabbitMQ."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.texts import reservation_code
from tests.api.conftest import GUEST, GUEST2, MANAGER, Gateway, eventually, hotel_with_room
from tests.e2e.conftest import say, tap

pytestmark = pytest.mark.e2e


def stay(days_ahead: int = 3, nights: int = 2) -> tuple[str, str]:
    start = datetime.now(ZoneInfo("Asia/Seoul")).date() + timedelta(days=days_ahead)
    return start.isoformat(), (start + timedelta(days=nights)).isoformat()


async def reservation_of(g: Gateway, guest: int, reservation_id: str) -> dict[str, Any]:
    r = await g.call("GET", f"/api/v1/reservations/{reservation_id}", guest)
    return r.json() if r.status_code == 200 else {}


async def test_a_booking_through_the_api_reaches_the_managers_and_an_approval_in_the_chat_confirms_it(
    gateway: Gateway,
) -> None:
    g = gateway
    manager = g.api.user(MANAGER, "Mia")
    menu = await say(manager, "/start", "Pick your language")
    await tap(manager, menu, "English", "Language set")
    hotel_id, room_id = await hotel_with_room(g)
    check_in, check_out = stay()

    r = await g.call(
        "GET", f"/api/v1/hotels/{hotel_id}/availability", GUEST, params={"check_in": check_in, "check_out": check_out}
    )
    assert r.status_code == 200, r.text
    [offer] = r.json()["items"]
    assert offer["room_id"] == room_id and offer["total"] == 24_000
    assert [n["price"] for n in offer["nights"]] == [12_000, 12_000]

    body = {
        "room_id": room_id,
        "check_in": check_in,
        "check_out": check_out,
        "guests": 2,
        "total": 24_000,
        "currency": "EUR",
    }
    key = {"Idempotency-Key": "order-1"}
    r = await g.call("POST", "/api/v1/reservations", GUEST, json=body, headers=key)
    assert r.status_code == 201, r.text
    placed = r.json()
    assert placed["status"] == "placed" and placed["total_price"] == 24_000
    reservation_id = placed["reservation_id"]

    # The same key again: the same answer, and no second booking or charge.
    again = await g.call("POST", "/api/v1/reservations", GUEST, json=body, headers=key)
    assert again.status_code == 201 and again.json() == placed
    # The same key with another body is refused.
    other = await g.call("POST", "/api/v1/reservations", GUEST, json={**body, "guests": 1}, headers=key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    # Without a key, the same room and nights are taken now.
    taken = await g.call("POST", "/api/v1/reservations", GUEST2, json=body)
    assert taken.status_code == 409 and taken.json()["code"] == "room_taken"
    assert taken.headers["content-type"].startswith("application/problem+json")

    # The managers are told in Telegram, and the request waits in the API's list and on the board.
    request = await manager.expect(f"New reservation {reservation_code(reservation_id)}", timeout=20)

    async def waiting() -> list[str]:
        r = await g.call("GET", f"/api/v1/manager/hotels/{hotel_id}/requests", MANAGER, "manager")
        return [row["reservation_id"] for row in r.json()["items"]]

    assert await eventually(waiting) == [reservation_id]
    mine = await g.call("GET", "/api/v1/reservations", GUEST)
    assert [row["reservation_id"] for row in mine.json()["items"]] == [reservation_id]  # once, not twice

    # Approved in the chat: confirmed in the API.
    await tap(manager, request, "✅ Approve", "Approved by Mia")

    async def confirmed() -> bool:
        return (await reservation_of(g, GUEST, reservation_id)).get("status") == "confirmed"

    await eventually(confirmed, timeout=20)
    board = await g.call("GET", f"/api/v1/manager/hotels/{hotel_id}/board", MANAGER, "manager")
    assert board.status_code == 200
    assert [row["status"] for row in board.json()["reservations"]] == ["confirmed"]
    assert [room["number"] for room in board.json()["rooms"]] == ["101"]

    # Someone else's reservation does not exist for them.
    assert (await g.call("GET", f"/api/v1/reservations/{reservation_id}", GUEST2)).status_code == 404
    cancel = await g.call("POST", f"/api/v1/reservations/{reservation_id}/cancel", GUEST2)
    assert cancel.status_code == 404 and cancel.json()["code"] == "not_found"

    # The guest cancels through the API and is refunded.
    cancel = await g.call("POST", f"/api/v1/reservations/{reservation_id}/cancel", GUEST)
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"

    async def refunded() -> bool:
        row = await reservation_of(g, GUEST, reservation_id)
        return row.get("status") == "cancelled" and row.get("payment_status") == "refunded"

    await eventually(refunded, timeout=20)


async def test_a_manager_decides_through_the_api_and_the_guest_is_told_in_telegram(gateway: Gateway) -> None:
    g = gateway
    guest = g.api.user(GUEST, "Gus")
    menu = await say(guest, "/start", "Pick your language")
    await tap(guest, menu, "English", "Language set")
    _, room_id = await hotel_with_room(g)
    booked = []
    for days_ahead in (3, 6):
        check_in, check_out = stay(days_ahead=days_ahead, nights=1)
        body = {"room_id": room_id, "check_in": check_in, "check_out": check_out, "guests": 1}
        r = await g.call("POST", "/api/v1/reservations", GUEST, json=body)
        assert r.status_code == 201, r.text
        booked.append(r.json()["reservation_id"])
    rejected_id, approved_id = booked

    async def decide(reservation_id: str, action: str, **kw: Any) -> Any:
        async def attempt() -> Any:
            path = f"/api/v1/manager/requests/{reservation_id}/{action}"
            r = await g.call("POST", path, MANAGER, "manager", **kw)
            return r if r.status_code != 404 else None  # the hotel records the request asynchronously

        return await eventually(attempt)

    r = await decide(rejected_id, "reject", json={"reason": "Closed for repairs"})
    assert r.status_code == 200 and r.json()["status"] == "rejected", r.text
    again = await g.call("POST", f"/api/v1/manager/requests/{rejected_id}/approve", MANAGER, "manager")
    assert again.status_code == 409 and again.json()["code"] == "already_decided"
    await guest.expect(f"could not accept reservation {reservation_code(rejected_id)}: Closed for repairs", 20)

    r = await decide(approved_id, "approve")
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    await guest.expect(f"confirmed your reservation {reservation_code(approved_id)}", 20)

    async def settled() -> bool:
        rejected = await reservation_of(g, GUEST, rejected_id)
        approved = await reservation_of(g, GUEST, approved_id)
        return (rejected.get("status"), rejected.get("payment_status"), approved.get("status")) == (
            "rejected",
            "refunded",
            "confirmed",
        )

    await eventually(settled, timeout=20)


async def test_rooms_are_added_changed_and_taken_out_of_service(gateway: Gateway) -> None:
    g = gateway
    hotel_id, room_id = await hotel_with_room(g)
    r = await g.call(
        "PATCH",
        f"/api/v1/manager/rooms/{room_id}",
        MANAGER,
        "manager",
        json={"price_per_night": 15_000, "in_service": False},
    )
    assert r.status_code == 200 and r.json()["in_service"] is False and r.json()["price_per_night"] == 15_000
    bad = await g.call(
        "POST",
        f"/api/v1/manager/hotels/{hotel_id}/rooms",
        MANAGER,
        "manager",
        json={"number": "102", "capacity": 0, "price_per_night": 100},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "room_capacity_out_of_range"
    assert bad.json()["detail"]  # the chat's own sentence
    dup = await g.call(
        "POST",
        f"/api/v1/manager/hotels/{hotel_id}/rooms",
        MANAGER,
        "manager",
        json={"number": "101", "price_per_night": 100},
    )
    assert dup.status_code == 409 and dup.json()["code"] == "room_number_taken"
    rooms = await g.call("GET", f"/api/v1/manager/hotels/{hotel_id}/rooms", MANAGER, "manager")
    assert [(x["number"], x["in_service"]) for x in rooms.json()["items"]] == [("101", False)]
    check_in, check_out = stay()

    async def none_free() -> bool:
        r = await g.call(
            "GET",
            f"/api/v1/hotels/{hotel_id}/availability",
            GUEST,
            params={"check_in": check_in, "check_out": check_out},
        )
        return r.json()["items"] == []

    await eventually(none_free)


async def test_the_same_idempotency_key_sent_at_once_books_and_charges_once(gateway: Gateway) -> None:
    g = gateway
    _, room_id = await hotel_with_room(g)
    check_in, check_out = stay(days_ahead=4, nights=1)
    body = {"room_id": room_id, "check_in": check_in, "check_out": check_out, "guests": 1}
    key = {"Idempotency-Key": "retry-storm"}
    answers = await asyncio.gather(
        *(g.call("POST", "/api/v1/reservations", GUEST, json=body, headers=key) for _ in range(5))
    )
    assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
    placed = {a.json()["reservation_id"] for a in answers if a.status_code == 201}
    assert len(placed) == 1

    async def listed() -> list[str]:
        r = await g.call("GET", "/api/v1/reservations", GUEST)
        return [row["reservation_id"] for row in r.json()["items"]]

    assert await eventually(listed) == list(placed)
    later = await g.call("POST", "/api/v1/reservations", GUEST, json=body, headers=key)
    assert later.status_code == 201 and later.json()["reservation_id"] in placed


async def test_a_booking_is_answered_while_telegram_is_still_taking_the_chat_receipt(
    sqlite_gateway: Gateway,
) -> None:
    """Telegram takes ~30 messages a second from a bot: a crowd booking through the gateway must
    not wait in that queue for its answer. The receipt follows the answer."""
    g = sqlite_gateway
    guest = g.api.user(GUEST, "Gina")
    _, room_id = await hotel_with_room(g)
    check_in, check_out = stay()
    receipt_sent, telegram_answers = asyncio.Event(), asyncio.Event()
    send_message = g.api._methods["sendmessage"]

    async def slow_for_the_guest(params: dict[str, Any]) -> Any:
        if int(params.get("chat_id", 0)) == GUEST:
            receipt_sent.set()
            await telegram_answers.wait()
        return await send_message(params)

    g.api._methods["sendmessage"] = slow_for_the_guest
    body = {"room_id": room_id, "check_in": check_in, "check_out": check_out, "guests": 1}
    r = await asyncio.wait_for(g.call("POST", "/api/v1/reservations", GUEST, json=body), timeout=10)
    assert r.status_code == 201, r.text
    await asyncio.wait_for(receipt_sent.wait(), timeout=10)  # on its way, Telegram not done yet
    assert not [m for m in guest.inbox if "Paid" in m.text]
    # a gateway told to stop meanwhile waits for the receipt before the bot closes
    stopping = asyncio.create_task(g.runtime.gateway.stop())
    await asyncio.sleep(0.5)
    assert not stopping.done()
    telegram_answers.set()
    receipt = await guest.expect("Paid — thank you!", timeout=20)
    assert f"Reservation {reservation_code(r.json()['reservation_id'])}" in receipt.text
    await asyncio.wait_for(stopping, timeout=10)


async def test_availability_comes_a_page_at_a_time_each_room_with_its_own_quote(sqlite_gateway: Gateway) -> None:
    g = sqlite_gateway
    hotel_id, _ = await hotel_with_room(g, price=12_000)
    for number, price in (("102", 9_000), ("103", 15_000)):
        body = {"number": number, "room_type": "double", "capacity": 2, "price_per_night": price}
        r = await g.call("POST", f"/api/v1/manager/hotels/{hotel_id}/rooms", MANAGER, "manager", json=body)
        assert r.status_code == 201, r.text
    check_in, check_out = stay(nights=2)
    query = {"check_in": check_in, "check_out": check_out}

    async def offered(**more: Any) -> dict[str, Any]:
        r = await g.call("GET", f"/api/v1/hotels/{hotel_id}/availability", GUEST, params={**query, **more})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def all_three_in_the_catalog() -> bool:
        return len((await offered(limit=10))["items"]) == 3

    await eventually(all_three_in_the_catalog)
    first = await offered(limit=2)
    assert [(o["number"], o["total"]) for o in first["items"]] == [("102", 18_000), ("101", 24_000)]
    assert [n["price"] for n in first["items"][0]["nights"]] == [9_000, 9_000]
    assert first["next_offset"] == 2
    rest = await offered(limit=2, offset=2)
    assert [(o["number"], o["total"]) for o in rest["items"]] == [("103", 30_000)]
    assert rest["next_offset"] is None
