"""`hotelbot admin default-policy`: the policy hotels added afterwards start with, from a script;
what is not a policy is refused with the chat's words and changes nothing."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from main.bootstrap import Container
from tests.conftest import TOKEN, hotelbot, make_settings

pytestmark = pytest.mark.e2e


async def _admin(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await hotelbot(tmp_path, env, "admin", *args)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_the_cli_sets_the_policy_new_hotels_start_with(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hotelbot.db'}"
    env = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "AMQP_URL"))}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_URL=url)

    code, _, err = await _admin(tmp_path, env, "default-policy", "soon")
    assert code == 1 and "Usage: /defaultpolicy" in err
    code, _, err = await _admin(tmp_path, env, "default-policy", "400", "50%")
    assert code == 1 and "Free cancellation can end 1 to 365 days before check-in." in err
    code, out, err = await _admin(tmp_path, env, "default-policy", "4", "first-night")
    assert code == 0, err
    assert "free until 4 day(s) before check-in, then a fee of the first night" in out
    code, _, err = await _admin(tmp_path, env, "add-hotel", "Inn", "--city", "Jeju", "--timezone", "Asia/Seoul")
    assert code == 0, err

    container = Container(make_settings(database_url=url))
    try:
        policy = (await container.hotels.terms(1)).policy
    finally:
        await container.close()
    assert (policy.kind, policy.free_days, policy.fee) == ("free_until", 4, "first_night")
