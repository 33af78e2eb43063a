"""Soak test: many live readers and steady writers against one Townhall, for a bounded time.

Starts ``townhall serve`` (default policy, every rule on, rate limits off) on a loopback port and runs, for
``--seconds`` (default 120):

* ``--readers`` (500) readers, each holding a Server-Sent Events stream open
  (GET /api/v1/threads/{id}/live) and reading its thread (GET …/comments?limit=100) every
  ``--read-every`` seconds (default 10, with jitter);
* ``--writers`` (50) writers, each posting a comment, then pausing ``--write-every`` seconds (default 0.5:
  about 100 comments per second in all, the target load).

It reports the error rate (HTTP errors and transport errors, per kind), p50/p99 write and read latency,
SSE streams opened/kept/dropped and comment events delivered, and the server's resident memory (RSS, the
process and its workers, sampled every second with psutil).

    python bench/load.py --seconds 30                       # SQLite
    python bench/load.py --seconds 30 --postgres --workers 2  # a fresh PostgreSQL database, 2 workers

Everything stays on 127.0.0.1; every loop is bounded by the deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api as th  # noqa: E402

try:
    import psutil
except ImportError:  # pragma: no cover - bench extra
    psutil = None

THREADS = 10  # readers and writers spread over this many articles
SSE_GRACE = 3.0  # seconds the streams stay open after the last measured request
EVENT_MARK = b"event: comment.published\n"


@dataclass
class Tally:
    write_latency: list[float] = field(default_factory=list)
    read_latency: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    sse_opened: int = 0
    sse_failed: int = 0
    sse_dropped: int = 0
    sse_events: int = 0
    sse_open_latency: list[float] = field(default_factory=list)
    rss_samples: list[int] = field(default_factory=list)

    def errors(self, kind: str) -> int:
        return sum(n for k, n in self.outcomes.items() if k.startswith(kind + ":") and not k.endswith((":2xx", ":422")))

    def total(self, kind: str) -> int:
        return sum(n for k, n in self.outcomes.items() if k.startswith(kind + ":"))


async def sse_reader(index: int, host: str, port: int, thread: str, deadline: float, tally: Tally,
                     stagger: float) -> None:
    """One EventSource: a raw HTTP/1.1 stream (cheap enough to hold hundreds from one process)."""
    await asyncio.sleep(stagger)
    t0 = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
        writer.write(f"GET /api/v1/threads/{thread}/live HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     "Accept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 15)
        if b" 200 " not in status:
            tally.sse_failed += 1
            writer.close()
            return
    except (OSError, asyncio.TimeoutError):
        tally.sse_failed += 1
        return
    tally.sse_opened += 1
    tally.sse_open_latency.append(time.monotonic() - t0)
    # Count events in whatever the stream delivers, a chunk at a time, under one timeout for the whole
    # stream: a line-by-line read with a timeout per line cost this process more CPU than the server spent
    # sending (and both share the machine's two cores). A marker split across two chunks is still counted
    # once: the tail kept is shorter than the marker.
    tail = b""
    try:
        async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    tally.sse_dropped += 1  # the server closed the stream before the end
                    break
                data = tail + chunk
                tally.sse_events += data.count(EVENT_MARK)
                tail = data[-(len(EVENT_MARK) - 1):]
    except TimeoutError:
        pass  # the end of the run
    except OSError:
        tally.sse_dropped += 1
    finally:
        writer.close()


def until(deadline: float, pause: float) -> float:
    """``pause``, but never past the deadline (nor below zero)."""
    return max(0.0, min(pause, deadline - time.monotonic()))


async def page_reader(base: str, thread: str, every: float, deadline: float, tally: Tally, rng: random.Random) -> None:
    await asyncio.sleep(until(deadline, rng.uniform(0, every)))
    async with th.LoadClient(timeout=30) as client:
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            try:
                r = await client.get(f"{base}/api/v1/threads/{thread}/comments", params={"limit": 100})
                label = "2xx" if r.status_code < 300 else str(r.status_code)
            except (OSError, asyncio.TimeoutError) as exc:
                label = type(exc).__name__
            tally.outcomes[f"read:{label}"] += 1
            if label == "2xx":
                tally.read_latency.append(time.monotonic() - t0)
            await asyncio.sleep(until(deadline, every * rng.uniform(0.5, 1.5) - (time.monotonic() - t0)))


async def writer(index: int, base: str, every: float, deadline: float, tally: Tally) -> None:
    rng = random.Random(index)
    token = th.mint_token(f"load-writer-{index}", f"Writer {index}")
    await asyncio.sleep(until(deadline, rng.uniform(0, every)))
    async with th.LoadClient(timeout=30) as client:
        while time.monotonic() < deadline:
            thread = f"load-{rng.randrange(THREADS)}"
            t0 = time.monotonic()
            try:
                r = await client.post(f"{base}/api/v1/threads/{thread}/comments", json={"text": th.comment_text(rng)},
                                      headers={"Authorization": f"Bearer {token}"})
                label = "2xx" if r.status_code < 300 else str(r.status_code)
            except (OSError, asyncio.TimeoutError) as exc:
                label = type(exc).__name__
            tally.outcomes[f"write:{label}"] += 1
            if label in ("2xx", "422"):
                tally.write_latency.append(time.monotonic() - t0)
            await asyncio.sleep(until(deadline, every * rng.uniform(0.5, 1.5) - (time.monotonic() - t0)))


def server_rss(pid: int) -> int:
    if psutil is None:
        return 0
    try:
        proc = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
    except psutil.Error:
        return 0


async def sample_rss(pid: int, deadline: float, tally: Tally) -> None:
    while time.monotonic() < deadline:
        tally.rss_samples.append(server_rss(pid))
        await asyncio.sleep(1.0)


async def run(server: th.Server, args: argparse.Namespace) -> Tally:
    tally = Tally()
    host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
    start = time.monotonic()
    deadline = start + args.seconds
    rng = random.Random(1)
    # Every reader and writer has its own keep-alive connection (bench/loadclient.py), as browsers would.
    tasks = [asyncio.create_task(sample_rss(server.pid, deadline, tally))]
    ramp = min(10.0, args.seconds / 4)  # open the streams over the first seconds, as page views arrive
    for i in range(args.readers):
        thread = f"load-{i % THREADS}"
        # Streams stay open a little past the writers' deadline: 500 readers leaving at one instant is not
        # what the measured requests should wait behind.
        tasks.append(asyncio.create_task(sse_reader(i, host, port, thread, deadline + SSE_GRACE, tally, ramp * i / args.readers)))
        tasks.append(asyncio.create_task(page_reader(server.url, thread, args.read_every, deadline, tally, rng)))
    for i in range(args.writers):
        tasks.append(asyncio.create_task(writer(i, server.url, args.write_every, deadline, tally)))
    await asyncio.wait_for(asyncio.gather(*tasks), args.seconds + 60)
    return tally


def create_pg_database(admin_url: str) -> tuple[str, str]:
    import sqlalchemy as sa

    name = f"townhall_load_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name, name


def drop_pg_database(admin_url: str, name: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def cpu_jiffies() -> list[int]:
    """The machine's CPU time counters (/proc/stat: user nice system idle iowait irq softirq steal), or []."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            return [int(v) for v in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return []


def cpu_shares(before: list[int], after: list[int]) -> dict[str, float]:
    if len(before) < 8 or len(after) < 8:
        return {}
    d = [b - a for a, b in zip(before, after)]
    total = sum(d) or 1
    busy = d[0] + d[1] + d[2] + d[5] + d[6]
    return {"busy": round(100 * busy / total, 1), "idle": round(100 * (d[3] + d[4]) / total, 1),
            "steal": round(100 * d[7] / total, 1)}


def summary(t: Tally, args: argparse.Namespace, db: str) -> dict[str, Any]:
    ms = lambda v: round(v * 1000, 1)  # noqa: E731
    writes, reads = t.total("write"), t.total("read")
    return {
        "database": db, "workers": args.workers, "seconds": args.seconds, "readers": args.readers,
        "writers": args.writers,
        "writes": writes, "writes_per_s": round(writes / args.seconds, 1), "write_errors": t.errors("write"),
        "write_error_rate": round(t.errors("write") / writes, 4) if writes else None,
        "write_p50_ms": ms(th.percentile(t.write_latency, 50)), "write_p99_ms": ms(th.percentile(t.write_latency, 99)),
        "reads": reads, "read_errors": t.errors("read"),
        "read_error_rate": round(t.errors("read") / reads, 4) if reads else None,
        "read_p50_ms": ms(th.percentile(t.read_latency, 50)), "read_p99_ms": ms(th.percentile(t.read_latency, 99)),
        "sse_opened": t.sse_opened, "sse_failed": t.sse_failed, "sse_dropped": t.sse_dropped,
        "sse_open_p99_ms": ms(th.percentile(t.sse_open_latency, 99)), "sse_events_delivered": t.sse_events,
        "rss_max_mb": round(max(t.rss_samples, default=0) / 2**20, 1),
        "rss_end_mb": round((t.rss_samples[-1] if t.rss_samples else 0) / 2**20, 1),
        "outcomes": dict(t.outcomes),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--readers", type=int, default=500)
    ap.add_argument("--writers", type=int, default=50)
    ap.add_argument("--read-every", type=float, default=10.0, help="seconds between a reader's page reads")
    ap.add_argument("--write-every", type=float, default=0.5, help="seconds between a writer's comments")
    ap.add_argument("--postgres", action="store_true", help="use a fresh PostgreSQL database (see --pg-admin)")
    ap.add_argument("--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--workers", type=int, default=1, help="server worker processes (PostgreSQL only)")
    ap.add_argument("--policy", help="policy file (default: the packaged house rules)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if psutil is None:
        print("note: psutil is not installed (pip install psutil): no RSS figures", file=sys.stderr)

    workdir = Path(tempfile.mkdtemp(prefix="townhall-load-"))
    db_url, pg_name = (create_pg_database(args.pg_admin) if args.postgres else (None, None))
    server = None
    try:
        if db_url:
            # migrate once before the workers start (each worker would otherwise race to do it)
            from townhall.store.db import Database

            Database(db_url).migrate()
        server = th.start_townhall(workdir, db=db_url, policy=args.policy, workers=args.workers)
        for i in range(THREADS):  # the articles exist and have a few comments before the readers arrive
            httpx.post(f"{server.url}/api/v1/threads/load-{i}/comments", json={"text": "First!"},
                       headers={"Authorization": f"Bearer {th.mint_token('load-seed')}"}, timeout=60)
        rss_before = server_rss(server.pid)
        cpu_before = cpu_jiffies()
        tally = asyncio.run(run(server, args))
        cpu_after = cpu_jiffies()
        alive = server.proc.poll() is None
    finally:
        if server is not None:
            server.stop()
        if pg_name:
            drop_pg_database(args.pg_admin, pg_name)
        shutil.rmtree(workdir, ignore_errors=True)

    out = summary(tally, args, "postgresql" if db_url else "sqlite")
    out["rss_idle_mb"] = round(rss_before / 2**20, 1)
    out["server_alive_at_end"] = alive
    out["machine"] = th.machine_note()
    out["machine_cpu"] = cpu_shares(cpu_before, cpu_after)
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print(f"Townhall soak — {out['machine']}")
        print(f"{out['database']}, {args.workers} worker(s), {args.seconds:g} s: {args.readers} SSE readers "
              f"(page read every ~{args.read_every:g} s) + {args.writers} writers (a comment every ~{args.write_every:g} s)")
        print(f"  writes: {out['writes']} ({out['writes_per_s']}/s), errors {out['write_errors']} "
              f"({(out['write_error_rate'] or 0) * 100:.2f} %), p50 {out['write_p50_ms']} ms, p99 {out['write_p99_ms']} ms")
        print(f"  reads:  {out['reads']}, errors {out['read_errors']} ({(out['read_error_rate'] or 0) * 100:.2f} %), "
              f"p50 {out['read_p50_ms']} ms, p99 {out['read_p99_ms']} ms")
        print(f"  SSE: {out['sse_opened']} opened, {out['sse_failed']} failed, {out['sse_dropped']} dropped early, "
              f"open p99 {out['sse_open_p99_ms']} ms, {out['sse_events_delivered']} comment events delivered")
        print(f"  server RSS: idle {out['rss_idle_mb']} MB, max {out['rss_max_mb']} MB, end {out['rss_end_mb']} MB; "
              f"alive at end: {alive}")
        print(f"  outcomes: {out['outcomes']}")
        shares = out["machine_cpu"]
        if shares:
            print("  machine CPU during the run: " + ", ".join(f"{k} {v} %" for k, v in shares.items())
                  + " (steal: time the hypervisor gave to other machines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
