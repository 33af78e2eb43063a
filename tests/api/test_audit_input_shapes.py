"""Bad input of every shape at the reader and moderator endpoints the earlier audits did not reach, on SQLite and
PostgreSQL through HTTP: each field of each JSON body given a hostile value (NaN, Infinity, 1e309, 2**63, a lone
surrogate, the wrong type), odd ids in the path, out-of-range and repeated query values, an address that is not
UTF-8, unsupported methods and refused CORS preflights. The answer is a 4xx in the one error envelope, never a
500, and a refused request writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.fixtures_app import auth
from townhall.app import Townhall

ALICE, BOB, MOD = auth("alice"), auth("bob"), auth("mod", role="moderator")
TABLES = ("threads", "accounts", "comments", "decisions", "reactions", "reports", "account_actions", "appeals", "notes",
          "audit_log", "ignored_accounts", "reader_prefs")
# Hostile JSON values, written as they go on the wire (NaN and Infinity are what Python's and JavaScript's
# lenient encoders write; 1e309 overflows a double; 2**63 a 64-bit integer).
HOSTILE = ["NaN", "Infinity", "-Infinity", "1e309", str(2**63), str(-(2**63) - 1), "-0.0", '"\\ud800"', '"\\udfff x"',
           "[]", "{}", '{"$gt": ""}', "[" * 50 + "]" * 50]


def assert_envelope(r: Any, *allowed: int) -> dict[str, Any]:
    assert r.status_code in allowed, (r.request.method, str(r.request.url)[:200], r.status_code, r.text[:300])
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    return body["error"]  # type: ignore[no-any-return]


def counts(app: Townhall) -> dict[str, int]:
    with app.services.db.read() as conn:
        return {t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES}


def setup(client: TestClient) -> dict[str, int]:
    """A comment of Alice's, and every account the requests below sign in with (made before counting)."""
    for h in (ALICE, BOB, MOD, auth("erin", email="erin@example.org")):
        assert client.get("/api/v1/me", headers=h).status_code == 200
    r = client.post("/api/v1/threads/t/comments", json={"text": "A comment to act on."}, headers=ALICE)
    assert r.status_code == 201, r.text
    comment = r.json()["comment"]
    return {"comment": comment["id"], "account": comment["author"]["id"]}


def bodies(ids: dict[str, int]) -> list[tuple[str, str, dict[str, str], dict[str, Any]]]:
    """Every endpoint that takes a JSON body, with a body it would take."""
    c, a = ids["comment"], ids["account"]
    return [
        ("PATCH", f"/api/v1/comments/{c}", ALICE, {"text": "Edited text."}),
        ("PUT", f"/api/v1/comments/{c}/reaction", BOB, {"kind": "like"}),
        ("POST", f"/api/v1/comments/{c}/reports", BOB, {"reason": "spam", "note": "Looks like spam."}),
        ("POST", "/api/v1/me/actions/1/appeal", ALICE, {"text": "Please look again."}),
        ("PUT", "/api/v1/me/notifications", auth("erin", email="erin@example.org"), {"replies": True}),
        ("POST", f"/api/v1/mod/comments/{c}/decision", MOD, {"action": "reject", "reason": "Off topic.",
                                                              "expect_status": "published"}),
        ("PUT", f"/api/v1/mod/comments/{c}/featured", MOD, {"featured": True}),
        ("POST", f"/api/v1/mod/accounts/{a}/sanctions", MOD, {"sanction": "suspend", "reason": "Cool off.", "hours": 2,
                                                                "comment_id": c}),
        ("POST", f"/api/v1/mod/accounts/{a}/restore", MOD, {"reason": "Lifted.", "clear_strikes": True}),
        ("POST", f"/api/v1/mod/accounts/{a}/reject-all", MOD, {"reason": "All spam."}),
        ("POST", f"/api/v1/mod/accounts/{a}/notes", MOD, {"text": "Watch this one."}),
        ("POST", "/api/v1/mod/appeals/1/decision", MOD, {"outcome": "uphold", "response": "No.", "restore_comments": False}),
        ("POST", "/api/v1/mod/flags/1/decision", MOD, {"outcome": "dismiss", "reason": "Fine."}),
        ("PUT", "/api/v1/mod/threads/t/state", MOD, {"state": "closed"}),
        ("PATCH", "/api/v1/mod/threads/t", MOD, {"title": "T", "url": "/a", "published_at": "2026-11-01T08:00:00Z",
                                                 "premoderated": True, "message": "Keep to the topic."}),
        ("PUT", "/api/v1/mod/announcement", MOD, {"text": "Comments close at ten.", "until": "2099-01-01T00:00:00Z"}),
    ]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_in_any_field_of_any_body_is_refused_and_writes_nothing(app: Townhall, client: TestClient,
                                                                               value: str) -> None:
    ids = setup(client)
    for method, url, headers, good in bodies(ids):
        for field in good:
            raw = json.dumps({**good, field: "@@"}).replace('"@@"', value)
            before = counts(app)
            r = client.request(method, url, content=raw.encode(), headers={**headers, "content-type": "application/json"})
            assert_envelope(r, 422)
            assert counts(app) == before, (method, url, field, value)


@pytest.mark.parametrize("raw", [b'{"text": "a", "text": "\\ud800"}', b"\xff\xfe{}", b'{"text": "\xed\xa0\x80"}',
                                 b'{"a":' * 5000 + b"1" + b"}" * 5000, b"[" * 20000 + b"]" * 20000, b"",
                                 b'{"text": "ok"} trailing'],
                         ids=["duplicate-key-last-bad", "not-utf8", "utf8-encoded-surrogate", "deep-object", "deep-array",
                              "empty", "trailing"])
def test_malformed_json_on_moderator_and_reader_bodies_is_a_4xx(app: Townhall, client: TestClient, raw: bytes) -> None:
    """422, or 400 "There was an error parsing the body" where the parser itself gives up (nesting too deep)."""
    ids = setup(client)
    before = counts(app)
    for method, url, headers, _ in bodies(ids):
        r = client.request(method, url, content=raw, headers={**headers, "content-type": "application/json"})
        assert_envelope(r, 400, 422)
    assert counts(app) == before


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                   "application/xml"])
def test_a_body_of_the_wrong_content_type_is_refused_and_writes_nothing(app: Townhall, client: TestClient, ctype: str) -> None:
    ids = setup(client)
    before = counts(app)
    for method, url, headers, good in bodies(ids):
        r = client.request(method, url, content=json.dumps(good).encode(), headers={**headers, "content-type": ctype})
        assert_envelope(r, 415, 422)
    assert counts(app) == before


# Each either refused (422) or read as an id no row has (404): " 777" and "+777" may be read as 777.
ODD_IDS = ["0", "-1", str(2**31), str(2**63), str(2**64), "1e3", "777.0", "777.5", "0x10", " 777", "+777", "%00", "%0A",
           "abc", "9" * 5000, "\u0667\u0667\u0667"]


def test_an_odd_id_in_the_path_is_a_404_or_422(app: Townhall, client: TestClient) -> None:
    setup(client)
    before = counts(app)
    routes = [("GET", "/api/v1/mod/accounts/{}", MOD, None), ("DELETE", "/api/v1/comments/{}", ALICE, None),
              ("PATCH", "/api/v1/comments/{}", ALICE, {"text": "x"}), ("PUT", "/api/v1/comments/{}/reaction", BOB, {"kind": "like"}),
              ("POST", "/api/v1/comments/{}/reports", BOB, {"reason": "spam"}),
              ("POST", "/api/v1/me/actions/{}/appeal", ALICE, {"text": "Please."}),
              ("PUT", "/api/v1/me/ignored/{}", BOB, None), ("DELETE", "/api/v1/me/ignored/{}", BOB, None),
              ("PUT", "/api/v1/mod/comments/{}/featured", MOD, {"featured": True}),
              ("POST", "/api/v1/mod/comments/{}/decision", MOD, {"action": "approve"}),
              ("POST", "/api/v1/mod/appeals/{}/decision", MOD, {"outcome": "uphold", "response": "No."}),
              ("POST", "/api/v1/mod/flags/{}/decision", MOD, {"outcome": "dismiss"}),
              ("POST", "/api/v1/mod/accounts/{}/notes", MOD, {"text": "A note."})]
    for odd in [*ODD_IDS, "999999", str(2**31 - 1)]:
        for method, url, headers, body in routes:
            r = client.request(method, url.format(odd), json=body, headers=headers)
            assert_envelope(r, 404, 422)
    assert counts(app) == before


def test_out_of_range_and_repeated_query_values_are_a_422(client: TestClient) -> None:
    setup(client)
    cases: list[tuple[str, dict[str, str], Any]] = [
        ("/api/v1/mod/queues/held", MOD, {"limit": v}) for v in ("0", "-1", "201", str(2**63), "1e3", "NaN", "")
    ]
    cases += [("/api/v1/mod/queues/rejected", MOD, {"before": v}) for v in ("0", "-1", str(2**63), "x", "1.5")]
    cases += [("/api/v1/mod/queues/bogus", MOD, {}), ("/api/v1/mod/queues/HELD", MOD, {})]
    cases += [("/api/v1/mod/audit", MOD, {"after_id": v}) for v in ("-1", str(2**63), "x")]
    cases += [("/api/v1/mod/audit", MOD, {"limit": v}) for v in ("0", "10001", "-5")]
    cases += [("/api/v1/threads/t/featured", {}, {"limit": v}) for v in ("0", "-5", str(2**63), "Infinity")]
    cases += [("/api/v1/me/comments", ALICE, {"limit": v}) for v in ("0", "-1", str(2**64))]
    cases += [("/api/v1/threads/t/comments", {}, [("limit", "5"), ("limit", "500")]),
              ("/api/v1/threads/t/comments", {}, [("sort", "top"), ("sort", "best")]),
              ("/api/v1/threads/t/comments", {}, {"since": str(2**63)}),
              ("/api/v1/counts", {}, [("thread", "a")] * 200), ("/api/v1/counts", {}, {}),
              ("/api/v1/counts", {}, {"thread": "x" * 5000})]
    for url, headers, params in cases:
        assert_envelope(client.get(url, params=params, headers=headers), 422)


def test_a_path_that_is_not_utf8_is_refused_not_stored_under_a_replacement_character(app: Townhall,
                                                                                     client: TestClient) -> None:
    """Percent-escapes that spell no UTF-8 were decoded with U+FFFD in their place: the articles "%FF" and "%FE"
    (and the lone surrogate "%ED%A0%80") were stored as one thread named "\\ufffd" and shared its comments."""
    setup(client)
    before = counts(app)
    for raw in ("%FF", "%fe", "%ED%A0%80", "a%80b", "%C3%28"):
        r = client.post(f"/api/v1/threads/{raw}/comments", json={"text": "A comment on an odd article."}, headers=ALICE)
        assert_envelope(r, 400)
        assert "UTF-8" in r.json()["error"]["message"]
        assert_envelope(client.get(f"/api/v1/threads/{raw}/comments"), 400)
        assert_envelope(client.patch(f"/api/v1/mod/threads/{raw}", json={"title": "x"}, headers=MOD), 400)
    assert counts(app) == before
    r = client.post("/api/v1/threads/caf%C3%A9/comments", json={"text": "Valid UTF-8 stays fine."}, headers=ALICE)
    assert r.status_code == 201, r.text
    assert client.get("/api/v1/threads/café/comments").json()["thread"]["id"] == "café"


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT", "PATCH"])
def test_an_unsupported_method_is_a_405_in_the_envelope(client: TestClient, method: str) -> None:
    for url in ("/api/v1/threads/t/comments", "/api/v1/counts?thread=t", "/api/v1/mod/announcement", "/api/v1/site"):
        assert_envelope(client.request(method, url, headers=ALICE), 405)


@pytest.mark.parametrize("asked", [{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-custom"},
                                   {"Access-Control-Request-Method": "TRACE"},
                                   {"Access-Control-Request-Method": "PUT",
                                    "Access-Control-Request-Headers": "authorization, content-type, cookie"}])
@pytest.mark.parametrize("origin", ["https://news.example", "null", "http://a:99999", "javascript:alert(1)"])
def test_a_refused_cors_preflight_is_a_400_in_the_envelope(client: TestClient, asked: dict[str, str], origin: str) -> None:
    """Starlette answered it in plain text ("Disallowed CORS headers"); the browser still reads which methods and
    headers are allowed from the CORS headers."""
    r = client.options("/api/v1/threads/t/comments", headers={"Origin": origin, **asked})
    err = assert_envelope(r, 400)
    assert err["code"] == "bad_request" and "allow" in err["message"]
    assert "authorization" in r.headers["access-control-allow-headers"].lower()
    ok = client.options("/api/v1/threads/t/comments", headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                                               "Access-Control-Request-Headers": "authorization, content-type"})
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize("hours", [1e-300, 5e-324, 0.0001, 0.01])
def test_a_suspension_that_would_end_as_it_begins_is_refused(app: Townhall, client: TestClient, hours: float) -> None:
    """A suspension of 1e-300 hours was stored (ending the moment it began): never in force, yet on the reader's
    record, appealable, and keeping them from the trusted standing."""
    ids = setup(client)
    before = counts(app)
    url = f"/api/v1/mod/accounts/{ids['account']}/sanctions"
    err = assert_envelope(client.post(url, json={"sanction": "suspend", "reason": "Cool off.", "hours": hours}, headers=MOD), 422)
    assert "minute" in err["message"] and err["details"] == {"field": "hours"}
    assert counts(app) == before
    r = client.post(url, json={"sanction": "suspend", "reason": "Cool off.", "hours": 1 / 60}, headers=MOD)
    assert r.status_code == 201, r.text
