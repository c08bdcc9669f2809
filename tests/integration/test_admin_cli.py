"""`hotelbot admin …`: what an operator (and a demo script) types to set a hotel up."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def hotelbot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "AMQP_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "main.cli", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_an_operator_sets_up_a_hotel_from_the_command_line(tmp_path: Path) -> None:
    added = hotelbot(
        tmp_path,
        "admin",
        "add-hotel",
        "Seaside Inn",
        "--city",
        "Busan",
        "--timezone",
        "Asia/Seoul",
        "--currency",
        "KRW",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "hotel 1: Seaside Inn, Busan (Asia/Seoul, KRW)"
    assert hotelbot(tmp_path, "admin", "grant-manager", "1", "555").stdout.strip() == "user 555 now manages hotel 1"
    room = hotelbot(tmp_path, "admin", "add-room", "1", "101", "--type", "suite", "--capacity", "3", "--price", "99500")
    assert room.returncode == 0 and room.stdout.startswith("room 101 (")
    listing = hotelbot(tmp_path, "admin", "list-hotels").stdout
    assert listing.split("\t") == ["1", "Seaside Inn", "Busan", "Asia/Seoul", "KRW", "rooms=1", "managers=555\n"]
    refused = hotelbot(tmp_path, "admin", "add-hotel", "X", "--city", "Y", "--timezone", "Mars/Base")
    assert refused.returncode == 1 and refused.stderr.startswith("refused: I do not know the timezone Mars/Base.")
    duplicate = hotelbot(tmp_path, "admin", "add-room", "1", "101", "--price", "10")
    assert duplicate.returncode == 1 and "already has a room 101" in duplicate.stderr
    bad_price = hotelbot(tmp_path, "admin", "add-room", "1", "102", "--price", "ten")
    assert bad_price.returncode == 1 and "could not read that as a price" in bad_price.stderr
    assert hotelbot(tmp_path, "migrate").stdout.strip() == "every context is at head"


def test_a_price_on_the_command_line_is_read_in_the_hotels_currency(tmp_path: Path) -> None:
    for name, currency in (("Seaside Inn", "KRW"), ("Gasthof", "EUR")):
        assert hotelbot(tmp_path, "admin", "add-hotel", name, "--city", "C", "--currency", currency).returncode == 0
    won = hotelbot(tmp_path, "admin", "add-room", "1", "101", "--price", "120000")
    euro = hotelbot(tmp_path, "admin", "add-room", "2", "1", "--price", "99.50")
    with sqlite3.connect(tmp_path / "data" / "hotelbot.db") as db:
        stored = dict(db.execute("SELECT hotel_id, price_per_night FROM hotel_rooms").fetchall())
    assert stored == {1: 120_000, 2: 9_950}  # minor units: KRW has none, EUR has cents
    assert won.returncode == 0 and "120,000 KRW a night" in won.stdout, won.stderr
    assert euro.returncode == 0 and "99.50 EUR a night" in euro.stdout, euro.stderr
    cents = hotelbot(tmp_path, "admin", "add-room", "1", "102", "--price", "99.50")
    assert cents.returncode == 1 and "could not read that as a price" in cents.stderr
    too_high = hotelbot(tmp_path, "admin", "add-room", "1", "103", "--price", "999999999999")
    assert too_high.returncode == 1 and "can be at most 100,000,000 KRW" in too_high.stderr
    nowhere = hotelbot(tmp_path, "admin", "add-room", "9", "1", "--price", "10")
    assert nowhere.returncode == 1 and "could not find that hotel" in nowhere.stderr
