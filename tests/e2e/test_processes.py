"""The process as an operator runs it: `hotelbot run` with nothing but a token, and webhook mode."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import time
from pathlib import Path

import aiohttp
import pytest

from main.processes import Runtime
from tests.botapi import FakeBotApi
from tests.conftest import TOKEN, hotelbot, make_settings
from tests.e2e.conftest import say

pytestmark = pytest.mark.e2e


def _env(**settings: str) -> dict[str, str]:
    """This machine's environment without database or broker settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "AMQP_URL"))}
    env.update(settings)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_hotelbot_run_with_only_a_token_migrates_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    api = FakeBotApi(TOKEN)
    await api.start()
    # Only the token; the API address points at the local stand-in instead of Telegram.
    process = await hotelbot(tmp_path, _env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=api.base_url), "run")
    try:
        user = api.user(42, "Una")
        await say(user, "/start", "Welcome, Una!", timeout=60)
        database = tmp_path / "data" / "hotelbot.db"
        assert database.exists()
        tables = {r[0] for r in sqlite3.connect(database).execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"reservation_reservations", "hotel_rooms", "payment_payments", "view_reservations"} <= tables
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=30)
        stderr = (await process.stderr.read()).decode() if process.stderr else ""
        assert code == 0, stderr[-3000:]
        assert time.monotonic() - started < 30
        assert "Traceback" not in stderr, stderr[-3000:]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await api.stop()


async def test_a_wrong_setting_fails_at_start_with_one_clear_line(tmp_path: Path) -> None:
    process = await hotelbot(tmp_path, _env(ADMIN_IDS="12,abc", TELEGRAM_BOT_TOKEN=TOKEN), "run")
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 2
    assert lines == [
        "hotelbot: setting ADMIN_IDS: Value error, must be comma-separated Telegram user ids, e.g. 123,456"
    ]


async def test_webhook_mode_refuses_a_wrong_secret_and_processes_a_right_one(sqlite_url: str) -> None:
    api = FakeBotApi(TOKEN)
    await api.start()
    port = _free_port()
    settings = make_settings(
        database_url=sqlite_url,
        telegram_api_base_url=api.base_url,
        webhook_url=f"http://127.0.0.1:{port}/hook",
        webhook_secret="s3cret-token",
        api_host="127.0.0.1",
        api_port=port,  # the gateway's one port serves the webhook
    )
    runtime = Runtime(settings, scheduler=False)
    await runtime.start()
    try:
        assert api.webhook_url == f"http://127.0.0.1:{port}/hook"
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
        async with aiohttp.ClientSession() as http:
            for secret in (None, "wrong"):
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                async with http.post(f"http://127.0.0.1:{port}/hook", json=update, headers=headers) as response:
                    assert response.status == 403
            await asyncio.sleep(0.3)
            assert not user.inbox
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            async with http.post(f"http://127.0.0.1:{port}/hook", json=update, headers=headers) as response:
                assert response.status == 200
        await user.expect("/book")
    finally:
        await runtime.stop()
        await api.stop()


async def test_a_token_telegram_refuses_stops_the_start_with_one_clear_line(tmp_path: Path) -> None:
    api = FakeBotApi(TOKEN)
    await api.start()
    try:
        env = _env(TELEGRAM_BOT_TOKEN="999:WRONG", TELEGRAM_API_BASE_URL=api.base_url)
        process = await hotelbot(tmp_path, env, "run")
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 2
        assert stderr.decode().strip().splitlines()[-1] == (
            "hotelbot: setting TELEGRAM_BOT_TOKEN: Telegram does not accept this token"
        )
    finally:
        await api.stop()
