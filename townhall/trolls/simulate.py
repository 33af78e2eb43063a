"""A seeded comment-section simulator: organic readers (heavy-tailed, bursty around publication),
hard negatives that look coordinated but are not, and paid campaigns with tunable signal strength.

Both organic and campaign text come from the same real comment pools (or the same synthetic ones),
so writing style cannot separate them. Campaign timing follows real IRA accounts' inter-post gaps.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from townhall.trolls.events import CommentEvent
from townhall.trolls.sim_data import FAMOUS_QUOTES, DataSource, SimMaterial, load_material


class Role(StrEnum):
    ORGANIC = "organic"
    TROLL = "troll"
    HEAVY = "heavy_poster"
    FRIEND = "friends"
    CROWD = "same_opinion_crowd"
    NAT = "shared_nat"
    BREAKING = "breaking_news"
    QUOTER = "famous_quote"


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    size: int = 10
    text_reuse: float = 0.0  # share of operation comments that copy or lightly edit the talking point
    sync: float = 0.0  # 0: organic timing on target threads; 1: all members within ~2 minutes
    shared_device: float = 0.0  # share of members on the campaign's few devices
    shared_ip: float = 0.0  # share of members on the campaign's network prefix
    creation_burst: bool = False  # accounts created within one day
    brigade: float = 0.0  # share of operations that pile replies onto one target comment
    ops: int = 20
    background: int = 15  # ordinary-looking comments per member, at real troll rhythm
    side: int = 0

    def signal_count(self) -> int:
        strong = [self.text_reuse >= 0.5, self.sync >= 0.5, self.shared_device >= 0.5, self.brigade >= 0.5]
        return sum(strong) + int(self.creation_burst) + int(self.shared_ip >= 0.5)


@dataclass(frozen=True, slots=True)
class SimConfig:
    seed: int = 0
    start: datetime = datetime(2026, 10, 1, tzinfo=timezone.utc)
    days: int = 10
    organic_accounts: int = 3000
    organic_comments: int = 40000
    threads: int = 300
    campaigns: tuple[CampaignSpec, ...] = ()
    heavy: int = 10
    heavy_comments: int = 300
    friend_groups: int = 12
    crowds: int = 2
    crowd_size: int = 25
    nat_groups: int = 2
    nat_size: int = 40
    breaking: int = 2
    breaking_size: int = 200
    quotes: int = 4
    quoters: int = 8
    reply_rate: float = 0.3
    flip_stance: bool = False


@dataclass
class SimResult:
    events: list[CommentEvent]
    roles: dict[str, Role]
    groups: dict[str, set[str]]  # "campaign:<i>" and hard-negative group names -> accounts
    source: DataSource
    now: datetime
    specs: dict[str, CampaignSpec] = field(default_factory=dict)


class _Rows:
    """Comments under construction (times in minutes from start)."""

    def __init__(self) -> None:
        self.acc: list[str] = []
        self.thread: list[int] = []
        self.t: list[float] = []
        self.text: list[str] = []
        self.parent: list[int] = []  # row index, -1 none, -2 "pick an earlier comment in thread"

    def add(self, acc: str, thread: int, t: float, text: str, parent: int = -1) -> int:
        self.acc.append(acc)
        self.thread.append(thread)
        self.t.append(t)
        self.text.append(text)
        self.parent.append(parent)
        return len(self.acc) - 1


def simulate(config: SimConfig, data_dir: Path | None, material: SimMaterial | None = None) -> SimResult:
    """Generate a comment section. ``data_dir`` is ``../shared/data`` or ``None`` (synthetic fallback)."""
    rng = random.Random(config.seed)
    gen = np.random.default_rng(config.seed)
    mat = material or load_material(data_dir, random.Random(config.seed + 1))
    pools = (mat.side_b, mat.side_a) if config.flip_stance else (mat.side_a, mat.side_b)
    minutes = config.days * 24 * 60
    rows = _Rows()
    roles: dict[str, Role] = {}
    groups: dict[str, set[str]] = {}
    ip: dict[str, str] = {}
    device: dict[str, str] = {}
    created: dict[str, float] = {}

    pub = np.sort(gen.uniform(0, minutes * 0.9, config.threads))
    pop = gen.pareto(1.1, config.threads) + 0.05
    pop /= pop.sum()
    organic = [f"u{i}" for i in range(config.organic_accounts)]
    side = {a: int(gen.integers(2)) for a in organic}
    for a in organic:
        roles[a] = Role.ORGANIC
        created[a] = float(gen.uniform(-3 * 365 * 1440, -1440))
        device[a] = f"dev-{a}"
    _assign_ips(organic, ip, gen)
    for i in range(0, len(organic) // 50 * 2, 2):  # families share a tablet
        device[organic[i + 1]] = device[organic[i]]

    def say(s: int, own: bool = True) -> str:
        """Own words: two or three sentences from one side's pool (real comments' sentences)."""
        pool = pools[s]
        return " ".join(pool[int(i)] for i in gen.integers(len(pool), size=2 + int(gen.random() < 0.4)))

    def organic_time(j: int, scale: float = 90.0) -> float:
        return float(min(pub[j] + gen.lognormal(np.log(scale), 1.2), minutes - 1))

    # Organic readers: heavy-tailed activity, threads by popularity, arrivals bursty after publication.
    activity = gen.pareto(1.3, len(organic)) + 0.1
    who = gen.choice(len(organic), config.organic_comments, p=activity / activity.sum())
    where = gen.choice(config.threads, config.organic_comments, p=pop)
    n = config.organic_comments
    when = np.minimum(pub[where] + gen.lognormal(np.log(90.0), 1.2, n), minutes - 1)
    reply = gen.random(n) < config.reply_rate
    picks = gen.integers(len(pools[0]), size=(n, 3))
    three = gen.random(n) < 0.4
    side_arr = np.array([side[a] for a in organic])
    for k in range(n):
        a = who[k]
        pool = pools[side_arr[a]]
        p = picks[k]
        text = f"{pool[p[0]]} {pool[p[1]]} {pool[p[2]]}" if three[k] else f"{pool[p[0]]} {pool[p[1]]}"
        rows.add(organic[a], int(where[k]), float(when[k]), text, -2 if reply[k] else -1)

    picked = iter(rng.sample(organic, len(organic)))
    _hard_negatives(config, rows, roles, groups, created, side, picked, pub, pop, minutes, gen, say, organic_time, ip)
    specs: dict[str, CampaignSpec] = {}
    for ci, spec in enumerate(config.campaigns):
        name = f"campaign:{ci}"
        specs[name] = spec
        _campaign(ci, spec, rows, roles, groups, created, device, ip, pub, pop, minutes, gen, mat, pools, say)

    events = _finish(rows, config, ip, device, created, gen)
    return SimResult(events, roles, groups, mat.source, config.start + timedelta(minutes=minutes), specs)


def _assign_ips(accounts: list[str], ip: dict[str, str], gen: np.random.Generator) -> None:
    n = len(accounts)
    carriers = max(2, int(n * 0.4 / 50))  # carrier-grade NAT: dozens of readers or more per prefix
    for a in accounts:
        if gen.random() < 0.4:  # mobile carrier / big ISP pools: many readers per prefix
            ip[a] = f"ip-carrier-{int(gen.integers(carriers))}"
        else:
            ip[a] = f"ip-home-{int(gen.integers(max(n, 2)))}"


def _hard_negatives(config: SimConfig, rows: _Rows, roles: dict[str, Role], groups: dict[str, set[str]],
                    created: dict[str, float], side: dict[str, int], picked: Iterator[str], pub: np.ndarray, pop: np.ndarray,
                    minutes: int, gen: np.random.Generator, talk: Callable[..., str], t_of: Callable[..., float],
                    ip: dict[str, str]) -> None:
    def take(n: int) -> list[str]:
        return [next(picked) for _ in range(n)]

    heavy = take(config.heavy)
    for a in heavy:  # read nearly every popular story, early
        roles[a] = Role.HEAVY
        for j in gen.choice(config.threads, config.heavy_comments, p=pop):
            rows.add(a, int(j), t_of(int(j), 20.0), talk(side[a]), -2 if gen.random() < 0.3 else -1)
    groups["heavy_posters"] = set(heavy)

    friends: set[str] = set()
    for g in range(config.friend_groups):  # talk to each other under the same stories
        members = take(2 + g % 2)
        friends.update(members)
        if g % 3 == 0:
            day = float(gen.uniform(-700 * 1440, -1440))
            for m in members:
                created[m] = day + float(gen.uniform(0, 1440))
        for j in gen.choice(config.threads, 15, p=pop):
            t0 = t_of(int(j))
            first = rows.add(members[0], int(j), t0, talk(side[members[0]]))
            last = first
            for m in members[1:]:
                t0 += float(gen.exponential(4.0))
                last = rows.add(m, int(j), t0, talk(side[m]), first)
            if gen.random() < 0.6:
                rows.add(members[0], int(j), t0 + float(gen.exponential(4.0)), talk(side[members[0]]), last)
    for a in friends:
        roles[a] = Role.FRIEND
    groups["friends"] = friends

    crowd_all: set[str] = set()
    for g in range(config.crowds):  # same opinion, same topics, own words, own times
        members = take(config.crowd_size)
        s = g % 2
        for j in gen.choice(config.threads, 20, replace=False, p=pop):
            for m in members:
                side[m] = s
                if gen.random() < 0.6:
                    rows.add(m, int(j), t_of(int(j)), talk(s), -2 if gen.random() < 0.3 else -1)
        crowd_all.update(members)
    for a in crowd_all:
        roles[a] = Role.CROWD
    groups["same_opinion_crowd"] = crowd_all

    nat: set[str] = set()
    for g in range(config.nat_groups):  # a newsroom or campus behind one address
        members = take(config.nat_size)
        for m in members:
            ip[m] = f"ip-nat-{g}"
            roles[m] = Role.NAT
            for j in gen.choice(config.threads, 5, p=pop):
                rows.add(m, int(j), t_of(int(j)), talk(side[m]))
        nat.update(members)
    groups["shared_nat"] = nat

    breaking: set[str] = set()
    for g in range(config.breaking):  # everyone at once
        j = int(np.argsort(pop)[-(g + 1)])
        members = take(config.breaking_size)
        for m in members:
            roles[m] = Role.BREAKING
            rows.add(m, j, float(min(pub[j] + gen.exponential(8.0), minutes - 1)), talk(side[m]), -2 if gen.random() < 0.3 else -1)
        breaking.update(members)
    groups["breaking_news"] = breaking

    quoters: set[str] = set()
    for q in range(config.quotes):  # several readers each quote the same famous line
        members = take(config.quoters)
        for m in members:
            roles[m] = Role.QUOTER
            j = int(gen.choice(config.threads, p=pop))
            rows.add(m, j, t_of(j), FAMOUS_QUOTES[q % len(FAMOUS_QUOTES)])
        quoters.update(members)
    groups["famous_quote"] = quoters


def _edit(text: str, gen: np.random.Generator) -> str:
    """A light edit of a talking point: drop a word or two, add a short lead-in."""
    words = text.split()
    for _ in range(int(gen.integers(0, 3))):
        if len(words) > 6:
            words.pop(int(gen.integers(len(words))))
    lead = ["", "Exactly.", "So true:", "Read this:", "Wake up people.", "This."][int(gen.integers(6))]
    return " ".join(([lead] if lead else []) + words)


def _campaign(ci: int, spec: CampaignSpec, rows: _Rows, roles: dict[str, Role], groups: dict[str, set[str]],
              created: dict[str, float], device: dict[str, str], ip: dict[str, str], pub: np.ndarray, pop: np.ndarray,
              minutes: int, gen: np.random.Generator, mat: SimMaterial, pools: tuple[list[str], list[str]],
              talk: Callable[..., str]) -> None:
    members = [f"t{ci}-{i}" for i in range(spec.size)]
    groups[f"campaign:{ci}"] = set(members)
    burst_day = float(gen.uniform(-60 * 1440, -2 * 1440))
    n_dev = max(1, spec.size // 5)
    for i, m in enumerate(members):
        roles[m] = Role.TROLL
        created[m] = burst_day + float(gen.uniform(0, 1440)) if spec.creation_burst else float(gen.uniform(-3 * 365 * 1440, -1440))
        device[m] = f"dev-c{ci}-{i % n_dev}" if gen.random() < spec.shared_device else f"dev-{m}"
        ip[m] = f"ip-c{ci}" if gen.random() < spec.shared_ip else f"ip-home-t{ci}-{i}"
        # Background: ordinary-looking comments at a real troll account's rhythm.
        k = int(gen.integers(len(mat.gaps_min)))
        gaps = gen.choice(mat.gaps_min[k], spec.background)
        t = float(gen.uniform(0, minutes / 4)) + np.cumsum(gaps)
        for tt in t % minutes:
            j = int(np.searchsorted(pub, tt)) - 1
            j = max(0, j - int(gen.integers(0, 3)))
            rows.add(m, j, float(max(tt, pub[j])), talk(spec.side), -2 if gen.random() < 0.3 else -1)
    k = int(gen.integers(len(mat.gaps_min)))
    jitter_scale = 2.0 + 60.0 * (1.0 - spec.sync) ** 2
    for _ in range(spec.ops):
        # Targets: half the operations ride popular stories, half pick stories by topic (any size).
        j = int(gen.choice(len(pub), p=pop)) if gen.random() < 0.5 else int(gen.integers(len(pub)))
        t0 = float(pub[j] + gen.lognormal(np.log(60.0), 1.0))
        point = talk(spec.side, False)
        target = -1
        if gen.random() < spec.brigade:
            target = rows.add(f"u-target-{ci}-{j}", j, t0 - float(gen.uniform(1, 30)), talk(1 - spec.side))
            roles.setdefault(f"u-target-{ci}-{j}", Role.ORGANIC)
        active = [m for m in members if gen.random() < 0.5 + 0.4 * spec.sync]
        for m in active:
            if spec.sync > 0:
                dt = float(gen.exponential(jitter_scale))
            else:
                dt = float(gen.choice(mat.gaps_min[k])) * float(gen.uniform(0.5, 1.5))
            text = _edit(point, gen) if gen.random() < spec.text_reuse else talk(spec.side)
            rows.add(m, j, min(t0 + dt, minutes - 1), text, target)


def _finish(rows: _Rows, config: SimConfig, ip: dict[str, str], device: dict[str, str], created: dict[str, float],
            gen: np.random.Generator) -> list[CommentEvent]:
    n = len(rows.acc)
    t = np.array(rows.t)
    thread = np.array(rows.thread)
    order = np.lexsort((t, thread))
    parent = np.array(rows.parent)
    new_parent = parent.copy()
    pos_in_thread = np.zeros(n, np.int64)
    first_of_thread = np.zeros(n, np.int64)
    start = 0
    for i in range(1, n + 1):
        if i == n or thread[order[i]] != thread[order[start]]:
            pos_in_thread[order[start:i]] = np.arange(i - start)
            first_of_thread[order[start:i]] = start
            start = i
    for r in np.flatnonzero(parent == -2):
        k = pos_in_thread[r]
        new_parent[r] = order[first_of_thread[r] + int(gen.integers(k))] if k > 0 else -1
    ids = [f"c{i}" for i in range(n)]
    base = config.start
    acc_created = {a: base + timedelta(minutes=v) for a, v in created.items()}
    events = []
    for r in np.argsort(t, kind="stable").tolist():
        a = rows.acc[r]
        p = int(new_parent[r])
        events.append(CommentEvent(
            id=ids[r], account=a, thread=f"article-{rows.thread[r]}", created_at=base + timedelta(minutes=float(t[r])),
            text=rows.text[r], parent=ids[p] if p >= 0 and t[p] <= t[r] else None, ip=ip.get(a), device=device.get(a, f"dev-{a}"),
            account_created_at=acc_created.get(a),
        ))
    return events
