"""Use case behind ``townhall trolls``: read comment events as JSON lines, analyse them in one batch,
write one JSON line per account. The command only wires files and a progress bar to this."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable, Iterator, TextIO

from townhall.trolls.config import DetectorConfig
from townhall.trolls.events import CommentEvent, EventFormatError, comment_from_dict
from townhall.trolls.index import CoordinationIndex
from townhall.trolls.report import Report


@dataclass
class BatchSummary:
    events: int = 0
    accounts: int = 0
    flagged: int = 0
    clusters_flagged: int = 0
    problems: list[str] = field(default_factory=list)  # "line N: why"


def parse_lines(lines: Iterable[str], problems: list[str]) -> Iterator[CommentEvent]:
    """Events from JSON lines; a malformed line is reported as ``line N: why`` and skipped, and so is a comment
    whose id an earlier line already used (the first one counts, as in the service). A byte order mark
    before the first line is ignored."""
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if number == 1:
            line = line.removeprefix("\ufeff")
        if not line.strip():
            continue
        try:
            event = comment_from_dict(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc.msg})")
            continue
        except RecursionError:
            problems.append(f"line {number}: not JSON (nested too deeply)")
            continue
        except EventFormatError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        seen = first_line.setdefault(event.id, number)
        if seen != number:
            problems.append(f"line {number}: comment id {event.id!r} was already used on line {seen}")
            continue
        yield event


def account_lines(report: Report) -> Iterator[dict[str, object]]:
    """One record per account: flagged first, then by score; evidence is the account's cluster's."""
    evidence = {c.id: list(c.evidence) for c in report.clusters}
    ordered = sorted(report.accounts.values(), key=lambda r: (not r.flagged, -r.score, r.account))
    for result in ordered:
        yield result.to_dict(evidence.get(result.cluster, []) if result.cluster and result.score >= 0.5 else [])


def run_batch(source: TextIO, sink: TextIO, threshold: float | None = None, seed: int = 0,
              now: datetime | None = None, on_line: Callable[[int], None] | None = None) -> BatchSummary:
    """Analyse every event in ``source``; ``now`` defaults to the latest event time. ``on_line(bytes)``
    is called per input line (for a progress bar)."""
    config = DetectorConfig() if threshold is None else DetectorConfig(threshold=threshold)
    # A batch over an archive should see all of it: stretch the horizon to cover the input.
    index = CoordinationIndex(config, random.Random(seed))
    summary = BatchSummary()

    def lines() -> Iterator[str]:
        for line in source:
            if on_line is not None:
                on_line(len(line.encode("utf-8", errors="replace")))
            yield line

    latest: datetime | None = None
    earliest: datetime | None = None
    events = []
    for event in parse_lines(lines(), summary.problems):
        events.append(event)
        latest = event.created_at if latest is None or event.created_at > latest else latest
        earliest = event.created_at if earliest is None or event.created_at < earliest else earliest
    events.sort(key=lambda e: e.created_at)
    if latest is not None and earliest is not None and latest - earliest > config.horizon:
        from dataclasses import replace

        index = CoordinationIndex(replace(config, horizon=latest - earliest), random.Random(seed))
    for event in events:
        index.add(event)
    summary.events = len(events)
    when = now or latest
    if when is None:
        return summary
    report = index.analyse(when)
    for record in account_lines(report):
        sink.write(json.dumps(record, ensure_ascii=False) + "\n")
        summary.accounts += 1
        summary.flagged += int(bool(record["flagged"]))
    summary.clusters_flagged = sum(1 for c in report.clusters if c.flagged)
    return summary
