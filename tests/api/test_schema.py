"""Bad input, generated from the OpenAPI document (schemathesis, a bounded number of examples per
operation, with a valid admin-and-manager token): no answer is a 5xx, every answer has a
documented status and content type and matches its schema."""

from __future__ import annotations

import asyncio
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.specs.openapi import checks as openapi_checks

from tests.api.conftest import ADMIN, Gateway, hotel_with_room

pytestmark = pytest.mark.e2e
MAX_EXAMPLES = 20

CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


def fuzz(url: str, headers: dict[str, str], calls: dict[str, int]) -> list[str]:
    """Every operation with bounded examples; the failures found, one line each."""
    schema = schemathesis.openapi.from_url(f"{url}/api/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            calls[case.operation.label] = calls.get(case.operation.label, 0) + 1
            case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # schemathesis groups what it found per operation
            failures.append(f"{operation.verbose_name}: {str(exc)[:1500]}")
    return failures


async def test_generated_requests_never_break_the_server_or_the_schema(sqlite_gateway: Gateway) -> None:
    g = sqlite_gateway
    hotel_id, _ = await hotel_with_room(g)
    await g.call("PUT", f"/api/v1/admin/hotels/{hotel_id}/managers/{ADMIN}", ADMIN, "admin")
    headers = g.auth(ADMIN, "admin", name="Ada")
    calls: dict[str, int] = {}
    failures = await asyncio.to_thread(fuzz, g.url.rstrip("/"), headers, calls)
    assert not failures, "\n\n".join(failures)
    assert len(calls) >= 18, calls  # every operation was tried
    assert sum(calls.values()) >= 10 * len(calls), calls
