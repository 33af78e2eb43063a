"""The service-facing entry points: an incremental index and a batch function."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Iterable

import numpy as np
from datasketch import LeanMinHash

from townhall.trolls.analysis import analyse_store
from townhall.trolls.config import DetectorConfig
from townhall.trolls.events import CommentEvent, ReactionEvent
from townhall.trolls.report import Report
from townhall.trolls.store import UNSET, EventStore, Unset
from townhall.trolls.text import TextFingerprinter, jaccard


class CoordinationIndex:
    """Feed every posted comment (and reaction) with :meth:`add`; call :meth:`analyse` on a schedule.

    ``add`` only fingerprints and appends (tens of microseconds). ``analyse(now)`` drops events older
    than ``config.horizon``, recomputes every signal against its chance model and replaces the scores
    that :meth:`account_score` returns. Randomness (Louvain, baselines) comes from ``rng``.
    """

    def __init__(self, config: DetectorConfig | None = None, rng: random.Random | None = None) -> None:
        self.config = config or DetectorConfig()
        self._rng = rng if rng is not None else random.Random(0)
        self._fp = TextFingerprinter()
        self._store = EventStore(self._fp)
        self._report: Report | None = None

    def __len__(self) -> int:
        return len(self._store)

    def add(self, event: CommentEvent | ReactionEvent, signature: np.ndarray | None | Unset = UNSET) -> None:
        """Record an event. ``signature``: the comment's :meth:`signature`, if the caller worked it out
        already (a service computes it before taking the lock that guards this index)."""
        if isinstance(event, CommentEvent):
            self._store.add_comment(event, signature)
        else:
            self._store.add_reaction(event)

    def has_comment(self, event_id: str) -> bool:
        """Whether the comment with this id is recorded (recording it again changes nothing)."""
        return self._store.has_comment(event_id)

    def signature(self, text: str) -> np.ndarray | None:
        """The MinHash values under which a comment's text is indexed (``None``: too short to compare).
        Reads nothing of the index: safe to call without holding its lock."""
        return self._fp.signature(text)

    def analyse(self, now: datetime) -> Report:
        self._report = analyse_store(self._store, now, self.config, self._rng)
        return self._report

    @property
    def report(self) -> Report | None:
        return self._report

    def account_score(self, account: str) -> tuple[float, str | None] | None:
        """(score 0..1, cluster id) from the last analysis; ``None`` if never analysed or not seen."""
        if self._report is None:
            return None
        result = self._report.accounts.get(account)
        return None if result is None else (result.score, result.cluster)

    def minhash(self, text: str) -> LeanMinHash:
        """MinHash of a text, comparable with :func:`townhall.trolls.text.jaccard` (ban evasion)."""
        return self._fp.minhash(text)

    def near_duplicate_accounts(self, text: str, threshold: float = 0.5) -> dict[str, float]:
        """Accounts in the horizon that posted wording near-identical to ``text``: account -> best Jaccard.

        A linear scan over stored signatures (vectorised); meant for occasional checks such as a new
        account's first comments against banned accounts' writing, not for every comment.
        """
        sig = self._fp.signature(text)
        if sig is None:
            return {}
        c = self._store.columns()
        if not len(c.sigs):
            return {}
        sim = (c.sigs == sig).mean(axis=1)
        rows = (sim >= threshold).nonzero()[0]
        ev_rows = (c.sig_row >= 0).nonzero()[0]
        out: dict[str, float] = {}
        for r in rows.tolist():
            name = self._store.accounts.names[int(c.acc[ev_rows[r]])]
            out[name] = max(out.get(name, 0.0), float(sim[r]))
        return out


def analyse_events(events: Iterable[CommentEvent | ReactionEvent], now: datetime | None = None,
                   config: DetectorConfig | None = None, rng: random.Random | None = None) -> Report:
    """Batch: index every event, then analyse once. ``now`` defaults to the latest event time (not the clock)."""
    index = CoordinationIndex(config, rng)
    latest: datetime | None = None
    for e in events:
        index.add(e)
        if latest is None or e.created_at > latest:
            latest = e.created_at
    when = now or latest
    if when is None:
        raise ValueError("no events and no 'now' given")
    return index.analyse(when)


__all__ = ["CoordinationIndex", "analyse_events", "jaccard"]
