"""RFC 9457 problem details. A domain error becomes a problem with its own `code` (the same code
the chat's error texts are keyed by) and its parameters; the HTTP status is chosen by code, and a
subclass without a status of its own takes its nearest ancestor's."""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from domain.shared.errors import DomainError

MEDIA_TYPE = "application/problem+json"

STATUS_BY_CODE = {
    "not_found": 404,
    "not_allowed": 403,
    "invalid_input": 422,
    "room_out_of_service": 409,
    "room_taken": 409,
    "illegal_transition": 409,
    "cancel_too_late": 409,
    "already_decided": 409,
    "room_number_taken": 409,
    "quote_changed": 409,
    "payment_declined": 402,
    "payment_unavailable": 503,
    "payments_busy": 503,
    "payment_taken_booking_pending": 503,
    "payment_being_settled": 503,
    "hold_expired": 409,
    "amount_outside_limits": 422,
    "currency_not_payable": 422,
    "invalid_terms": 422,
    "stay_too_short": 422,
    "not_staying": 409,
}
# A rule whose refusal is a conflict with the current state rather than bad input.
STATUS_BY_RULE = {("invalid_terms", "stale"): 409}
RETRY_AFTER_S = 60  # a transient error: the breaker's usual pause before the provider is tried again


def status_of(error: DomainError) -> int:
    by_rule = STATUS_BY_RULE.get((error.code, str(error.params.get("rule"))))
    if by_rule is not None:
        return by_rule
    for cls in type(error).__mro__:
        code = getattr(cls, "code", None)
        if code in STATUS_BY_CODE:
            return STATUS_BY_CODE[code]
    return 400


def problem(
    status: int, code: str, title: str, detail: str | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": f"urn:hotelbot:problem:{code}", "title": title, "status": status, "code": code}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def domain_problem(error: DomainError, detail: str) -> JSONResponse:
    status = status_of(error)
    headers = {"Retry-After": str(RETRY_AFTER_S)} if error.transient else None
    params = {k: v if isinstance(v, int | float | str | bool) or v is None else str(v) for k, v in error.params.items()}
    return problem(status, error.code, error.code.replace("_", " "), detail, headers, params=params)


def too_many(retry_after_s: float) -> JSONResponse:
    return problem(
        429,
        "too_many_requests",
        "too many requests",
        "Slow down and try again after the time in Retry-After.",
        {"Retry-After": str(max(1, math.ceil(retry_after_s)))},
    )


async def http_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = {
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
    }.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    return problem(exc.status_code, code, code.replace("_", " "), str(exc.detail), headers)


async def validation_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in exc.errors()
    ]
    return problem(422, "invalid_request", "invalid request", "The request does not match the API.", errors=errors)
