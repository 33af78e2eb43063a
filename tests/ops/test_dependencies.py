"""The dependency lock and its audit (scripts/deps.py): the lock is exactly what the tests run on; the
locked versions have no known vulnerability on PyPI (a network test: CI fails if PyPI cannot be asked);
and the audit's rules, against a real HTTP server that answers like PyPI's JSON API."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import urllib.error
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import pytest

from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]


def load_deps() -> ModuleType:
    spec = importlib.util.spec_from_file_location("townhall_deps", ROOT / "scripts" / "deps.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


deps = load_deps()


def test_the_lock_is_what_the_tests_run_on() -> None:
    locked = deps.read_lock((ROOT / "requirements.lock").read_text())
    installed = deps.closure()
    assert installed == locked, {
        "installed but not locked, or at another version": {k: v for k, v in installed.items() if locked.get(k) != v},
        "locked but not installed here": sorted(set(locked) - set(installed)),
    }


@pytest.mark.slow
def test_locked_dependencies_have_no_known_vulnerability() -> None:
    pins = deps.read_lock((ROOT / "requirements.lock").read_text())
    try:
        result = deps.audit(pins)
    except (urllib.error.URLError, OSError) as exc:
        unavailable(f"PyPI's JSON API could not be asked ({exc}); run scripts/audit-deps where it can")
        return
    lines: list[str] = []
    deps.report(result, pins, lines.append)
    assert not result.failed, "\n".join(lines)
    assert len(result.checked) == len(pins)


# --- the audit's rules, against a fake PyPI on loopback -------------------------------------------------

class FakePyPI(BaseHTTPRequestHandler):
    documents: dict[str, dict[str, Any]] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        doc = self.documents.get(self.path)
        body = json.dumps(doc).encode() if doc is not None else b'{"message": "Not Found"}'
        self.send_response(200 if doc is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def pypi() -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
    documents: dict[str, dict[str, Any]] = {}
    handler = type("Handler", (FakePyPI,), {"documents": documents})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/pypi", documents
    finally:
        server.shutdown()
        server.server_close()


def vuln(vid: str, fixed: str = "9.9", withdrawn: str | None = None, aliases: list[str] | None = None) -> dict[str, Any]:
    return {"id": vid, "aliases": aliases or [], "fixed_in": [fixed], "withdrawn": withdrawn, "summary": "x"}


def project(latest: str, vulns: list[dict[str, Any]], releases: dict[str, str | None] | None = None) -> dict[str, Any]:
    files = {v: [{"requires_python": rp, "yanked": False}] for v, rp in (releases or {latest: None}).items()}
    return {"info": {"version": latest}, "vulnerabilities": vulns, "releases": files}


def run(base: str, pins: dict[str, str]) -> tuple[Any, str]:
    result = deps.audit(pins, base=base, python="3.11.7")
    lines: list[str] = []
    deps.report(result, pins, lines.append)
    return result, "\n".join(lines)


def test_a_release_document_with_an_advisory_fails_the_audit(pypi: tuple[str, dict[str, Any]]) -> None:
    base, docs = pypi
    docs["/pypi/jinja2/3.1.4/json"] = {"info": {"version": "3.1.4"}, "vulnerabilities": [vuln("GHSA-cpwx", "3.1.6")]}
    docs["/pypi/nh3/0.3.8/json"] = {"info": {"version": "0.3.8"}, "vulnerabilities": [vuln("PYSEC-1", withdrawn="2026-01-01")]}
    result, text = run(base, {"jinja2": "3.1.4", "nh3": "0.3.8"})
    assert result.failed
    assert "VULNERABLE jinja2==3.1.4: GHSA-cpwx (fixed in 3.1.6)" in text
    assert "nh3" not in text  # a withdrawn advisory does not count


def test_the_project_document_vouches_only_for_the_latest_release(pypi: tuple[str, dict[str, Any]]) -> None:
    base, docs = pypi
    docs["/pypi/click/json"] = project("8.5.1", [])
    docs["/pypi/rich/json"] = project("15.0.0", [])
    result, text = run(base, {"click": "8.5.1"})
    assert not result.failed and result.checked == {"click": "project document (the pin is the latest release)"}
    result, text = run(base, {"rich": "14.0.0"})
    assert result.failed and "UNCHECKED  rich==14.0.0: latest is 15.0.0" in text
    result, text = run(base, {"pycrypto": "2.6.1"})
    assert result.failed and "not on PyPI" in text


def test_an_advisory_of_the_latest_release_counts_against_an_older_pin(pypi: tuple[str, dict[str, Any]]) -> None:
    base, docs = pypi
    docs["/pypi/numpy/json"] = project("2.5.5", [vuln("PYSEC-2", "2.5.6")], {"2.4.6": ">=3.11", "2.5.5": ">=3.12"})
    result, text = run(base, {"numpy": "2.4.6"})
    assert result.failed and "VULNERABLE numpy==2.4.6: PYSEC-2" in text


def test_a_documented_exception_holds_only_while_its_reason_does(pypi: tuple[str, dict[str, Any]]) -> None:
    base, docs = pypi
    docs["/pypi/numpy/json"] = project("2.5.5", [], {"2.4.6": ">=3.11", "2.5.0": ">=3.12", "2.5.5": ">=3.12"})
    result, text = run(base, {"numpy": "2.4.6"})
    assert not result.failed and "documented exception" in text
    docs["/pypi/numpy/json"] = project("2.5.5", [], {"2.4.6": ">=3.11", "2.5.0": ">=3.11", "2.5.5": ">=3.12"})
    result, text = run(base, {"numpy": "2.4.6"})
    assert result.failed and "STALE      numpy: 2.5.0 accepts this Python" in text


def test_an_accepted_advisory_is_reported_not_failed(pypi: tuple[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    base, docs = pypi
    docs["/pypi/setuptools/65.5.0/json"] = {"info": {}, "vulnerabilities": [vuln("PYSEC-3", aliases=["CVE-2022-40897"])]}
    monkeypatch.setitem(deps.ACCEPTED, "CVE-2022-40897", "needs a malicious package index")
    result, text = run(base, {"setuptools": "65.5.0"})
    assert not result.failed and "accepted   setuptools: PYSEC-3" in text
