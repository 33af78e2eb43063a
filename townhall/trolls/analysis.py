"""One analysis pass over the stored events: signals -> clusters -> scores -> evidence."""

from __future__ import annotations

import random
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from dataclasses import dataclass
from typing import Any

import numpy as np

from townhall.trolls import evidence as ev
from townhall.trolls.config import DetectorConfig
from townhall.trolls.detector import (
    LINKING, Adjacency, CellIndex, adjacency, name_order, attach, build_clusters, cluster_id, creation_burst, evidence_level, rhythm_similarity, score_of, ties,
    tied_outsiders,
)
from townhall.trolls.report import AccountResult, Cluster, ClusterState, Report, Signal
from townhall.trolls.signals import (
    Arrivals, PairSignal, arrivals, cooccurrence, is_pair, poisson_bits, pooled_text, reciprocal_pairs, shared_infrastructure, significance_bits,
    device_runs, switching_items, text_groups, text_pairs, text_rate, text_reuse,
)
from townhall.trolls.store import NO_TIME, EventStore, Lookup

PAIR_KINDS = (Signal.TEXT_REUSE, Signal.SYNC, Signal.BRIGADE, Signal.DEVICE, Signal.IP_PREFIX)


def analyse_store(store: EventStore, now: datetime, cfg: DetectorConfig, rng: random.Random,
                  guard: AbstractContextManager[object] | None = None) -> Report:
    """``guard`` is held while the store is pruned and copied (events may be added during the rest)."""
    with guard or nullcontext():
        store.prune(int((now - cfg.horizon).timestamp()))
        c = store.columns()
        look = store.lookup()
    n_acc = c.n_accounts
    names = look.accounts

    def rank(a: int) -> tuple[int, int, str]:
        return name_order(names[a])

    active = np.unique(np.r_[c.acc, c.r_acc]) if len(c.acc) or len(c.r_acc) else np.zeros(0, np.int64)
    needed = significance_bits(len(active), cfg.margin_bits)
    sync_w, brig_w = int(cfg.sync_window.total_seconds()), int(cfg.brigade_window.total_seconds())

    # Synchronised arrival on threads.
    thr = arrivals(c.thread, c.acc, c.ts, sync_w)
    # co-arrivals from one device are that device's evidence (see cooccurrence), not arrival together
    thr_device = c.device[thr.src].astype(np.int64) if thr.src is not None else None
    thr_run = device_runs(thr, thr_device, int(cfg.device_turn.total_seconds())) if thr_device is not None else None
    sync = cooccurrence(thr, n_acc, sync_w, cfg.crowd_cap, cfg.min_support, needed, device=thr_device, run=thr_run)

    # Reply / reaction brigades on the same target comments (conversations between the pair excluded).
    pos = np.searchsorted(c.seq, c.parent)
    pos = np.minimum(pos, max(len(c.seq) - 1, 0))
    has_parent = (c.parent >= 0) & (c.seq[pos] == c.parent) if len(c.seq) else np.zeros(0, bool)
    rpos = np.minimum(np.searchsorted(c.seq, c.r_target), max(len(c.seq) - 1, 0))
    r_ok = (c.seq[rpos] == c.r_target) if len(c.seq) and len(c.r_target) else np.zeros(len(c.r_target), bool)
    owner = c.acc.astype(np.int64)
    b_cell = np.r_[pos[has_parent], rpos[r_ok]].astype(np.int64)
    b_acc = np.r_[c.acc[has_parent], c.r_acc[r_ok]].astype(np.int64)
    b_ts = np.r_[c.ts[has_parent], c.r_ts[r_ok]]
    recip = reciprocal_pairs(c.acc[has_parent].astype(np.int64), owner[pos[has_parent]], n_acc)
    # Not a brigade: replying to yourself, or to someone you converse with (both ways) — friends talking.
    keep = (b_acc != owner[b_cell]) & ~is_pair(b_acc, owner[b_cell], recip, n_acc) if len(b_cell) else np.zeros(0, bool)
    b_cell, b_acc, b_ts = b_cell[keep], b_acc[keep], b_ts[keep]
    brig_arr = arrivals(b_cell, b_acc, b_ts, brig_w)
    brigade = cooccurrence(brig_arr, n_acc, brig_w, cfg.crowd_cap, cfg.min_support, needed)

    # Text reuse.
    ev_of_row = np.flatnonzero(c.sig_row >= 0)
    labels = text_groups(c.sigs, cfg.text_jaccard)
    acc_of_row = c.acc[ev_of_row].astype(np.int64)
    text, valid = text_reuse(labels, acc_of_row, n_acc, cfg.text_group_cap, cfg.text_min_support, needed)
    writers = _group_writers(labels, valid, acc_of_row, n_acc, c.sigs)

    # Shared infrastructure.
    # Many accounts on one device stand alone as evidence only where they are switched on one thread within minutes
    # (a farm's operator); accounts taking turns on a shared computer days apart (a library terminal, an office or
    # school PC: one browser, one device id) are infrastructure like a shared network, never above 1.0.
    switching = switching_items(thr, thr_device, sync_w, cfg.crowd_cap) if thr_device is not None else np.zeros(0, np.int64)
    dev_ceiling = np.full(int(c.device.max(initial=-1)) + 1, 1.0)
    dev_ceiling[: len(switching)][switching >= cfg.min_support] = 2.0
    device, dev_sizes = shared_infrastructure(c.device, c.acc, n_acc, cfg.device_cap, cfg.device_cap // 3, 0.25, 2.0,
                                              item_ceiling=dev_ceiling)
    ip, ip_sizes = shared_infrastructure(c.ip, c.acc, n_acc, cfg.ip_cap, cfg.ip_common, 0.125, 1.0, rarity_bits=1.5)

    signals: dict[Signal, PairSignal] = {
        Signal.TEXT_REUSE: text, Signal.SYNC: sync, Signal.BRIGADE: brigade, Signal.DEVICE: device, Signal.IP_PREFIX: ip,
    }
    grouping = build_clusters(signals, n_acc, cfg, rng, rank)
    # accounts with a significant tie other than wording to some account: they act together in another way
    coordinated = np.zeros(n_acc, bool)
    for kind in (Signal.SYNC, Signal.BRIGADE, Signal.DEVICE, Signal.IP_PREFIX):
        strong = signals[kind].strength >= 0.5
        coordinated[signals[kind].a[strong]] = coordinated[signals[kind].b[strong]] = True
    # ... or a wording tie so far beyond chance (twice the bits needed) that it is no ordinary reader's
    strong = signals[Signal.TEXT_REUSE].strength >= cfg.circulation_wording
    coordinated[signals[Signal.TEXT_REUSE].a[strong]] = coordinated[signals[Signal.TEXT_REUSE].b[strong]] = True
    stats_of = {k: {int(key): (o, e) for key, o, e in zip((s.a * n_acc + s.b).tolist(), s.observed.tolist(), s.expected.tolist())}
                for k, s in signals.items()}

    known_created = np.sort(c.created[active][c.created[active] > NO_TIME]) if len(active) else np.zeros(0, np.int64)
    needed_cluster = float(np.log10(len(grouping.members) + 1) + 2.0)
    hours = _hour_profiles(c.acc, c.ts, n_acc)
    # the site's own mean similarity of rhythms, over every active account (not a random sample: the same events
    # give the same scores whatever the seed), summed in name order (whatever order the events came in)
    baseline = _mean_cosine(hours[np.array(sorted(active.tolist(), key=rank), dtype=np.int64)]) if len(active) >= 2 else 0.0

    clusters: list[Cluster] = []
    results: dict[str, AccountResult] = {}
    cw = int(cfg.creation_window.total_seconds())
    involved = np.unique(np.concatenate(grouping.members)) if grouping.members else np.zeros(0, np.int64)
    adj = adjacency(signals, involved)
    cells = {Signal.SYNC: CellIndex(thr, sync_w, cfg.crowd_cap, thr_device, thr_run), Signal.BRIGADE: CellIndex(brig_arr, brig_w, cfg.crowd_cap)}
    counted = (_counted(thr, cfg.crowd_cap), _counted(brig_arr, cfg.crowd_cap))  # what the evidence may show
    groups, attached = attach(grouping.members, adj, cells, needed)
    assigned = {int(m) for g in groups for m in g}
    active_created = c.created[active] if len(active) else np.zeros(0, np.int64)
    for members in groups:
        burst, start, count, expected, _ = creation_burst(c.created[members], known_created, cw, cfg.creation_min, needed_cluster)
        if burst >= 0.5:
            # Accounts born in the same burst are tested against the cluster by distinct cells; there are
            # few of them, so the multiple-testing bar is theirs, not all pairs'.
            born = active[(active_created >= start) & (active_created <= start + cw)]
            born = [int(x) for x in born.tolist() if int(x) not in assigned]
            if born:
                local = float(np.log10(len(born) * max(len(groups), 1)) + 2.0)
                group_set = {int(m) for m in members}
                extra = tied_outsiders(group_set, born, cells, local, attached)
                assigned.update(extra)
                members = np.array(sorted(group_set | set(extra)), dtype=np.int64)
        born_tie = (c.created >= start) & (c.created <= start + cw) if burst >= 0.5 else None

        def wording(members: np.ndarray) -> tuple[set[int], dict[int, dict[Signal, float]], np.ndarray,
                                                  dict[int, tuple[float, float]], set[int], list[int]]:
            """The members' ties, with wording counted only in the near-duplicate groups that are the cluster's own
            (see _own_texts), and the members linked to the cluster only by wording in circulation."""
            member_set = {int(m) for m in members}
            per_member = {m: ties(m, member_set, adj) | attached.get(m, {}) for m in sorted(member_set)}
            linked = {m for m, s in per_member.items() if max((s.get(k, 0.0) for k in LINKING), default=0.0) >= 0.5}
            tied = coordinated.copy()
            if born_tie is not None:  # the cluster's sign-up burst ties its accounts together too
                tied |= born_tie
            tied[_acting_with(members, adj)] = True
            own_texts = _own_texts(members, writers, valid, tied, cfg.text_circulation, cfg.text_circulation_share,
                                   cfg.circulation_jaccard)
            text_stats, text_tied = stats_of[Signal.TEXT_REUSE], {m for m in member_set if _has_edge(m, Signal.TEXT_REUSE, member_set, adj)}
            if own_texts is not valid:  # some wording is in circulation: test the members' wording without it
                text_stats, text_tied = _own_wording(members, per_member, writers, own_texts, n_acc, cfg, needed)
            unlinked = sorted(m for m in linked if max((per_member[m].get(k, 0.0) for k in LINKING), default=0.0) < 0.5)
            return member_set, per_member, own_texts, text_stats, text_tied, unlinked

        member_set, per_member, own_texts, text_stats, text_tied, unlinked = wording(members)
        if unlinked and len(member_set) - len(unlinked) >= 2:
            # Readers drawn into the cluster only by a side's slogans are no part of it (they are left out of
            # every cluster): 30 readers who share their side's slogans with ten accounts behind one network
            # must not hide, nor share, what those ten do.
            members = np.array(sorted(member_set - set(unlinked)), dtype=np.int64)
            member_set, per_member, own_texts, text_stats, text_tied, _ = wording(members)
        # in name order: the sums come out the same to the last bit whatever order the events came in
        r_mean, rhythm = rhythm_similarity(hours, np.array(sorted(members.tolist(), key=rank), dtype=np.int64), baseline)
        own: dict[int, dict[Signal, float]] = {}
        for m, strengths in per_member.items():
            s = dict(strengths)
            if burst > 0 and start <= c.created[m] <= start + cw:
                s[Signal.CREATION_BURST] = burst
            if rhythm > 0:
                s[Signal.RHYTHM] = rhythm
            own[m] = s
        # The cluster's strength per kind: its typical (median) member's, or for counted co-occurrences the
        # pooled test over all its pairs (sum observed vs sum expected), whichever is stronger.
        med = {k: float(np.median([own[m].get(k, 0.0) for m in own])) for k in Signal}
        for kind in (Signal.TEXT_REUSE, Signal.SYNC, Signal.BRIGADE):
            # Pool only a kind most members take part in: a pair of friends inside a cluster held
            # together by something else must not lend the whole cluster their timing.
            took_part = len(text_tied) if kind is Signal.TEXT_REUSE else sum(1 for m in member_set if _has_edge(m, kind, member_set, adj))
            if took_part * 2 < len(member_set):
                continue
            if kind is Signal.TEXT_REUSE:
                obs, exp = pooled_text(labels, valid, acc_of_row, members, own_texts)
            else:
                obs, exp = cells[kind].pooled(member_set)
            if obs > 0:
                pooled = min(2.0, 0.5 * float(poisson_bits(np.array([obs]), np.array([exp]))[0]) / needed)
                if kind is Signal.TEXT_REUSE:
                    # Many weak pairs pooled must not become a text reuse no pair shows: readers of one side
                    # who each use some of its slogans share texts pair by pair, never many. Pooled wording
                    # is worth at most the strongest member's own wording tie.
                    pooled = min(pooled, max(own[m].get(kind, 0.0) for m in own))
                med[kind] = max(med[kind], pooled)
        med = {k: v for k, v in med.items() if v > 0}
        cscore = score_of(evidence_level(med, cfg.overwhelming))
        state = ClusterState.FLAGGED if cscore >= cfg.threshold else ClusterState.WATCH
        # A member inherits the cluster's strengths up to the strength of its own tie to the cluster:
        # a significant tie to a group that coordinates in two ways is itself two-way evidence.
        member_scores: dict[int, tuple[float, dict[Signal, float]]] = {}
        for m, s in own.items():
            tie = max((s.get(k, 0.0) for k in LINKING), default=0.0)
            merged = {k: max(s.get(k, 0.0), min(v, tie)) for k, v in med.items()} | {k: v for k, v in s.items() if k not in med}
            member_scores[m] = (score_of(evidence_level(merged, cfg.overwhelming)), merged)
        if state is not ClusterState.FLAGGED:
            # A cluster that is only watched never reaches the moderators' queue, so none of its members may score
            # at the threshold: the paid-troll rule would hold their comments with no flag naming them, nothing a
            # moderator could dismiss. (A member's own ties can be two families when the cluster's are not: two
            # friends who read together, one of them on a household's tablet.)
            member_scores = {m: (min(score, cscore), s) for m, (score, s) in member_scores.items()}
        member_names = [names[m] for m in members.tolist()]
        cid = cluster_id(member_names)
        items: list[dict[str, Any]] = []
        if cscore >= 0.5:
            items = _evidence(look, c, members, per_member, med, stats_of | {Signal.TEXT_REUSE: text_stats}, n_acc, labels,
                              own_texts, ev_of_row, *counted, dev_sizes, ip_sizes, (burst, start, count, expected, cw), (rhythm, r_mean, baseline), cfg)
        scores = {names[m]: v[0] for m, v in member_scores.items()}
        clusters.append(Cluster(cid, tuple(sorted(member_names, key=name_order)), cscore, state, med, tuple(items), scores, cfg.threshold))
        for m, (score, s) in member_scores.items():
            results[names[m]] = AccountResult(names[m], score, cid, state is ClusterState.FLAGGED and score >= cfg.threshold, s)
    for a in active.tolist():
        if names[a] not in results:
            results[names[a]] = AccountResult(names[a], 0.0, None, False)
    clusters.sort(key=lambda cl: (-cl.score, cl.id))
    stats = {"comments": int(len(c.acc)), "reactions": int(len(c.r_acc)), "accounts": int(len(active)),
             "needed_bits": round(needed, 2), **{f"pairs_{k.value}": int(len(s.a)) for k, s in signals.items()}}
    return Report(now, cfg.threshold, tuple(clusters), results, stats)


@dataclass(frozen=True, slots=True)
class Writers:
    """Who wrote in each near-duplicate group, and the text chance model of :func:`text_reuse`."""

    label: np.ndarray  # distinct (group, account) pairs of the valid groups, by group, and where each group starts
    account: np.ndarray
    group_starts: np.ndarray
    per_group: np.ndarray  # distinct accounts per group
    per_account: np.ndarray  # fingerprinted texts per account
    rate: float
    labels: np.ndarray  # per fingerprinted text: its group, its account, and its signature
    acc_of_row: np.ndarray
    sigs: np.ndarray
    rows: np.ndarray  # fingerprinted texts ordered by group, and where each group starts in that order
    starts: np.ndarray
    by_account: np.ndarray  # fingerprinted texts ordered by account, and where each account starts
    account_starts: np.ndarray

    def rows_of(self, accounts: np.ndarray) -> np.ndarray:
        """The fingerprinted texts of ``accounts``."""
        parts = [self.by_account[self.account_starts[a] : self.account_starts[a + 1]] for a in accounts.tolist()]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _group_writers(labels: np.ndarray, valid: np.ndarray, acc: np.ndarray, n_acc: int, sigs: np.ndarray) -> Writers:
    sel = valid[labels] if len(labels) else np.zeros(0, bool)
    key = np.unique(labels[sel].astype(np.int64) * n_acc + acc[sel])
    label, account = key // n_acc, key % n_acc
    rows = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[rows], np.arange(len(valid) + 1))
    by_account = np.argsort(acc, kind="stable")
    account_starts = np.searchsorted(acc[by_account], np.arange(n_acc + 1))
    return Writers(label, account, np.searchsorted(label, np.arange(len(valid) + 1)), np.bincount(label, minlength=len(valid)),
                   np.bincount(acc, minlength=n_acc).astype(np.float64), text_rate(labels, valid), labels, acc, sigs, rows,
                   starts, by_account, account_starts)


def _own_texts(members: np.ndarray, writers: Writers, valid: np.ndarray, tied: np.ndarray, circulation: int,
               share: float, same: float) -> np.ndarray:
    """The near-duplicate groups that are the cluster's own: all but wording in circulation, i.e. groups in which
    at least ``circulation`` ordinary readers, who are at least ``share`` of its ordinary copiers and tied
    writers together, posted a text near-identical (estimated Jaccard >= ``same``) to another account's among
    the members'. ``tied`` (per account): a significant tie of another kind than wording to some account, a
    wording tie far beyond chance (``circulation_wording``), born in the cluster's sign-up burst, or any
    evidence of another kind between it and a member (arriving on the same threads, replying to the same
    comments, a device or network shared, at any strength above chance; see :func:`_acting_with`); so a
    campaign that falls apart in several clusters still owns its talking points, and its members who only copy
    them while taking part in its operations are no ordinary readers.
    Everyone else who used the wording is an ordinary reader, a member or not: readers who only share a
    side's slogans with a cluster are drawn into it by the slogans alone.

    A side's slogans, a famous quote or a meme that ordinary readers post is no evidence that a subgroup acts
    together, whatever else it shares (readers of one side behind a campus network must not be flagged for
    their side's slogans plus their network). How many ordinary readers use a side's slogans depends on how
    many readers that side has on the site, so the test is a share, not a comparison with the group behind the
    network: 12 students whose slogans 5 other readers use are as innocent as 12 whose slogans 30 use (before
    2026-11-28 only the second were; readers outnumbering the group were needed). A few strays who copy a
    crew's talking points (well under ``share`` of those who post them) do not put them in circulation.
    Ordinary comments that merely share a sentence with a talking point (they are near-duplicates of it, not
    copies) do not put it in circulation. Returns ``valid`` itself when every group is the cluster's own."""
    own = valid  # copied at the first group found in circulation
    is_member = np.zeros(len(tied), bool)
    is_member[members] = True
    groups = np.unique(writers.labels[writers.rows_of(members)])
    groups = groups[valid[groups] & (writers.per_group[groups] >= circulation)]
    for g in groups.tolist():
        accounts = writers.account[writers.group_starts[g] : writers.group_starts[g + 1]]
        inside = int(tied[accounts].sum())
        if writers.per_group[g] - inside < circulation:
            continue
        rows = writers.rows[writers.starts[g] : writers.starts[g + 1]]
        acc = writers.acc_of_row[rows]
        theirs, others = rows[is_member[acc]], rows[~tied[acc]]
        similar = (writers.sigs[others][:, None, :] == writers.sigs[theirs][None, :, :]).mean(axis=2)
        similar[writers.acc_of_row[others][:, None] == writers.acc_of_row[theirs][None, :]] = 0.0  # not one's own text
        close = similar.max(axis=1, initial=0.0) >= same
        copied = len(set(writers.acc_of_row[others[close]].tolist()))
        if copied >= circulation and copied >= share * (copied + inside):
            own = own.copy() if own is valid else own
            own[g] = False
    return own


def _acting_with(members: np.ndarray, adj: Adjacency) -> list[int]:
    """The members with evidence of another kind than wording (any strength above chance) with some account,
    and every account with such evidence with one of them."""
    out: list[int] = []
    for m in members.tolist():
        for other, kind, strength, *_ in adj.get(int(m), ()):
            if kind is not Signal.TEXT_REUSE and strength > 0:
                out.extend((int(m), other))
    return out


def _own_wording(members: np.ndarray, per_member: dict[int, dict[Signal, float]], writers: Writers, own_texts: np.ndarray,
                 n_acc: int, cfg: DetectorConfig, needed: float) -> tuple[dict[int, tuple[float, float]], set[int]]:
    """The members' wording ties tested again over the cluster's own groups alone (``per_member`` is updated).
    Returns the pair statistics for the evidence and the members with a wording tie."""
    rows = writers.rows_of(members)
    rows = rows[own_texts[writers.labels[rows]]]
    wording = text_pairs(writers.labels, writers.acc_of_row, rows, writers.per_account, writers.rate, n_acc, cfg.text_group_cap,
                         cfg.text_min_support, needed)
    for strengths in per_member.values():
        strengths.pop(Signal.TEXT_REUSE, None)
    for a, b, strength in zip(wording.a.tolist(), wording.b.tolist(), wording.strength.tolist()):
        for x in (a, b):
            if strength > per_member[x].get(Signal.TEXT_REUSE, 0.0):
                per_member[x][Signal.TEXT_REUSE] = strength
    stats = {int(k): (o, e) for k, o, e in zip((wording.a * n_acc + wording.b).tolist(), wording.observed.tolist(), wording.expected.tolist())}
    return stats, set(wording.a.tolist()) | set(wording.b.tolist())


def _counted(arr: Arrivals, crowd_cap: int) -> Arrivals:
    """The arrivals that enter the co-occurrence counts (crowds above the cap do not): evidence shows only these."""
    small = arr.crowd <= crowd_cap
    return Arrivals(arr.cell[small], arr.acc[small], arr.ts[small], arr.crowd[small], arr.stratum[small],
                    arr.src[small] if arr.src is not None else None)


def _has_edge(account: int, kind: Signal, members: set[int], adj: Adjacency) -> bool:
    return any(k is kind and other in members for other, k, *_ in adj.get(account, ()))


def _mean_cosine(profiles: np.ndarray) -> float:
    """Mean pairwise cosine of hour-of-day profiles (as :func:`rhythm_similarity`), in one pass: the sum of all
    pairwise cosines of unit vectors is |sum|^2 minus the n self-similarities."""
    norms = np.linalg.norm(profiles, axis=1)
    unit = profiles[norms > 0] / norms[norms > 0, None]
    n = len(unit)
    if n < 2:
        return 0.0
    total = unit.sum(axis=0)
    return float((total @ total - n) / (n * (n - 1)))


def _hour_profiles(acc: np.ndarray, ts: np.ndarray, n_acc: int) -> np.ndarray:
    hour = (ts // 3600) % 24
    prof = np.zeros((n_acc, 24), np.float64)
    np.add.at(prof, (acc, hour), 1.0)
    return prof


def _pair_totals(members: np.ndarray, stats: dict[int, tuple[float, float]], n_acc: int) -> tuple[float, float]:
    ms = sorted(int(m) for m in members)
    obs = exp = 0.0
    for i, x in enumerate(ms):
        for y in ms[i + 1 :]:
            got = stats.get(x * n_acc + y)
            if got:
                obs += got[0]
                exp += got[1]
    return obs, exp


def _evidence(look: Lookup, c: Any, members: np.ndarray, per_member: dict[int, dict[Signal, float]], cluster: dict[Signal, float],
              stats_of: dict[Signal, dict[int, tuple[float, float]]], n_acc: int, labels: np.ndarray, valid: np.ndarray,
              ev_of_row: np.ndarray, thr: Any, brig: Any, dev_sizes: np.ndarray, ip_sizes: np.ndarray,
              burst: tuple[float, int, int, float, int], rhythm: tuple[float, float, float], cfg: DetectorConfig) -> list[dict[str, Any]]:
    names, threads, lim = look.accounts, look.threads, cfg.evidence_items
    items: list[ev.Item] = []
    for kind in PAIR_KINDS:
        strengths = [s.get(kind, 0.0) for s in per_member.values()]
        strength = cluster.get(kind, 0.0)
        if max(strengths, default=0.0) < 0.25:
            continue
        obs, exp = _pair_totals(members, stats_of[kind], n_acc)
        if kind is Signal.TEXT_REUSE:
            details = ev.text_details(members, labels, valid, ev_of_row, c.acc, c.thread, c.ts, names, threads, look.comment, lim)
        elif kind is Signal.SYNC:
            details = ev.window_details(members, thr.cell, thr.acc, thr.ts, int(cfg.sync_window.total_seconds()),
                                        lambda cell: {"thread": threads[cell]}, names, lim)
        elif kind is Signal.BRIGADE:
            details = ev.window_details(members, brig.cell, brig.acc, brig.ts, int(cfg.brigade_window.total_seconds()),
                                        lambda cell: {"target_comment": look.comment(cell)[0], "target_account": names[c.acc[cell]]}, names, lim)
        elif kind is Signal.DEVICE:
            details = ev.infra_details(members, c.device, c.acc, dev_sizes, names, "device", look.devices)
            obs, exp = float(len(members)), float("nan")
        else:
            details = ev.infra_details(members, c.ip, c.acc, ip_sizes, names, "ip_prefix", look.ips)
            obs, exp = float(len(members)), float("nan")
        items.append(ev.Item(kind, strength, obs, exp, details[:lim]))
    b_strength, start, count, expected, window = burst
    if b_strength > 0:
        items.append(ev.Item(Signal.CREATION_BURST, b_strength, count, expected, [{"from": ev.iso(start), "to": ev.iso(start + window)}]))
    r_strength, r_mean, baseline = rhythm
    if r_strength > 0:
        items.append(ev.Item(Signal.RHYTHM, r_strength, r_mean, baseline, []))
    return [i.to_dict() for i in sorted(items, key=lambda i: -i.strength)]
