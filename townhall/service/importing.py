"""Importing other systems' archives: threads, comments with their reply structure, authors as unclaimed
accounts, times and approval states. Idempotent and resumable: every comment keeps its archive id in
``comments.external_id`` ("<source>:<id>") and batches commit as they go, so a re-run adds only what is
missing. The house rules judge each imported text in report-only mode: a decision with source "import"
is stored, the archive's status is kept; a re-run judges only the comments it adds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import RowMapping

from townhall.policy.types import Subject
from townhall.service import closing
from townhall.service.accounts import RESERVED_SUBJECTS
from townhall.service.article_urls import clean_title
from townhall.service.core import Services
from townhall.service.enforcement import SANCTIONS, action_in_force
from townhall.service.errors import no_such_site
from townhall.service.ignores import MAX_IGNORED
from townhall.service.importers.model import Archive, ImportedComment, Problem
from townhall.service.render import rendered
from townhall.service.thread_metadata import plausible_published_at
from townhall.store import archive as store
from townhall.store import content, ignores, moderation, people
from townhall.store.schema import AccountState, ActorKind, DecisionSource, Role, ThreadState

Progress = Callable[[int], None]
BATCH = 200
# A comment dated later than this after the import is reported (it would stay the newest of its thread for ever);
# a few hours ahead is a local time read as UTC, not worth a line.
FUTURE_MARGIN = timedelta(days=1)


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
    accounts_claimed: int = 0  # readers who had signed in before the import and took over imported accounts
    statuses: Counter[str] = field(default_factory=Counter)
    policy: Counter[str] = field(default_factory=Counter)
    policy_examples: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "site": self.site, "dry_run": self.dry_run, "comments_in_archive": self.total,
            "threads_new": self.threads_new, "accounts_new": self.accounts_new,
            "accounts_joined_to_readers": self.accounts_claimed, "comments_new": self.comments_new,
            "comments_already_imported": self.comments_existing, "statuses": dict(self.statuses),
            "policy_would": dict(self.policy), "policy_examples": self.policy_examples,
            "problems": [str(p) for p in self.problems],
        }


def run_import(svc: Services, archive: Archive, site_id: str, *, dry_run: bool = False,
               progress: Progress | None = None, batch: int = BATCH) -> ImportReport:
    with svc.db.read() as conn:
        site = content.get_site(conn, site_id)
    if site is None:
        raise no_such_site(site_id)
    policy = svc.policies.for_site(site)
    report = ImportReport(archive.source, site_id, dry_run)
    report.total = archive.prepare()
    state = _State()
    for chunk in archive.batches(batch):
        # judged before the batch's transaction (the house rules and classifiers take time, the lock is
        # exclusive), and only where the comment is new: a re-run does not judge again what it already has
        with svc.db.read() as conn:
            have = _already_imported(conn, archive.source, site_id, chunk)
        verdicts = [None if (c.external_id, c.thread_key) in have else policy.evaluate(Subject(text=c.text))
                    for c, _ in chunk]
        if dry_run:
            with svc.db.read() as conn:
                _apply(conn, svc, archive, site_id, chunk, verdicts, report, state, write=False, policy=policy)
        else:
            # exclusive: two runs at once (PostgreSQL, READ COMMITTED) would both find a comment not imported yet
            # and both insert it; batches of runs queue instead, each looking up what the other committed
            with svc.db.write(exclusive=True) as conn:
                _apply(conn, svc, archive, site_id, chunk, verdicts, report, state, write=True, policy=policy)
        if progress is not None:
            progress(len(chunk))
    report.problems = list(archive.problems) + report.problems
    if not dry_run:
        # on every run, not only one that made accounts: a run that resumes an interrupted one finds the accounts
        # made, and the readers who signed in before them still to be joined (joining again joins nothing)
        with svc.db.write() as conn:
            report.accounts_claimed = claim_for_readers(svc, conn, site_id)
            svc.audit(conn, action="import.run", subject_type="site", subject_id=site_id, actor_kind=ActorKind.SYSTEM.value,
                      actor="import", site_id=site_id,
                      details={"source": archive.source, "comments": report.comments_new, "threads": report.threads_new,
                               "accounts": report.accounts_new, "accounts_joined_to_readers": report.accounts_claimed,
                               "problems": len(report.problems)})
    return report


@dataclass
class _State:
    """What one run remembers between batches: ids of the threads and accounts it has met (comments are
    looked up batch by batch, so memory does not grow with the archive)."""

    threads: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    fake: int = 0  # the dry run's would-be rows get negative ids

    def next_fake(self) -> int:
        self.fake -= 1
        return self.fake


def _already_imported(conn: Connection, source: str, site_id: str,
                      chunk: list[tuple[ImportedComment, int]]) -> set[tuple[str, str]]:
    """(archive id, thread key) of the batch's comments the site has imported already (as ``_apply`` matches
    them: within their thread)."""
    prefix = f"{source}:"
    return {(str(row["external_id"])[len(prefix):], str(row["thread_key"]))
            for row in store.imported_comments(conn, site_id, [prefix + c.external_id for c, _ in chunk])}


def _apply(conn: Connection, svc: Services, archive: Archive, site_id: str, chunk: list[tuple[ImportedComment, int]],
           verdicts: list[Any], report: ImportReport, state: _State, *, write: bool, policy: Any) -> None:
    prefix = f"{archive.source}:"
    state.accounts.clear()  # looked up again in each batch's transaction: one may have been erased since the last
    wanted = [prefix + c.external_id for c, _ in chunk]
    wanted += [prefix + c.parent_external_id for c, _ in chunk if c.parent_external_id]
    # (archive id, thread id) -> (comment id, root id, depth): this batch's comments and parents, as imported so
    # far. The thread is part of the key: the same id in another thread (another blog's comment 1, or a thread
    # exported again under a new URL) is another comment, neither "already imported" nor a parent here.
    known: dict[tuple[str, int], tuple[int, int | None, int]] = {}
    elsewhere: set[str] = set()
    for row in store.imported_comments(conn, site_id, wanted):
        known[(str(row["external_id"]), int(row["thread_id"]))] = (int(row["id"]), row["root_id"], int(row["depth"]))
        elsewhere.add(str(row["external_id"]))
    for (comment, depth), decision in zip(chunk, verdicts):
        ext = prefix + comment.external_id
        thread_id = _thread(conn, svc, archive, site_id, comment, report, state, write, policy)
        if (ext, thread_id) in known:
            report.comments_existing += 1
            continue
        if ext in elsewhere:
            report.problems.append(Problem(comment.position, f"id {ext!r} was imported before into another thread; "
                                           "imported into this one as another comment"))
        if decision is None:  # it was imported when the batch was judged, and is gone since: judged now
            decision = policy.evaluate(Subject(text=comment.text))
        if comment.created_at > svc.now() + FUTURE_MARGIN:  # kept: the archive's date is all there is to go by
            report.problems.append(Problem(comment.position, f"dated {comment.created_at:%Y-%m-%d %H:%M:%S} UTC, after "
                                           "the import; imported with that date"))
        account_id = _account(conn, svc, site_id, comment, report, state, write)
        parent = known.get((prefix + comment.parent_external_id, thread_id)) if comment.parent_external_id else None
        if comment.parent_external_id and parent is None:
            if write:
                report.problems.append(Problem(comment.position, "parent was not imported; imported as top-level"))
            else:  # the archive holds the parent, and it came earlier: the dry run did not write it
                parent = (state.next_fake(), None, depth - 1)
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
            known[(ext, thread_id)] = (state.next_fake(), root_id, depth)
            continue
        comment_id = content.insert_comment(
            conn, thread_id=thread_id, account_id=account_id, parent_id=parent[0] if parent else None, root_id=root_id,
            depth=depth, body=comment.text, **rendered(comment.text), status=comment.status.value, reactions=0,
            created_at=comment.created_at, external_id=ext,
        )
        moderation.insert_decision(
            conn, comment_id=comment_id, source=DecisionSource.IMPORT.value, verdict=decision.verdict.value,
            hits=[h.to_dict() for h in decision.hits], scores={k: float(v) for k, v in decision.scores.items()},
            policy_version=decision.policy_version, reason=f"Report only: imported from {archive.source} as {comment.status.value}",
            created_at=svc.now(),
        )
        known[(ext, thread_id)] = (comment_id, root_id, depth)


def _thread(conn: Connection, svc: Services, archive: Archive, site_id: str, comment: ImportedComment,
            report: ImportReport, state: _State, write: bool, policy: Any) -> int:
    known = state.threads.get(comment.thread_key)
    if known is not None:
        return known
    row = content.get_thread(conn, site_id, comment.thread_key)
    info = archive.threads.get(comment.thread_key)
    # the archive's article date is the article's publication date (the age limit counts from it), where it is
    # one the API would take; a thread already there keeps the one its publisher gave
    dated = info.created_at if info is not None else None
    published = dated if dated is not None and plausible_published_at(dated, svc.now()) else None
    if row is not None:
        if write and published is not None and row["published_at"] is None:
            _date_thread(conn, svc, archive.source, site_id, int(row["id"]), published, policy)
        state.threads[comment.thread_key] = int(row["id"])
        return int(row["id"])
    info = archive.threads[comment.thread_key]
    report.threads_new += 1
    if not write:
        state.threads[comment.thread_key] = state.next_fake()
        return state.threads[comment.thread_key]
    thread_id = content.insert_thread(conn, site_id=site_id, external_id=info.key, url=info.url,
                                      title=clean_title(info.title),  # as a first comment's (article_urls.clean_title)
                                      state=ThreadState.CLOSED if info.closed else ThreadState.OPEN,
                                      now=info.created_at or comment.created_at, published_at=published)
    if thread_id is None:  # PostgreSQL: a reader's first comment created it a moment ago: as a thread already there
        report.threads_new -= 1
        return _thread(conn, svc, archive, site_id, comment, report, state, write, policy)
    state.threads[comment.thread_key] = thread_id
    return thread_id


def _date_thread(conn: Connection, svc: Services, source: str, site_id: str, thread_id: int, published: datetime,
                 policy: Any) -> None:
    """Give an existing thread without a publication date the archive's, as its publisher's change would
    (townhall.service.thread_metadata.update_thread): audited as ``thread.updated`` with the old and new value
    (actor ``import``), and, where the date closes the thread by the site's ``close_after_days`` (or opens it),
    its live readers are told (``thread.closed`` / ``thread.opened``) once the batch commits. The row is locked
    and read again: a publisher's date given in the meantime is kept."""
    row = content.lock_thread(conn, thread_id)
    if row is None or row["published_at"] is not None:
        return
    now = svc.now()
    before = closing.closure(svc, policy, row, now)
    content.update_thread(conn, thread_id, published_at=published)
    row = content.get_thread_by_id(conn, thread_id)
    assert row is not None
    after = closing.closure(svc, policy, row, now)
    external_id = str(row["external_id"])
    if before.closed != after.closed:  # readers' widgets hide or show the comment form
        svc.announce(conn, site_id, external_id,
                     {"type": "thread.closed", "closed_reason": after.reason.value} if after.reason is not None
                     else {"type": "thread.opened"})
    svc.audit(conn, action="thread.updated", subject_type="thread", subject_id=external_id,
              actor_kind=ActorKind.SYSTEM.value, actor="import", site_id=site_id,
              details={"changed": {"published_at": {"from": None, "to": published.astimezone(UTC).isoformat()}},
                       "source": source})


def _account(conn: Connection, svc: Services, site_id: str, comment: ImportedComment, report: ImportReport,
             state: _State, write: bool) -> int:
    subject = comment.author.subject
    known = state.accounts.get(subject)
    if known is not None:
        return known
    row = people.find_account(conn, site_id, subject)
    if row is not None and write:  # locked until the batch commits: an erasure of the author waits, or was done
        row = people.get_account(conn, int(row["id"]), for_update=True)
        row = row if row is not None and row["subject"] == subject else None
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


def claim_imported(svc: Services, conn: Connection, site_id: str, subject: str, email: str, *,
                   email_verified: str) -> int | None:
    """A reader signing in through SSO for the first time with an e-mail address the publisher vouches for
    takes over the imported (unclaimed) accounts with that address: the oldest becomes theirs, the others'
    comments move to it. Audited as ``import.claimed`` (account ids only: the audit log is append-only, so
    it names no address). ``email_verified`` is what the token said ("true", or "absent" where that counts).
    An imported account under a ban or suspension is not handed over (see ``_unclaimed``); where only such
    accounts hold the address, ``import.claim_declined`` is audited and the reader starts afresh."""
    rows, held = _unclaimed(svc, conn, site_id, email)
    if not rows:
        if held:
            svc.audit(conn, action="import.claim_declined", subject_type="account", subject_id=held[0],
                      actor_kind=ActorKind.SYSTEM.value, actor="import", site_id=site_id,
                      details={"reason": "sanctioned", "email_verified": email_verified, "imported_accounts": held})
        return None
    keep = int(rows[0]["id"])
    people.update_account(conn, keep, subject=subject)
    _take_over(conn, keep, rows[1:])
    svc.audit(conn, action="import.claimed", subject_type="account", subject_id=keep, actor_kind=ActorKind.READER.value,
              actor=f"account:{keep}", site_id=site_id,
              details={"imported_accounts": [int(r["id"]) for r in rows], "email_verified": email_verified,
                       **({"sanctioned_accounts_left": held} if held else {})})
    return keep


def _take_over(conn: Connection, account_id: int, imported: list[RowMapping]) -> None:
    """The imported accounts' comments move to ``account_id``, and so do readers' ignore lists naming them and
    their own (townhall.store.ignores.merge_account); emptied, they keep no address, so nothing claims them again."""
    if not imported:
        return
    # the accounts before their comments and lists, all of them in id order (the lock order of
    # townhall.store.people.get_account, and of townhall.service.ignores: a reader ignoring one at once waits)
    for locked in sorted({account_id, *(int(other["id"]) for other in imported)}):
        people.get_account(conn, locked, for_update=True)
    for other in imported:
        store.move_comments(conn, int(other["id"]), account_id)
        ignores.merge_account(conn, int(other["id"]), account_id, limit=MAX_IGNORED)
        people.update_account(conn, int(other["id"]), email=None)


def merge_imported(svc: Services, conn: Connection, site_id: str, account_id: int, email: str, *,
                   actor_kind: ActorKind, actor: str, email_verified: str) -> list[int]:
    """A reader who already has an account takes over the imported (unclaimed) accounts with ``email``, an
    address the publisher vouches for: their comments move to the reader's account, and the emptied imported
    accounts keep no address, so nothing claims them again. For a reader who signed in before the import, or
    before the publisher vouched for their address. Audited as ``import.claimed`` (account ids only); imported
    accounts under a ban or suspension are left as they are, audited as ``import.claim_declined``.
    Returns the imported accounts' ids (none: nothing to take over)."""
    rows, held = _unclaimed(svc, conn, site_id, email)
    rows = [r for r in rows if int(r["id"]) != account_id]
    held = [i for i in held if i != account_id]
    _take_over(conn, account_id, rows)
    if rows:
        svc.audit(conn, action="import.claimed", subject_type="account", subject_id=account_id, actor_kind=actor_kind.value,
                  actor=actor, site_id=site_id, details={"imported_accounts": [int(r["id"]) for r in rows],
                                                         "email_verified": email_verified, "existing_account": True})
    if held:
        svc.audit(conn, action="import.claim_declined", subject_type="account", subject_id=account_id,
                  actor_kind=actor_kind.value, actor=actor, site_id=site_id,
                  details={"reason": "sanctioned", "email_verified": email_verified, "imported_accounts": held,
                           "existing_account": True})
    return [int(r["id"]) for r in rows]


def claim_for_readers(svc: Services, conn: Connection, site_id: str) -> int:
    """After an import: imported accounts whose address a reader of the site already holds (stored only where
    the publisher vouched for it) join that reader's account — for readers who signed in before the import.
    An address two readers hold joins neither. Returns how many readers took over imported history."""
    imported: dict[str, list[int]] = {}
    readers: dict[str, list[int]] = {}
    for row in store.accounts_with_email(conn, site_id):
        email = str(row["email"]).strip().lower()
        if str(row["subject"]).startswith("import:"):
            imported.setdefault(email, []).append(int(row["id"]))
        elif not str(row["subject"]).startswith(RESERVED_SUBJECTS):
            readers.setdefault(email, []).append(int(row["id"]))
    claimed = 0
    for email, ids in readers.items():
        if len(ids) == 1 and email in imported:
            claimed += bool(merge_imported(svc, conn, site_id, ids[0], email, actor_kind=ActorKind.SYSTEM,
                                           actor="import", email_verified="stored"))
    return claimed


def decline_claim(svc: Services, conn: Connection, site_id: str, account_id: int, email: str, *,
                  email_verified: str) -> None:
    """A reader's first sign-in named an address the publisher does not vouch for: the new account takes over
    nothing. Where imported accounts have that address, ``import.claim_declined`` is audited."""
    rows, held = _unclaimed(svc, conn, site_id, email)
    if rows or held:
        svc.audit(conn, action="import.claim_declined", subject_type="account", subject_id=account_id,
                  actor_kind=ActorKind.READER.value, actor=f"account:{account_id}", site_id=site_id,
                  details={"reason": "email_unverified", "email_verified": email_verified,
                           "imported_accounts": sorted([int(r["id"]) for r in rows] + held)})


def _unclaimed(svc: Services, conn: Connection, site_id: str, email: str) -> tuple[list[RowMapping], list[int]]:
    """The imported (unclaimed) accounts with ``email`` a reader may take over, oldest first, and the ids of
    those under a ban or suspension, which no one takes over while it lasts: the archive's address was typed
    into another system's form, vouched for by no one, so a sanction imposed on that identity is not handed
    to whoever owns the address — nor is the history a moderator judged with it. Once the sanction is
    lifted or has run out, the next import run (or the sign-in where the publisher first vouches for the
    address) joins it like any other."""
    if not email or "@" not in email:
        return [], []
    rows: list[RowMapping] = []
    held: list[int] = []
    for row in store.unclaimed_accounts_by_email(conn, site_id, email):
        deciding = action_in_force(conn, svc, int(row["id"]))
        if deciding is not None and deciding["kind"] in SANCTIONS:
            held.append(int(row["id"]))
        else:
            rows.append(row)
    return rows, held
