"""Bot API calls counted by method and outcome, and Telegram's 429s, by wrapping PTB's request
object: every call of the bot, of the notifier and of PTB's rate limiter goes through it."""

from __future__ import annotations

from typing import Any

import orjson
from telegram._utils.types import JSONDict
from telegram.request import BaseRequest, RequestData

from infra.observability import metrics


class CountingRequest(BaseRequest):
    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner

    @staticmethod
    def parse_json_payload(payload: bytes) -> JSONDict:
        """Telegram's answer, read by orjson (PTB invites this override): a quarter of the time
        the standard library takes (a sent message's echo: 2.7 → 0.7 µs), on every call. What
        orjson refuses (bytes that are not UTF-8, text that is not JSON) PTB reads its own way,
        and raises what it raises."""
        try:
            parsed = orjson.loads(payload)
        except orjson.JSONDecodeError:
            parsed = None
        return parsed if isinstance(parsed, dict) else BaseRequest.parse_json_payload(payload)

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        api_method = url.rstrip("/").rsplit("/", 1)[-1]
        try:
            code, payload = await self.inner.do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
            )
        except Exception:
            metrics.TELEGRAM_CALLS.labels(api_method, "error").inc()
            raise
        if code == 429:
            metrics.TELEGRAM_429.inc()
        metrics.TELEGRAM_CALLS.labels(api_method, "ok" if 200 <= code < 300 else str(code)).inc()
        return code, payload
