"""Importing other systems' archives: threads, comments with their reply structure, authors as unclaimed
accounts, times and approval states. Idempotent and resumable: every comment keeps its archive id in
``comments.external_id`` ("<source>:<id>") and batches commit as they go, so a re-run adds only what is
missing. The house rules judge each imported text in report-only mode: a decision with source "import"
is stored, the archive's status is kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from townhall.policy.types import Subject
from townhall.service.core import Services
from townhall.service.errors import NotFound
from townhall.service.importers.model import Archive, ImportedComment, Problem
from townhall.service.render import render
from townhall.store import archive as store
from townhall.store import content, moderation, people
from townhall.store.schema import AccountState, ActorKind, DecisionSource, Role, ThreadState

Progress = Callable[[int], None]
BATCH = 200


@dataclass
class ImportReport:
    source: str
    site: str
    dry_run: bool
    total: int = 0
    threads_new: int = 0
    accounts_new: int = 0
    comments_new: int = 0
    comments_existing: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    policy: Counter[str] = field(default_factory=Counter)
    policy_examples: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "site": self.site, "dry_run": self.dry_run, "comments_in_archive": self.total,
            "threads_new": self.threads_new, "accounts_new": self.accounts_new, "comments_new": self.comments_new,
            "comments_already_imported": self.comments_existing, "statuses": dict(self.statuses),
            "policy_would": dict(self.policy), "policy_examples": self.policy_examples,
            "problems": [str(p) for p in self.problems],
        }


def ordered(archive: Archive) -> list[tuple[ImportedComment, int]]:
    """Comments with parents before replies (archives list them in any order), each with its depth.
    A reply whose parent is not in the archive becomes a top-level comment (and is reported)."""
    by_id = {c.external_id: c for c in archive.comments}
    depth: dict[str, int] = {}

    def depth_of(comment: ImportedComment) -> int:
        chain: list[ImportedComment] = []
        seen: set[str] = set()
        node: ImportedComment | None = comment
        while node is not None and node.external_id not in depth:
            if node.external_id in seen:  # a cycle: break it here
                archive.problem(node.position, "reply cycle in the archive; imported as top-level")
                node.parent_external_id = None
                depth[node.external_id] = 0
                break
            seen.add(node.external_id)
            chain.append(node)
            parent = by_id.get(node.parent_external_id) if node.parent_external_id else None
            if node.parent_external_id and parent is None:
                archive.problem(node.position, f"replies to comment {node.parent_external_id!r}, which is not in the archive; imported as top-level")
                node.parent_external_id = None
            if parent is not None and parent.thread_key != node.thread_key:
                archive.problem(node.position, "replies to a comment of another thread; imported as top-level")
                node.parent_external_id = None
                parent = None
            node = parent
        for item in reversed(chain):
            parent_key = item.parent_external_id
            depth[item.external_id] = depth[parent_key] + 1 if parent_key in depth else 0
        return depth[comment.external_id]

    unique: dict[str, ImportedComment] = {}
    for c in archive.comments:
        if c.external_id in unique:
            archive.problem(c.position, f"duplicate id {c.external_id!r}; the first one is kept")
            continue
        unique[c.external_id] = c
    pairs = [(c, depth_of(c)) for c in unique.values()]
    pairs.sort(key=lambda p: (p[1], p[0].created_at))
    return pairs


def run_import(svc: Services, archive: Archive, site_id: str, *, dry_run: bool = False,
               progress: Progress | None = None, batch: int = BATCH) -> ImportReport:
    with svc.db.read() as conn:
        site = content.get_site(conn, site_id)
    if site is None:
        raise NotFound("No such site.", {"site": site_id})
    policy = svc.policies.for_site(site)
    report = ImportReport(archive.source, site_id, dry_run)
    pairs = ordered(archive)
    report.total = len(pairs)
    state = _State()
    for start in range(0, len(pairs), batch):
        chunk = pairs[start:start + batch]
        verdicts = [policy.evaluate(Subject(text=c.text)) for c, _ in chunk]
        if dry_run:
            with svc.db.read() as conn:
                _apply(conn, svc, archive, site_id, chunk, verdicts, report, state, write=False)
        else:
            with svc.db.write() as conn:
                _apply(conn, svc, archive, site_id, chunk, verdicts, report, state, write=True)
        if progress is not None:
            progress(len(chunk))
    report.problems = list(archive.problems) + report.problems
    if not dry_run and (report.comments_new or report.threads_new):
        with svc.db.write() as conn:
            svc.audit(conn, action="import.run", subject_type="site", subject_id=site_id, actor_kind=ActorKind.SYSTEM.value,
                      actor="import", site_id=site_id,
                      details={"source": archive.source, "comments": report.comments_new, "threads": report.threads_new,
                               "accounts": report.accounts_new, "problems": len(report.problems)})
    return report


@dataclass
class _State:
    threads: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    # archive id -> (comment id, root id, depth); negative ids are the dry run's would-be comments
    comments: dict[str, tuple[int, int | None, int]] = field(default_factory=dict)
    fake: int = 0

    def next_fake(self) -> int:
        self.fake -= 1
        return self.fake


def _apply(conn: Connection, svc: Services, archive: Archive, site_id: str, chunk: list[tuple[ImportedComment, int]],
           verdicts: list[Any], report: ImportReport, state: _State, *, write: bool) -> None:
    prefix = f"{archive.source}:"
    wanted = [prefix + c.external_id for c, _ in chunk]
    wanted += [prefix + c.parent_external_id for c, _ in chunk if c.parent_external_id]
    for ext, row in store.imported_comments(conn, site_id, wanted).items():
        state.comments.setdefault(ext, (int(row["id"]), row["root_id"], int(row["depth"])))
    for (comment, _depth), decision in zip(chunk, verdicts):
        ext = prefix + comment.external_id
        if ext in state.comments and state.comments[ext][0] > 0:
            report.comments_existing += 1
            continue
        thread_id = _thread(conn, svc, archive, site_id, comment, report, state, write)
        account_id = _account(conn, svc, site_id, comment, report, state, write)
        parent = state.comments.get(prefix + comment.parent_external_id) if comment.parent_external_id else None
        if comment.parent_external_id and parent is None:
            report.problems.append(Problem(comment.position, "parent was not imported; imported as top-level"))
        root_id = (parent[1] or parent[0]) if parent else None
        depth = parent[2] + 1 if parent else 0
        report.comments_new += 1
        report.statuses[comment.status.value] += 1
        report.policy[decision.verdict.value] += 1
        if decision.verdict.value != "publish" and len(report.policy_examples) < 20:
            report.policy_examples.append({"id": comment.external_id, "position": comment.position,
                                           "kept_status": comment.status.value, "policy_would": decision.verdict.value,
                                           "rules": [h.rule for h in decision.deciding_hits]})
        if not write:
            state.comments[ext] = (state.next_fake(), root_id, depth)
            continue
        comment_id = content.insert_comment(
            conn, thread_id=thread_id, account_id=account_id, parent_id=parent[0] if parent else None, root_id=root_id,
            depth=depth, body=comment.text, html=render(comment.text), status=comment.status.value, reactions=0,
            created_at=comment.created_at, external_id=ext,
        )
        moderation.insert_decision(
            conn, comment_id=comment_id, source=DecisionSource.IMPORT.value, verdict=decision.verdict.value,
            hits=[h.to_dict() for h in decision.hits], scores={k: float(v) for k, v in decision.scores.items()},
            policy_version=decision.policy_version, reason=f"Report only: imported from {archive.source} as {comment.status.value}",
            created_at=svc.now(),
        )
        state.comments[ext] = (comment_id, root_id, depth)


def _thread(conn: Connection, svc: Services, archive: Archive, site_id: str, comment: ImportedComment,
            report: ImportReport, state: _State, write: bool) -> int:
    known = state.threads.get(comment.thread_key)
    if known is not None:
        return known
    row = content.get_thread(conn, site_id, comment.thread_key)
    if row is not None:
        state.threads[comment.thread_key] = int(row["id"])
        return int(row["id"])
    info = archive.threads[comment.thread_key]
    report.threads_new += 1
    if not write:
        state.threads[comment.thread_key] = state.next_fake()
        return state.threads[comment.thread_key]
    thread_id = store.insert_thread(conn, site_id=site_id, external_id=info.key, url=info.url, title=info.title,
                                    state=(ThreadState.CLOSED if info.closed else ThreadState.OPEN).value,
                                    created_at=info.created_at or comment.created_at)
    state.threads[comment.thread_key] = thread_id
    return thread_id


def _account(conn: Connection, svc: Services, site_id: str, comment: ImportedComment, report: ImportReport,
             state: _State, write: bool) -> int:
    subject = comment.author.subject
    known = state.accounts.get(subject)
    if known is not None:
        return known
    row = people.find_account(conn, site_id, subject)
    if row is not None:
        state.accounts[subject] = int(row["id"])
        return int(row["id"])
    report.accounts_new += 1
    if not write:
        state.accounts[subject] = state.next_fake()
        return state.accounts[subject]
    account_id = people.insert_account(
        conn, site_id=site_id, subject=subject, display_name=comment.author.name, email=comment.author.email,
        supporter=False, role=Role.READER.value, guest=False, state=AccountState.ACTIVE.value,
        created_at=comment.created_at,
    )
    state.accounts[subject] = account_id
    return account_id


def claim_imported(conn: Connection, site_id: str, subject: str, email: str | None) -> int | None:
    """A reader signing in through SSO for the first time with an e-mail address takes over the imported
    (unclaimed) accounts with that address: the oldest becomes theirs, the others' comments move to it."""
    if not email or "@" not in email:
        return None
    rows = store.unclaimed_accounts_by_email(conn, site_id, email)
    if not rows:
        return None
    keep = int(rows[0]["id"])
    people.update_account(conn, keep, subject=subject)
    for other in rows[1:]:
        store.move_comments(conn, int(other["id"]), keep)
    return keep
