"""The gateway as an operator runs it: one port for the API, its documents, the Telegram webhook
and health; body size and rate limits; CORS for the configured origins only; and a token printed
by `hotelbot admin token`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.auth import Tokens
from tests.api.conftest import ADMIN, GUEST, KEYS, Gateway, running_gateway
from tests.botapi import FakeBotApi
from tests.conftest import TOKEN, hotelbot

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "AMQP_URL"))}
    env.update(settings)
    return env


async def test_oversized_bodies_are_refused_and_a_flood_is_slowed_down(sqlite_url: str) -> None:
    async with running_gateway(database_url=sqlite_url, api_rate_per_s=5.0, api_max_body_bytes=1024) as g:
        big = {"room_id": "00000000-0000-0000-0000-000000000001", "check_in": "2030-01-01", "check_out": "x" * 2000}
        r = await g.call("POST", "/api/v1/reservations", GUEST, json=big)
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large"

        async def chunks() -> object:
            for _ in range(4):
                yield b"x" * 512

        r = await g.call("POST", "/api/v1/reservations", GUEST, content=chunks())  # no Content-Length
        assert r.status_code == 413

        headers = g.auth(ADMIN, "admin")
        answers = [await g.http.get("/api/v1/hotels", headers=headers) for _ in range(12)]
        refused = [r for r in answers if r.status_code == 429]
        assert refused, [r.status_code for r in answers]
        assert int(refused[0].headers["Retry-After"]) >= 1
        assert refused[0].json()["code"] == "too_many_requests"
        # Another client has a bucket of its own.
        assert (await g.call("GET", "/api/v1/hotels", GUEST)).status_code == 200


async def test_cors_answers_configured_origins_only(sqlite_url: str) -> None:
    async with running_gateway(database_url=sqlite_url, api_cors_origins=("https://desk.example",)) as g:
        ask = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "Authorization"}
        ok = await g.http.options("/api/v1/hotels", headers={"Origin": "https://desk.example", **ask})
        assert ok.headers.get("access-control-allow-origin") == "https://desk.example"
        other = await g.http.options("/api/v1/hotels", headers={"Origin": "https://evil.example", **ask})
        assert "access-control-allow-origin" not in other.headers


async def test_docs_and_openapi_need_no_token_and_everything_else_does(sqlite_gateway: Gateway) -> None:
    g = sqlite_gateway
    assert (await g.http.get("/api/docs")).status_code == 200
    document = (await g.http.get("/api/openapi.json")).json()
    paths = document["paths"]
    assert "/api/v1/auth/telegram" in paths and "/api/v1/reservations" in paths
    for path, operations in paths.items():
        for method in operations:
            url = re.sub(r"\{[^}]+\}", "1", path)
            r = await g.http.request(method.upper(), url, json={})
            expected = 422 if path == "/api/v1/auth/telegram" else 401
            assert r.status_code == expected, (method, path, r.text)


async def test_hotelbot_run_serves_api_webhook_and_health_on_one_port(tmp_path: Path) -> None:
    api = FakeBotApi(TOKEN)
    await api.start()
    port = _free_port()
    env = _env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        ADMIN_IDS=str(ADMIN),
        API_PORT=str(port),
        JWT_KEYS=",".join(f"{kid}:{secret}" for kid, secret in KEYS.items()),
        WEBHOOK_URL=f"https://hotel.example/telegram/{'h' * 20}",
        WEBHOOK_SECRET="s3cret-token",
    )
    process = await hotelbot(tmp_path, env, "run")
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            for _ in range(300):
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            assert (await http.get("/readyz")).json()["status"] == "ready"
            assert (await http.get("/healthz")).status_code == 200
            assert "hotelbot_" in (await http.get("/metrics")).text
            assert api.webhook_url == env["WEBHOOK_URL"]

            user = api.user(77, "Web")
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "text": "/help",
                    "chat": {"id": 77, "type": "private", "first_name": "Web"},
                    "from": {"id": 77, "is_bot": False, "first_name": "Web"},
                    "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                },
            }
            hook = f"/telegram/{'h' * 20}"
            assert (await http.post(hook, json=update)).status_code == 403
            wrong = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            assert (await http.post(hook, json=update, headers=wrong)).status_code == 403
            assert not user.inbox
            right = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            r = await http.post(hook, json=update, headers=right)
            assert r.status_code == 200
            assert user.inbox, "the answer was sent before the webhook said 200"
            await user.expect("/book")

            token_cli = await hotelbot(tmp_path, env, "admin", "token", "--user", str(ADMIN), "--ttl", "30d")
            out, err = await asyncio.wait_for(token_cli.communicate(), timeout=60)
            assert token_cli.returncode == 0, err.decode()
            token = out.decode().strip()
            r = await http.post(
                "/api/v1/admin/hotels",
                headers={"Authorization": f"Bearer {token}"},
                json={"name": "Inn", "city": "Jeju"},
            )
            assert r.status_code == 201, r.text
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await api.stop()


async def test_hotelbot_api_runs_the_gateway_alone_beside_the_other_processes(
    tmp_path: Path, pg: str, amqp: Callable[..., dict[str, Any]]
) -> None:
    port = _free_port()
    broker = amqp()
    env = _env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        DATABASE_URL=pg,
        AMQP_URL=broker["amqp_url"],
        AMQP_QUEUE_PREFIX=broker["amqp_queue_prefix"],
        AMQP_EXCHANGE=broker["amqp_exchange"],
        ADMIN_IDS=str(ADMIN),
        API_PORT=str(port),
        JWT_KEYS=",".join(f"{kid}:{secret}" for kid, secret in KEYS.items()),
    )
    process = await hotelbot(tmp_path, env, "api")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            token = Tokens(KEYS).issue(ADMIN, "admin", (), datetime.now(UTC), timedelta(minutes=5))
            headers = {"Authorization": f"Bearer {token}"}
            r = await http.post("/api/v1/admin/hotels", headers=headers, json={"name": "Inn", "city": "Jeju"})
            assert r.status_code == 201, r.text
            listing = await http.get("/api/v1/admin/hotels", headers=headers)
            assert [h["name"] for h in listing.json()["items"]] == ["Inn"]
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
