"""Townhall against Isso (a popular self-hosted comment server) under the same workload.

Installs Isso from PyPI into its own virtual environment under ``.cache/bench/isso-venv`` (once), then
runs each server in turn on a loopback port, both on SQLite:

* Townhall: ``townhall serve`` (one process), the packaged default policy with every rule on (F-word
  matcher, abusive and obscene classifiers, coordination), rate limits off;
* Isso: ``gunicorn isso.run`` with one worker process and 16 threads (``--isso-workers``/``--isso-threads``
  to change), its guard (per-IP rate limit) off, no moderation queue.

The load comes from this process (asyncio, one keep-alive connection per simulated user: bench/loadclient.py),
never from inside a server: comments posted per second
and p50/p99 latency at concurrency 1, 16 and 64, and reads of a 100-comment thread per second and p99.
Both servers run at once but are loaded one at a time, row by row (Townhall, then Isso), and each row also
reports the server's CPU time per request (process and children, from /proc), which a busy machine
disturbs less than throughput.
Every row gets a ratio oriented so that > 1 means Townhall did better (throughput: Townhall/Isso;
latency: Isso/Townhall).

Usage::

    python bench/compare.py                  # table
    python bench/compare.py --json           # rows {"workload","concurrency","townhall","isso","unit","ratio"}
    python bench/compare.py --seconds 4 --concurrency 1,16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api as th  # noqa: E402  (bench/api.py: server start-up, load loop, Townhall workloads)

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench"
ISSO_VENV = CACHE / "isso-venv"
ISSO_REQUIREMENTS = ["isso==0.14.0", "gunicorn==27.0.1"]  # pinned so that figures stay comparable


def isso_python() -> Path:
    python = ISSO_VENV / "bin" / "python"
    marker = ISSO_VENV / ".installed"
    if python.exists() and marker.exists() and marker.read_text() == " ".join(ISSO_REQUIREMENTS):
        return python
    print(f"installing {' '.join(ISSO_REQUIREMENTS)} into {ISSO_VENV} ...", file=sys.stderr)
    if ISSO_VENV.exists():
        shutil.rmtree(ISSO_VENV)
    venv.EnvBuilder(with_pip=True).create(ISSO_VENV)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *ISSO_REQUIREMENTS], check=True)
    marker.write_text(" ".join(ISSO_REQUIREMENTS))
    return python


def isso_config(workdir: Path, port: int) -> Path:
    conf = workdir / "isso.cfg"
    conf.write_text(f"""[general]
dbpath = {workdir / 'isso.db'}
host = http://127.0.0.1:{port}/
notify = stdout
gravatar = false

[moderation]
enabled = false

[server]
listen = http://127.0.0.1:{port}/

[guard]
# Isso refuses more than `ratelimit` new comments per IP and minute by default (2); the bench posts from one IP.
enabled = false
ratelimit = 1000000
direct-reply = 1000000
reply-to-self = true
require-author = false
require-email = false
""", encoding="utf-8")
    return conf


def start_isso(workdir: Path, workers: int, threads: int) -> th.Server:
    python = isso_python()
    port = th.free_port()
    conf = isso_config(workdir, port)
    env = {**os.environ, "ISSO_SETTINGS": str(conf)}
    log = workdir / f"isso-{port}.log"
    cmd = [str(python), "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", str(workers), "--threads", str(threads),
           "-k", "gthread", "--log-level", "warning", "--preload", "isso.run"]
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=str(workdir))
    server = th.Server(proc, f"http://127.0.0.1:{port}", log)
    try:
        th.wait_http(server.url + "/?uri=/nothing", proc, 60)
    except Exception:
        server.kill()
        raise RuntimeError(f"Isso did not start; log {log}:\n{log.read_text(errors='replace')[-3000:]}") from None
    return server


def isso_post(base: str, uri: str, seed: int) -> th.Request:
    rng = random.Random(seed)
    url = f"{base}/new"

    async def post(client: th.LoadClient, index: int) -> tuple[str, bool]:
        body = {"text": th.comment_text(rng), "author": f"Reader {rng.randrange(200)}", "title": "Bench article"}
        r = await client.post(url, params={"uri": uri}, json=body)
        return str(r.status_code), r.status_code == 201

    return post


def isso_read(base: str, uri: str) -> th.Request:
    async def read(client: th.LoadClient, index: int) -> tuple[str, bool]:
        r = await client.get(base + "/", params={"uri": uri, "limit": 100})
        return str(r.status_code), r.status_code == 200

    return read


def isso_seed(base: str, uri: str, count: int = 100) -> int:
    rng = random.Random(7)
    with httpx.Client(timeout=60) as client:
        for _ in range(count):
            r = client.post(f"{base}/new", params={"uri": uri},
                            json={"text": th.comment_text(rng), "author": "Seeder", "title": "Bench article"})
            r.raise_for_status()
            client.cookies.clear()
        r = client.get(base + "/", params={"uri": uri, "limit": 100})
        r.raise_for_status()
        return len(r.json()["replies"])


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its children (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = {pid}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                pids.add(int(entry.name))
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run_one(server: th.Server, request: th.Request, c: int, seconds: float) -> th.Stats:
    cpu0 = process_tree_cpu(server.pid)
    stats = asyncio.run(th.drive(request, c, seconds, warmup=0.0))
    stats.server_cpu = process_tree_cpu(server.pid) - cpu0  # type: ignore[attr-defined]
    return stats


def measure(town: th.Server, isso: th.Server, levels: list[int], seconds: float
            ) -> tuple[dict[tuple[str, int], th.Stats], dict[tuple[str, int], th.Stats]]:
    """Each row is measured on Townhall and on Isso back to back (both servers up, only one loaded at a
    time), so that a change in the machine's other load hits both alike."""
    out_t: dict[tuple[str, int], th.Stats] = {}
    out_i: dict[tuple[str, int], th.Stats] = {}
    for c in levels:
        for kind in ("post", "read100"):
            if kind == "post":
                jobs = [(out_t, "townhall", town, th.townhall_post(town.url, f"post-{c}", seed=c)),
                        (out_i, "isso", isso, isso_post(isso.url, f"/post-{c}", seed=c))]
            else:
                jobs = [(out_t, "townhall", town, th.townhall_read(town.url, "read")),
                        (out_i, "isso", isso, isso_read(isso.url, "/read"))]
            for out, name, server, request in jobs:
                asyncio.run(th.drive(request, c, 0.5, warmup=0.0))  # warm-up, not counted
                s = out[(kind, c)] = run_one(server, request, c, seconds)
                print(f"  {name:<8} {kind:<8} c={c:<3} {s.rate:8.1f}/s p50 {s.pct(50) * 1000:7.1f} ms "
                      f"p99 {s.pct(99) * 1000:7.1f} ms server CPU {cpu_ms(s):6.1f} ms/req errors {s.errors} "
                      f"{dict(s.statuses)}", file=sys.stderr)
    return out_t, out_i


def cpu_ms(s: th.Stats) -> float:
    return 1000 * getattr(s, "server_cpu", 0.0) / s.ok if s.ok else float("nan")


def rows_of(town: dict[tuple[str, int], th.Stats], isso: dict[tuple[str, int], th.Stats]) -> list[dict[str, Any]]:
    rows = []
    for (kind, c), t in town.items():
        i = isso[(kind, c)]
        label = "comments posted" if kind == "post" else "thread reads (100 comments)"
        rows.append({"workload": f"{label} per second", "concurrency": c, "townhall": round(t.rate, 1),
                     "isso": round(i.rate, 1), "unit": "1/s", "ratio": round(t.rate / i.rate, 2) if i.rate else None})
        short = "post" if kind == "post" else "read"
        for q in ((50, 99) if kind == "post" else (99,)):
            tv, iv = t.pct(q) * 1000, i.pct(q) * 1000
            rows.append({"workload": f"{short} p{q} latency", "concurrency": c,
                         "townhall": round(tv, 1), "isso": round(iv, 1), "unit": "ms",
                         "ratio": round(iv / tv, 2) if tv else None})
        tc, ic = cpu_ms(t), cpu_ms(i)
        rows.append({"workload": f"server CPU per {short}", "concurrency": c, "townhall": round(tc, 1),
                     "isso": round(ic, 1), "unit": "ms", "ratio": round(ic / tc, 2) if tc else None})
        for name, s in (("townhall", t), ("isso", i)):
            if s.errors:
                rows[-1].setdefault("errors", {})[name] = s.errors
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concurrency", default="1,16,64")
    ap.add_argument("--seconds", type=float, default=8.0, help="measured seconds per workload and level (default 8)")
    ap.add_argument("--isso-workers", type=int, default=1)
    ap.add_argument("--isso-threads", type=int, default=16)
    ap.add_argument("--policy", help="Townhall policy file (default: the packaged house rules, every rule on)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]

    isso_python()
    workdir = Path(tempfile.mkdtemp(prefix="townhall-compare-"))
    (workdir / "townhall").mkdir()
    (workdir / "isso").mkdir()
    town_server = isso_server = None
    try:
        town_server = th.start_townhall(workdir / "townhall", policy=args.policy)
        isso_server = start_isso(workdir / "isso", args.isso_workers, args.isso_threads)
        listed = th.seed_thread(town_server.url, "read")
        assert listed == 100, f"Townhall read thread has {listed} comments"
        listed = isso_seed(isso_server.url, "/read")
        assert listed == 100, f"Isso read thread has {listed} comments"
        town, isso = measure(town_server, isso_server, levels, args.seconds)
    finally:
        for server in (town_server, isso_server):
            if server is not None:
                server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    rows = rows_of(town, isso)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"Townhall vs Isso — {th.machine_note()}")
    print(f"Townhall: 1 process, {args.policy or 'default policy, all rules on'}; Isso {ISSO_REQUIREMENTS[0]}: "
          f"gunicorn {args.isso_workers} worker(s) x {args.isso_threads} threads; both SQLite; load from a separate process")
    print(f"{'workload':<42} {'conc':>4} {'Townhall':>10} {'Isso':>10} {'unit':>4} {'ratio':>6}")
    for r in rows:
        ratio = "n/a" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(f"{r['workload']:<42} {r['concurrency']:>4} {r['townhall']:>10} {r['isso']:>10} {r['unit']:>4} {ratio:>6}"
              + (f"  errors {r['errors']}" if r.get("errors") else ""))
    print("ratio > 1: Townhall better (throughput Townhall/Isso, latency Isso/Townhall)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
