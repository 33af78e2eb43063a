"""Evidence a moderator can read: the comments side by side, the windows, the shared infrastructure,
and observed-versus-expected counts that say why chance does not explain the cluster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any, Callable, Mapping

import numpy as np

from townhall.trolls.report import Signal

WHY: Mapping[Signal, str] = MappingProxyType({
    Signal.TEXT_REUSE: "these accounts posted the same or nearly the same wording {obs:g} times between them; "
    "given how much each writes and how often texts repeat here, chance predicts {exp:.3g}",
    Signal.SYNC: "these accounts arrived on the same threads within minutes of each other {obs:g} times; "
    "given each account's activity and each thread's crowd at that moment, chance predicts {exp:.3g}",
    Signal.BRIGADE: "these accounts replied to or reacted on the same comments together {obs:g} times "
    "(conversations between them excluded); chance predicts {exp:.3g}",
    Signal.DEVICE: "these accounts used one device fingerprint; few honest readers share one",
    Signal.IP_PREFIX: "these accounts posted from one network prefix that few other accounts use",
    Signal.CREATION_BURST: "{obs:g} of the accounts were created within the same window, "
    "where the site's sign-up rate predicts {exp:.3g}",
    Signal.RHYTHM: "the accounts keep the same hours (supporting only): similarity {obs:.2f} vs {exp:.2f} for random accounts",
})


def iso(ts: int) -> str:
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).isoformat()


@dataclass(frozen=True, slots=True)
class Item:
    signal: Signal
    strength: float
    observed: float
    expected: float
    details: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal.value,
            "strength": round(self.strength, 3),
            "observed": round(self.observed, 3),
            "expected": None if np.isnan(self.expected) else round(self.expected, 4),
            "why": WHY[self.signal].format(obs=self.observed, exp=0.0 if np.isnan(self.expected) else self.expected),
            "details": self.details,
        }


def text_details(member_set: np.ndarray, labels: np.ndarray, valid: np.ndarray, ev_of_row: np.ndarray,
                 acc: np.ndarray, thread: np.ndarray, ts: np.ndarray, names: list[str], threads: list[str],
                 comment: Callable[[int], tuple[str, str]], limit: int) -> list[dict[str, Any]]:
    rows = np.flatnonzero(np.isin(acc[ev_of_row], member_set) & valid[labels])
    if not len(rows):
        return []
    groups: dict[int, list[int]] = {}
    for r in rows.tolist():
        groups.setdefault(int(labels[r]), []).append(int(ev_of_row[r]))
    for evs in groups.values():
        evs.sort(key=lambda e: (int(ts[e]), comment(e)[0]))  # earliest first, whatever order they were added in
    ranked = sorted(groups.values(), key=lambda evs: (-len({int(acc[e]) for e in evs}), int(ts[evs[0]]), comment(evs[0])[0]))
    out = []
    for evs in ranked:
        if len({int(acc[e]) for e in evs}) < 2:
            continue
        shown, seen = [], set()
        for e in evs:
            if int(acc[e]) in seen:
                continue
            seen.add(int(acc[e]))
            cid, text = comment(e)
            shown.append({"comment": cid, "account": names[acc[e]], "thread": threads[thread[e]], "at": iso(ts[e]), "text": text[:300]})
            if len(shown) >= limit:
                break
        out.append({"accounts": len({int(acc[e]) for e in evs}), "comments": shown})
        if len(out) >= limit:
            break
    return out


def window_details(member_set: np.ndarray, cell: np.ndarray, cacc: np.ndarray, cts: np.ndarray, window: int,
                   label: Callable[[int], dict[str, Any]], names: list[str], limit: int) -> list[dict[str, Any]]:
    sel = np.isin(cacc, member_set)
    c, a, t = cell[sel], cacc[sel], cts[sel]
    found: list[tuple[int, dict[str, Any]]] = []
    order = np.lexsort((t, c))
    c, a, t = c[order], a[order], t[order]
    start = 0
    for end in range(1, len(c) + 1):
        if end == len(c) or c[end] != c[start] or t[end] - t[start] > window:
            accs = sorted({names[x] for x in a[start:end].tolist()})
            if len(accs) >= 2:
                item = {**label(int(c[start])), "from": iso(t[start]), "to": iso(t[end - 1]), "accounts": accs}
                found.append((len(accs), item))
            start = end
    found.sort(key=lambda x: (-x[0], x[1]["from"], sorted(x[1].items(), key=str)))
    return [item for _, item in found[:limit]]


def infra_details(member_set: np.ndarray, item: np.ndarray, acc: np.ndarray, sizes: np.ndarray, names: list[str],
                  kind: str, hashes: list[str]) -> list[dict[str, Any]]:
    sel = np.isin(acc, member_set) & (item >= 0)
    out = []
    pairs = np.unique(np.stack([item[sel].astype(np.int64), acc[sel].astype(np.int64)], axis=1), axis=0) if sel.any() else np.zeros((0, 2), np.int64)
    for it in np.unique(pairs[:, 0]).tolist():
        accs = sorted(names[x] for x in pairs[pairs[:, 0] == it, 1].tolist())
        if len(accs) >= 2:
            out.append({kind: hashes[it], "cluster_accounts": accs, "accounts_on_it": int(sizes[it])})
    return sorted(out, key=lambda d: -len(d["cluster_accounts"]))
