"""Paid trolls in the running service: every comment feeds the coordination index; clustering runs on a
schedule or on demand; flagged clusters go to the moderators' queue, and a confirmed cluster is banned in
one action (or automatically above the policy's stricter ``ban_at``, if a publisher chooses that)."""

from __future__ import annotations

import logging
import random
import threading
import time
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from townhall.service.core import Services, as_utc
from townhall.service.clusters import confirm_cluster
from townhall.service.enforcement import PAID_TROLL
from townhall.service.privacy import ERASED_ACTION
from townhall.service.identity import Actor
from townhall.store import content, moderation, people
from townhall.store import privacy as privacy_store
from townhall.store.schema import AccountState, FlagKind, FlagState
from townhall.trolls.config import DetectorConfig
from townhall.trolls.decisions import Outcome, PastFlag, PriorDecisions
from townhall.trolls.events import CommentEvent, ReactionEvent, ReactionKind
from townhall.trolls.index import CoordinationIndex
from townhall.trolls.report import Report

log = logging.getLogger("townhall.trolls")
# How far before the last catch-up the next one reads again: a comment whose transaction was still open then
# (its time is taken before it commits) is read by the next one. Comments already indexed are skipped.
CATCH_UP_OVERLAP = timedelta(minutes=2)


class Stopped(Exception):
    """A read from the database was abandoned because the service is stopping."""


class TrollWatch:
    """One coordination index per site, fed as comments arrive, read back from the database in the background
    when the server starts (:meth:`warm_up`) and caught up before every analysis (:meth:`catch_up`)."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self._lock = threading.Lock()  # guards the indexes; held briefly, posts wait on it
        self._sync_lock = threading.Lock()  # one read from the database at a time (warm-up, catch-ups)
        # one analysis at a time (scheduled or asked for); it holds ``_lock`` only while it copies an index
        self._analysis_lock = threading.Lock()
        self._indexes: dict[str, CoordinationIndex] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warm_up: threading.Thread | None = None
        self._synced_at: datetime | None = None  # when the database was last read (warm-up or catch-up)
        self._erasure_read: dict[str, datetime] = {}  # per site: the last erasure its index was read back after
        # per site: accounts whose cluster a moderator dismissed (and that has no new evidence since): their
        # coordination score is not acted on. Set at every analysis from the stored decisions, and at once by
        # a dismissal in this process (another process learns it at its next analysis).
        self._cleared: dict[str, frozenset[str]] = {}

    def index(self, site_id: str) -> CoordinationIndex:
        with self._lock:
            idx = self._indexes.get(site_id)
            if idx is None:
                idx = CoordinationIndex(rng=random.Random(0))
                self._indexes[site_id] = idx
            return idx

    def observe(self, site_id: str, thread: str, row: Mapping[str, Any], ip_hash: str | None, device_hash: str | None,
                account_created_at: Any = None) -> None:
        event = CommentEvent(
            id=str(row["id"]), account=str(row["account_id"]), thread=thread, created_at=as_utc(row["created_at"]),
            text=row["body"], parent=str(row["parent_id"]) if row["parent_id"] else None, ip=ip_hash, device=device_hash,
            account_created_at=as_utc(account_created_at),
        )
        idx = self.index(site_id)
        signature = idx.signature(event.text)  # the costly part, outside the lock other posts wait on
        with self._lock:
            idx.add(event, signature)

    def observe_reaction(self, site_id: str, account_id: int, comment_id: int, kind: ReactionKind,
                         created_at: datetime | None = None) -> None:
        idx = self.index(site_id)
        event = ReactionEvent(account=str(account_id), comment=str(comment_id), kind=kind,
                              created_at=as_utc(created_at) if created_at is not None else self.svc.now())
        with self._lock:
            idx.add(event)

    def similar_writers(self, site_id: str, text: str, threshold: float) -> dict[str, float]:
        """Accounts of the site whose recent comments are worded near-identically to ``text``. Called inside
        a post's write transaction, so it never waits: while the start-up read (:meth:`warm_up`) runs, it
        compares with what has been read so far."""
        with self._lock:
            idx = self._indexes.get(site_id)
            return idx.near_duplicate_accounts(text, threshold=threshold) if idx is not None else {}

    def account_score(self, site_id: str, account_id: int) -> tuple[float | None, str | None]:
        """(score, cluster id) from the last analysis; no score for an account whose cluster a moderator
        dismissed (a dismissal is a moderator's finding that the cluster is not a campaign)."""
        with self._lock:
            idx = self._indexes.get(site_id)
            found = idx.account_score(str(account_id)) if idx is not None else None
            if found is not None and str(account_id) in self._cleared.get(site_id, frozenset()):
                return None, found[1]
        return found if found is not None else (None, None)

    def set_cleared(self, site_id: str, accounts: Iterable[str]) -> None:
        """The accounts of ``site_id`` whose coordination score is not acted on (replaces the last set)."""
        with self._lock:
            self._cleared[site_id] = frozenset(accounts)

    def clear(self, site_id: str, accounts: Iterable[str]) -> None:
        """Add accounts a moderator has just cleared by dismissing their cluster's flag."""
        with self._lock:
            self._cleared[site_id] = self._cleared.get(site_id, frozenset()) | frozenset(accounts)

    def warm_up(self) -> None:
        """Read the detector's horizon from the database in a background thread when the server starts or
        restarts (:meth:`start` calls this), so that it answers at once however many comments the horizon
        holds (100,000 took 4.6 s when this was done before serving). An analysis waits for it (both read
        under one lock); the paid-troll rule has no report to read before the first analysis anyway."""
        if self._warm_up is not None or self._synced_at is not None:
            return

        def run() -> None:
            started = time.perf_counter()
            try:
                count = self.catch_up(stoppable=True)
                log.info("coordination index read back from the database: %d comments in %.1f s", count,
                         time.perf_counter() - started)
            except Stopped:
                pass
            except Exception:  # noqa: BLE001 - the next analysis reads it again (nothing is marked read)
                log.exception("reading the coordination index from the database failed")

        self._warm_up = threading.Thread(target=run, name="townhall-trolls-warm-up", daemon=True)
        self._warm_up.start()

    def catch_up(self, stoppable: bool = False) -> int:
        """Feed the indexes with the comments, likes and reports stored since the last read that this
        process has not seen: the detector's whole horizon the first time, then those other processes took
        (several workers or hosts on one database). Runs before every analysis, so each process clusters
        every process's events. ``stoppable``: a background read, abandoned (:class:`Stopped`) when the
        service stops."""
        with self._sync_lock:
            if self._synced_at is None:
                return self._read_since(self.svc.now() - DetectorConfig().horizon, stoppable)
            since = self._synced_at - CATCH_UP_OVERLAP
            self._reread_erased(since)
            return self._read_since(since, stoppable)

    def _reread_erased(self, since: datetime) -> None:
        """Read back afresh the index of every site where an account was erased since ``since`` (by any process:
        a worker, ``townhall erase``), once per erasure: the index keeps every recent comment's text and IP and
        device hashes in memory, and its next analysis would quote or match what was removed. Called under
        ``_sync_lock``. The last analysis's scores stay in force until the next analysis."""
        with self._lock:
            sites = list(self._indexes)
        with self.svc.db.read() as conn:
            erased = privacy_store.erasures_since(conn, sites, since, ERASED_ACTION)
        for site_id, at in erased.items():
            at = as_utc(at)
            if at is None or (site_id in self._erasure_read and at <= self._erasure_read[site_id]):
                continue  # read back after this one already (the overlap of two catch-ups)
            with self._lock:
                old = self._indexes.pop(site_id, None)
            self._read_since(self.svc.now() - DetectorConfig().horizon, False, site_id=site_id)
            if old is not None:
                self.index(site_id).adopt_report(old.report)
            self._erasure_read[site_id] = at

    def _read_since(self, since: datetime, stoppable: bool, site_id: str | None = None) -> int:
        """Feed the indexes (of ``site_id`` only, if given) with what the database holds since ``since``."""
        started = self.svc.now()
        count = 0
        with self.svc.db.read() as conn:
            for row in content.recent_comments_for_trolls(conn, since):
                if stoppable and self._stop.is_set():
                    raise Stopped
                if site_id is not None and row["site_id"] != site_id:
                    continue
                idx = self.index(row["site_id"])
                with self._lock:
                    if idx.has_comment(str(row["id"])):
                        continue
                self.observe(row["site_id"], row["thread_external_id"], row, row["ip_hash"], row["device_hash"],
                             row["account_created_at"])
                count += 1
            for r in content.recent_reactions_for_trolls(conn, since):
                if stoppable and self._stop.is_set():
                    raise Stopped
                if site_id is not None and r["site_id"] != site_id:
                    continue
                kind = ReactionKind.REPORT if r["kind"] == "report" else ReactionKind.LIKE
                self.observe_reaction(r["site_id"], r["account_id"], r["comment_id"], kind, r["created_at"])
        if site_id is None:  # a whole read: every site is up to this time
            self._synced_at = started
        return count

    def analyse(self, site_id: str) -> Report:
        self.catch_up()
        return self._analyse(site_id)

    def _analyse(self, site_id: str) -> Report:
        idx = self.index(site_id)
        with self._analysis_lock:
            # posts wait on ``_lock`` only while the index is pruned and copied, not for the whole analysis
            report = idx.analyse(self.svc.now(), guard=self._lock)
        record_clusters(self.svc, site_id, report)
        return report

    def analyse_all(self) -> None:
        try:
            self.catch_up(stoppable=True)
        except Stopped:
            return
        except Exception:  # noqa: BLE001 - the schedule goes on with what this process has seen
            log.exception("coordination catch-up from the database failed")
        with self._lock:
            sites = list(self._indexes)
        for site_id in sites:
            try:
                self._analyse(site_id)
            except Exception:  # noqa: BLE001 - a failed run must not stop the schedule
                log.exception("coordination analysis failed for site %s", site_id)

    def start(self, interval: float) -> None:
        """Start the background work of a serving process: the read-back of the horizon (:meth:`warm_up`)
        and, every ``interval`` seconds (none if ``interval`` <= 0), an analysis of every site."""
        self._stop.clear()
        self.warm_up()
        if interval <= 0 or self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(interval):
                self.analyse_all()

        self._thread = threading.Thread(target=loop, name="townhall-trolls", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._warm_up):
            if thread is not None:
                thread.join(5)
        self._thread = self._warm_up = None


def record_clusters(svc: Services, site_id: str, report: Report) -> list[int]:
    """Put flagged clusters in the moderators' queue (one open flag per cluster), and ban automatically where
    the policy asks for it above its stricter ``ban_at`` (on a new flag or an open one whose score rose past it).

    A moderator's decision sticks (:mod:`townhall.trolls.decisions`): a cluster a decision covers gets
    no new flag unless it has new evidence, and the members of a dismissed cluster are no longer held."""
    with svc.db.read() as conn:
        known = _past_flags(conn, site_id)
    flag_ids: list[int] = []
    cleared: set[str] = set()
    confirmed: set[int] = set()
    used: set[int] = set()
    for cluster in report.clusters:
        matches = [k for k in known if k.matches(cluster)]
        decision = PriorDecisions.of(cluster, matches)
        if decision.dismissed_without_news and not any(k.state is Outcome.OPEN for k in matches):
            cleared.update(cluster.members)  # the moderator's "not a campaign" holds for every member
        if decision.decided and decision.decided[0].state is Outcome.CONFIRMED and not decision.has_news \
                and not any(k.state is Outcome.OPEN for k in matches):
            confirmed.update(decision.decided[0].accounts)
        if not cluster.flagged:
            continue
        ban = False
        # one analysis at a time decides on a cluster's flag (a scheduled one, one a moderator asked for, another
        # process's): the flags are read again inside the transaction that writes, so none is made twice
        with svc.db.write(exclusive=True) as conn:
            matches = [k for k in _past_flags(conn, site_id) if k.matches(cluster)]
            decision = PriorDecisions.of(cluster, matches)
            site = content.get_site(conn, site_id)
            policy = svc.policies.for_site(site)
            # only the members the detector itself flags are proposed for sanction (looser ties stay in the
            # evidence), and never one already banned
            members = [a for a in (int(m) for m in cluster.flagged_members if m.isdecimal()) if _sanctionable(conn, site_id, a)]
            evidence = cluster.to_dict()
            current = next((k for k in matches if k.state is Outcome.OPEN and k.id not in used), None)
            if current is not None:
                flag_id = current.id
                moderation.update_flag(conn, flag_id, score=cluster.score, accounts=members or list(current.accounts),
                                       evidence=evidence, key=cluster.id)
            elif not members or not decision.reopens:
                continue  # a flag names accounts; a decided cluster waits for new evidence
            else:
                flag_id = moderation.insert_flag(conn, site_id=site_id, kind=FlagKind.COORDINATION.value,
                                                 state=FlagState.OPEN.value, score=cluster.score, accounts=members,
                                                 evidence=evidence, key=cluster.id, created_at=svc.now())
                details: dict[str, Any] = {"cluster": cluster.id, "accounts": members, "score": round(cluster.score, 4)}
                if decision.decided:
                    details["after_decisions"] = [k.id for k in decision.decided]
                    details["new_evidence"] = decision.news()
                svc.audit(conn, action="trolls.cluster_flagged", subject_type="flag", subject_id=flag_id, actor_kind="system",
                          actor="coordination", site_id=site_id, policy_version=policy.version, details=details)
            used.add(flag_id)
            flag_ids.append(flag_id)
            ban_at = _ban_at(policy)
            ban = bool(ban_at) and cluster.score >= ban_at and bool(members)
        if ban:
            confirm_cluster(svc, Actor.policy(), flag_id, reason=f"Coordination score {cluster.score:.2f} ≥ {ban_at:g}")
    if confirmed:
        # a confirmed member whose paid-troll sanction moderators reversed (an appeal, a lifting) is not a paid troll
        with svc.db.read() as conn:
            cleared.update(str(a) for a in sorted(confirmed) if _reinstated(conn, a))
    if svc.trolls is not None:
        svc.trolls.set_cleared(site_id, cleared)
    return flag_ids


def _reinstated(conn: Any, account_id: int) -> bool:
    """Whether the account's paid-troll sanctions were all reversed."""
    troll = [a for a in moderation.actions_for(conn, account_id) if a["rule"] == PAID_TROLL]
    return bool(troll) and all(a["revoked_at"] is not None for a in troll)


def _past_flags(conn: Any, site_id: str) -> list[PastFlag]:
    return [PastFlag.of(int(row["id"]), row["state"], row["key"], row["accounts"] or [], row["evidence"])
            for row in moderation.flags_of_kind(conn, site_id, FlagKind.COORDINATION.value)]


def _sanctionable(conn: Any, site_id: str, account_id: int) -> bool:
    account = people.get_account(conn, account_id)
    return account is not None and account["site_id"] == site_id and account["state"] != AccountState.BANNED.value


def _ban_at(policy: Any) -> float:
    for rule in policy.rules:
        value = getattr(rule, "ban_at", None)
        if value:
            return float(value)
    return 0.0
