"""schemathesis over /openapi.json: no server errors for any request the schema allows or nearly allows, and every
answer one the schema declares (its status, its body's schema, its content type)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from tests.fixtures_app import make_token


CHECKS = (not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance)
# An event stream never ends by itself: schemathesis reads one until the call's timeout and checks what came by then
# (its first write comes at once, the next heartbeat only after 15 s); the default, 10 s, cost ~25 s a run.
STREAM_SECONDS = 3


def _answers_a_stream(operation: Any) -> bool:
    """Whether the operation's success is an event stream (``GET …/live``)."""
    ok = operation.definition.raw.get("responses", {}).get("200", {})
    return "text/event-stream" in ok.get("content", {})


@pytest.mark.slow
def test_api_has_no_server_errors(make_app, sqlite_url: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", make_app(sqlite_url))
    token = make_token("schemathesis", role="moderator")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    assert any(map(_answers_a_stream, operations))
    for operation in operations:
        timeout = {"timeout": STREAM_SECONDS} if _answers_a_stream(operation) else {}

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            response = case.call(**timeout)
            case.validate_response(response, checks=CHECKS)

        run()


def test_the_schema_says_what_a_left_out_field_does(make_app, sqlite_url: str) -> None:
    """PATCH /api/v1/mod/threads/{thread} keeps a field left out as it is: the schema named defaults (null, false),
    which say the opposite (left out = null = cleared; left out = false = not premoderated). GET /api/v1/site
    answers 404 for an unknown site, which the schema now lists."""
    from starlette.testclient import TestClient

    schema = TestClient(make_app(sqlite_url)).get("/openapi.json").json()
    thread_in = schema["components"]["schemas"]["ThreadIn"]
    assert thread_in["minProperties"] == 1
    assert [name for name, field in thread_in["properties"].items() if "default" in field] == []
    assert "404" in schema["paths"]["/api/v1/site"]["get"]["responses"]
