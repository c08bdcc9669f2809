"""Webhook delivery as Telegram does it, in front of several bot replicas.

`TelegramWebhook` takes the updates the users of the Bot API stand-in queued and POSTs each to the
webhook URL the bot registered, with the secret-token header: one chat's updates one after another
(the next only once the previous was accepted), different chats at once, and an update that was
not answered 200 is sent again after a pause, until it is.

`RoundRobinProxy` is the load balancer before the replicas: each request goes to the next replica
in turn; a replica that refuses the connection, drops it or answers 5xx is skipped and the request
tried on the next one. It records which replica accepted each update."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import defaultdict
from typing import Any

import aiohttp
from aiohttp import web

from tests.botapi import FakeBotApi

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def update_user(update: dict[str, Any]) -> int:
    for kind in ("message", "edited_message", "callback_query", "pre_checkout_query"):
        if kind in update:
            return int(update[kind]["from"]["id"])
    return 0


class RoundRobinProxy:
    def __init__(self) -> None:
        self.upstreams: list[str] = []  # base URLs, e.g. http://127.0.0.1:8443
        self.accepted: dict[int, str] = {}  # update_id → the replica that answered 200
        self.skipped = 0  # attempts a replica refused, dropped or failed (tried on the next one)
        self.port = 0
        self._turn = itertools.count()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        app = web.Application()
        app.router.add_route("POST", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", SECRET_HEADER.lower())}
        for _ in range(2 * len(self.upstreams)):
            upstream = self.upstreams[next(self._turn) % len(self.upstreams)]
            try:
                async with self._http.post(upstream + request.path_qs, data=body, headers=headers) as response:
                    answer = await response.read()
                    if response.status >= 500:
                        self.skipped += 1
                        continue
            except (aiohttp.ClientError, TimeoutError):
                self.skipped += 1
                continue
            if response.status == 200:
                self.accepted[int(json.loads(body)["update_id"])] = upstream
            return web.Response(status=response.status, body=answer)
        return web.Response(status=502, text="no replica answered")

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()


class TelegramWebhook:
    def __init__(self, api: FakeBotApi, secret: str, retry_after_s: float = 0.2) -> None:
        self.api = api
        self.secret = secret
        self.retry_after_s = retry_after_s
        self.delivered: list[int] = []  # update ids answered 200, in that order
        self.updates: dict[int, dict[str, Any]] = {}  # update id → the update as sent
        self.attempts = 0
        self._chats: dict[int, asyncio.Queue[dict[str, Any]]] = defaultdict(asyncio.Queue)
        self._workers: list[asyncio.Task[None]] = []
        self._taker: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self._taker = asyncio.create_task(self._take())

    async def _take(self) -> None:
        while True:
            if self.api.webhook_url:
                for update in self.api.take_updates():
                    user = update_user(update)
                    self.updates[int(update["update_id"])] = update
                    if user not in self._chats:
                        self._workers.append(asyncio.create_task(self._deliver(self._chats[user])))
                    self._chats[user].put_nowait(update)
            await asyncio.sleep(0.01)

    async def _deliver(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        assert self._http is not None
        while True:
            update = await queue.get()
            while True:
                self.attempts += 1
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with self._http.post(
                        self.api.webhook_url, json=update, headers={SECRET_HEADER: self.secret}
                    ) as response:
                        if response.status == 200:
                            self.delivered.append(int(update["update_id"]))
                            break
                await asyncio.sleep(self.retry_after_s)

    async def stop(self) -> None:
        for task in [*self._workers, *([self._taker] if self._taker else [])]:
            task.cancel()
        await asyncio.gather(*self._workers, *([self._taker] if self._taker else []), return_exceptions=True)
        if self._http is not None:
            await self._http.close()
