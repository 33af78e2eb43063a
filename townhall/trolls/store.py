"""Columnar, append-only storage of recent events: cheap ``add``, vectorised reads, horizon pruning."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import numpy as np

from townhall.trolls.events import CommentEvent, ReactionEvent
from townhall.trolls.text import NUM_PERM, TextFingerprinter


class Unset(Enum):
    """The type of :data:`UNSET`: "not given", where ``None`` is a meaningful value."""

    UNSET = "unset"


UNSET = Unset.UNSET
NO_TIME = -(2**62)
BLOCK = 65536


def epoch(t: datetime) -> int:
    return int(t.timestamp())


class Interner:
    """Maps names to dense ints and back."""

    __slots__ = ("ids", "names")

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: list[str] = []

    def __call__(self, name: str) -> int:
        i = self.ids.get(name)
        if i is None:
            i = self.ids[name] = len(self.names)
            self.names.append(name)
        return i

    def __len__(self) -> int:
        return len(self.names)

    def keep(self, used: np.ndarray) -> np.ndarray:
        """Forget every name whose id is not in ``used`` (sorted ids); the kept names keep their order. Returns
        the old-id -> new-id map (-1 for a forgotten name)."""
        remap = np.full(len(self.names), -1, dtype=np.int64)
        remap[used] = np.arange(len(used), dtype=np.int64)
        self.names = [self.names[i] for i in used.tolist()]
        self.ids = {name: i for i, name in enumerate(self.names)}
        return remap


@dataclass(frozen=True, slots=True)
class Columns:
    """A read-only numpy view of the store at analysis time (comments then reactions)."""

    acc: np.ndarray  # int32 account id per comment
    thread: np.ndarray  # int32
    ts: np.ndarray  # int64 epoch seconds
    seq: np.ndarray  # int64 global comment sequence number
    parent: np.ndarray  # int64 parent comment seq, -1 if none/unknown
    ip: np.ndarray  # int32, -1 if none
    device: np.ndarray  # int32, -1 if none
    sig_row: np.ndarray  # int32 row in ``sigs`` or -1
    sigs: np.ndarray  # (n_sig, NUM_PERM) uint32
    r_acc: np.ndarray  # reactions: account, target comment seq, time
    r_target: np.ndarray
    r_ts: np.ndarray
    created: np.ndarray  # int64 per account id (NO_TIME if unknown)
    n_accounts: int


@dataclass(frozen=True, slots=True)
class Lookup:
    """The names and comment texts behind the ids of one :class:`Columns` copy. The lists are the store's own:
    ``add`` only appends to them and pruning replaces them, so they stay right for the copy."""

    accounts: list[str]
    threads: list[str]
    ips: list[str]
    devices: list[str]
    ids: list[str]  # comment id and text per position in the columns
    texts: list[str]

    def comment(self, i: int) -> tuple[str, str]:
        """(id, text) of the comment at position ``i`` of the columns."""
        return self.ids[i], self.texts[i]


class EventStore:
    __slots__ = (
        "accounts", "threads", "ips", "devices", "fp", "_acc", "_thread", "_ts", "_seq", "_parent", "_ip",
        "_device", "_sig_row", "_blocks", "_n_sig", "_ids", "_texts", "_seq_of", "_next_seq", "_created",
        "_r_acc", "_r_target", "_r_ts", "_r_keys", "_r_key_of_row", "_unresolved", "newest", "oldest",
    )

    def __init__(self, fingerprinter: TextFingerprinter | None = None) -> None:
        self.accounts = Interner()
        self.threads = Interner()
        self.ips = Interner()
        self.devices = Interner()
        self.fp = fingerprinter or TextFingerprinter()
        self._acc = array("i")
        self._thread = array("i")
        self._ts = array("q")
        self._seq = array("q")
        self._parent = array("q")
        self._ip = array("i")
        self._device = array("i")
        self._sig_row = array("i")
        self._blocks: list[np.ndarray] = []  # fixed-size blocks: appends never copy old signatures
        self._n_sig = 0
        self._ids: list[str] = []
        self._texts: list[str] = []
        self._seq_of: dict[str, int] = {}
        self._next_seq = 0
        self._created = array("q")
        self._r_acc = array("i")
        self._r_target = array("q")
        self._r_ts = array("q")
        # (account, comment, kind) of each recorded reaction: the same reaction may arrive from the process
        # that took it and from the database, and is recorded once
        self._r_keys: set[tuple[str, str, str]] = set()
        self._r_key_of_row: list[tuple[str, str, str]] = []
        # replies whose parent was not recorded when they were (another process took it, or it arrived later):
        # child seq -> parent id, resolved when the parent is recorded (see :meth:`columns`)
        self._unresolved: dict[int, str] = {}
        self.newest = NO_TIME  # the latest comment time recorded, and the earliest one kept (epoch seconds)
        self.oldest = -NO_TIME

    def __len__(self) -> int:
        return len(self._acc)

    def _account(self, name: str) -> int:
        a = self.accounts(name)
        if a == len(self._created):
            self._created.append(NO_TIME)
        return a

    def has_comment(self, event_id: str) -> bool:
        return event_id in self._seq_of

    def add_comment(self, ev: CommentEvent, signature: np.ndarray | None | Unset = UNSET) -> None:
        """Record a comment; one whose id is already recorded is ignored (the same comment may arrive from
        the process that took it and from the database)."""
        if self.has_comment(ev.id):
            return
        a = self._account(ev.account)
        if ev.account_created_at is not None:
            self._created[a] = epoch(ev.account_created_at)
        sig = self.fp.signature(ev.text) if signature is UNSET else signature
        row = -1
        if sig is not None:
            row = self._n_sig
            block, offset = divmod(row, BLOCK)
            if block == len(self._blocks):
                self._blocks.append(np.empty((BLOCK, NUM_PERM), dtype=np.uint32))
            self._blocks[block][offset] = sig
            self._n_sig += 1
        seq = self._next_seq
        self._next_seq += 1
        self._seq_of[ev.id] = seq
        self._acc.append(a)
        self._thread.append(self.threads(ev.thread))
        ts = epoch(ev.created_at)
        self._ts.append(ts)
        self.newest, self.oldest = max(self.newest, ts), min(self.oldest, ts)
        self._seq.append(seq)
        parent = self._seq_of.get(ev.parent, -1) if ev.parent is not None else -1
        if parent < 0 and ev.parent is not None:
            self._unresolved[seq] = ev.parent
        self._parent.append(parent)
        self._ip.append(self.ips(ev.ip) if ev.ip is not None else -1)
        self._device.append(self.devices(ev.device) if ev.device is not None else -1)
        self._sig_row.append(row)
        self._ids.append(ev.id)
        self._texts.append(ev.text)

    def add_reaction(self, ev: ReactionEvent) -> None:
        """Record a reaction to a recorded comment; one to an unknown comment, or one already recorded (the
        same account, comment and kind), is ignored."""
        target = self._seq_of.get(ev.comment)
        key = (ev.account, ev.comment, str(ev.kind))
        if target is None or key in self._r_keys:
            return
        self._r_keys.add(key)
        self._r_key_of_row.append(key)
        self._r_acc.append(self._account(ev.account))
        self._r_target.append(target)
        self._r_ts.append(epoch(ev.created_at))

    def lookup(self) -> Lookup:
        """Names and texts for the columns taken now (take both under the same lock)."""
        return Lookup(self.accounts.names, self.threads.names, self.ips.names, self.devices.names, self._ids, self._texts)

    def similar(self, sig: np.ndarray, threshold: float) -> dict[int, float]:
        """Account id -> best estimated Jaccard of its stored signatures with ``sig``, where >= ``threshold``.
        Block by block, without copying the stored signatures; a first look at a quarter of each signature
        skips the rows that cannot reach the threshold."""
        head = NUM_PERM // 4
        need_head = threshold * NUM_PERM - (NUM_PERM - head)  # matches a row needs among the first ``head``
        hits_rows: list[np.ndarray] = []
        hits_sim: list[np.ndarray] = []
        for b, block in enumerate(self._blocks):
            rows = block[: max(0, min(BLOCK, self._n_sig - b * BLOCK))]
            cand = np.arange(len(rows))
            if need_head > 0:
                cand = np.flatnonzero((rows[:, :head] == sig[:head]).sum(axis=1) >= need_head)
            sim = (rows[cand] == sig).mean(axis=1)
            good = sim >= threshold
            hits_rows.append(cand[good] + b * BLOCK)
            hits_sim.append(sim[good])
        if not hits_rows or not sum(len(h) for h in hits_rows):
            return {}
        sig_rows, sims = np.concatenate(hits_rows), np.concatenate(hits_sim)
        event_of_row = np.flatnonzero(np.frombuffer(self._sig_row, dtype=np.int32) >= 0)
        acc = np.frombuffer(self._acc, dtype=np.int32)[event_of_row[sig_rows]]
        out: dict[int, float] = {}
        for a, j in zip(acc.tolist(), sims.tolist()):
            out[a] = max(out.get(a, 0.0), j)
        return out

    def _signatures(self) -> np.ndarray:
        if not self._blocks:
            return np.zeros((0, NUM_PERM), dtype=np.uint32)
        return np.concatenate(self._blocks)[: self._n_sig] if len(self._blocks) > 1 else self._blocks[0][: self._n_sig]

    def _resolve_parents(self) -> None:
        """Link replies recorded before their parent to it, now that it is recorded: the same events give the
        same replies whatever order they came in (one process's comments reach another a little later)."""
        found = {child: p for child, parent in self._unresolved.items() if (p := self._seq_of.get(parent)) is not None}
        if not found:
            return
        seqs = np.frombuffer(self._seq, dtype=np.int64)
        children = np.fromiter(found, dtype=np.int64, count=len(found))
        for pos, child in zip(np.searchsorted(seqs, children).tolist(), children.tolist()):
            self._parent[pos] = found[child]
            del self._unresolved[child]

    def columns(self) -> Columns:
        """A copy of the stored events (``add`` may go on while an analysis reads it)."""
        self._resolve_parents()

        def np_of(arr: array, dtype: type) -> np.ndarray:
            return np.frombuffer(arr, dtype=dtype).copy() if len(arr) else np.zeros(0, dtype=dtype)

        return Columns(
            acc=np_of(self._acc, np.int32),
            thread=np_of(self._thread, np.int32),
            ts=np_of(self._ts, np.int64),
            seq=np_of(self._seq, np.int64),
            parent=np_of(self._parent, np.int64),
            ip=np_of(self._ip, np.int32),
            device=np_of(self._device, np.int32),
            sig_row=np_of(self._sig_row, np.int32),
            sigs=self._signatures(),
            r_acc=np_of(self._r_acc, np.int32),
            r_target=np_of(self._r_target, np.int64),
            r_ts=np_of(self._r_ts, np.int64),
            created=np_of(self._created, np.int64),
            n_accounts=len(self.accounts),
        )

    def prune(self, cutoff: int) -> int:
        """Drop comments and reactions older than ``cutoff`` (epoch seconds); returns comments dropped."""
        ts = np.frombuffer(self._ts, dtype=np.int64) if len(self._ts) else np.zeros(0, np.int64)
        keep = ts >= cutoff
        dropped = int(len(ts) - keep.sum())
        if dropped:
            for i in np.flatnonzero(~keep):
                self._seq_of.pop(self._ids[i], None)
            if self._unresolved:
                gone = set(np.frombuffer(self._seq, dtype=np.int64)[~keep].tolist())
                self._unresolved = {c: p for c, p in self._unresolved.items() if c not in gone}
            rows = np.frombuffer(self._sig_row, dtype=np.int32)[keep]
            has = rows >= 0
            kept_sigs = self._signatures()[rows[has]]
            self._n_sig = int(has.sum())
            self._blocks = [kept_sigs[i : i + BLOCK].copy() for i in range(0, self._n_sig, BLOCK)]
            if self._blocks and len(self._blocks[-1]) < BLOCK:
                last = np.empty((BLOCK, NUM_PERM), dtype=np.uint32)
                last[: len(self._blocks[-1])] = self._blocks[-1]
                self._blocks[-1] = last
            new_rows = np.full(len(rows), -1, dtype=np.int32)
            new_rows[has] = np.arange(self._n_sig, dtype=np.int32)
            self._sig_row = array("i", new_rows.tobytes())
            for name in ("_acc", "_thread", "_ts", "_seq", "_parent", "_ip", "_device"):
                col: array = getattr(self, name)
                kept = np.frombuffer(col, dtype=np.int32 if col.typecode == "i" else np.int64)[keep]
                setattr(self, name, array(col.typecode, kept.tobytes()))
            idx = np.flatnonzero(keep).tolist()
            self._ids = [self._ids[i] for i in idx]
            self._texts = [self._texts[i] for i in idx]
        r_dropped = False
        if len(self._r_ts):
            rkeep = np.frombuffer(self._r_ts, dtype=np.int64) >= cutoff
            if not rkeep.all():
                r_dropped = True
                for name in ("_r_acc", "_r_target", "_r_ts"):
                    col = getattr(self, name)
                    kept = np.frombuffer(col, dtype=np.int32 if col.typecode == "i" else np.int64)[rkeep]
                    setattr(self, name, array(col.typecode, kept.tobytes()))
                self._r_key_of_row = [k for k, keep_it in zip(self._r_key_of_row, rkeep.tolist()) if keep_it]
                self._r_keys = set(self._r_key_of_row)
        self.oldest = int(np.frombuffer(self._ts, dtype=np.int64).min()) if len(self._ts) else -NO_TIME
        if dropped or r_dropped:
            self._forget_unused_names()
        return dropped

    def _forget_unused_names(self) -> None:
        """Drop the names (accounts, threads, prefixes, devices) that no kept event uses once they are most of
        their table, so a long-running index does not grow with every account it ever saw."""
        def col(arr: array, dtype: type) -> np.ndarray:
            return np.frombuffer(arr, dtype=dtype) if len(arr) else np.zeros(0, dtype=dtype)

        used_acc = np.unique(np.r_[col(self._acc, np.int32), col(self._r_acc, np.int32)].astype(np.int64))
        if len(self.accounts) > 2 * len(used_acc) + 1024:
            remap = self.accounts.keep(used_acc)
            self._acc = array("i", remap[col(self._acc, np.int32)].astype(np.int32).tobytes())
            self._r_acc = array("i", remap[col(self._r_acc, np.int32)].astype(np.int32).tobytes())
            self._created = array("q", col(self._created, np.int64)[used_acc].tobytes())
        for table, name in ((self.threads, "_thread"), (self.ips, "_ip"), (self.devices, "_device")):
            ids = col(getattr(self, name), np.int32).astype(np.int64)
            used = np.unique(ids[ids >= 0])
            if len(table) > 2 * len(used) + 1024:
                remap = np.r_[table.keep(used), -1]  # index -1 (none) maps to the appended -1
                setattr(self, name, array("i", remap[ids].astype(np.int32).tobytes()))
