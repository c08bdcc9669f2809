"""A hotel's terms through the HTTP API: read with their revision, replaced with the revision they
were read at (a change built on an older copy is a 409, never an overwrite), every broken rule a
422 problem naming it; guests checked in and out; the admins' default policy for new hotels."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.api.conftest import ADMIN, GUEST, MANAGER, OTHER_MANAGER, Gateway, eventually, hotel_with_room

pytestmark = pytest.mark.e2e


def _season(first: str, last: str, rate: dict[str, int]) -> dict[str, Any]:
    return {"seasons": [{"name": "X", "first_night": first, "last_night": last, "rate": rate}]}


def _path(hotel_id: int) -> str:
    return f"/api/v1/manager/hotels/{hotel_id}/terms"


async def test_a_manager_reads_and_replaces_the_terms_and_a_stale_copy_is_refused(gateway: Gateway) -> None:
    g = gateway
    hotel_id, room_id = await hotel_with_room(g)
    r = await g.call("GET", _path(hotel_id), MANAGER, "manager")
    assert r.status_code == 200, r.text
    terms = r.json()
    assert terms["revision"] == 0 and terms["currency"] == "EUR" and terms["weekend_days"] == [4, 5]
    assert terms["policy"] == {"kind": "free_until", "free_days": 1, "fee": "first_night", "percent": 100}

    change: dict[str, Any] = {
        "expected_revision": 0,
        "seasons": [
            {
                "name": "Christmas",
                "first_night": "2026-12-24",
                "last_night": "2026-12-26",
                "rate": {"percent": 25},
                "room_id": room_id,
            }
        ],
        "weekend_days": [5, 6],
        "weekend_rates": [{"rate": {"amount": 15_000}}],
        "extra_guests": [{"included": 2, "per_night": 2_000}],
        "min_nights": 2,
        "max_nights": 14,
        "min_stays": [{"nights": 3, "arrival_weekday": 4}],
        "check_in_time": "14:00",
        "check_out_time": "10:30",
        "policy": {"kind": "free_until", "free_days": 3, "fee": "percent", "percent": 50},
    }
    r = await g.call("PUT", _path(hotel_id), MANAGER, "manager", json=change)
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["revision"] == 1
    assert saved["seasons"][0]["rate"] == {"amount": None, "percent": 25} and saved["seasons"][0]["room_id"] == room_id
    assert saved["policy"]["percent"] == 50 and saved["min_stays"][0]["arrival_weekday"] == 4
    assert (await g.call("GET", _path(hotel_id), MANAGER, "manager")).json() == saved

    # Built on revision 0 again: another change came first; nothing is overwritten.
    stale = await g.call("PUT", _path(hotel_id), MANAGER, "manager", json={**change, "check_in_time": "16:00"})
    assert stale.status_code == 409 and stale.json()["code"] == "invalid_terms"
    assert stale.json()["params"]["rule"] == "stale"
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert (await g.call("GET", _path(hotel_id), MANAGER, "manager")).json()["check_in_time"] == "14:00"


@pytest.mark.parametrize(
    ("broken", "rule"),
    [
        (_season("2026-12-26", "2026-12-24", {"amount": 1}), "season_order"),
        (_season("2026-12-24", "2026-12-26", {"percent": 900}), "percent"),
        (_season("2026-12-24", "2026-12-26", {}), "rate"),
        ({"weekend_rates": [{"rate": {"amount": -5}}]}, "amount"),
        ({"min_nights": 5, "max_nights": 2}, "max_nights"),
        ({"min_stays": [{"nights": 2}]}, "min_stay_when"),
        ({"check_in_time": "25:00"}, "time"),
        ({"policy": {"kind": "free_until", "free_days": 0}}, "free_days"),
        ({"policy": {"fee": "percent", "percent": 150}}, "fee_percent"),
        ({"weekend_days": [7]}, "weekday"),
    ],
)
async def test_every_broken_rule_is_a_422_naming_it_and_changes_nothing(
    sqlite_gateway: Gateway, broken: dict[str, Any], rule: str
) -> None:
    g = sqlite_gateway
    hotel_id, _ = await hotel_with_room(g)
    r = await g.call("PUT", _path(hotel_id), MANAGER, "manager", json={"expected_revision": 0, **broken})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid_terms" and r.json()["params"]["rule"] == rule
    assert "Nothing was changed" in r.json()["detail"]
    assert (await g.call("GET", _path(hotel_id), MANAGER, "manager")).json()["revision"] == 0


async def test_only_the_hotels_managers_see_and_change_its_terms(sqlite_gateway: Gateway) -> None:
    g = sqlite_gateway
    hotel_id, _ = await hotel_with_room(g)
    await g.call(
        "POST", "/api/v1/admin/hotels", ADMIN, "admin", json={"name": "Hill", "city": "Seoul", "timezone": "UTC"}
    )
    assert (await g.call("PUT", f"/api/v1/admin/hotels/2/managers/{OTHER_MANAGER}", ADMIN, "admin")).status_code == 200
    for method, body in (("GET", None), ("PUT", {"expected_revision": 0})):
        assert (await g.call(method, _path(hotel_id), OTHER_MANAGER, "manager", json=body)).status_code == 403
        assert (await g.call(method, _path(hotel_id), GUEST, "guest", json=body)).status_code == 403
    # A rule naming a room of another hotel (or none) is refused.
    foreign = {"expected_revision": 0, "weekend_rates": [{"rate": {"amount": 1}, "room_id": str(ADMIN).zfill(32)}]}
    r = await g.call("PUT", _path(hotel_id), MANAGER, "manager", json=foreign)
    assert r.status_code == 404 and r.json()["code"] == "not_found"


async def test_a_guest_is_checked_in_and_out_through_the_api(gateway: Gateway) -> None:
    g = gateway
    hotel_id, room_id = await hotel_with_room(g)
    today = datetime.now(ZoneInfo("Asia/Seoul")).date()
    body = {
        "room_id": room_id,
        "check_in": today.isoformat(),
        "check_out": (today + timedelta(days=2)).isoformat(),
        "guests": 1,
    }
    r = await g.call("POST", "/api/v1/reservations", GUEST, json=body)
    assert r.status_code == 201, r.text
    reservation_id = r.json()["reservation_id"]
    stay = f"/api/v1/manager/reservations/{reservation_id}"

    async def recorded() -> Any:
        r = await g.call("POST", f"{stay}/check-in", MANAGER, "manager")
        return r if r.status_code != 404 else None  # the hotel records the request asynchronously

    early = await eventually(recorded)
    assert early.status_code == 409 and early.json()["code"] == "not_staying"  # not approved yet
    r = await g.call("POST", f"/api/v1/manager/requests/{reservation_id}/approve", MANAGER, "manager")
    assert r.status_code == 200, r.text

    assert (await g.call("POST", f"{stay}/check-in", OTHER_MANAGER, "manager")).status_code == 403
    r = await g.call("POST", f"{stay}/check-in", MANAGER, "manager")
    assert r.status_code == 200, r.text
    assert r.json() == {"reservation_id": reservation_id, "hotel_id": hotel_id, "stay": "checked_in", "on": str(today)}
    again = await g.call("POST", f"{stay}/check-in", MANAGER, "manager")
    assert again.status_code == 409 and again.json()["code"] == "not_staying"
    r = await g.call("POST", f"{stay}/check-out", MANAGER, "manager")
    assert r.status_code == 200 and r.json()["stay"] == "checked_out", r.text
    assert r.json()["on"] == str(today + timedelta(days=1))  # one night stayed: the rest is free again
    unknown = await g.call("POST", f"/api/v1/manager/reservations/{'0' * 32}/check-out", MANAGER, "manager")
    assert unknown.status_code == 404


async def test_an_admin_sets_the_policy_new_hotels_start_with(sqlite_gateway: Gateway) -> None:
    g = sqlite_gateway
    policy = {"kind": "free_until", "free_days": 7, "fee": "percent", "percent": 30}
    assert (await g.call("PUT", "/api/v1/admin/default-policy", MANAGER, "manager", json=policy)).status_code == 403
    bad = await g.call("PUT", "/api/v1/admin/default-policy", ADMIN, "admin", json={**policy, "free_days": 0})
    assert bad.status_code == 422 and bad.json()["params"]["rule"] == "free_days"
    r = await g.call("PUT", "/api/v1/admin/default-policy", ADMIN, "admin", json=policy)
    assert r.status_code == 200 and r.json() == policy, r.text
    hotel_id, _ = await hotel_with_room(g)
    terms = (await g.call("GET", _path(hotel_id), MANAGER, "manager")).json()
    assert terms["policy"] == policy
