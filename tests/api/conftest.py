"""The HTTP gateway through its real server: the all-in-one runtime with the gateway on a free
port, against the Bot API stand-in, on SQLite with the in-process bus and on PostgreSQL with
RabbitMQ. Tokens are minted here with the same keys the server is given."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.auth import Tokens
from main.processes import Runtime
from tests.botapi import FakeBotApi
from tests.conftest import make_settings, truncate_all

ADMIN, MANAGER, OTHER_MANAGER, GUEST, GUEST2 = 1, 2, 3, 11, 12
KEYS = {"k2": "the-new-signing-key-" + "n" * 48, "k1": "the-old-key-still-verifying-" + "o" * 40}


@dataclass
class Gateway:
    api: FakeBotApi
    runtime: Runtime
    http: httpx.AsyncClient
    tokens: Tokens

    @property
    def url(self) -> str:
        return str(self.http.base_url)

    def token(self, user_id: int, role: str = "guest", ttl_s: int = 600, name: str = "", kid: str = "k2") -> str:
        tokens = Tokens({kid: KEYS[kid]})
        return tokens.issue(user_id, role, (), datetime.now(UTC), timedelta(seconds=ttl_s), name)

    def auth(self, user_id: int, role: str = "guest", name: str = "") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id, role, name=name)}"}

    async def call(self, method: str, path: str, user: int | None = None, role: str = "guest", **kw: Any) -> Any:
        headers = {**(self.auth(user, role) if user is not None else {}), **kw.pop("headers", {})}
        return await self.http.request(method, path, headers=headers, **kw)


@contextlib.asynccontextmanager
async def running_gateway(**extra: Any) -> AsyncIterator[Gateway]:
    api = FakeBotApi()
    await api.start()
    values: dict[str, Any] = {
        "telegram_api_base_url": api.base_url,
        "admin_ids": frozenset({ADMIN}),
        "api_host": "127.0.0.1",
        "api_port": 0,
        "jwt_keys": KEYS,
        "api_rate_per_s": 1000.0,
        **extra,
    }
    settings = make_settings(**values)
    runtime = Runtime(settings, api=True, relay_sweep_s=0.5)
    try:
        await runtime.start()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runtime.gateway.port}", timeout=30) as http:
            yield Gateway(api, runtime, http, Tokens(KEYS))
    finally:
        await runtime.stop()
        await api.stop()


@pytest.fixture(params=["sqlite+inprocess", "postgresql+rabbitmq"])
async def gateway(request: Any, sqlite_url: str, pg_url: str, amqp: Callable[..., dict]) -> AsyncIterator[Gateway]:
    if request.param == "sqlite+inprocess":
        extra: dict[str, Any] = {"database_url": sqlite_url}
    else:
        await truncate_all(pg_url)
        extra = {"database_url": pg_url, **amqp()}
    async with running_gateway(**extra) as g:
        yield g


@pytest.fixture
async def sqlite_gateway(sqlite_url: str) -> AsyncIterator[Gateway]:
    async with running_gateway(database_url=sqlite_url) as g:
        yield g


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15) -> Any:
    """The value of `check` once it is truthy (events travel asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = await check()
        if found:
            return found
        if loop.time() > deadline:
            raise AssertionError(f"still not so after {timeout}s: {found!r}")
        await asyncio.sleep(0.1)


async def hotel_with_room(g: Gateway, price: int = 12_000, currency: str = "EUR") -> tuple[int, str]:
    """Through the API: the admin adds a hotel and grants MANAGER, who adds room 101."""
    r = await g.call(
        "POST",
        "/api/v1/admin/hotels",
        ADMIN,
        "admin",
        json={"name": "Seaside Inn", "city": "Busan", "timezone": "Asia/Seoul", "currency": currency},
    )
    assert r.status_code == 201, r.text
    hotel_id = r.json()["id"]
    r = await g.call("PUT", f"/api/v1/admin/hotels/{hotel_id}/managers/{MANAGER}", ADMIN, "admin")
    assert r.status_code == 200, r.text
    r = await g.call(
        "POST",
        f"/api/v1/manager/hotels/{hotel_id}/rooms",
        MANAGER,
        "manager",
        json={"number": "101", "room_type": "double", "capacity": 2, "price_per_night": price},
    )
    assert r.status_code == 201, r.text
    room_id = r.json()["room_id"]

    async def bookable() -> bool:
        r = await g.call("GET", "/api/v1/hotels", GUEST)
        return any(h["id"] == hotel_id for h in r.json()["items"])

    await eventually(bookable)  # the reservation context's catalog heard of the room
    return hotel_id, room_id
