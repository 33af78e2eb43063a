"""API benchmark: comments posted per second and read latency of a real Townhall server.

Starts ``townhall serve`` (SQLite in a temporary directory, the packaged default policy with every rule
on, rate limits off) as a subprocess on a loopback port, then drives it from this process (asyncio, one
keep-alive connection per simulated user, ``bench/loadclient.py``) and prints, per concurrency level:

* POST /api/v1/threads/{id}/comments: comments answered per second, p50/p99 latency, verdicts;
* GET  /api/v1/threads/{id}/comments?limit=100 on a 100-comment thread: reads per second, p50/p99.

Usage::

    python bench/api.py                       # concurrency 1, 16, 64; 8 s per row
    python bench/api.py --seconds 3 --concurrency 1,8 --json

Other helpers here (server start-up, token minting, the load loop) are shared with ``bench/compare.py``
and ``bench/load.py``. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Awaitable, Callable

import httpx
import jwt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadclient import LoadClient  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SSO_SECRET = "bench-sso-secret-which-is-long-enough-for-hs256"

# Ordinary, on-topic comments: the kind most of a news site's traffic is. Combined at random so that no
# two comments are the same text (classifiers and word lists run on every one).
_OPENERS = [
    "I read the whole article twice and", "Honestly,", "As someone who lived there for years,", "Interesting piece;",
    "I'm not convinced:", "Good reporting, but", "My father used to say that", "Looking at the figures,",
    "Fair point about the budget, and", "I disagree with the previous commenter:",
]
_MIDDLES = [
    "the council should publish the full report before the vote", "the timeline in the third paragraph seems optimistic",
    "nobody has asked what the residents actually want", "the costs will fall on small businesses again",
    "this is the first clear explanation of the plan I have seen", "the minister's answer did not address the question",
    "rail fares have gone up every year since 2015", "the school closures were announced with no consultation",
    "we need more reporting like this on local issues", "the comparison with last winter is misleading",
]
_ENDINGS = [
    "Thanks for covering it.", "Let's see what happens next month.", "Does anyone have a link to the source?",
    "I hope the follow-up looks at the numbers.", "Worth reading the comments below too.", "", "Just my two cents.",
]


def comment_text(rng: random.Random) -> str:
    parts = [rng.choice(_OPENERS), rng.choice(_MIDDLES) + ".", rng.choice(_ENDINGS), f"(#{rng.randrange(10**6)})"]
    return " ".join(p for p in parts if p)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mint_token(sub: str, name: str | None = None, secret: str = SSO_SECRET) -> str:
    now = int(time.time())
    return jwt.encode({"sub": sub, "name": name or sub, "iat": now, "exp": now + 6 * 3600}, secret, algorithm="HS256")


def wait_http(url: str, proc: subprocess.Popen[bytes] | None, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=2.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no answer from {url} within {timeout:.0f} s")


@dataclass
class Server:
    """A server subprocess on a loopback port; ``stop()`` ends it (SIGTERM, then SIGKILL)."""

    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def townhall_env(**settings: Any) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "TOWNHALL_SSO_SECRET": SSO_SECRET,
        "TOWNHALL_RATE_LIMIT_PER_MINUTE": "0",
        "TOWNHALL_LIVE_STREAMS_PER_CLIENT": "0",  # every simulated reader comes from 127.0.0.1
        "TOWNHALL_LOG_LEVEL": "warning",
    })
    for key, value in settings.items():
        env[f"TOWNHALL_{key.upper()}"] = str(value)
    return env


def start_townhall(workdir: Path, *, port: int | None = None, db: str | None = None, policy: str | None = None,
                   workers: int = 1, env: dict[str, str] | None = None, timeout: float = 120.0) -> Server:
    """``townhall serve`` on 127.0.0.1 (SQLite under ``workdir`` unless ``db`` is given)."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "townhall.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--data-dir", str(workdir / "data")]
    if db:
        cmd += ["--db", db]
    if policy:
        cmd += ["--policy", policy]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    log = workdir / f"townhall-{port}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env or townhall_env(), cwd=str(workdir))
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    try:
        wait_http(server.url + "/healthz", proc, timeout)
    except Exception:
        server.kill()
        raise RuntimeError(f"Townhall did not start; log {log}:\n{log.read_text(errors='replace')[-3000:]}") from None
    return server


# --- load loop ---------------------------------------------------------------------------------------------

@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    statuses: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    client_cpu: float = 0.0  # CPU seconds this (driving) process used during the run

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def errors(self) -> int:
        return sum(self.statuses.values()) - self.ok

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        return percentile(self.latencies, q)

    def summary(self) -> dict[str, Any]:
        return {"ok": self.ok, "errors": self.errors, "per_second": round(self.rate, 1),
                "p50_ms": round(self.pct(50) * 1000, 2), "p99_ms": round(self.pct(99) * 1000, 2),
                "statuses": dict(self.statuses), "seconds": round(self.elapsed, 2),
                "client_cpu_share": round(self.client_cpu / self.elapsed, 2) if self.elapsed else 0.0}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


# One request: given the client and the worker's index, returns a label for the outcome and whether it
# counts as a success (its latency is then recorded).
Request = Callable[[LoadClient, int], Awaitable[tuple[str, bool]]]


async def drive(request: Request, concurrency: int, seconds: float, *, warmup: float = 1.0,
                max_requests: int | None = None, timeout: float = 30.0) -> Stats:
    """``concurrency`` workers each send one request after another for ``seconds`` (after a warm-up whose
    requests are not counted), or until ``max_requests`` have been counted."""
    stats = Stats()
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from = start + warmup
    stop_at = measure_from + seconds
    counted = 0
    cpu0: list[float] = []

    async def worker(index: int) -> None:
        nonlocal counted
        async with LoadClient(timeout=timeout) as client:  # one keep-alive connection per simulated user
            while True:
                t0 = loop.time()
                if t0 >= stop_at or (max_requests is not None and counted >= max_requests):
                    return
                try:
                    label, ok = await request(client, index)
                except (OSError, asyncio.TimeoutError) as exc:
                    label, ok = type(exc).__name__, False
                t1 = loop.time()
                if t0 >= measure_from:
                    if not cpu0:
                        cpu0.append(time.process_time())
                    counted += 1
                    stats.statuses[label] += 1
                    if ok:
                        stats.latencies.append(t1 - t0)

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    end = loop.time()
    stats.elapsed = max(1e-9, min(end, stop_at) - measure_from) if max_requests is None else end - measure_from
    stats.client_cpu = time.process_time() - (cpu0[0] if cpu0 else time.process_time())
    return stats


# --- Townhall workloads ----------------------------------------------------------------------------------

def townhall_post(base: str, thread: str, *, accounts: int = 200, seed: int = 1, secret: str = SSO_SECRET) -> Request:
    rng = random.Random(seed)
    tokens = [mint_token(f"bench-{seed}-{i}", f"Reader {i}", secret) for i in range(accounts)]
    url = f"{base}/api/v1/threads/{thread}/comments"

    async def post(client: LoadClient, index: int) -> tuple[str, bool]:
        token = tokens[rng.randrange(accounts)]
        r = await client.post(url, json={"text": comment_text(rng)}, headers={"Authorization": f"Bearer {token}"})
        if r.status_code == 201:
            return r.json()["comment"]["status"], True
        if r.status_code == 422 and r.json().get("error", {}).get("code") == "rejected_by_house_rules":
            return "rejected", True  # judged and answered: a rejection is as much work as a publication
        return str(r.status_code), False

    return post


def townhall_read(base: str, thread: str) -> Request:
    url = f"{base}/api/v1/threads/{thread}/comments"

    async def read(client: LoadClient, index: int) -> tuple[str, bool]:
        r = await client.get(url, params={"limit": 100, "sort": "oldest"})
        return str(r.status_code), r.status_code == 200

    return read


def seed_thread(base: str, thread: str, count: int = 100, secret: str = SSO_SECRET) -> int:
    """Post ``count`` published comments to ``thread``; returns how many the thread lists."""
    rng = random.Random(7)
    with httpx.Client(timeout=60) as client:
        published = 0
        attempts = 0
        while published < count and attempts < count * 3:
            attempts += 1
            token = mint_token(f"seed-{attempts % 25}", f"Seeder {attempts % 25}", secret)
            r = client.post(f"{base}/api/v1/threads/{thread}/comments", json={"text": comment_text(rng)},
                            headers={"Authorization": f"Bearer {token}"})
            if r.status_code == 201 and r.json()["comment"]["status"] == "published":
                published += 1
        r = client.get(f"{base}/api/v1/threads/{thread}/comments", params={"limit": 100})
        r.raise_for_status()
        return len(r.json()["comments"])


def machine_note() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, {platform.python_implementation()} "
            f"{platform.python_version()}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concurrency", default="1,16,64", help="comma-separated concurrency levels (default 1,16,64)")
    ap.add_argument("--seconds", type=float, default=8.0, help="measured seconds per row (default 8)")
    ap.add_argument("--policy", help="policy file (default: the packaged house rules, every rule on)")
    ap.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    ap.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (database, server log)")
    args = ap.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]

    workdir = Path(tempfile.mkdtemp(prefix="townhall-bench-"))
    rows: list[dict[str, Any]] = []
    server = start_townhall(workdir, db=args.db, policy=args.policy)
    try:
        read_thread = "bench-read"
        listed = seed_thread(server.url, read_thread)
        if listed != 100:
            print(f"warning: the read thread lists {listed} comments, not 100", file=sys.stderr)
        for c in levels:
            stats = asyncio.run(drive(townhall_post(server.url, f"bench-post-{c}", seed=c), c, args.seconds))
            rows.append({"workload": "post", "concurrency": c, **stats.summary()})
            stats = asyncio.run(drive(townhall_read(server.url, read_thread), c, args.seconds))
            rows.append({"workload": "read100", "concurrency": c, **stats.summary()})
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}", file=sys.stderr)

    if args.json:
        print(json.dumps({"machine": machine_note(), "rows": rows}, indent=2))
        return 0
    print(f"Townhall API bench — {machine_note()}")
    print(f"policy: {args.policy or 'packaged default (all rules on)'}; database: {args.db or 'SQLite (WAL)'}; rate limits off")
    print(f"{'workload':<10} {'conc':>5} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}  outcomes")
    for r in rows:
        print(f"{r['workload']:<10} {r['concurrency']:>5} {r['per_second']:>9.1f} {r['p50_ms']:>9.1f} {r['p99_ms']:>9.1f} "
              f"{r['errors']:>7}  {r['statuses']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
