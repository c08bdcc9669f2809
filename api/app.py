"""The gateway: one ASGI application for everything that comes in over HTTP: the API under
/api/v1 (docs at /api/docs), the Telegram webhook (secret path + secret-token header), the Mini
App's pages under /app/, and the process's /healthz /readyz /metrics."""

from __future__ import annotations

import hmac
import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from api.auth import Tokens
from api.deps import principal
from api.limits import BodyLimit, RateLimit
from api.ports import ApiServices, Webhook
from api.problems import MEDIA_TYPE, domain_problem, http_problem, problem, validation_problem
from api.routes import admin, auth, guest, manager
from domain.shared.errors import DomainError

log = logging.getLogger(__name__)
VERSION = "1.0.0"
# The Mini App's pages (plain HTML, CSS and JS, shipped in the package): / the guest's booking
# page, /grid.html the managers' occupancy grid. They hold no data: everything comes from /api/v1
# with the token their Telegram initData is exchanged for.
MINI_APP = Path(__file__).parent / "static" / "app"


def build_gateway(
    services: ApiServices, *, webhook: Webhook | None = None, health_routes: list[BaseRoute] | None = None
) -> FastAPI:
    app = FastAPI(
        title="hotelbot API",
        version=VERSION,
        description="Book hotel rooms and run a hotel's rooms: the same use cases as the Telegram bot.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.services = services
    app.state.tokens = Tokens(services.config.jwt_keys)

    async def on_domain_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return domain_problem(exc, services.describe(exc))

    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(HTTPException, http_problem)
    app.add_exception_handler(RequestValidationError, validation_problem)

    v1 = APIRouter(prefix="/api/v1")
    v1.include_router(auth.router)
    # Every other route needs a bearer token; each route also names who it wants (guest, manager, admin).
    protected = APIRouter(dependencies=[Depends(principal)])
    protected.include_router(guest.router)
    protected.include_router(manager.router)
    protected.include_router(admin.router)
    v1.include_router(protected)
    app.include_router(v1)

    cfg = services.config
    if webhook is not None and cfg.webhook_path:
        secret = cfg.webhook_secret or ""

        async def telegram_update(request: Request) -> Response:
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
                return problem(403, "forbidden", "forbidden", "Not Telegram.")
            try:
                update: Any = await request.json()
            except ValueError:
                return problem(400, "bad_update", "bad update", "Not JSON.")
            if not isinstance(update, dict):
                return problem(400, "bad_update", "bad update", "Not an update.")
            # Answered only once the update was handled: if this process dies on the way,
            # Telegram gets no 200 and delivers the update again.
            await webhook(update)
            return Response(status_code=200)

        app.add_api_route(cfg.webhook_path, telegram_update, methods=["POST"], include_in_schema=False)

    for route in health_routes or []:
        app.router.routes.append(route)
    app.mount("/app", StaticFiles(directory=MINI_APP, html=True), name="mini-app")

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(RateLimit, per_second=cfg.rate_per_s)
    app.add_middleware(BodyLimit, max_bytes=cfg.max_body_bytes)
    if cfg.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cfg.cors_origins),
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        )
    return app


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details; `code` is the same error code the chat's texts are keyed by.",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "params": {"type": "object"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
ERRORS = {
    "400": "Refused by a rule",
    "401": "No token, or one that is expired, altered or not ours",
    "402": "The payment was declined",
    "403": "Not allowed for this role or hotel",
    "404": "Not found (or someone else's)",
    "409": "In conflict with the current state",
    "413": "The body is too large",
    "422": "The request breaks a rule or does not match the API",
    "429": "Too many requests: see Retry-After",
    "503": "A provider is unavailable for now: see Retry-After",
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with every error answer described as what it is: a problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem_content = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses[code] = {"description": responses.get(code, {}).get("description", description)}
                responses[code]["content"] = problem_content
    for name in ("HTTPValidationError", "ValidationError"):
        document["components"]["schemas"].pop(name, None)
    app.openapi_schema = document
    return document
