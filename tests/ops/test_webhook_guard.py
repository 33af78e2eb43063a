"""Webhooks may not reach the server's own network (server-side request forgery): with the default
settings a private URL is refused when added and when delivering, without a connection being made;
with ``webhooks_allow_private`` on, deliveries reach a real local receiver through the checked address,
keeping the host name for the Host header, TLS SNI and the certificate check. Redirects are not followed."""

from __future__ import annotations

import ipaddress
import json
import shutil
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service import webhook_guard, webhooks
from townhall.service.errors import Invalid
from tests.conftest import unavailable
from tests.fixtures_app import auth
from tests.ops.conftest import POLICY
from tests.ops.receiver import Receiver

SECRET = "whsec-guard-secret"
PRIVATE_URLS = ["http://127.0.0.1/hook", "http://127.0.0.1:5432/", "http://10.0.0.1/", "http://192.168.1.20:8080/x",
                "http://[::1]/", "http://[fd00::1]/", "http://169.254.169.254/latest/meta-data/",
                "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://2130706433/", "http://localhost/hook",
                "https://localhost:8443/hook"]


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while not check():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def guarded(make_app: Any, sqlite_url: str) -> Townhall:
    """An app with the default settings: private webhook addresses refused."""
    return make_app(sqlite_url, policy=POLICY)


@pytest.fixture
def open_app(make_app: Any, sqlite_url: str) -> Townhall:
    """An app that allows private webhook addresses (a receiver on loopback)."""
    app: Townhall = make_app(sqlite_url, policy=POLICY, webhooks_allow_private=True)
    app.services.operations.queue.poll_seconds = 0.05
    return app


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"), ("172.16.0.1", "private"),
    ("192.168.0.1", "private"), ("169.254.169.254", "cloud metadata"), ("fe80::1", "link-local"),
    ("fd00::1", "unique-local"), ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"),
    ("::", "unspecified"), ("240.0.0.1", "reserved"), ("100.64.0.1", "carrier-grade NAT"),
    ("::ffff:127.0.0.1", "loopback address (127.0.0.1 inside)"), ("::ffff:10.0.0.1", "private"),
    ("2002:c0a8:1::1", "private address (192.168.0.1 inside)"), ("64:ff9b::a9fe:a9fe", "cloud metadata"),
])
def test_non_public_addresses_are_named(address: str, reason: str) -> None:
    found = webhook_guard.blocked_reason(ipaddress.ip_address(address))
    assert found is not None and reason in found


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert webhook_guard.blocked_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_private_urls_are_refused_when_added(guarded: Townhall, url: str) -> None:
    with pytest.raises(Invalid) as refused:
        webhooks.add(guarded.services, "default", url, secret=SECRET)
    assert refused.value.status == 422 and refused.value.details == {"field": "url", "setting": "webhooks_allow_private"}
    assert "webhooks_allow_private" in refused.value.message
    result = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(
        build_cli(), ["webhooks", "add", url, "--secret", SECRET, "--db", guarded.settings.database_url])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Refused webhook URL:"), result.output
    assert "TOWNHALL_WEBHOOKS_ALLOW_PRIVATE=true" in lines[0]
    assert webhooks.list_webhooks(guarded.services, "default") == []


def test_refusal_names_the_address_a_name_resolves_to(guarded: Townhall) -> None:
    with pytest.raises(Invalid, match=r"localhost resolves to (127\.0\.0\.1|::1), which is a loopback address"):
        webhooks.add(guarded.services, "default", "http://localhost:9/hook")


def test_a_name_that_does_not_resolve_is_accepted_and_checked_when_delivering(guarded: Townhall) -> None:
    hook = webhooks.add(guarded.services, "default", "https://hooks.invalid/townhall", secret=SECRET)
    assert hook["url"] == "https://hooks.invalid/townhall"
    with pytest.raises(webhook_guard.Unresolvable):  # a delivery retries: DNS may answer later
        webhook_guard.post(hook["url"], content=b"{}", headers={}, timeout=httpx.Timeout(2.0), allow_private=False)


def test_the_setting_allows_private_urls(open_app: Townhall) -> None:
    for url in ("http://127.0.0.1:9/hook", "http://[::1]:9/", "http://localhost:9/"):
        assert webhooks.add(open_app.services, "default", url, secret=SECRET)["url"] == url
    result = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_WEBHOOKS_ALLOW_PRIVATE": "true"}).invoke(
        build_cli(), ["webhooks", "add", "http://10.0.0.1/", "--db", open_app.settings.database_url])
    assert result.exit_code == 0, result.output


def test_a_stored_private_endpoint_is_refused_when_delivering(open_app: Townhall) -> None:
    """Added while private addresses were allowed (or its name resolved elsewhere then: DNS rebinding);
    delivered with the default: failed at once, not retried, and no connection is made."""
    svc = open_app.services
    queue = svc.operations.queue
    queue.max_attempts, queue.backoff = 3, (lambda n: 0.05)
    with Receiver(SECRET) as rx, TestClient(open_app, raise_server_exceptions=False) as client:
        webhooks.add(svc, "default", f"{rx.url}/literal", secret=SECRET)
        webhooks.add(svc, "default", f"http://localhost:{rx.port}/name", secret=SECRET)
        svc.settings = svc.settings.with_overrides(webhooks_allow_private=False)
        assert client.post("/api/v1/threads/t1/comments", json={"text": "Hello"}, headers=auth("alice")).status_code == 201
        wait_for(lambda: len(queue.list(state="failed")) == 2)
        time.sleep(0.3)  # a retry (there must be none) would have come due by now
        log = webhooks.deliveries(svc, "default")
        assert rx.connections == 0 and rx.requests == 0
    assert len(log) == 2 and all(d["state"] == "failed" and d["attempts"] == 1 for d in log), log
    for delivery in log:
        assert delivery["last_status"] is None and delivery["last_error"].startswith("refused: ")
        assert "loopback address" in delivery["last_error"] and "webhooks_allow_private" in delivery["last_error"]
    assert any("localhost resolves to" in d["last_error"] for d in log)
    jobs = queue.list(state="failed")
    assert all(j["attempts"] == 1 and "PermanentError" in j["last_error"] for j in jobs), jobs


def test_with_the_setting_on_a_delivery_reaches_a_name_through_its_checked_address(open_app: Townhall) -> None:
    svc = open_app.services
    with Receiver(SECRET) as rx, TestClient(open_app, raise_server_exceptions=False) as client:
        webhooks.add(svc, "default", f"http://localhost:{rx.port}/named", secret=SECRET)
        assert client.post("/api/v1/threads/t1/comments", json={"text": "Hello"}, headers=auth("alice")).status_code == 201
        wait_for(lambda: [d["state"] for d in webhooks.deliveries(svc, "default")] == ["delivered"])
        assert rx.bad_signatures == 0 and [a["event"] for a in rx.acked] == ["comment.created"]
        assert rx.hosts == [f"localhost:{rx.port}"]  # connected to 127.0.0.1, named the host it was given


def test_redirects_are_not_followed(open_app: Townhall) -> None:
    svc = open_app.services
    svc.operations.queue.max_attempts = 1
    with Receiver(SECRET) as rx, TestClient(open_app, raise_server_exceptions=False) as client:
        rx.redirects["/moved"] = "http://169.254.169.254/latest/meta-data/"
        rx.redirects["/here"] = f"{rx.url}/hook"
        webhooks.add(svc, "default", f"{rx.url}/moved", secret=SECRET)
        webhooks.add(svc, "default", f"{rx.url}/here", secret=SECRET)
        assert client.post("/api/v1/threads/t1/comments", json={"text": "Hello"}, headers=auth("alice")).status_code == 201
        wait_for(lambda: len(webhooks.deliveries(svc, "default", state="failed")) == 2)
        assert sorted(rx.paths) == ["/here", "/moved"] and rx.acked == []
    for delivery in webhooks.deliveries(svc, "default"):
        assert delivery["last_status"] == 307 and "redirects are not followed" in delivery["last_error"]


# --- HTTPS: the checked address is dialled, the host name is verified ----------------------------------


def _certificate(folder: Path, name: str) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        unavailable("needs the openssl command to make a test certificate")
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


class TlsReceiver:
    """An HTTPS server on 127.0.0.1 that records the TLS server name and Host header of each request."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.server_names: list[str | None] = []
        self.hosts: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.hosts.append(self.headers.get("Host", ""))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.sni_callback = lambda sock, name, ctx: outer.server_names.append(name)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TlsReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TlsReceiver]:
    """A receiver whose certificate names ``localhost``, trusted through SSL_CERT_FILE."""
    cert, key = _certificate(tmp_path, "localhost")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with TlsReceiver(cert, key) as server:
        yield server


def test_https_keeps_the_host_name_for_sni_and_the_certificate(tls: TlsReceiver) -> None:
    body = json.dumps({"event": "comment.created"}).encode()
    response = webhook_guard.post(f"https://localhost:{tls.port}/hook", content=body, headers={},
                                  timeout=httpx.Timeout(5.0), allow_private=True)
    assert response.status_code == 200
    assert tls.server_names[-1] == "localhost" and tls.hosts == [f"localhost:{tls.port}"]


def test_https_to_the_address_fails_the_certificate_check_for_another_name(tls: TlsReceiver) -> None:
    """The certificate is checked against the URL's host: reaching the same address as 127.0.0.1 (whose
    name the certificate does not carry) fails, so the pinned connection did not weaken the check."""
    with pytest.raises(httpx.ConnectError, match="certificate|CERTIFICATE"):
        webhook_guard.post(f"https://127.0.0.1:{tls.port}/hook", content=b"{}", headers={},
                           timeout=httpx.Timeout(5.0), allow_private=True)
    assert tls.hosts == []


@pytest.mark.parametrize("url", ["ftp://example.org/hook", "http:///hook", "http://[::1/hook"])
def test_urls_that_are_not_http_are_invalid_whatever_the_setting(open_app: Townhall, url: str) -> None:
    with pytest.raises(Invalid, match="must be an http:// or https:// URL") as refused:
        webhooks.add(open_app.services, "default", url)
    assert refused.value.details == {"field": "url"}
