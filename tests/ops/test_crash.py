"""Crash safety with real `townhall serve` subprocesses (default policy, every rule on):

* SIGKILL in the middle of a write load, then a restart: every comment that was answered 201 (or refused
  with 422 and a comment id) is in the database with its status and its decision — on SQLite and on
  PostgreSQL;
* a PostgreSQL outage during the load (simulated with a TCP proxy between Townhall and the database that
  the test cuts and restores): requests fail cleanly with 503 in the error envelope, nothing hangs, and the
  server recovers by itself when the database is back.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.fixtures_app import SSO_SECRET, free_port, make_token

pytestmark = pytest.mark.slow

TEXTS = [
    "The council should publish the full report before the vote.",
    "I lived there for ten years and the buses were never on time.",
    "Good piece. The numbers in the third paragraph deserve a follow-up.",
    "What the fuck is this plan",  # refused by the house rules: 422, stored as rejected
    "Interesting comparison with last winter, though I am not convinced.",
]

VERDICT_OF = {"published": "publish", "held": "hold", "rejected": "reject"}


@dataclass
class Serve:
    """`townhall serve` in a subprocess on a loopback port."""

    workdir: Path
    db: str | None = None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> Serve:
        env = {**os.environ, "TOWNHALL_SSO_SECRET": SSO_SECRET, "TOWNHALL_RATE_LIMIT_PER_MINUTE": "0",
               "TOWNHALL_TROLL_INTERVAL_SECONDS": "0", "TOWNHALL_LOG_LEVEL": "warning", "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "townhall.cli", "serve", "--port", str(self.port), "--data-dir", str(self.workdir)]
        if self.db:
            cmd += ["--db", self.db]
        log = (self.workdir / f"server-{self.port}.log").open("ab")
        self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, self.log()
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start:\n" + self.log()
            time.sleep(0.1)

    def log(self) -> str:
        return (self.workdir / f"server-{self.port}.log").read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Answer:
    started: float
    ended: float
    kind: str  # "post" | "read" | "health"
    status: int  # 0: no HTTP answer
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""


class Load:
    """Writers (and optionally a reader) hitting the server from threads until stopped."""

    def __init__(self, base: str, writers: int = 4, read: bool = False, timeout: float = 15) -> None:
        self.base = base
        self.stop_event = threading.Event()
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.timeout = timeout
        self.threads = [threading.Thread(target=self._write, args=(i,), daemon=True) for i in range(writers)]
        if read:
            self.threads.append(threading.Thread(target=self._read, daemon=True))

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        self.stop_event.set()
        for t in self.threads:
            t.join(self.timeout + 5)

    def _record(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)

    def _call(self, client: httpx.Client, kind: str, method: str, path: str, **kw: Any) -> None:
        t0 = time.monotonic()
        try:
            r = client.request(method, self.base + path, **kw)
        except httpx.HTTPError:
            self._record(Answer(t0, time.monotonic(), kind, 0))
            time.sleep(0.05)
            return
        try:
            body = r.json()
        except ValueError:
            body = None
        self._record(Answer(t0, time.monotonic(), kind, r.status_code, body, dict(r.headers),
                            kw.get("json", {}).get("text", "")))

    def _write(self, index: int) -> None:
        rng = random.Random(index)
        tokens = [make_token(f"crash-{index}-{i}", f"Writer {index}.{i}") for i in range(5)]
        with httpx.Client(timeout=self.timeout) as client:
            n = 0
            while not self.stop_event.is_set():
                n += 1
                text = f"{rng.choice(TEXTS)} [{index}-{n}]"
                self._call(client, "post", "POST", f"/api/v1/threads/crash-{index % 2}/comments", json={"text": text},
                           headers={"Authorization": f"Bearer {rng.choice(tokens)}"})

    def _read(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while not self.stop_event.is_set():
                self._call(client, "read", "GET", "/api/v1/threads/crash-0/comments?limit=20")
                self._call(client, "health", "GET", "/healthz")

    def acknowledged(self) -> dict[int, tuple[str, str, str]]:
        """comment id -> (status, verdict, text) for every comment the server said it stored."""
        out: dict[int, tuple[str, str, str]] = {}
        for a in self.answers:
            if a.kind != "post" or not isinstance(a.body, dict):
                continue
            if a.status == 201:
                status = a.body["comment"]["status"]
                out[a.body["comment"]["id"]] = (status, VERDICT_OF[status], a.text)
            elif a.status == 422 and a.body.get("error", {}).get("code") == "rejected_by_house_rules":
                out[a.body["error"]["details"]["comment_id"]] = ("rejected", "reject", a.text)
        return out

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged()) < count:
            assert time.monotonic() < deadline, f"only {len(self.acknowledged())} comments stored in {timeout} s"
            time.sleep(0.05)


def assert_all_stored(db_url: str, acked: dict[int, tuple[str, str, str]]) -> None:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT c.id, c.status, c.body, d.verdict FROM comments c LEFT JOIN decisions d ON d.comment_id = c.id"
            )).all()
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        engine.dispose()
    stored: dict[int, tuple[str, str, set[str]]] = {}
    for cid, status, body, verdict in rows:
        entry = stored.setdefault(cid, (status, body, set()))
        if verdict is not None:
            entry[2].add(verdict)
    missing = [cid for cid in acked if cid not in stored]
    assert not missing, f"{len(missing)} acknowledged comments lost, e.g. {missing[:5]}"
    for cid, (status, verdict, text) in acked.items():
        got_status, got_body, verdicts = stored[cid]
        assert (got_status, got_body) == (status, text), cid
        assert verdict in verdicts, (cid, verdict, verdicts)


def assert_published_readable(base: str, acked: dict[int, tuple[str, str, str]]) -> None:
    """Through the API after the restart: every published comment is listed in its thread."""
    listed: set[int] = set()
    with httpx.Client(base_url=base, timeout=30) as client:
        for thread in ("crash-0", "crash-1"):
            cursor = None
            for _ in range(100):
                params: dict[str, Any] = {"limit": 100, "sort": "oldest"}
                if cursor:
                    params["cursor"] = cursor
                r = client.get(f"/api/v1/threads/{thread}/comments", params=params)
                assert r.status_code == 200, r.text
                page = r.json()
                listed.update(c["id"] for c in page["comments"])
                cursor = page.get("next_cursor")
                if not cursor:
                    break
    published = {cid for cid, (status, _, _) in acked.items() if status == "published"}
    assert published and published <= listed, sorted(published - listed)[:5]


def kill_mid_load_and_check(workdir: Path, db_url: str, server_db: str | None) -> None:
    server = Serve(workdir, db=server_db).start()
    try:
        with Load(server.url, writers=4) as load:
            load.wait_for(20)
            server.kill()  # writers are mid-request
            time.sleep(0.3)
        acked = load.acknowledged()
        assert {s for s, _, _ in acked.values()} >= {"published", "rejected"}
        restarted = Serve(workdir, db=server_db, port=server.port).start()
        try:
            assert_all_stored(db_url, acked)
            assert_published_readable(restarted.url, acked)
            # and the restarted server takes writes again
            r = httpx.post(restarted.url + "/api/v1/threads/crash-0/comments", json={"text": "After the restart."},
                           headers={"Authorization": f"Bearer {make_token('after')}"}, timeout=30)
            assert r.status_code == 201, r.text
        finally:
            restarted.stop()
    finally:
        server.stop()


def test_sigkill_mid_load_loses_nothing_acknowledged_sqlite(tmp_path: Path) -> None:
    kill_mid_load_and_check(tmp_path, f"sqlite:///{tmp_path / 'townhall.db'}", None)


@pytest.mark.postgres
def test_sigkill_mid_load_loses_nothing_acknowledged_postgres(tmp_path: Path, postgres: Any) -> None:
    url = postgres.fresh()
    kill_mid_load_and_check(tmp_path, url, url)


# --- PostgreSQL outage ------------------------------------------------------------------------------------

class TcpProxy:
    """A loopback TCP proxy that can be cut (live connections reset, new ones refused) and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.up = False
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.listener: socket.socket | None = None

    def start(self) -> TcpProxy:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(128)
        sock.settimeout(0.1)
        self.listener, self.up = sock, True
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while self.up and self.listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self.lock:
                self.sockets.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._close(s)

    def _close(self, s: socket.socket) -> None:
        with self.lock:
            self.sockets.discard(s)
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()

    def cut(self) -> None:
        self.up = False
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        with self.lock:
            live = list(self.sockets)
        for s in live:
            self._close(s)

    def restore(self) -> None:
        self.start()


@pytest.mark.postgres
def test_postgres_outage_is_503_and_recovers(tmp_path: Path, postgres: Any) -> None:
    real_url = postgres.fresh()
    host_port = real_url.split("@", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    proxy = TcpProxy((host, int(port or 5432))).start()
    server = Serve(tmp_path, db=real_url.replace(f"@{host_port}/", f"@127.0.0.1:{proxy.port}/")).start()
    try:
        with Load(server.url, writers=3, read=True, timeout=20) as load:
            load.wait_for(15)
            cut_at = time.monotonic()
            proxy.cut()
            time.sleep(3.0)
            restored_at = time.monotonic()
            proxy.restore()
            deadline = restored_at + 20
            recovered_at = None
            while recovered_at is None and time.monotonic() < deadline:
                time.sleep(0.1)
                ok = [a for a in list(load.answers) if a.kind == "post" and a.status == 201 and a.started > restored_at]
                recovered_at = min((a.ended for a in ok), default=None)
            assert recovered_at is not None, "no write succeeded within 20 s of the database coming back:\n" + server.log()
            time.sleep(1.5)
        answers = load.answers
        settled = recovered_at + 1.0

        # nothing ever crashed: every failure is a clean 503 in the envelope, and nothing hung
        for a in answers:
            assert a.status != 0, f"no HTTP answer ({a.kind} at {a.started - cut_at:+.2f} s)"
            assert a.ended - a.started < 15, f"{a.kind} took {a.ended - a.started:.1f} s"
            if a.status >= 500:
                assert a.status == 503, (a.kind, a.status, a.body)
                if a.kind != "health":
                    assert a.body["error"]["code"] == "unavailable", a.body
                    assert set(a.body["error"]) == {"code", "message", "details"}
                    assert a.headers.get("retry-after")
        # while the database was away, requests were answered 503 (not queued until it came back)
        during = [a for a in answers if cut_at + 0.5 < a.started and a.ended < restored_at]
        # a signed-out page load may still be answered from the page cache (page_cache_seconds, 1 s) for a moment
        cached_until = cut_at + 1.5
        assert len(during) >= 5 and all(a.status == 503 or ((a.kind, a.status) == ("read", 200) and a.started < cached_until)
                                        for a in during), [(a.kind, a.status, round(a.started - cut_at, 2)) for a in during][:10]
        assert {a.kind for a in during if a.status == 503} >= {"post", "read", "health"}
        # after recovery, everything works again without a restart
        after = [a for a in answers if a.started > settled]
        assert after and all(a.status in (200, 201, 422) for a in after), [(a.kind, a.status) for a in after if a.status >= 500][:5]
        assert recovered_at - restored_at < 10
        assert server.proc is not None and server.proc.poll() is None
    finally:
        server.stop()
        proxy.cut()
    assert_all_stored(real_url, load.acknowledged())
