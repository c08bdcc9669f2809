"""`hotelbot bench api [--sqlite]`: requests per second the HTTP gateway answers, measured with
wrk (the load tool, from apt) against the real server in a process of its own: GET availability
of a hotel's rooms, and POST reservation (nights held, payment taken, reservation placed), each
request a different room-night so that every one books.

The server is the all-in-one runtime with the gateway (relay and consumers in it, the notifier's
Telegram calls recorded instead of sent), as `hotelbot run` is, on SQLite + the in-process bus or
PostgreSQL + RabbitMQ."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sys
import tempfile
import textwrap
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from bench.common import bench_settings, describe, table

KEY = "bench-signing-key-" + "b" * 48
ADMIN, GUEST = 1, 500
ROOMS = 100
THREADS, CONNECTIONS = 2, 32


def token(user_id: int, role: str) -> str:
    from api.auth import Tokens

    return Tokens({"bench": KEY}).issue(user_id, role, (), datetime.now(UTC), timedelta(hours=2), "Bench")


async def serve() -> None:
    """The server process: the all-in-one runtime with the gateway on API_PORT (0: any)."""
    from bench.recording import RecordingRequest
    from infra.config import load_settings
    from main.processes import Runtime, settle_heap, wait_for_stop

    settings = load_settings(_env_file=None)
    runtime = Runtime(settings, bot=False, scheduler=False, request=RecordingRequest(), relay_sweep_s=1, api=True)
    await runtime.start()
    settle_heap()
    print(f"READY {runtime.gateway.port}", flush=True)
    try:
        await wait_for_stop()
    finally:
        await runtime.stop()


LUA_POST = textwrap.dedent(
    """
    local rooms = {%(rooms)s}
    local first = %(first)d
    local threads = 0
    function setup(thread)
      thread:set("tid", threads)
      threads = threads + 1
    end
    local n = 0
    function init(args)
      wrk.method = "POST"
      wrk.headers["Content-Type"] = "application/json"
      wrk.headers["Authorization"] = "Bearer %(token)s"
    end
    function request()
      n = n + 1
      local slot = n * %(threads)d + tonumber(tid)
      local room = rooms[(slot %% #rooms) + 1]
      local day = first + math.floor(slot / #rooms)
      local body = string.format(
        '{"room_id":"%%s","check_in":"%%s","check_out":"%%s","guests":1}',
        room, os.date("!%%Y-%%m-%%d", day * 86400), os.date("!%%Y-%%m-%%d", (day + 1) * 86400))
      return wrk.format(nil, "/api/v1/reservations", nil, body)
    end
    """
)


def _wrk(args: list[str]) -> dict[str, Any]:
    import subprocess

    out = subprocess.run(["wrk", *args], capture_output=True, text=True, check=True).stdout
    found: dict[str, Any] = {"raw": out}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", out):
        found["rps"] = float(m.group(1))
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out):
        found["non2xx"] = int(m.group(1))
    if m := re.search(r"(\d+) requests in", out):
        found["requests"] = int(m.group(1))
    for p in ("50", "99"):
        if m := re.search(rf"^\s+{p}(?:\.000)?%\s+([\d.]+)(us|ms|s)", out, re.M):
            value, unit = float(m.group(1)), m.group(2)
            found[f"p{p}"] = value / 1000 if unit == "us" else value if unit == "ms" else value * 1000
    return found


async def run(backend: str, seconds: int) -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench api needs wrk (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        settings = await bench_settings(backend, tmp)
        print(f"\nsettings: {describe(settings)}; gateway in its own process; wrk -t{THREADS} -c{CONNECTIONS}")
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": "123456:BENCH",
            "DATABASE_URL": settings.default_database_url,
            "AMQP_URL": settings.amqp_url or "",
            "PAYMENT_LATENCY_MS": str(settings.payment_latency_ms),
            "LOG_LEVEL": "WARNING",
            "API_PORT": "0",
            "HEALTH_PORT": "0",
            "JWT_KEYS": f"bench:{KEY}",
            "ADMIN_IDS": str(ADMIN),
            "API_RATE_PER_S": "1000000",
            "MAX_DAYS_AHEAD": "3650",
        }
        if not settings.amqp_url:
            env.pop("AMQP_URL")
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.api", "serve", env=env, stdout=asyncio.subprocess.PIPE
        )
        try:
            assert server.stdout is not None
            line = (await asyncio.wait_for(server.stdout.readline(), timeout=120)).decode()
            if not line.startswith("READY"):
                raise SystemExit(f"the server did not start: {line!r}")
            url = f"http://127.0.0.1:{int(line.split()[1])}"
            await _measure(url, seconds, backend)
        finally:
            server.send_signal(signal.SIGTERM)
            try:  # it finishes the event backlog the bookings left first; the figures are in already
                await asyncio.wait_for(server.wait(), timeout=20)
            except TimeoutError:
                server.kill()
                await server.wait()


async def _measure(url: str, seconds: int, backend: str) -> None:
    admin = {"Authorization": f"Bearer {token(ADMIN, 'admin')}"}
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        hotel = (await http.post("/api/v1/admin/hotels", headers=admin, json={"name": "Bench", "city": "X"})).json()
        await http.put(f"/api/v1/admin/hotels/{hotel['id']}/managers/{ADMIN}", headers=admin)
        rooms = []
        for number in range(ROOMS):
            body = {"number": str(100 + number), "capacity": 2, "price_per_night": 10_000}
            r = await http.post(f"/api/v1/manager/hotels/{hotel['id']}/rooms", headers=admin, json=body)
            rooms.append(r.json()["room_id"])
        guest = {"Authorization": f"Bearer {token(GUEST, 'guest')}"}
        start = date.today() + timedelta(days=2)
        query = {"check_in": start.isoformat(), "check_out": (start + timedelta(days=3)).isoformat(), "limit": 20}
        for _ in range(600):  # the reservation context's catalog hears of every room
            r = await http.get(f"/api/v1/hotels/{hotel['id']}/availability", headers=guest, params=query)
            if r.status_code == 200 and len(r.json()["items"]) == 20:
                break
            await asyncio.sleep(0.1)
    availability = f"{url}/api/v1/hotels/{hotel['id']}/availability?" + "&".join(f"{k}={v}" for k, v in query.items())
    base = ["-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency"]
    # wrk runs while nothing else happens in this process: a plain blocking call (uvloop and a
    # subprocess waited for in another thread do not mix).
    get = _wrk([*base, "-H", f"Authorization: Bearer {token(GUEST, 'guest')}", availability])
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        first_day = (start + timedelta(days=5) - date(1970, 1, 1)).days
        script.write(
            LUA_POST
            % {
                "rooms": ",".join(f'"{r}"' for r in rooms),
                "first": first_day,
                "token": token(GUEST, "guest"),
                "threads": THREADS,
            }
        )
    try:
        post = _wrk([*base, "-s", script.name, url])
    finally:
        os.unlink(script.name)

    def row(found: dict[str, Any]) -> str:
        return (
            f"{found.get('rps', float('nan')):,.0f} req/s; p50 {found.get('p50', float('nan')):.1f} ms, "
            f"p99 {found.get('p99', float('nan')):.1f} ms; {found.get('requests', 0)} requests, "
            f"{found.get('non2xx', 0)} not 2xx"
        )

    table(
        f"bench api ({backend}, {seconds}s each, wrk -t{THREADS} -c{CONNECTIONS})",
        [("GET availability", row(get)), ("POST reservation", row(post))],
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        from infra import eventloop

        eventloop.run(serve(), "uvloop")
