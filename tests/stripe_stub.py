"""A local stand-in for Stripe's refund endpoint, checked as Stripe documents it.

``POST /v1/refunds`` with ``Authorization: Bearer <secret key>``, a form-encoded body with ``charge``
and ``amount`` (integer, smallest currency unit), and an ``Idempotency-Key`` header: the same key
returns the very same refund (and never refunds twice); a fully refunded charge refuses another
refund with ``charge_already_refunded``. Tests switch it to failing (HTTP 500) or slow."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSONDict = dict[str, Any]


@dataclass
class Refund:
    id: str
    charge: str
    amount: int
    idempotency_key: str


@dataclass
class StripeStub:
    api_key: str = "sk_test_hotelbot"
    failing: bool = False
    slow_s: float = 0.0
    base_url: str = ""
    refunds: list[Refund] = field(default_factory=list)
    requests: list[JSONDict] = field(default_factory=list)  # every request as received
    charges: dict[str, int] = field(default_factory=dict)  # charge id -> amount taken (unknown: any amount)
    _by_key: dict[str, JSONDict] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/refunds", self._refund)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = int(self._runner.addresses[0][1])
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def refunded(self, charge: str) -> int:
        """The amount refunded on a charge so far."""
        return sum(r.amount for r in self.refunds if r.charge == charge)

    @staticmethod
    def _error(status: int, kind: str, message: str, code: str | None = None) -> web.Response:
        error: JSONDict = {"type": kind, "message": message}
        if code:
            error["code"] = code
        return web.json_response({"error": error}, status=status)

    async def _refund(self, request: web.Request) -> web.Response:
        form = await request.post()
        key = request.headers.get("Idempotency-Key", "")
        self.requests.append(
            {"authorization": request.headers.get("Authorization", ""), "idempotency_key": key, **dict(form)}
        )
        if self.slow_s:
            await asyncio.sleep(self.slow_s)
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._error(401, "invalid_request_error", "Invalid API Key provided")
        if self.failing:
            return self._error(500, "api_error", "Stripe is having trouble (stand-in switched to failing)")
        if key in self._by_key:
            return web.json_response(self._by_key[key], headers={"Idempotent-Replayed": "true"})
        charge, amount = str(form.get("charge") or ""), str(form.get("amount") or "")
        if not charge.startswith("ch_") or not amount.isdigit() or int(amount) <= 0:
            return self._error(400, "invalid_request_error", "charge and a positive integer amount are required")
        if not key:
            return self._error(400, "invalid_request_error", "this stand-in insists on an Idempotency-Key")
        if self.refunded(charge) + int(amount) > self._charged(charge):
            return self._error(
                400, "invalid_request_error", "Charge has already been refunded.", "charge_already_refunded"
            )
        refund = Refund(f"re_stub{next(self._ids):06d}", charge, int(amount), key)
        self.refunds.append(refund)
        body = {"id": refund.id, "object": "refund", "amount": refund.amount, "charge": charge, "status": "succeeded"}
        self._by_key[key] = body
        return web.json_response(body)

    def _charged(self, charge: str) -> int:
        return self.charges.get(charge, 10**12)
