"""schemathesis over /openapi.json: no server errors for any request the schema allows or nearly allows."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.fixtures_app import make_token


@pytest.fixture
def api_schema(make_app, sqlite_url: str):
    return schemathesis.openapi.from_asgi("/openapi.json", make_app(sqlite_url))


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_has_no_server_errors(case) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {make_token('schemathesis', role='moderator')}"}
    response = case.call()
    case.validate_response(response, checks=(not_a_server_error,))
