"""Who may call what: bearer tokens (expired, altered, wrong key, alg=none), roles checked against
the hotel context on every request, the Mini App's initData exchange, and the admin's endpoints."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from api.auth import Tokens, sign_init_data
from tests.api.conftest import ADMIN, GUEST, KEYS, MANAGER, OTHER_MANAGER, Gateway, hotel_with_room
from tests.conftest import TOKEN

pytestmark = pytest.mark.e2e


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def status(g: Gateway, token: str, path: str = "/api/v1/reservations") -> int:
    r = await g.http.get(path, headers={"Authorization": f"Bearer {token}"})
    if r.status_code == 401:
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers["www-authenticate"] == "Bearer"
    return r.status_code


async def test_only_sound_tokens_of_ours_are_accepted(sqlite_gateway: Gateway) -> None:
    g = sqlite_gateway
    now = datetime.now(UTC)
    good = g.token(GUEST)
    assert await status(g, good) == 200
    assert await status(g, g.token(GUEST, kid="k1")) == 200  # the old key verifies until its tokens expire
    assert (await g.http.get("/api/v1/reservations")).status_code == 401  # no token at all

    expired = Tokens(KEYS).issue(GUEST, "guest", (), now - timedelta(hours=2), timedelta(hours=1))
    assert await status(g, expired) == 401
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    altered = ".".join([header, _b64({**claims, "sub": str(ADMIN), "role": "admin"}), signature])
    assert await status(g, altered, "/api/v1/admin/hotels") == 401
    wrong_key = Tokens({"k2": "somebody-elses-key-" + "x" * 48}).issue(GUEST, "guest", (), now, timedelta(hours=1))
    assert await status(g, wrong_key) == 401
    unknown_kid = Tokens({"k9": KEYS["k2"]}).issue(GUEST, "guest", (), now, timedelta(hours=1))
    assert await status(g, unknown_kid) == 401
    unsigned = ".".join([_b64({"alg": "none", "typ": "JWT", "kid": "k2"}), _b64(claims), ""])
    assert await status(g, unsigned) == 401
    hs512 = jwt.encode(claims, KEYS["k2"], algorithm="HS512", headers={"kid": "k2"})
    assert await status(g, hs512) == 401
    assert await status(g, "not-a-token") == 401


async def test_roles_come_from_the_hotel_context_on_every_request(gateway: Gateway) -> None:
    g = gateway
    hotel_id, room_id = await hotel_with_room(g)
    rooms = f"/api/v1/manager/hotels/{hotel_id}/rooms"
    assert (await g.call("GET", rooms, MANAGER, "manager")).status_code == 200
    # A guest's token, a manager of no hotel, and a manager's token on the admin's endpoints: 403.
    assert (await g.call("GET", rooms, GUEST)).status_code == 403
    assert (await g.call("GET", rooms, OTHER_MANAGER, "manager")).status_code == 403
    assert (await g.call("GET", "/api/v1/admin/hotels", MANAGER, "manager")).status_code == 403
    # A token that claims admin for someone not in ADMIN_IDS is still refused.
    assert (await g.call("GET", "/api/v1/admin/hotels", GUEST, "admin")).status_code == 403
    forbidden = await g.call("PATCH", f"/api/v1/manager/rooms/{room_id}", GUEST, "guest", json={"in_service": False})
    assert forbidden.status_code == 403 and forbidden.json()["status"] == 403

    # The admin grants another manager a second hotel; they may touch that one only.
    r = await g.call("POST", "/api/v1/admin/hotels", ADMIN, "admin", json={"name": "Hill", "city": "Seoul"})
    other_hotel = r.json()["id"]
    assert (
        await g.call("PUT", f"/api/v1/admin/hotels/{other_hotel}/managers/{OTHER_MANAGER}", ADMIN, "admin")
    ).is_success
    assert (
        await g.call("GET", f"/api/v1/manager/hotels/{other_hotel}/board", OTHER_MANAGER, "manager")
    ).status_code == 200
    assert (await g.call("GET", rooms, OTHER_MANAGER, "manager")).status_code == 403
    edit = await g.call("PATCH", f"/api/v1/manager/rooms/{room_id}", OTHER_MANAGER, "manager", json={"capacity": 3})
    assert edit.status_code == 403 and edit.json()["code"] == "not_allowed"

    # Revoked: the same token loses access on its very next request.
    token = g.auth(MANAGER, "manager")
    assert (await g.http.get(rooms, headers=token)).status_code == 200
    r = await g.call("DELETE", f"/api/v1/admin/hotels/{hotel_id}/managers/{MANAGER}", ADMIN, "admin")
    assert r.status_code == 200 and r.json() == {"hotel_id": hotel_id, "user_id": MANAGER, "manager": False}
    assert (await g.http.get(rooms, headers=token)).status_code == 403

    listing = await g.call("GET", "/api/v1/admin/hotels", ADMIN, "admin", params={"limit": 1})
    assert listing.status_code == 200
    page = listing.json()
    assert len(page["items"]) == 1 and page["next_offset"] == 1
    rest = await g.call("GET", "/api/v1/admin/hotels", ADMIN, "admin", params={"limit": 1, "offset": 1})
    assert [h["name"] for h in rest.json()["items"]] == ["Hill"] and rest.json()["next_offset"] is None
    assert rest.json()["items"][0]["managers"] == [OTHER_MANAGER]
    missing = await g.call("PUT", "/api/v1/admin/hotels/999/managers/5", ADMIN, "admin")
    assert missing.status_code == 404 and missing.json()["params"] == {"what": "hotel"}

    letters = await g.call("GET", "/api/v1/admin/dead-letters", ADMIN, "admin", params={"consumer": "notifier"})
    assert letters.status_code == 200 and letters.json()["items"] == []
    replay = await g.call("POST", "/api/v1/admin/dead-letters/view/replay", ADMIN, "admin")
    assert replay.status_code == 200 and replay.json() == {"consumer": "view", "replayed": 0}
    assert (await g.call("POST", "/api/v1/admin/dead-letters/nobody/replay", ADMIN, "admin")).status_code == 404
    assert (await g.call("GET", "/api/v1/admin/dead-letters", MANAGER, "manager")).status_code == 403


def init_data(user_id: int, auth_date: int, token: str = TOKEN) -> str:
    user = json.dumps({"id": user_id, "first_name": "Una", "language_code": "en"}, separators=(",", ":"))
    return sign_init_data({"auth_date": str(auth_date), "query_id": "AAE1", "user": user}, token)


async def test_mini_app_init_data_is_exchanged_for_a_token_only_when_telegram_signed_it(
    sqlite_gateway: Gateway,
) -> None:
    g = sqlite_gateway
    now = int(time.time())
    r = await g.http.post("/api/v1/auth/telegram", json={"init_data": init_data(ADMIN, now)})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["role"] == "admin" and answer["token_type"] == "bearer" and answer["expires_in"] > 0
    claims = jwt.decode(answer["access_token"], options={"verify_signature": False})
    assert claims["sub"] == str(ADMIN) and {"exp", "iat", "jti"} <= set(claims)
    assert jwt.get_unverified_header(answer["access_token"])["kid"] == "k2"
    headers = {"Authorization": f"Bearer {answer['access_token']}"}
    assert (await g.http.get("/api/v1/admin/hotels", headers=headers)).status_code == 200

    refused = [
        init_data(GUEST, now, token="654321:SOMEONE-ELSE"),  # signed for another bot
        init_data(GUEST, now).replace("Una", "Eve"),  # altered after signing
        init_data(GUEST, now - 2 * 3600),  # older than API_INIT_DATA_MAX_AGE_S
        init_data(GUEST, now).split("&hash=")[0],  # no hash at all
    ]
    for data in refused:
        r = await g.http.post("/api/v1/auth/telegram", json={"init_data": data})
        assert r.status_code == 401, (data, r.text)
        assert r.json()["code"] == "unauthorized"
