"""Second audit: a reverse proxy on 127.0.0.1 in front of a dual-stack `townhall serve --host ::`.

SECURITY.md: the client's address is the connection's, except from 127.0.0.1/::1, where the right-most untrusted
X-Forwarded-For entry counts; and a dual-stack server sees its IPv4 clients as ``::ffff:a.b.c.d``. Both hold at
once for the proxy itself: a proxy connecting from 127.0.0.1 to a dual-stack socket arrives as ``::ffff:127.0.0.1``,
which uvicorn's default list of trusted proxies ("127.0.0.1,::1") does not name. Its X-Forwarded-For was then
ignored, and every reader behind the proxy was one client, 127.0.0.0/24: one rate-limit budget for the whole
site, one network for ban-evasion evidence, one live-stream allowance. A real `townhall serve --workers 2` (its
sockets are dual-stack) on PostgreSQL (shared rate limits), driven over HTTP as the proxy would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.fixtures_app import SSO_SECRET, PostgresDatabases, auth, free_port

pytestmark = pytest.mark.postgres


def _dual_stack_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.bind(("::", 0))
        return True
    except OSError:
        return False


@pytest.fixture
def dual_stack_server(postgres: PostgresDatabases, tmp_path: Path) -> Iterator[str]:
    if not _dual_stack_available():
        pytest.skip("this machine has no dual-stack IPv6 sockets")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "FORWARDED_ALLOW_IPS"}  # uvicorn's default trust
    env.update({"TOWNHALL_SSO_SECRET": SSO_SECRET, "TOWNHALL_RATE_LIMIT_PER_MINUTE": "1",
                "TOWNHALL_TROLL_INTERVAL_SECONDS": "0", "TOWNHALL_LOG_LEVEL": "warning", "PYTHONUNBUFFERED": "1"})
    cmd = [sys.executable, "-m", "townhall.cli", "serve", "--host", "::", "--port", str(port), "--workers", "2",
           "--db", postgres.fresh(), "--data-dir", str(tmp_path)]
    log_path = tmp_path / "server.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"  # the proxy's connection: IPv4 loopback, to the dual-stack socket
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log_path.read_text(errors="replace")[-4000:]
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start:\n" + log_path.read_text(errors="replace")[-4000:]
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _post(url: str, reader: str, client: str) -> httpx.Response:
    """A comment as the proxy forwards it: the reader's address appended to X-Forwarded-For."""
    return httpx.post(f"{url}/api/v1/threads/proxy-audit/comments", json={"text": "An ordinary remark about the article."},
                      headers={**auth(reader), "X-Forwarded-For": client}, timeout=30)


def _start_of_a_minute() -> None:
    """Rate limits count in fixed one-minute windows: begin with at least 20 s of the window left, so that the
    requests below all fall in one."""
    while time.time() % 60 > 40:
        time.sleep(0.2)


def test_readers_behind_a_loopback_proxy_keep_their_own_addresses(dual_stack_server: str) -> None:
    _start_of_a_minute()
    first = _post(dual_stack_server, "alice", "203.0.113.7")
    assert first.status_code == 201, first.text
    # another reader on another network: their own budget (one write a minute here), not alice's
    other = _post(dual_stack_server, "bob", "198.51.100.9")
    assert other.status_code == 201, f"readers behind the proxy share one address: {other.status_code} {other.text}"
    # the forwarded address is what counts: a third reader on alice's /24 shares alice's network budget
    same_network = _post(dual_stack_server, "carol", "203.0.113.99")
    assert same_network.status_code == 429, same_network.text
