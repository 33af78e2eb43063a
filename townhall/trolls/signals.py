"""Pair-level coordination signals, each scored against a chance model on the same data.

Every function returns a :class:`PairSignal`: account pairs (``a < b``) with the observed count, the
count chance would give, and a strength (0.5 = significant after correcting for the number of pairs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.special import gammaln

from townhall.trolls.text import band_keys

LN10 = math.log(10.0)


@dataclass(frozen=True, slots=True)
class PairSignal:
    a: np.ndarray  # int64 account ids, a < b
    b: np.ndarray
    observed: np.ndarray  # float64
    expected: np.ndarray  # float64
    strength: np.ndarray  # float64, 0..2

    @staticmethod
    def empty() -> PairSignal:
        z = np.zeros(0)
        return PairSignal(np.zeros(0, np.int64), np.zeros(0, np.int64), z, z, z)


def poisson_bits(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """-log10 of an upper bound on P(X >= observed) for X ~ Poisson(expected); 0 when observed <= expected.

    Uses P(X >= k) <= pmf(k) / (1 - m/(k+1)) for m < k+1, so the bits never overstate the surprise.
    """
    k = observed.astype(np.float64)
    m = np.maximum(expected.astype(np.float64), 1e-300)
    ok = k > m + 1e-12
    out = np.zeros_like(k)
    kk, mm = k[ok], m[ok]
    ln_tail = kk * np.log(mm) - mm - gammaln(kk + 1) - np.log1p(-np.minimum(mm / (kk + 1), 1 - 1e-12))
    out[ok] = np.maximum(-ln_tail / LN10, 0.0)
    return out


def significance_bits(n_accounts: int, margin: float) -> float:
    """Bits a pair needs: Bonferroni over all account pairs, plus a margin."""
    pairs = max(n_accounts * (n_accounts - 1) / 2, 1.0)
    return math.log10(pairs) + margin


def strength_of(bits: np.ndarray, needed: float) -> np.ndarray:
    return np.minimum(2.0, 0.5 * bits / needed)


def _pairs_from_groups(group: np.ndarray, acc: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All account pairs inside each group (distinct accounts, group size 2..cap): (a, b, group)."""
    order = np.lexsort((acc, group))
    g, ac = group[order], acc[order]
    keep = np.ones(len(g), bool)
    keep[1:] = (g[1:] != g[:-1]) | (ac[1:] != ac[:-1])
    g, ac = g[keep], ac[keep]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, len(g)])
    a_out, b_out, g_out = [], [], []
    for d in range(1, int(min(cap, sizes.max(initial=1))) ):
        i = np.flatnonzero((np.arange(len(g)) + d < len(g)))
        i = i[g[i] == g[np.minimum(i + d, len(g) - 1)]]
        if not len(i):
            break
        sz = sizes[np.searchsorted(starts, i, side="right") - 1]
        i = i[sz <= cap]
        x, y = ac[i], ac[i + d]
        a_out.append(np.minimum(x, y))
        b_out.append(np.maximum(x, y))
        g_out.append(g[i])
    if not a_out:
        z = np.zeros(0, np.int64)
        return z, z, z
    return (np.concatenate(a_out).astype(np.int64), np.concatenate(b_out).astype(np.int64), np.concatenate(g_out))


def _count_pairs(a: np.ndarray, b: np.ndarray, n_accounts: int, min_support: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    key = a * n_accounts + b
    uniq, counts = np.unique(key, return_counts=True)
    keep = counts >= min_support
    uniq, counts = uniq[keep], counts[keep]
    return uniq // n_accounts, uniq % n_accounts, counts.astype(np.float64)


@dataclass(frozen=True, slots=True)
class Arrivals:
    """First arrival of each account in each cell (thread, or target comment), sorted by (cell, time)."""

    cell: np.ndarray
    acc: np.ndarray
    ts: np.ndarray
    crowd: np.ndarray  # distinct accounts arriving in the same cell within +-window
    stratum: np.ndarray  # how late in the cell's life the arrival came (see STRATA)
    src: np.ndarray | None = None  # the arrival's row in the arrays it was made from


# Strata of "seconds since the cell's first arrival": early birds meet early birds. Accounts that always
# comment in a story's first minutes are compared with what other first-minute commenters would give.
STRATA = (15 * 60, 60 * 60, 4 * 3600)
N_STRATA = len(STRATA) + 1


def arrivals(cell: np.ndarray, acc: np.ndarray, ts: np.ndarray, window: int) -> Arrivals:
    if not len(cell):
        z = np.zeros(0, np.int64)
        return Arrivals(z, z, z, z, z, z)
    order = np.lexsort((ts, acc, cell))
    c, a, t = cell[order], acc[order], ts[order]
    first = np.r_[True, (c[1:] != c[:-1]) | (a[1:] != a[:-1])]
    c, a, t, src = c[first].astype(np.int64), a[first].astype(np.int64), t[first], order[first]
    order = np.lexsort((t, c))
    c, a, t, src = c[order], a[order], t[order], src[order]
    t0 = int(t.min())
    key = (c << 32) | (t - t0)
    crowd = np.searchsorted(key, key + window, side="right") - np.searchsorted(key, key - window, side="left")
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    first_t = np.repeat(t[starts], np.diff(np.r_[starts, len(c)]))
    stratum = np.searchsorted(np.array(STRATA, dtype=np.int64), t - first_t, side="right")
    return Arrivals(c, a, t, crowd, stratum, src.astype(np.int64))


def null_tables(arr: Arrivals, small: np.ndarray, n_accounts: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per account and stratum: arrivals k and summed neighbours S; per stratum: total arrivals K."""
    idx = arr.acc[small] * N_STRATA + arr.stratum[small]
    size = n_accounts * N_STRATA
    k = np.bincount(idx, minlength=size).astype(np.float64).reshape(n_accounts, N_STRATA)
    s = np.bincount(idx, weights=(arr.crowd[small] - 1).astype(np.float64), minlength=size).reshape(n_accounts, N_STRATA)
    total = np.maximum(np.bincount(arr.stratum[small], minlength=N_STRATA).astype(np.float64), 1.0)
    return k, s, total


def cooccurrence(arr: Arrivals, n_accounts: int, window: int, crowd_cap: int, min_support: int, needed: float,
                 exclude: np.ndarray | None = None, cell_owner: np.ndarray | None = None,
                 device: np.ndarray | None = None, run: np.ndarray | None = None) -> PairSignal:
    """Pairs arriving in the same cell within ``window`` on >= ``min_support`` distinct cells.

    Chance model, per stratum of lateness: each of account a's arrivals had ``crowd - 1`` neighbours; a
    neighbour is account b with probability k_b / K (b's share of arrivals in that stratum). So
    E[ab] = sum over strata of (S_a k_b + S_b k_a) / 2K, where S_a sums a's crowd sizes — the busier the
    moments an account posts in, the more company chance gives it, and early commenters meet early ones.
    Crowds above ``crowd_cap`` (breaking news) are left out of both the counts and the model.
    ``exclude`` (sorted pair keys) drops pairs where either account converses with the cell's owner.
    ``device`` and ``run`` (per arrival, from :func:`device_runs`): two arrivals from one device in different runs
    are not counted. One device is used by one person at a time: accounts taking turns on it minutes apart are a
    tablet passed round a family, which is the shared device's evidence, not a second, independent kind; a run of
    posts from it in quick succession (faster than a person takes the device, reads and writes) is one operator
    switching accounts, and counts.
    """
    n = len(arr.cell)
    if n < 2:
        return PairSignal.empty()
    small = arr.crowd <= crowd_cap  # only crowds small enough to give pair evidence enter the model
    k, s, total = null_tables(arr, small, n_accounts)
    a_l, b_l, c_l = [], [], []
    idx = np.arange(n)
    for d in range(1, crowd_cap):
        i = idx[: n - d]
        j = i + d
        ok = (arr.cell[i] == arr.cell[j]) & (arr.ts[j] - arr.ts[i] <= window) & small[i] & small[j]
        if not ok.any():
            break
        if device is not None:
            ok &= ~same_turns(device[i], device[j], run[i], run[j]) if run is not None else True
        i, j = i[ok], j[ok]
        x, y = arr.acc[i], arr.acc[j]
        a_l.append(np.minimum(x, y))
        b_l.append(np.maximum(x, y))
        c_l.append(arr.cell[i])
    if not a_l:
        return PairSignal.empty()
    a, b, c = np.concatenate(a_l), np.concatenate(b_l), np.concatenate(c_l)
    if exclude is not None and cell_owner is not None and len(exclude):
        owner = cell_owner[c]
        bad = is_pair(a, owner, exclude, n_accounts) | is_pair(b, owner, exclude, n_accounts)
        a, b = a[~bad], b[~bad]
    a, b, obs = _count_pairs(a, b, n_accounts, min_support)
    exp = ((s[a] * k[b] + s[b] * k[a]) / (2.0 * total)).sum(axis=1)
    bits = poisson_bits(obs, exp)
    return PairSignal(a, b, obs, exp, strength_of(bits, needed))


def is_pair(x: np.ndarray, y: np.ndarray, sorted_keys: np.ndarray, n_accounts: int) -> np.ndarray:
    if not len(sorted_keys):
        return np.zeros(len(x), bool)
    key = np.minimum(x, y) * n_accounts + np.maximum(x, y)
    pos = np.minimum(np.searchsorted(sorted_keys, key), len(sorted_keys) - 1)
    return sorted_keys[pos] == key


def reciprocal_pairs(replier: np.ndarray, owner: np.ndarray, n_accounts: int) -> np.ndarray:
    """Sorted keys of account pairs who have replied to each other (a conversation, not a brigade)."""
    ok = (owner >= 0) & (owner != replier)
    x, y = replier[ok].astype(np.int64), owner[ok].astype(np.int64)
    directed = np.unique(x * n_accounts + y)
    reverse = (directed % n_accounts) * n_accounts + directed // n_accounts
    both = directed[np.isin(directed, reverse)]
    a, b = both // n_accounts, both % n_accounts
    return np.unique(np.minimum(a, b) * n_accounts + np.maximum(a, b))


def text_groups(sigs: np.ndarray, threshold: float) -> np.ndarray:
    """Near-duplicate group label per signature (LSH candidates verified by estimated Jaccard)."""
    n = len(sigs)
    if n == 0:
        return np.zeros(0, np.int64)
    keys = band_keys(sigs)
    src, dst = [], []
    for band in range(keys.shape[1]):
        order = np.argsort(keys[:, band], kind="stable")
        kb = keys[order, band]
        starts = np.r_[True, kb[1:] != kb[:-1]]
        leader = order[np.maximum.accumulate(np.where(starts, np.arange(n), 0))]
        cand = ~starts
        docs, leads = order[cand], leader[cand]
        if not len(docs):
            continue
        sim = (sigs[docs] == sigs[leads]).mean(axis=1)
        good = sim >= threshold
        src.append(docs[good])
        dst.append(leads[good])
    if not src:
        return np.arange(n, dtype=np.int64)
    s, d = np.concatenate(src), np.concatenate(dst)
    graph = coo_matrix((np.ones(len(s), np.int8), (s, d)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def text_reuse(labels: np.ndarray, acc: np.ndarray, n_accounts: int, group_cap: int, min_support: int,
               needed: float) -> tuple[PairSignal, np.ndarray]:
    """Pairs sharing >= ``min_support`` distinct near-duplicate texts. Returns (signal, valid group mask).

    Chance model: a's m_a texts land in group g with probability d_g / M (g's share of all texts), so
    E[ab] = m_a m_b sum_g d_g^2 / M^2 over cross-account groups of at most ``group_cap`` accounts.
    """
    if not len(labels):
        return PairSignal.empty(), np.zeros(0, bool)
    n_groups = int(labels.max()) + 1
    pair_key = np.unique(labels.astype(np.int64) * n_accounts + acc)
    accs_per = np.bincount(pair_key // n_accounts, minlength=n_groups)
    valid = (accs_per >= 2) & (accs_per <= group_cap)
    m = np.bincount(acc, minlength=n_accounts).astype(np.float64)
    return text_pairs(labels, acc, valid[labels], m, text_rate(labels, valid), n_accounts, group_cap, min_support, needed), valid


def text_rate(labels: np.ndarray, valid: np.ndarray) -> float:
    """Chance that two texts fall in one valid near-duplicate group: sum d_g^2 / M^2."""
    docs_per = np.bincount(labels, minlength=len(valid)) if len(labels) else np.zeros(0, np.int64)
    total = float(max(len(labels), 1))
    return float((docs_per[valid[: len(docs_per)]].astype(np.float64) ** 2).sum()) / (total * total)


def text_pairs(labels: np.ndarray, acc: np.ndarray, sel: np.ndarray, m: np.ndarray, rate: float, n_accounts: int,
               group_cap: int, min_support: int, needed: float) -> PairSignal:
    """The :func:`text_reuse` test over the texts in ``sel`` (a mask or row numbers) only, with the chance model of all texts (``m``:
    texts per account, ``rate``: :func:`text_rate`), so a subset of the groups is judged by the same expectation."""
    sel_labels, sel_acc = labels[sel], acc[sel].astype(np.int64)  # ``sel``: a mask or row numbers
    if not len(sel_labels):
        return PairSignal.empty()
    a, b, _ = _pairs_from_groups(sel_labels, sel_acc, group_cap)
    a, b, obs = _count_pairs(a, b, n_accounts, min_support)
    exp = m[a] * m[b] * rate
    bits = poisson_bits(obs, exp)
    return PairSignal(a, b, obs, exp, strength_of(bits, needed))


def pooled_text(labels: np.ndarray, valid: np.ndarray, acc: np.ndarray, members: np.ndarray,
                counted: np.ndarray | None = None) -> tuple[float, float]:
    """(observed, expected) shared texts summed over ALL member pairs, with the chance model of
    :func:`text_reuse` (rate = sum d_g^2 / M^2 over valid groups). ``counted``: the groups whose sharing is
    observed (default: every valid group)."""
    if not len(labels):
        return 0.0, 0.0
    rate = text_rate(labels, valid)
    mine = np.isin(acc, members)
    m = np.bincount(acc[mine]).astype(np.float64)
    expected = rate * (m.sum() ** 2 - (m * m).sum()) / 2.0
    sel = mine & (valid if counted is None else counted)[labels]
    key = np.unique(labels[sel].astype(np.int64) * (int(acc.max()) + 1) + acc[sel])
    n_g = np.bincount(key // (int(acc.max()) + 1)).astype(np.float64)
    observed = float((n_g * (n_g - 1) / 2.0).sum())
    return observed, expected


def shared_infrastructure(item: np.ndarray, acc: np.ndarray, n_accounts: int, cap: int, common: int,
                          per_extra: float, ceiling: float, rarity_bits: float | None = None,
                          item_ceiling: np.ndarray | None = None) -> tuple[PairSignal, np.ndarray]:
    """Pairs of accounts on one device / IP prefix. Strength grows with how many accounts share it
    (two is a household, five is a farm) — or, with ``rarity_bits``, with how rare so crowded an item is
    on this site — and shrinks once the item is common (NAT, popular fingerprint). ``item_ceiling`` (per item,
    optional): a lower ceiling for some items. Returns (signal, accounts per item)."""
    ok = item >= 0
    if not ok.any():
        return PairSignal.empty(), np.zeros(0, np.int64)
    it, ac = item[ok].astype(np.int64), acc[ok].astype(np.int64)
    key = np.unique(it * n_accounts + ac)
    it, ac = key // n_accounts, key % n_accounts
    size = np.bincount(it)
    a, b, g = _pairs_from_groups(it, ac, cap)
    n = size[g].astype(np.float64)
    strength = np.minimum(ceiling, per_extra * (n - 1)) * np.minimum(1.0, common / n)
    if item_ceiling is not None:
        strength = np.minimum(strength, item_ceiling[g])
    if rarity_bits is not None:
        # How rare is an item this crowded on this site? -log10(share of items with >= n accounts); below
        # ``rarity_bits`` the strength shrinks in proportion. On a small site every carrier prefix is crowded.
        used = np.sort(size[size > 0])
        at_least = len(used) - np.searchsorted(used, n, side="left")
        bits = -np.log10(np.maximum(at_least, 1) / max(len(used), 1))
        strength = strength * np.minimum(1.0, bits / rarity_bits)
    key = a * n_accounts + b
    order = np.lexsort((-strength, key))
    key, strength, n = key[order], strength[order], n[order]
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
    key, strength, n = key[first], strength[first], n[first]
    return PairSignal(key // n_accounts, key % n_accounts, n, np.full(len(n), np.nan), strength), size


def switching_items(arr: Arrivals, item: np.ndarray, window: int, crowd_cap: int) -> np.ndarray:
    """Per item (device), the distinct cells on which two accounts arrived from it within ``window`` of each other
    (one operator switching accounts on one thread); ``item`` is per arrival (-1: unknown)."""
    n_items = int(item.max(initial=-1)) + 1
    if n_items == 0:
        return np.zeros(0, np.int64)
    small = arr.crowd <= crowd_cap
    found = []
    idx = np.arange(len(arr.cell))
    for d in range(1, crowd_cap):
        i = idx[: len(idx) - d]
        j = i + d
        near = (arr.cell[i] == arr.cell[j]) & (arr.ts[j] - arr.ts[i] <= window) & small[i] & small[j]
        if not near.any():
            break
        hit = near & (item[i] == item[j]) & (item[i] >= 0)
        found.append(item[i[hit]].astype(np.int64) * (int(arr.cell.max(initial=0)) + 1) + arr.cell[i[hit]])
    keys = np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
    return np.bincount(keys // (int(arr.cell.max(initial=0)) + 1), minlength=n_items).astype(np.int64)


def device_runs(arr: Arrivals, device: np.ndarray, turn: int) -> np.ndarray:
    """Per arrival, its run on its device in its cell: arrivals from one device in one cell, each within ``turn``
    seconds of the one before (one person switching accounts), share a run id; -1 where the device is unknown."""
    run = np.full(len(arr.cell), -1, np.int64)
    known = np.flatnonzero(device >= 0)
    if not len(known):
        return run
    order = known[np.lexsort((arr.ts[known], device[known], arr.cell[known]))]
    c, d, t = arr.cell[order], device[order], arr.ts[order]
    new = np.r_[True, (c[1:] != c[:-1]) | (d[1:] != d[:-1]) | (t[1:] - t[:-1] > turn)]
    run[order] = np.cumsum(new) - 1
    return run


def same_turns(device_a: np.ndarray, device_b: np.ndarray, run_a: np.ndarray, run_b: np.ndarray) -> np.ndarray:
    """Arrival pairs made from one device in different runs: people taking turns on it, not arriving together."""
    return (device_a == device_b) & (device_a >= 0) & (run_a != run_b)
