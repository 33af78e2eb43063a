"""`townhall trolls [INPUT.jsonl|-] [--threshold X]`: find coordinated accounts in a comment export."""

from __future__ import annotations

import os
import sys
from typing import TextIO

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from townhall.service.trolls_batch import BatchSummary, run_batch


def register(group: click.Group) -> None:
    @group.command("trolls")
    @click.argument("source", type=click.File("r", encoding="utf-8", errors="replace"), default="-")
    @click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=0.8, show_default=True,
                  help="Score at which an account is flagged (0.8 = two independent kinds of coordination).")
    @click.option("--seed", type=int, default=0, show_default=True, help="Seed for community detection.")
    def trolls(source: TextIO, threshold: float, seed: int) -> None:
        """Read comment events (JSON lines) and write one JSON line per account with its coordination
        score, whether it is flagged, its cluster and the evidence. Opinions are never a feature."""
        err = Console(stderr=True)
        size = None
        name = getattr(source, "name", "-")
        if name not in ("-", "<stdin>") and os.path.exists(name):
            size = os.path.getsize(name)
        try:
            summary = _run(source, threshold, seed, err, size)
        except BrokenPipeError:  # the reader of our output stopped (`townhall trolls x.jsonl | head`): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # the interpreter flushes stdout at exit: let that go nowhere
            raise SystemExit(1) from None
        for problem in summary.problems:
            err.print(f"skipped {problem}", markup=False, soft_wrap=True)
        err.print(f"{summary.events} events, {summary.accounts} accounts, {summary.flagged} flagged "
                  f"in {summary.clusters_flagged} cluster(s); {len(summary.problems)} malformed line(s) skipped", soft_wrap=True)


def _run(source: TextIO, threshold: float, seed: int, err: Console, size: int | None) -> BatchSummary:
    """Read the events and write the accounts, with a progress bar on a terminal."""
    if err.is_terminal:
        with Progress(TextColumn("reading events"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                      console=err, transient=True) as progress:
            task = progress.add_task("read", total=size)
            summary = run_batch(source, sys.stdout, threshold, seed, on_line=lambda n: progress.advance(task, n))
    else:
        summary = run_batch(source, sys.stdout, threshold, seed)
    return summary
