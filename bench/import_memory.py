"""Memory and speed of `townhall import disqus` on a large export.

Writes a synthetic but realistic Disqus export of about ``--mb`` megabytes (categories, threads, then posts
with nested replies — some listed before their parent —, HTML messages, non-ASCII text in several scripts,
deleted, spam and unapproved posts, a few comments the house rules would refuse, one malformed record), then
runs the real command in a child process, into a fresh SQLite file:

    townhall import disqus EXPORT --db sqlite:///…/townhall.db --json

and prints the file's size, the wall time, comments imported per second and the child's peak RSS (its own
``ru_maxrss``, from ``os.wait4``), with peak RSS ÷ file size. So that the ratio can be read honestly it also
measures two baselines, each in its own child: a Python process that only imports Townhall's CLI, and the
same import command on a tiny export (services built, policy and classifiers loaded: the fixed cost).

    python bench/import_memory.py                 # 50 MB, the packaged house rules (classifiers included)
    python bench/import_memory.py --mb 200 --policy rules   # word-list rules only (no classifier)
    python bench/import_memory.py --mb 5 --dry-run --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
RULES_ONLY = ROOT / "tests" / "ops" / "fixtures" / "ops.policy.toml"

WORDS = ("the minister said ceasefire talks would resume next week although the opposition doubts it and readers "
         "ask who pays for the new bridge while the council defends its budget and the army denies the report "
         "turnout rose in the north where voters queued for hours to choose a new mayor").split()
FOREIGN = ["Пожалуй, соглашусь — но кто это проверит?", "Zürich's cafés sind überteuert, aber gemütlich.",
           "素晴らしい記事です。ありがとう。", "C'est déjà la troisième fois cette année…", "Ξέρει κανείς την πηγή;",
           "这个报道很有意思 🤔", "¿Quién paga el puente nuevo? 🙄", "مقال رائع، شكرا"]
NAMES = ["Anna Schmidt", "Иван Петров", "Kim Lee", "José Álvarez", "Ngozi Okafor", "Mika Häkkinen", "佐藤 花子",
         "Sam O'Brien", "Priya Natarajan", "Lars Øberg"]


@dataclass
class Run:
    label: str
    seconds: float
    peak_rss_mb: float
    exit_code: int
    report: dict[str, object] | None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _message(rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 70)))
        if rng.random() < 0.25:
            words += " " + rng.choice(FOREIGN)
        if rng.random() < 0.1:
            words += ' see <a href="https://example.org/source">the source</a>'
        if rng.random() < 0.003:
            words += " what the fuck"
        paragraphs.append(f"<p>{words.capitalize()}.</p>")
    return "".join(paragraphs)


def write_export(out: TextIO, megabytes: float, seed: int = 7) -> int:
    """A Disqus export of about ``megabytes`` MB; returns the number of posts written."""
    rng = random.Random(seed)
    target = int(megabytes * 1_000_000)
    written = 0

    def emit(text: str) -> None:
        nonlocal written
        out.write(text)
        written += len(text.encode("utf-8"))

    emit('<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
         'xmlns:dsq="http://disqus.com/disqus-internals" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n')
    emit('  <category dsq:id="1">\n    <forum>gazette</forum>\n    <title>General</title>\n'
         '    <isDefault>true</isDefault>\n  </category>\n')
    threads = max(20, target // 40_000)  # about 40 posts a thread
    for t in range(threads):
        slug = f"story-{t}-{rng.choice(WORDS)}"
        emit(f'  <thread dsq:id="{100_000 + t}">\n    <id>{slug}</id>\n    <forum>gazette</forum>\n'
             f'    <category dsq:id="1" />\n    <link>https://gazette.example/news/{slug}</link>\n'
             f'    <title>{_escape(" ".join(rng.choice(WORDS) for _ in range(8)).title())}</title>\n    <message />\n'
             f'    <createdAt>2016-{1 + t % 12:02d}-{1 + t % 28:02d}T08:00:00Z</createdAt>\n'
             f'    <author>\n      <name>Gazette</name>\n      <isAnonymous>false</isAnonymous>\n'
             f'      <username>gazette</username>\n    </author>\n'
             f'    <isClosed>{"true" if t % 17 == 0 else "false"}</isClosed>\n    <isDeleted>false</isDeleted>\n'
             f'  </thread>\n')
    by_thread: dict[int, list[int]] = {}
    held_back: list[str] = []
    posts = 0
    while written < target:
        post_id = 1_000_000 + posts
        thread = rng.randrange(threads)
        siblings = by_thread.setdefault(thread, [])
        parent = rng.choice(siblings[-30:]) if siblings and rng.random() < 0.6 else None
        siblings.append(post_id)
        author = rng.randrange(max(50, target // 5_000))
        name = f"{rng.choice(NAMES)} {author}"
        anonymous = author % 11 == 0
        flags = rng.random()
        deleted, spam = flags < 0.03, 0.03 <= flags < 0.05
        approved = "false" if 0.05 <= flags < 0.07 else "true"
        email = f"    <email>reader{author}@example.org</email>\n" if not anonymous else ""
        username = f"      <username>reader{author}</username>\n" if not anonymous else ""
        record = (f'  <post dsq:id="{post_id}">\n    <id />\n    <message><![CDATA[{_message(rng)}]]></message>\n'
                  f'    <createdAt>2016-{1 + posts % 12:02d}-{1 + posts % 28:02d}T{posts % 24:02d}:{posts % 60:02d}:'
                  f'{rng.randrange(60):02d}Z</createdAt>\n'
                  f'    <isDeleted>{str(deleted).lower()}</isDeleted>\n    <isSpam>{str(spam).lower()}</isSpam>\n'
                  f'    <isApproved>{approved}</isApproved>\n'
                  f'    <author>\n  {email}      <name>{_escape(name)}</name>\n'
                  f'      <isAnonymous>{str(anonymous).lower()}</isAnonymous>\n{username}    </author>\n'
                  f'    <ipAddress>203.0.113.{author % 250}</ipAddress>\n    <thread dsq:id="{100_000 + thread}" />\n'
                  + (f'    <parent dsq:id="{parent}" />\n' if parent else "") + "  </post>\n")
        if parent is not None and rng.random() < 0.02:
            held_back.append(record)  # a reply listed before its parent, as Disqus sometimes does
        else:
            emit(record)
            if held_back and rng.random() < 0.5:
                emit(held_back.pop())
        posts += 1
        if posts == 100:
            emit('  <post dsq:id="999999">\n    <message><![CDATA[broken]]></message>\n    <createdAt>oops\n  </post>\n')
    for record in held_back:
        emit(record)
    emit("</disqus>\n")
    return posts


def run_child(label: str, argv: list[str], env: dict[str, str]) -> Run:
    """Run a child, measuring its wall time and its own peak RSS (ru_maxrss, KiB on Linux)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = output.decode("utf-8", "replace")
    report = json.loads(text[text.index("{"):]) if "{" in text else None
    return Run(label, seconds, usage.ru_maxrss / 1024, proc.returncode, report)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=50, help="size of the synthetic export, in MB (default 50)")
    ap.add_argument("--policy", choices=("default", "rules"), default="default",
                    help="the packaged house rules (classifiers included) or the word-list rules only")
    ap.add_argument("--dry-run", action="store_true", help="import with --dry-run")
    ap.add_argument("--keep", type=Path, help="write the export here and keep it (default: a temporary folder)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="townhall-import-bench-") as tmp:
        work = Path(tmp)
        export = args.keep or work / "disqus-export.xml"
        started = time.perf_counter()
        with export.open("w", encoding="utf-8") as fh:
            posts = write_export(fh, args.mb)
        generated = time.perf_counter() - started
        size = export.stat().st_size
        tiny = work / "tiny.xml"
        with tiny.open("w", encoding="utf-8") as fh:
            write_export(fh, 0.01, seed=3)
        env = {**os.environ, "TOWNHALL_DATA_DIR": str(work / "data"), "PYTHONUNBUFFERED": "1"}
        env.pop("TOWNHALL_DATABASE_URL", None)
        if args.policy == "rules":
            env["TOWNHALL_POLICY"] = str(RULES_ONLY)
        else:
            env.pop("TOWNHALL_POLICY", None)

        def command(path: Path, db: str) -> list[str]:
            cli = [sys.executable, "-c", "from townhall.cli import main; main()"]
            return [*cli, "import", "disqus", str(path), "--db", f"sqlite:///{work / db}", "--json",
                    *(["--dry-run"] if args.dry_run else [])]

        idle = run_child("idle", [sys.executable, "-c", "import townhall.cli, townhall.service.importing"], env)
        fixed = run_child("tiny", command(tiny, "tiny.db"), env)
        big = run_child("import", command(export, "townhall.db"), env)
    if big.exit_code != 0 or big.report is None:
        print(f"the import failed (exit code {big.exit_code})", file=sys.stderr)
        return 1
    comments = int(big.report["comments_new"])  # type: ignore[call-overload]
    mb = size / 2**20
    figures = {
        "file_mb": round(mb, 1), "posts_in_file": posts, "comments_imported": comments,
        "problems": len(big.report["problems"]),  # type: ignore[arg-type]
        "policy": args.policy, "dry_run": args.dry_run, "generated_s": round(generated, 1),
        "wall_s": round(big.seconds, 1), "comments_per_s": round(comments / big.seconds),
        "peak_rss_mb": round(big.peak_rss_mb, 1), "peak_rss_per_file_size": round(big.peak_rss_mb / mb, 2),
        "idle_rss_mb": round(idle.peak_rss_mb, 1), "tiny_import_rss_mb": round(fixed.peak_rss_mb, 1),
        "above_idle_per_file_size": round((big.peak_rss_mb - idle.peak_rss_mb) / mb, 2),
        "above_tiny_import_per_file_size": round((big.peak_rss_mb - fixed.peak_rss_mb) / mb, 2),
        "runs": [asdict(r) | {"report": None} for r in (idle, fixed, big)],
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"Disqus export: {mb:.1f} MiB, {posts:,} posts (generated in {generated:.1f} s); policy: {args.policy}"
          f"{'; dry run' if args.dry_run else ''}")
    print(f"import: {big.seconds:.1f} s wall, {comments:,} comments, {comments / big.seconds:,.0f} comments/s, "
          f"{figures['problems']} problem(s) reported")
    print(f"peak RSS: {big.peak_rss_mb:,.1f} MiB = {big.peak_rss_mb / mb:.2f}x the file")
    print(f"baselines: idle Python importing Townhall {idle.peak_rss_mb:,.1f} MiB; "
          f"the same import of a tiny export {fixed.peak_rss_mb:,.1f} MiB")
    print(f"peak RSS above the idle baseline: {big.peak_rss_mb - idle.peak_rss_mb:,.1f} MiB = "
          f"{figures['above_idle_per_file_size']:.2f}x the file; above the tiny import: "
          f"{big.peak_rss_mb - fixed.peak_rss_mb:,.1f} MiB = {figures['above_tiny_import_per_file_size']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
