"""Webhooks may not reach the server's own network (server-side request forgery): with the default
settings a private URL is refused when added and when delivering, without a connection being made;
with ``webhooks_allow_private`` on, deliveries reach a real local receiver through the checked address,
keeping the host name for the Host header, TLS SNI and the certificate check. Redirects are not followed."""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
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


# Every range of IANA's IPv4 and IPv6 special-purpose address registries, multicast and reserved space: refused
# whatever the Python version says of them (3.11's ipaddress calls 192.0.0.8, 3fff::/20, 192.0.0.0/24 beyond
# /29, the AS112/AMT anycast ranges and 100.64/10 not private; most of them it calls global).
SPECIAL = [
    ("0.1.2.3", '"this network"'), ("0.0.0.0", "unspecified"), ("10.255.255.254", "private"),
    ("100.64.0.1", "carrier-grade NAT"), ("100.127.255.254", "carrier-grade NAT"), ("127.255.255.254", "loopback"),
    ("169.254.1.1", "link-local"), ("172.31.255.254", "private"), ("192.0.0.1", "DS-Lite"),
    ("192.0.0.8", "the IPv4 dummy address"), ("192.0.0.9", "PCP anycast"), ("192.0.0.10", "TURN anycast"),
    ("192.0.0.170", "NAT64/DNS64 discovery"), ("192.0.0.171", "NAT64/DNS64 discovery"),
    ("192.0.0.200", "IETF protocol assignment"), ("192.0.0.255", "IETF protocol assignment"),
    ("192.0.2.1", "documentation"), ("192.31.196.1", "AS112"), ("192.52.193.1", "AMT relay"),
    ("192.88.99.1", "6to4 relay"), ("192.168.255.254", "private"), ("192.175.48.6", "AS112"),
    ("198.18.0.1", "benchmarking"), ("198.19.255.254", "benchmarking"), ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"), ("224.0.0.251", "multicast"), ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"), ("255.255.255.254", "reserved"), ("255.255.255.255", "broadcast"),
    ("::", "unspecified"), ("::1", "loopback"), ("::127.0.0.1", "reserved"), ("::2", "reserved"),
    ("64:ff9b:1::a00:1", "local-use NAT64"), ("64:ff9b:1:ffff::1", "local-use NAT64"), ("100::1", "discard-only"),
    ("100:0:0:1::1", "dummy"), ("2001:1::1", "PCP anycast"), ("2001:1::2", "TURN anycast"),
    ("2001:1::3", "DNS-SD"), ("2001:2::1", "benchmarking"), ("2001:3::1", "AMT relay"), ("2001:4:112::1", "AS112"),
    ("2001:10::1", "ORCHID"), ("2001:20::1", "ORCHID"), ("2001:30::1", "drone remote ID"),
    ("2001:1ff::1", "IETF protocol assignment"), ("2001:db8::1", "documentation"),
    ("2001:db8:ffff::1", "documentation"), ("2620:4f:8000::1", "AS112"), ("3fff::1", "documentation"),
    ("3fff:fff:ffff::1", "documentation"), ("5f00::1", "SRv6"), ("5f00:ffff::1", "SRv6"), ("1000::1", "reserved"),
    ("4000::1", "reserved"), ("fc00::1", "unique-local"), ("fdff::1", "unique-local"),
    ("fd00:ec2::254", "cloud metadata"), ("fe80::1", "link-local"), ("febf::1", "link-local"),
    ("fec0::1", "site-local"), ("ff02::1", "multicast"), ("ff0e::1", "multicast"),
    # an IPv6 address carrying an IPv4 one is judged by the table for the IPv4 address
    ("::ffff:192.0.0.8", "the IPv4 dummy address (192.0.0.8 inside)"),
    ("::ffff:198.18.0.1", "benchmarking address (198.18.0.1 inside)"),
    ("64:ff9b::c000:8", "the IPv4 dummy address (192.0.0.8 inside)"),
    ("64:ff9b::6440:1", "carrier-grade NAT) address (100.64.0.1 inside)"),
    ("2002:c612:1::1", "benchmarking address (198.18.0.1 inside)"),
    ("2002:f000:1::1", "reserved address (240.0.0.1 inside)"),
    ("2001:0:4136:e378:8000:63bf:9bbf:fffe", "carrier-grade NAT) address (100.64.0.1 inside)"),  # Teredo
]
PUBLIC = ["93.184.215.14", "8.8.8.8", "1.1.1.1", "100.63.255.254", "100.128.0.1", "172.32.0.1", "192.0.1.1",
          "192.0.3.1", "198.17.255.254", "198.20.0.1", "223.255.255.254", "2606:4700:4700::1111",
          "2a00:1450:4001:80b::200e", "2001:200::1", "2001:db9::1", "3fff:1000::1", "::ffff:8.8.8.8",
          "64:ff9b::808:808", "2002:808:808::1", "2001:0:4136:e378:8000:63bf:f7f7:f7f7"]


def _literal_url(address: str) -> httpx.URL:
    host = f"[{address}]" if ":" in address else address
    return webhook_guard.parse(f"https://{host}:8443/hook")


@pytest.mark.parametrize("address, reason", SPECIAL)
def test_special_purpose_addresses_are_refused(address: str, reason: str) -> None:
    found = webhook_guard.blocked_reason(ipaddress.ip_address(address))
    assert found is not None and reason in found, found
    with pytest.raises(webhook_guard.Refused) as refused:
        webhook_guard.vet(_literal_url(address), allow_private=False)
    assert reason in str(refused.value) and "webhooks_allow_private" in str(refused.value)
    assert webhook_guard.vet(_literal_url(address), allow_private=True) == [ipaddress.ip_address(address)]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert webhook_guard.blocked_reason(ipaddress.ip_address(address)) is None
    assert webhook_guard.vet(_literal_url(address), allow_private=False) == [ipaddress.ip_address(address)]


def test_the_tables_refuse_all_that_python_calls_private_or_reserved() -> None:
    """A cross-check against the running Python's own lists (private attributes: skipped where they are
    gone). Every first and last address of them is refused; only the table decides."""
    v4, v6 = getattr(ipaddress, "_IPv4Constants", None), getattr(ipaddress, "_IPv6Constants", None)
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = [
        *getattr(v4, "_private_networks", []), *getattr(v6, "_private_networks", []),
        *getattr(v6, "_reserved_networks", [])]
    if not networks:
        pytest.skip("this Python's ipaddress keeps no lists to compare with")
    networks += [ipaddress.ip_network(n) for n in ("100.64.0.0/10", "224.0.0.0/4", "240.0.0.0/4", "ff00::/8")]
    for network in networks:
        for address in (network.network_address, network.broadcast_address):
            assert webhook_guard.blocked_reason(address) is not None, (network, address)


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


# --- DNS lookups are bounded -----------------------------------------------------------------------------
# getaddrinfo cannot be made slow on purpose, so the resolver is a parameter (the operating system's by default)
# and these tests pass one that does not answer until released: it stands in for the OS resolver, not for any
# part of Townhall. The delivery test goes through the real path with socket.getaddrinfo itself replaced.


def _lookup_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("townhall-webhook-dns")]


class HangingResolver:
    """A resolver whose DNS does not answer: each call blocks until released, then fails as getaddrinfo does."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[tuple[Any, ...]]:
        self.calls.append(host)
        self.release.wait(60)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")


@pytest.fixture
def thread_errors(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """What reaches threading.excepthook during the test: an abandoned lookup must end without raising."""
    errors: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", errors.append)
    yield errors


@pytest.fixture
def hanging(thread_errors: list[Any]) -> Iterator[HangingResolver]:
    resolver = HangingResolver()
    yield resolver
    resolver.release.set()
    wait_for(lambda: not _lookup_threads(), timeout=10)
    assert thread_errors == []


def test_a_lookup_that_does_not_answer_is_given_up(hanging: HangingResolver) -> None:
    started = time.monotonic()
    with pytest.raises(webhook_guard.Unresolvable, match=r"^hooks\.example did not resolve within 0\.3 s$"):
        webhook_guard.resolve("hooks.example", 443, within=0.3, resolver=hanging)
    assert 0.3 <= time.monotonic() - started < 2
    assert hanging.calls == ["hooks.example"]


def test_an_abandoned_lookup_ends_without_raising_anywhere(hanging: HangingResolver, thread_errors: list[Any]) -> None:
    with pytest.raises(webhook_guard.Unresolvable):
        webhook_guard.resolve("hooks.example", 443, within=0.1, resolver=hanging)
    [thread] = _lookup_threads()
    assert thread.daemon  # a lookup stuck for good does not hold the process's exit
    hanging.release.set()  # the resolver now raises socket.gaierror, in a thread nobody waits for
    thread.join(5)
    assert not thread.is_alive() and thread_errors == []


def test_the_resolver_s_answers_and_errors_pass_through() -> None:
    def answers(host: str, port: int) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2606:4700::1%3", port, 0, 0)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]

    def fails(host: str, port: int) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    assert webhook_guard.resolve("hooks.example", 443, within=5, resolver=answers) == [
        ipaddress.ip_address("2606:4700::1"), ipaddress.ip_address("93.184.215.14")]
    with pytest.raises(webhook_guard.Unresolvable, match="cannot resolve hooks.example: .*not known"):
        webhook_guard.resolve("hooks.example", 443, within=5, resolver=fails)
    assert {a.is_loopback for a in webhook_guard.resolve("localhost", 80)} == {True}  # the system resolver


def test_lookups_left_running_are_bounded(hanging: HangingResolver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_guard, "MAX_PENDING_LOOKUPS", 2)
    for _ in range(2):
        with pytest.raises(webhook_guard.Unresolvable, match="did not resolve"):
            webhook_guard.resolve("hooks.example", 443, within=0.05, resolver=hanging)
    with pytest.raises(webhook_guard.Unresolvable, match="2 earlier DNS lookups have not ended yet"):
        webhook_guard.resolve("hooks.example", 443, within=5, resolver=hanging)
    assert len(hanging.calls) == 2  # no third thread was started


def test_a_delivery_gives_up_a_lookup_within_its_budget(hanging: HangingResolver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_guard, "LOOKUP_DEADLINE_S", 0.3)
    started = time.monotonic()
    with pytest.raises(webhook_guard.Unresolvable, match=r"hooks\.example did not resolve within 0\.3 s"):
        webhook_guard.post("https://hooks.example/hook", content=b"{}", headers={}, timeout=httpx.Timeout(5.0),
                           allow_private=False, resolver=hanging)
    assert time.monotonic() - started < 2


def test_the_lookup_counts_toward_the_exchange_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lookup that answers after 1.5 s leaves the exchange the rest of the 2.5 s deadline, not 2.5 s more:
    a receiver that accepts the connection and never answers is given up 2.5 s after the delivery began."""
    monkeypatch.setattr(webhook_guard, "ANSWER_DEADLINE_S", 2.5)
    silent = socket.create_server(("127.0.0.1", 0), backlog=8)  # connections complete; nothing is ever read
    port = silent.getsockname()[1]

    def slow(host: str, port: int) -> list[tuple[Any, ...]]:
        time.sleep(1.5)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    started = time.monotonic()
    try:
        with pytest.raises(httpx.TimeoutException):
            webhook_guard.post(f"http://slow-dns.example:{port}/hook", content=b"{}", headers={},
                               timeout=httpx.Timeout(10.0), allow_private=True, resolver=slow)
    finally:
        silent.close()
    assert 2.4 <= time.monotonic() - started < 3.9  # 4 s and more when the deadline began after the lookup


def test_registration_waits_for_dns_only_briefly(hanging: HangingResolver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_guard, "REGISTRATION_LOOKUP_S", 0.3)
    started = time.monotonic()
    webhook_guard.check_registration(webhook_guard.parse("https://hooks.example/hook"), allow_private=False,
                                     resolver=hanging)  # accepted: every delivery checks it again
    assert time.monotonic() - started < 2
    webhook_guard.check_registration(webhook_guard.parse("https://other.example/hook"), allow_private=True,
                                     resolver=hanging)
    assert hanging.calls == ["hooks.example"]  # with private addresses allowed there is nothing to look up


def test_a_name_whose_dns_hangs_is_added_and_its_delivery_retried(guarded: Townhall, thread_errors: list[Any],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Through `webhooks.add` and the job runner, with the operating system's resolver itself hanging for one
    name: adding it returns after REGISTRATION_LOOKUP_S, its delivery fails (and is retried) after
    LOOKUP_DEADLINE_S, and the abandoned lookups end quietly once DNS answers."""
    release, real = threading.Event(), socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "slow-dns.example":
            release.wait(60)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(webhook_guard, "REGISTRATION_LOOKUP_S", 0.3)
    monkeypatch.setattr(webhook_guard, "LOOKUP_DEADLINE_S", 0.4)
    svc = guarded.services
    queue = svc.operations.queue
    queue.poll_seconds, queue.max_attempts, queue.backoff = 0.05, 2, (lambda n: 0.05)
    try:
        started = time.monotonic()
        webhooks.add(svc, "default", "https://slow-dns.example/hook", secret=SECRET)
        assert time.monotonic() - started < 2
        with TestClient(guarded, raise_server_exceptions=False) as client:
            assert client.post("/api/v1/threads/t1/comments", json={"text": "Hello"}, headers=auth("alice")).status_code == 201
            wait_for(lambda: [d["state"] for d in webhooks.deliveries(svc, "default")] == ["failed"])
        [delivery] = webhooks.deliveries(svc, "default")
        assert delivery["attempts"] == 2 and delivery["last_error"] == "slow-dns.example did not resolve within 0.4 s"
    finally:
        release.set()
    wait_for(lambda: not _lookup_threads(), timeout=10)
    assert thread_errors == []
