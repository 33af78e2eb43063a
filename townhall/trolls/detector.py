"""From pair signals to clusters: graph, communities, scores and the cluster-level signals."""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from typing import Callable, Mapping

import networkx as nx
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from townhall.trolls.config import DetectorConfig
from townhall.trolls.report import COUNTED, FAMILY, SOLO, Family, Signal
from townhall.trolls.signals import N_STRATA, Arrivals, PairSignal, poisson_bits, same_turns

# score = 1 - BASE**level; level 1.0 (two significant kinds, or one overwhelming) gives exactly 0.8.
BASE = 0.2
# Kinds whose pair edges hold a cluster together. A shared IP prefix links only when a prefix that crowded
# is rare on this site (NAT and carrier prefixes are not: see shared_infrastructure's rarity_bits).
LINKING = (Signal.TEXT_REUSE, Signal.SYNC, Signal.BRIGADE, Signal.DEVICE, Signal.IP_PREFIX)


def score_of(level: float) -> float:
    return 1.0 - BASE ** max(level, 0.0)


def level_for_threshold(threshold: float) -> float:
    return math.log(1.0 - threshold) / math.log(BASE)


def evidence_level(strengths: Mapping[Signal, float], overwhelming: float) -> float:
    """1.0 = flag: two counted kinds of different families at >= 0.5 each, or one SOLO kind at
    ``overwhelming``. A single family reaches at most 0.5 (score 0.55), whatever its strength: a device, a
    network and a sign-up day shared by a household are one cause, as are arriving together and liking the
    same comments in one visit."""
    per_family: dict[Family, float] = {}
    for k in COUNTED:
        per_family[FAMILY[k]] = max(per_family.get(FAMILY[k], 0.0), strengths.get(k, 0.0))
    counted = sorted(per_family.values(), reverse=True) + [0.0, 0.0]
    s1, s2 = counted[0], counted[1]
    two = min(s1, s2) / 0.5 if s2 > 0 else 0.0
    solo = max((strengths.get(k, 0.0) / overwhelming for k in SOLO), default=0.0)
    partial = min(s1, 0.5)
    level = max(min(two, 2.0), min(solo, 2.0), partial)
    rhythm = strengths.get(Signal.RHYTHM, 0.0)
    if s1 >= 0.5 and rhythm > 0:
        level += 0.1 * min(rhythm, 1.0)  # supporting only
    return level


# The strongest evidence there is (every kind capped at 2.0, rhythm's full 0.1 on top) and its score: a
# policy threshold above MAX_SCORE would never be reached (the policy refuses one; see policy/rules/coordination).
MAX_LEVEL = 2.1
MAX_SCORE = 1.0 - BASE**MAX_LEVEL


@dataclass(frozen=True, slots=True)
class Grouping:
    members: list[np.ndarray]  # account ids per cluster (size >= 2)
    edges: dict[Signal, dict[int, float]]  # per kind: pair key -> strength


def build_clusters(signals: dict[Signal, PairSignal], n_accounts: int, cfg: DetectorConfig, rng: random.Random,
                   rank: Callable[[int], object] = int) -> Grouping:
    """Clusters of accounts linked by significant pair edges. ``rank`` orders accounts by name (not by the
    order they were first seen), so the same events give the same clusters whatever order they came in; the
    clusters come out ordered by their first member."""
    edges: dict[Signal, dict[int, float]] = {}
    link_a, link_b = [], []
    for kind, sig in signals.items():
        keys = sig.a * n_accounts + sig.b
        edges[kind] = dict(zip(keys.tolist(), sig.strength.tolist()))
        if kind in LINKING:
            strong = sig.strength >= 0.5
            link_a.append(sig.a[strong])
            link_b.append(sig.b[strong])
    if not link_a or not sum(len(x) for x in link_a):
        return Grouping([], edges)
    a, b = np.concatenate(link_a), np.concatenate(link_b)
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(n_accounts, n_accounts))
    _, labels = connected_components(graph, directed=False)
    involved = np.unique(np.r_[a, b])
    comp = labels[involved]
    order = np.argsort(comp, kind="stable")
    involved, comp = involved[order], comp[order]
    splits = np.flatnonzero(np.r_[True, comp[1:] != comp[:-1]])
    def first(part: np.ndarray) -> object:
        return min(rank(int(x)) for x in part.tolist())  # type: ignore[type-var]

    members: list[np.ndarray] = []
    for part in sorted(np.split(involved, splits[1:]), key=first):
        if len(part) > cfg.split_above:
            members.extend(_louvain(part, edges, n_accounts, rng, rank))
        elif len(part) >= 2:
            members.append(part)
    return Grouping(sorted((m for m in members if len(m) >= 2), key=first), edges)


def _louvain(part: np.ndarray, edges: dict[Signal, dict[int, float]], n_accounts: int, rng: random.Random,
             rank: Callable[[int], object]) -> list[np.ndarray]:
    """Seeded Louvain on the component, its accounts and edges laid out in ``rank`` order (Louvain visits
    them in the order they were added)."""
    order = sorted(part.tolist(), key=rank)  # type: ignore[arg-type]
    pos = {x: i for i, x in enumerate(order)}
    weights: dict[tuple[int, int], float] = {}
    for kind, kind_edges in edges.items():
        if kind not in LINKING:
            continue
        for key, w in kind_edges.items():
            x, y = divmod(key, n_accounts)
            if x in pos and y in pos and w >= 0.25:
                pair = (min(pos[x], pos[y]), max(pos[x], pos[y]))
                weights[pair] = weights.get(pair, 0.0) + w
    g = nx.Graph()
    g.add_nodes_from(range(len(order)))
    g.add_weighted_edges_from((x, y, w) for (x, y), w in sorted(weights.items()))
    communities = nx.community.louvain_communities(g, weight="weight", seed=rng.randrange(2**31))
    return [np.array(sorted(order[i] for i in c), dtype=np.int64) for c in communities]


def member_strengths(members: np.ndarray, edges: dict[Signal, dict[int, float]], n_accounts: int) -> dict[int, dict[Signal, float]]:
    """Per member and kind: the strongest in-cluster edge of that kind."""
    out: dict[int, dict[Signal, float]] = {int(m): {} for m in members}
    ms = sorted(int(m) for m in members)
    for i, x in enumerate(ms):
        for y in ms[i + 1 :]:
            key = x * n_accounts + y
            for kind, kind_edges in edges.items():
                w = kind_edges.get(key)
                if w:
                    if w > out[x].get(kind, 0.0):
                        out[x][kind] = w
                    if w > out[y].get(kind, 0.0):
                        out[y][kind] = w
    return out


def creation_burst(member_created: np.ndarray, all_created_sorted: np.ndarray, window: int, min_members: int,
                   needed: float) -> tuple[float, int, int, float, int]:
    """Most members created within one ``window`` vs chance given all accounts' creation times.
    Returns (strength, start, count, expected, total_known)."""
    known = np.sort(member_created[member_created > -(2**61)])
    if len(known) < min_members or not len(all_created_sorted):
        return 0.0, 0, 0, 0.0, 0
    ends = np.searchsorted(known, known + window, side="right")
    counts = ends - np.arange(len(known))
    best = int(np.argmax(counts))
    start, count = int(known[best]), int(counts[best])
    if count < min_members:
        return 0.0, start, count, 0.0, len(known)
    in_window = np.searchsorted(all_created_sorted, start + window, side="right") - np.searchsorted(all_created_sorted, start)
    frac = in_window / len(all_created_sorted)
    expected = len(known) * frac
    bits = float(poisson_bits(np.array([count]), np.array([expected]))[0])
    return min(2.0, 0.5 * bits / needed), start, count, expected, len(known)


def rhythm_similarity(hours: np.ndarray, members: np.ndarray, baseline: float) -> tuple[float, float]:
    """Mean pairwise cosine of members' hour-of-day profiles, and a 0..1 supporting strength over baseline."""
    prof = hours[members]
    norms = np.linalg.norm(prof, axis=1)
    prof = prof[norms > 0] / norms[norms > 0, None]
    if len(prof) < 2:
        return 0.0, 0.0
    sim = prof @ prof.T
    n = len(prof)
    mean = float((sim.sum() - n) / (n * (n - 1)))
    return mean, max(0.0, min(1.0, (mean - baseline) / max(1e-9, 1.0 - baseline)))


def name_order(name: str) -> tuple[int, int, str]:
    """Account names in the order they were created where that is known: decimal ids (the service's
    account ids) as numbers, so "101" comes after "20", then any other names in text order."""
    return (0, int(name), name) if name.isdecimal() and len(name) < 19 else (1, 0, name)


def cluster_id(names: list[str]) -> str:
    """Named after its oldest member (clusters are disjoint; ids compared as numbers), so a cluster that
    gains or loses a newer account between runs keeps its id and the moderators' flag for it is updated,
    not duplicated."""
    digest = hashlib.blake2b(min(names, key=name_order).encode(), digest_size=5).hexdigest()
    return f"c-{digest}"


POOLED = (Signal.TEXT_REUSE, Signal.SYNC, Signal.BRIGADE)
Adjacency = dict[int, list[tuple[int, Signal, float, float, float]]]


def adjacency(signals: dict[Signal, PairSignal], involved: np.ndarray) -> Adjacency:
    """Edges (other, kind, strength, observed, expected) of every pair touching an ``involved`` account."""
    adj: Adjacency = {}
    for kind, sig in signals.items():
        touch = np.isin(sig.a, involved) | np.isin(sig.b, involved)
        for a, b, s, o, e in zip(sig.a[touch].tolist(), sig.b[touch].tolist(), sig.strength[touch].tolist(),
                                 sig.observed[touch].tolist(), sig.expected[touch].tolist()):
            adj.setdefault(a, []).append((b, kind, s, o, e))
            adj.setdefault(b, []).append((a, kind, s, o, e))
    return adj


def ties(account: int, members: set[int], adj: Adjacency) -> dict[Signal, float]:
    """An account's tie to a group per kind: its strongest single edge into the group. (Pair counts are
    not pooled across members: members move together, so their pairs with one outsider are not independent.)"""
    best: dict[Signal, float] = {}
    for other, kind, s, _o, _e in adj.get(account, ()):
        if other != account and other in members and s > best.get(kind, 0.0):
            best[kind] = s
    return best


class CellIndex:
    """Arrivals by account, for testing one outsider against a whole cluster by distinct cells."""

    def __init__(self, arr: Arrivals, window: int, crowd_cap: int, device: np.ndarray | None = None,
                 run: np.ndarray | None = None) -> None:
        small = arr.crowd <= crowd_cap
        # per arrival, its device and its run on it (signals.device_runs; -1: unknown): turns are not counted
        self.device = device[small] if device is not None else np.full(int(small.sum()), -1, np.int64)
        self.run = run[small] if run is not None else np.full(int(small.sum()), -1, np.int64)
        self.cell, self.acc, self.ts = arr.cell[small], arr.acc[small], arr.ts[small]
        self.crowd, self.stratum = arr.crowd[small], arr.stratum[small]
        self.per_stratum = np.maximum(np.bincount(self.stratum, minlength=N_STRATA).astype(np.float64), 1.0)
        self.window = window
        order = np.argsort(self.acc, kind="stable")
        self._order = order
        self._starts = np.searchsorted(self.acc[order], np.arange(int(self.acc.max(initial=-1)) + 2))
        self.total = max(len(self.acc), 1)
        self.t0 = int(self.ts.min(initial=0))

    def of(self, account: int) -> np.ndarray:
        if account + 1 >= len(self._starts):
            return np.zeros(0, np.int64)
        return self._order[self._starts[account] : self._starts[account + 1]]

    def pooled(self, members: set[int]) -> tuple[float, float]:
        """(observed, expected) summed over ALL member pairs — not only pairs that reached the minimum
        support, so the sum is not selected for being large. E sums (S_a k_b + S_b k_a) / 2K over pairs."""
        parts = [self.of(m) for m in sorted(members)]
        idx = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        if len(idx) < 2:
            return 0.0, 0.0
        k = np.stack([np.bincount(self.stratum[p], minlength=N_STRATA) for p in parts]).astype(np.float64)
        s = np.stack([np.bincount(self.stratum[p], weights=(self.crowd[p] - 1).astype(np.float64), minlength=N_STRATA)
                      for p in parts])
        expected = float(((s.sum(0) * k.sum(0) - (s * k).sum(0)) / (2.0 * self.per_stratum)).sum())
        keys = self._keys(idx)
        order = np.argsort(keys, kind="stable")
        keys, device, run = keys[order], self.device[idx][order], self.run[idx][order]
        observed = 0
        for d in range(1, len(keys)):
            close = (keys[d:] - keys[:-d]) <= self.window  # same cell (high bits) and within the window
            if not close.any():
                break
            close &= ~same_turns(device[d:], device[:-d], run[d:], run[:-d])  # turns on one device: its evidence
            observed += int(close.sum())
        return float(observed), expected

    def _keys(self, idx: np.ndarray) -> np.ndarray:
        return (self.cell[idx].astype(np.int64) << 32) | (self.ts[idx] - self.t0)

    def group(self, members: set[int]) -> tuple[np.ndarray, np.ndarray]:
        """Prepared once per cluster: the members' sorted (cell, time) keys and their share of arrivals."""
        parts = [self.of(m) for m in members]
        idx = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        share = np.bincount(self.stratum[idx], minlength=N_STRATA) / self.per_stratum
        return np.sort(self._keys(idx)), share

    def strength(self, account: int, prepared: tuple[np.ndarray, np.ndarray], needed: float) -> float:
        """Distinct cells where ``account`` arrived within the window of any member, against chance:
        E = sum over its arrivals of (crowd - 1) * (members' share of all arrivals) — an upper bound on
        the chance of meeting at least one member, so the test errs towards 'not coordinated'."""
        keys, share = prepared
        mine = self.of(account)
        if not len(mine) or not len(keys):
            return 0.0
        expected = float(((self.crowd[mine] - 1) * share[self.stratum[mine]]).sum())
        mk = self._keys(mine)
        lo = np.searchsorted(keys, mk - self.window, side="left")
        hi = np.searchsorted(keys, mk + self.window, side="right")
        observed = int((hi > lo).sum())
        bits = float(poisson_bits(np.array([observed]), np.array([expected]))[0])
        return min(2.0, 0.5 * bits / needed)


def tied_outsiders(members: set[int], candidates: list[int], cells: dict[Signal, CellIndex], needed: float,
                   attached: dict[int, dict[Signal, float]]) -> list[int]:
    """The candidates whose distinct-cell tie to ``members`` is significant (strength >= 0.5 on some
    signal); each one's tie strengths are recorded in ``attached``."""
    if not candidates:
        return []
    prepared = {kind: idx.group(members) for kind, idx in cells.items()}
    extra = []
    for x in candidates:
        strengths = {kind: idx.strength(x, prepared[kind], needed) for kind, idx in cells.items()}
        if max(strengths.values()) >= 0.5:
            extra.append(x)
            attached[x] = {k: v for k, v in strengths.items() if v > 0}
    return extra


def attach(groups: list[np.ndarray], adj: Adjacency, cells: dict[Signal, CellIndex], needed: float,
           ) -> tuple[list[np.ndarray], dict[int, dict[Signal, float]]]:
    """Add outsiders with no significant pair edge whose distinct-cell tie to one cluster is significant.
    Returns the groups and the attached accounts' tie strengths."""
    assigned = {int(m) for g in groups for m in g}
    out, attached = [], {}
    for group in groups:
        members = {int(m) for m in group}
        candidates = sorted({o for m in members for o, kind, *_ in adj.get(m, ()) if o not in assigned and kind in cells})
        extra = tied_outsiders(members, candidates, cells, needed, attached)
        assigned.update(extra)
        out.append(np.array(sorted(members | set(extra)), dtype=np.int64))
    return out, attached
