"""The reader's widget as its source holds it: ordered parts in townhall/web/static/widget/, each under ~500 lines,
served at /embed.js as one script, concatenated once per application (townhall/web/widget_bundle.py). The served
bytes are the parts in order; the script parses and runs in Chromium; the Widget class's methods, added by the
parts after its own, are all on its prototype as a class body would put them."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.fixtures_app import LiveServer
from townhall.web import widget_bundle

pytestmark = pytest.mark.browser

PARTS = widget_bundle.parts()
# a method as the parts write them: four spaces in, inside the class body or an addMethods(Widget, {…}) literal
METHOD = re.compile(r"^    (?:async )?([A-Za-z_$][\w$]*)\(", re.M)


def test_embed_js_is_its_parts_in_order(server: LiveServer, api: Api) -> None:
    r = api.http.get("/embed.js")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/javascript; charset=utf-8"
    assert r.headers["cache-control"] == "public, max-age=300"
    assert r.content == widget_bundle.bundle() == b"".join(data for _, data in PARTS)
    assert r.content.startswith(b"/*! Townhall comments widget")  # the licence and usage header comes first
    # HEAD (link checkers, monitors) answers as GET does, without the body
    head = api.http.head("/embed.js")
    assert head.status_code == 200 and head.content == b""
    for name in ("content-type", "cache-control", "content-length"):
        assert head.headers[name] == r.headers[name], name


def test_parts_are_named_in_order_small_and_say_what_they_hold() -> None:
    folder = resources.files("townhall.web") / "static" / "widget"
    names = sorted(p.name for p in folder.iterdir())
    assert names == [name for name, _ in PARTS], "every file there is a part, NN-name.js"
    assert len(PARTS) >= 5 and names[0] == "00-head.js" and names[-1] == "90-api.js"
    for name, data in PARTS:
        text = data.decode("utf-8")
        lines = text.splitlines()
        assert text.endswith("\n"), name
        assert len(lines) <= 500, f"{name}: {len(lines)} lines"
        # each part opens with one comment line naming it (the first part after the licence header)
        first = lines[lines.index(" */") + 1] if name == "00-head.js" else lines[0]
        assert first.lstrip().startswith(f"// widget/{name} — "), name
    first_part, last_part = PARTS[0][1].decode(), PARTS[-1][1].decode()
    assert re.search(r"^\(function \(\) \{\n  'use strict';$", first_part, re.M)  # one IIFE: opened first ...
    assert last_part.endswith("\n})();\n")  # ... and closed last


def test_widget_methods_are_each_defined_once() -> None:
    found: list[str] = []
    for name, data in PARTS:
        if "40-widget.js" <= name < "90-api.js":
            found += METHOD.findall(data.decode())
    assert len(found) > 80 and "constructor" in found
    assert sorted(found) == sorted(set(found)), "a method defined twice: the later part would silently win"


def test_the_bundle_runs_and_its_widget_has_every_method(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!(window.Townhall && document.getElementById('townhall')._townhall)")
    expect(page.locator("#townhall").get_by_text("No comments yet")).to_be_visible()
    assert page.evaluate("Townhall.version") == "1.0.0"
    proto = page.evaluate("""() => {
      const p = Object.getPrototypeOf(document.getElementById('townhall')._townhall);
      return {names: Object.getOwnPropertyNames(p), enumerable: Object.keys(p),
              functions: Object.getOwnPropertyNames(p).every((k) => typeof p[k] === 'function'),
              shared: ['Widget', 'addMethods', 'MESSAGES', 'h'].filter((k) => k in window)};
    }""")
    expected: list[str] = []
    for name, data in PARTS:
        if "40-widget.js" <= name < "90-api.js":
            expected += METHOD.findall(data.decode())
    assert sorted(proto["names"]) == sorted(expected)
    assert proto["enumerable"] == [] and proto["functions"]  # as a class body defines them
    assert proto["shared"] == []  # the parts' top-level names stay inside the one IIFE


def test_the_script_is_read_once_per_application(make_app: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.testclient import TestClient

    calls: list[int] = []
    real = widget_bundle.bundle

    def counted() -> bytes:
        calls.append(1)
        return real()

    monkeypatch.setattr(widget_bundle, "bundle", counted)
    app = make_app(db_url)
    assert calls == [1]  # built with the application
    with TestClient(app) as client:
        assert [client.get("/embed.js").content for _ in range(3)] == [real()] * 3
    assert calls == [1]  # no request reads the parts again
