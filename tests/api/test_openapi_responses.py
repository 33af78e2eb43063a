"""/openapi.json tells API clients the truth about answers, not only requests: each refusal an operation really gives
is listed for it, in the one error envelope (``ErrorOut``: ``{"error": {"code", "message", "details"}}``), and an
answer's body and content type are the ones declared. schemathesis' response checks on chosen requests, as a reader
and as a moderator (the schemathesis run of test_openapi.py applies them to generated ones, as a moderator)."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.checks import content_type_conformance, response_schema_conformance, status_code_conformance
from schemathesis.core import NOT_SET
from starlette.testclient import TestClient

from tests.fixtures_app import auth

CHECKS = (status_code_conformance, response_schema_conformance, content_type_conformance)
ENVELOPE = {"$ref": "#/components/schemas/ErrorOut"}


def test_answers_and_refusals_are_the_declared_ones(make_app, sqlite_url: str) -> None:
    app = make_app(sqlite_url)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    reader, moderator = auth("reader-a"), auth("mod-a", role="moderator")
    with TestClient(app) as client:
        posted = client.post("/api/v1/threads/t1/comments", json={"text": "A first comment on this article."},
                             headers=reader)
        assert posted.status_code == 201, posted.text
        own = posted.json()["comment"]["id"]

    # (method, path, path parameters, headers, query, body, the status it is answered with)
    requests: list[tuple[str, str, dict[str, Any], dict[str, str], dict[str, Any] | None, Any, int]] = [
        ("POST", "/api/v1/threads/{thread_id}/comments", {"thread_id": "t1"}, reader, None, {"text": 5}, 422),
        ("PATCH", "/api/v1/comments/{comment_id}", {"comment_id": 999999}, reader, None, {"text": "Hello"}, 404),
        ("DELETE", "/api/v1/comments/{comment_id}", {"comment_id": 999999}, reader, None, NOT_SET, 404),
        ("PUT", "/api/v1/comments/{comment_id}/reaction", {"comment_id": own}, reader, None, {"kind": "like"}, 409),
        ("POST", "/api/v1/me/actions/{action_id}/appeal", {"action_id": 999999}, reader, None, {"text": "Why?"}, 404),
        ("GET", "/api/v1/me", {}, {}, None, NOT_SET, 401),
        ("GET", "/api/v1/me", {}, reader, None, NOT_SET, 200),
        ("GET", "/api/v1/threads/{thread_id}/comments", {"thread_id": "t1"}, reader, None, NOT_SET, 200),
        ("GET", "/api/v1/mod/queues/{name}", {"name": "held"}, reader, None, NOT_SET, 403),
        ("GET", "/api/v1/mod/queues/{name}", {"name": "held"}, moderator, None, NOT_SET, 200),
        ("GET", "/api/v1/mod/accounts/{account_id}", {"account_id": 999999}, moderator, None, NOT_SET, 404),
        ("POST", "/api/v1/mod/comments/{comment_id}/decision", {"comment_id": 999999}, moderator, None,
         {"action": "approve"}, 404),
        ("GET", "/api/v1/mod/audit", {}, moderator, None, NOT_SET, 200),  # JSON Lines, not JSON
        ("GET", "/unsubscribe", {}, {}, {"token": "not-a-token"}, NOT_SET, 400),  # a page saying so
    ]
    for method, path, parameters, headers, query, body, status in requests:
        case = schema[path][method].Case(path_parameters=parameters, headers=dict(headers), query=query, body=body)
        response = case.call()
        assert response.status_code == status, (method, path, response.text)
        case.validate_response(response, checks=CHECKS)


def test_every_declared_refusal_is_the_error_envelope(make_app, sqlite_url: str) -> None:
    """FastAPI's own 422 (``HTTPValidationError``, ``{"detail": [...]}``) was declared for invalid requests, which
    are answered with the envelope; an envelope checked against it passed, as its ``detail`` is optional."""
    raw = TestClient(make_app(sqlite_url)).get("/openapi.json").json()
    assert "HTTPValidationError" not in raw["components"]["schemas"]
    assert raw["components"]["schemas"]["ErrorOut"]["required"] == ["error"]
    assert sorted(raw["components"]["schemas"]["ErrorBody"]["required"]) == ["code", "details", "message"]
    wrong = []
    for path, operations in raw["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                content = answer.get("content", {})
                if "text/html" in content or path == "/healthz":  # a page (unsubscribe links); what monitors read
                    continue
                if int(status) >= 400 and content.get("application/json", {}).get("schema") != ENVELOPE:
                    wrong.append(f"{method.upper()} {path} {status}")
    assert wrong == []
