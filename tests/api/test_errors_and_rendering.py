"""The one error envelope, and comment rendering that no script survives."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pytest
from starlette.testclient import TestClient

from tests.fixtures_app import LiveServer, auth

T = "/api/v1/threads/article-1/comments"


def parse(html: str) -> list[tuple[str, dict[str, str]]]:
    """Every element a browser would build from this HTML, with its attributes."""
    found: list[tuple[str, dict[str, str]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, {k: v or "" for k, v in attrs}))

    Collector().feed(html)
    return found


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def test_envelope_is_pinned(client: TestClient) -> None:
    assert_envelope(client.get("/api/v1/nowhere"), 404, "not_found")
    assert_envelope(client.delete("/healthz"), 405, "method_not_allowed")
    assert_envelope(client.post(T, json={"text": "x"}), 401, "unauthenticated")
    assert_envelope(client.post(T, content=b"{not json", headers={"content-type": "application/json", **auth("a")}), 422, "invalid")
    assert_envelope(client.post(T, json={"text": "x", "unknown": 1}, headers=auth("a")), 422, "invalid")
    assert_envelope(client.post(T, content=b"x" * 70_000, headers={"content-type": "application/json", **auth("a")}), 413, "payload_too_large")
    err = assert_envelope(client.post(T, json={"text": "what the fuck"}, headers=auth("a")), 422, "rejected_by_house_rules")
    assert err["details"]["hits"][0]["rule"] == "f_word"
    assert_envelope(client.get(T, headers={"Authorization": "Bearer nonsense"}), 401, "unauthenticated")


def test_text_limits_are_clear(client: TestClient) -> None:
    # blank to a reader: whitespace, or characters a browser draws as nothing (they published an empty comment)
    for blank in ["   ", "\u200b\u200b", "\u00ad", "\u2800 \u3164", "\ufeff\n\u2060", "\u0301"]:
        err = assert_envelope(client.post(T, json={"text": blank}, headers=auth("a")), 422, "rejected_by_house_rules")
        assert err["details"]["hits"][0]["rule"] == "length", repr(blank)
    for shown in ["\u200b.", "👍", "\u00ada", "…"]:
        assert client.post(T, json={"text": shown}, headers=auth("a")).status_code == 201, repr(shown)
    err = assert_envelope(client.post(T, json={"text": "a" * 5001}, headers=auth("a")), 422, "rejected_by_house_rules")
    assert "5000" in err["message"]


def test_health(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_health_and_the_widget_answer_head(live_server: LiveServer) -> None:
    """Uptime monitors (UptimeRobot by default) and link checkers ask with HEAD: a 405 reads as "down"."""
    for path, kind in (("/healthz", "application/json"), ("/embed.js", "application/javascript; charset=utf-8")):
        r = httpx.head(live_server.url + path)
        assert r.status_code == 200 and r.headers["content-type"] == kind and r.content == b"", (path, r)


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">click</a>',
        "javascript:alert(1)",
        '<div onmouseover="steal()">hover</div>',
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "https://example.com/\"><script>alert(1)</script>",
        '<svg/onload=alert(1)>',
        "<iframe src='https://evil.example'></iframe>",
    ],
)
def test_rendered_html_is_inert(client: TestClient, text: str) -> None:
    r = client.post(T, json={"text": text}, headers=auth("a"))
    assert r.status_code == 201, r.text
    html = r.json()["comment"]["html"]
    elements = parse(html)
    assert {tag for tag, _ in elements} <= {"p", "br", "a"}, html
    for tag, attrs in elements:
        assert set(attrs) <= {"href", "rel"}, html
        if "href" in attrs:
            assert attrs["href"].startswith(("http://", "https://")), html
    # the text as written is kept, and the reader's own copy comes back unchanged
    assert r.json()["comment"]["text"] == text


def test_entities_stay_literal(client: TestClient) -> None:
    html = client.post(T, json={"text": "Fish &amp; chips < 5 & > 3"}, headers=auth("a")).json()["comment"]["html"]
    assert html == "<p>Fish &amp;amp; chips &lt; 5 &amp; &gt; 3</p>"


def test_links_and_paragraphs(client: TestClient) -> None:
    html = client.post(T, json={"text": "See https://example.com/a?b=1.\n\nSecond\nline"}, headers=auth("a")).json()["comment"]["html"]
    assert html == ('<p>See <a href="https://example.com/a?b=1" rel="nofollow ugc noopener noreferrer">'
                    "https://example.com/a?b=1</a>.</p><p>Second<br>line</p>")
