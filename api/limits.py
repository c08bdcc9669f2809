"""Guards in front of every route: a request body size limit (413) and a per-client rate limit
(429 with Retry-After), as plain ASGI middleware.

The rate limit is a leaky bucket per client from aiolimiter (already installed with PTB's rate
limiter): one bucket per bearer token, or per address without one; a request finding the bucket
full is refused at once instead of being made to wait."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from aiolimiter import AsyncLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem, too_many

MAX_CLIENTS = 10_000  # buckets kept; the least recently seen are forgotten first


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, prefix: str = "/api/") -> None:
        self.app, self.max_bytes, self.prefix = app, max_bytes, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        if length is not None:
            await self.app(scope, receive, send)  # the server stops reading at Content-Length
            return
        # No length given (chunked): read the body here, up to the limit, and hand it on whole.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "payload_too_large", "payload too large", f"A body may have {self.max_bytes} bytes.")
        await response(scope, receive, send)


class RateLimit:
    def __init__(self, app: ASGIApp, per_second: float, prefix: str = "/api/") -> None:
        self.app, self.per_second, self.prefix = app, per_second, prefix
        self.buckets: OrderedDict[str, AsyncLimiter] = OrderedDict()

    def _bucket(self, client: str) -> AsyncLimiter:
        bucket = self.buckets.get(client)
        if bucket is None:
            # A bucket of one second's worth: short bursts pass, a steady flood above the rate does not.
            bucket = AsyncLimiter(max(1.0, self.per_second), 1.0)
            self.buckets[client] = bucket
            if len(self.buckets) > MAX_CLIENTS:
                self.buckets.popitem(last=False)
        else:
            self.buckets.move_to_end(client)
        return bucket

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        bucket = self._bucket(client_of(scope))
        if not bucket.has_capacity():
            await too_many(1.0 / self.per_second)(scope, receive, send)
            return
        await bucket.acquire()
        await self.app(scope, receive, send)


def client_of(scope: Scope) -> str:
    auth = dict(scope["headers"]).get(b"authorization")
    if auth:
        return "token:" + hashlib.sha256(auth).hexdigest()[:32]
    client = scope.get("client")
    return f"addr:{client[0] if client else '?'}"
