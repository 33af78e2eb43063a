"""Several Townhall processes on one PostgreSQL database: live updates fan out through LISTEN/NOTIFY and
rate limits hold across processes. Real `townhall serve` subprocesses on loopback ports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.fixtures_app import SSO_SECRET, auth, free_port
from tests.ops.conftest import POLICY

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
LIMIT = 4


@pytest.fixture
def servers(postgres: Any, tmp_path: Path) -> Iterator[list[str]]:
    url = postgres.fresh()
    env = {**os.environ, "TOWNHALL_SSO_SECRET": SSO_SECRET, "TOWNHALL_RATE_LIMIT_PER_MINUTE": str(LIMIT),
           "TOWNHALL_TROLL_INTERVAL_SECONDS": "0", "TOWNHALL_LOG_LEVEL": "warning",
           "TOWNHALL_PAGE_CACHE_SECONDS": "600", "PYTHONUNBUFFERED": "1"}
    procs: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    for index in range(3):
        port = free_port()
        log = (tmp_path / f"server{index}.log").open("wb")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "townhall.cli", "serve", "--port", str(port), "--db", url, "--policy", POLICY,
             "--data-dir", str(tmp_path)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        deadline = time.time() + 180  # a loaded two-core machine starts three Pythons slowly
        for base, proc in zip(bases, procs):
            while True:
                assert proc.poll() is None, (tmp_path / f"server{procs.index(proc)}.log").read_text()
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.time() < deadline, "servers did not start"
                time.sleep(0.2)
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(2)
            except subprocess.TimeoutExpired:
                proc.kill()


def _listen(client: httpx.Client, url: str, events: list[tuple[float, dict[str, Any]]], ready: threading.Event) -> None:
    try:
        with client.stream("GET", url) as response:
            ready.set()
            kind = None
            for line in response.iter_lines():
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and kind:
                    events.append((time.monotonic(), {"type": kind, **json.loads(line[5:])}))
    except (httpx.HTTPError, RuntimeError, OSError):
        pass  # the test closed the client


def test_live_updates_and_rate_limits_across_processes(servers: list[str]) -> None:
    p1, p2, p3 = servers
    events: list[tuple[float, dict[str, Any]]] = []
    ready = threading.Event()
    sse = httpx.Client(timeout=httpx.Timeout(5, read=30))
    reader = threading.Thread(target=_listen, args=(sse, f"{p3}/api/v1/threads/mp-1/live", events, ready), daemon=True)
    reader.start()
    assert ready.wait(10)
    time.sleep(0.5)  # let the stream subscribe
    if time.time() % 60 > 45:  # keep the rate-limit part inside one one-minute window
        time.sleep(61 - time.time() % 60)
    sent = time.monotonic()
    posted = httpx.post(f"{p1}/api/v1/threads/mp-1/comments", json={"text": "Across processes"}, headers=auth("mp-alice"), timeout=10)
    assert posted.status_code == 201, posted.text
    comment_id = posted.json()["comment"]["id"]
    deadline = time.monotonic() + 5
    while not any(e.get("id") == comment_id for _, e in events) and time.monotonic() < deadline:
        time.sleep(0.01)
    arrived = [t for t, e in events if e.get("id") == comment_id and e["type"] == "comment.published"]
    assert arrived, f"no live event on process 3: {events}"
    assert arrived[0] - sent < 1.0
    sse.close()

    # process 3 keeps the page it built for signed-out readers (600 s here), until a moderator's removal on
    # process 1 reaches it through the same relay
    def anonymous_ids() -> list[int]:
        return [c["id"] for c in httpx.get(f"{p3}/api/v1/threads/mp-1/comments", timeout=10).json()["comments"]]

    assert anonymous_ids() == [comment_id]
    removed = httpx.post(f"{p1}/api/v1/mod/comments/{comment_id}/decision", json={"action": "reject", "reason": "Spam"},
                         headers=auth("mp-mod", role="moderator"), timeout=10)
    assert removed.status_code == 200, removed.text
    deadline = time.monotonic() + 5
    while anonymous_ids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert anonymous_ids() == []

    # the limit counts writes from this IP prefix across all processes: one post is already counted
    codes = []
    for i in range(LIMIT + 2):
        base = servers[i % 3]
        r = httpx.post(f"{base}/api/v1/threads/mp-2/comments", json={"text": f"post {i}"}, headers=auth("mp-bob"), timeout=10)
        codes.append(r.status_code)
    assert codes == [201] * (LIMIT - 1) + [429] * 3, codes
    listed = httpx.get(f"{p2}/api/v1/threads/mp-2/comments", timeout=10).json()
    assert len(listed["comments"] if "comments" in listed else listed["items"]) == LIMIT - 1


def test_serve_passes_command_line_settings_to_workers_through_the_environment() -> None:
    from townhall.commands.server import settings_environ
    from townhall.settings import Settings

    given = Settings.load(None, environ={}, database_url="postgresql+psycopg://u@h/db", policy=POLICY, data_dir="/srv/th",
                          allow_guests=True, rate_limit_per_minute=7, signal_retention_days=30.5)
    rebuilt = Settings.load(None, environ=settings_environ(given))
    assert rebuilt == given and rebuilt != Settings()
