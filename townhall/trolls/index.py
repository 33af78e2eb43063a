"""The service-facing entry points: an incremental index and a batch function."""

from __future__ import annotations

import random
from contextlib import AbstractContextManager, nullcontext
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
    that :meth:`account_score` returns. Randomness (Louvain, baselines) comes from ``rng``: its state when
    the index is made is replayed at every analysis, so the same events give the same report however often
    and whenever they are analysed, and whatever order they were added in.
    """

    def __init__(self, config: DetectorConfig | None = None, rng: random.Random | None = None) -> None:
        self.config = config or DetectorConfig()
        self._rng_state = (rng if rng is not None else random.Random(0)).getstate()
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
            horizon = int(self.config.horizon.total_seconds())
            if self._store.newest - self._store.oldest > 3 * horizon:
                # never analysed for a long while (no schedule): memory stays bounded. Only events that any
                # analysis at or after the newest event would drop anyway are dropped.
                self._store.prune(self._store.newest - 2 * horizon)
        else:
            self._store.add_reaction(event)

    def has_comment(self, event_id: str) -> bool:
        """Whether the comment with this id is recorded (recording it again changes nothing)."""
        return self._store.has_comment(event_id)

    def signature(self, text: str) -> np.ndarray | None:
        """The MinHash values under which a comment's text is indexed (``None``: too short to compare).
        Reads nothing of the index: safe to call without holding its lock."""
        return self._fp.signature(text)

    def analyse(self, now: datetime, guard: AbstractContextManager[object] | None = None) -> Report:
        """Analyse the events of the horizon ending at ``now``. ``guard`` (the lock a service holds around
        :meth:`add`) is held only while the stored events are pruned and copied, so that comments go on being
        added during the analysis (which must not run twice at once on one index)."""
        rng = random.Random()
        rng.setstate(self._rng_state)
        self._report = analyse_store(self._store, now, self.config, rng, guard or nullcontext())
        return self._report

    @property
    def report(self) -> Report | None:
        return self._report

    def adopt_report(self, report: Report | None) -> None:
        """Answer :meth:`account_score` from ``report`` until the next analysis: an index read back afresh keeps
        the scores of the one it replaces."""
        self._report = report

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
        return {self._store.accounts.names[a]: j for a, j in self._store.similar(sig, threshold).items()}


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
