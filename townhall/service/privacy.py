"""Readers' privacy: their data export, erasure, and the purge of old abuse signals.

Erasure (DELETE /api/v1/me, ``townhall erase``) keeps the moderation record but not the person:

* the account row stays (comments, actions and audit entries point at it) but loses its subject (replaced
  by ``erased:<random>``), display name, e-mail and device hash; their notification settings go, and so do
  their ignore list and their place on other readers' (townhall.service.ignores). While a
  ban, suspension or premoderation is in force the subject is replaced by a keyed hash of it instead
  (:func:`townhall.service.accounts.sanctioned_subject`), so that erasure is no way out of a sanction: the
  same sign-in finds the erased account, and its sanction, again. Once none is in force the erasure is
  finished (:func:`townhall.service.enforcement.release_erased`: at a moderator's restore, the next sign-in,
  or the daily purge);
* their comments lose their IP, user-agent and device hashes and, per site policy, are either removed
  (text blanked, status ``deleted``; replies keep their place) or anonymised (text kept, shown under
  "Former reader"); in "remove" mode the evidence the house rules quoted from their text is dropped too, and
  so is the text coordination flags quote from their comments; the coordination detector's in-memory index of
  the site is read back from the (erased) database, so it neither quotes nor matches what was removed;
* their appeals' text, their report notes and moderators' notes about them are replaced by "[erased]";
* webhook deliveries that carried their comments or account are reduced to event, ids and time;
* erasing an account erased while sanctioned again keeps its keyed subject (the sanction still finds it).

An export holds, besides their own rows, their e-mail consent records (``account.mail_subscribed`` /
``mail_unsubscribed`` audit entries: when, which kind, how); it is built in memory, one snapshot.

The audit log is append-only in the database (migration 0002), so it cannot be scrubbed afterwards.
Townhall therefore never writes a reader's personal data into it: entries name readers only by account id
(``account:<id>``), which after erasure leads to an anonymous row; the erasure itself is audited as
``account.erased`` with counts only. Reasons and responses in audit entries are moderators' writing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping

from townhall.service.accounts import active_sanction, sanctioned_subject
from townhall.service.enforcement import SANCTIONED_PREFIX, erased_subject, outlives_erasure, release_erased
from townhall.service.core import Services, as_utc
from townhall.service.errors import Invalid, NotFound, no_such_site
from townhall.service.jobs import Job, JobQueue, Recurring
from townhall.store import content, ignores, people
from townhall.store import dashboard as dashboard_store
from townhall.store import jobs as job_store
from townhall.store import privacy as store
from townhall.store.schema import ActorKind, CommentStatus

PURGE_JOB = "privacy.purge_signals"
PURGE_EVERY = timedelta(days=1)
MODES = ("remove", "anonymise")
ERASE_COMMENTS = "erase_comments"  # site meta: the erasure mode (moves with an export)
ERASED_NAME = "Former reader"
ERASED_ACTION = "account.erased"  # the audit entry of an erasure (every process's troll index looks for it)
PLACEHOLDER = "[erased]"
# the reader's consent to e-mail, given or withdrawn (townhall.service.mail): kept in the audit log, part of an export
CONSENT_ACTIONS = ("account.mail_subscribed", "account.mail_unsubscribed")


def _iso(value: Any) -> Any:
    return as_utc(value).isoformat() if hasattr(value, "isoformat") else value  # type: ignore[union-attr]


def _plain(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(k): _iso(v) for k, v in row.items()}


# Who among the staff did something about the reader (a moderator's e-mail or name): other people's data, which
# the reader's own view of a sanction leaves out too. ``actor_kind`` (moderator, house rules, system) stays.
# (``featured_by``: the moderator who featured a comment; that it is featured, and since when, stays.)
_STAFF_COLUMNS = frozenset({"actor", "decided_by", "author", "revoked_by", "featured_by"})


def _reader_facing(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {k: v for k, v in _plain(row).items() if k not in _STAFF_COLUMNS}


def export_account(svc: Services, account_id: int) -> dict[str, Any]:
    """Everything held about one reader, as JSON-ready data (their right of access)."""
    with svc.db.read() as conn:
        if not svc.db.is_sqlite:  # one snapshot for every query, as SQLite's read transaction is
            conn.execution_options(isolation_level="REPEATABLE READ")
        account = people.get_account(conn, account_id)
        if account is None:
            raise NotFound("No such account.")
        prefs = store.prefs_of(conn, account_id)
        ignored = ignores.list_ignored(conn, account_id)
        return {
            "account": _plain(account),
            "notifications": {"replies": bool(prefs["notify_replies"]) if prefs else False},
            "ignored": [{"account_id": int(r["ignored_id"]), "name": r["display_name"], "since": _iso(r["created_at"])}
                        for r in ignored],
            "comments": [_reader_facing(c) for c in store.comments_of(conn, account_id)],
            "reactions": [_plain(r) for r in store.reactions_of(conn, account_id)],
            "reports": [_plain(r) for r in store.reports_by(conn, account_id)],
            "mail_consent": [_plain(c) for c in store.consent_of(conn, account_id, CONSENT_ACTIONS)],
            "actions": [_reader_facing(a) for a in store.actions_on(conn, account_id)],
            "appeals": [_reader_facing(a) for a in store.appeals_by(conn, account_id)],
            "moderator_notes": [_reader_facing(n) for n in store.notes_on(conn, account_id)],
        }


def erasure_mode(svc: Services, site_id: str) -> str:
    with svc.db.read() as conn:
        return store.get_meta(conn, people.site_meta_key(site_id, ERASE_COMMENTS)) or "remove"


def set_erasure_mode(svc: Services, site_id: str, mode: str) -> None:
    if mode not in MODES:
        raise Invalid(f"Erasure mode is one of {', '.join(MODES)}.")
    with svc.db.write() as conn:
        if content.get_site(conn, site_id) is None:
            raise no_such_site(site_id)
        store.set_meta(conn, people.site_meta_key(site_id, ERASE_COMMENTS), mode)


def _scrub_hit(hit: Mapping[str, Any]) -> dict[str, Any]:
    return {**hit, "evidence": None, "reasons": []}


def _unquote(node: Any, account: str) -> Any:
    """Coordination evidence without the text it quotes from ``account``'s comments (``text`` emptied)."""
    if isinstance(node, dict):
        out = {k: _unquote(v, account) for k, v in node.items()}
        if str(node.get("account")) == account and "text" in node:
            out["text"] = ""
        return out
    if isinstance(node, list):
        return [_unquote(v, account) for v in node]
    return node


def _mentions(payload: Any, account_id: int) -> bool:
    data = payload.get("data", {}) if isinstance(payload, dict) else {}
    author = (data.get("comment") or {}).get("author") or {}
    return data.get("account_id") == account_id or author.get("id") == account_id


def erase_account(svc: Services, account_id: int, *, actor: str, mode: str | None = None) -> dict[str, Any]:
    with svc.db.read() as conn:
        account = people.get_account(conn, account_id)
    if account is None:
        raise NotFound("No such account.")
    site_id = account["site_id"]
    mode = mode or erasure_mode(svc, site_id)
    if mode not in MODES:
        raise Invalid(f"Erasure mode is one of {', '.join(MODES)}.")
    remove = mode == "remove"
    with svc.db.write() as conn:
        # the account before its comments: the lock order of townhall.store.people.get_account (a moderator's
        # decision on one of the comments, racing the erasure, locks them in that order too)
        account = people.get_account(conn, account_id, for_update=True)
        if account is None:
            raise NotFound("No such account.")
        # read under the lock: a ban decided since the read above still holds after the erasure
        # a premoderation too: the reader it holds must not shed it by erasing and signing in again
        sanctioned = active_sanction(conn, svc, account) is not None or outlives_erasure(conn, svc, account_id)
        # readers with a thread open, once committed: removed comments go (a tombstone, as a reload shows them);
        # anonymised ones are changed (the widget offers to show them afresh, under "Former reader")
        for c in store.comments_of(conn, account_id):
            if c["status"] == CommentStatus.PUBLISHED.value:
                svc.announce(conn, site_id, str(c["thread_external_id"]),
                             {"type": "comment.deleted", "id": int(c["id"]), "parent_id": c["parent_id"]} if remove
                             else {"type": "comment.edited", "id": int(c["id"])})
        n = store.scrub_comments(conn, account_id, remove=remove, placeholder_status=CommentStatus.DELETED.value)
        if remove:
            for row in store.decisions_of(conn, account_id):
                store.set_decision_hits(conn, int(row["id"]), [_scrub_hit(h) for h in row["hits"] or []])
            for flag in store.flags_of_site(conn, site_id):  # coordination flags quote the removed text
                evidence = _unquote(flag["evidence"], str(account_id))
                if evidence != flag["evidence"]:
                    store.set_flag_evidence(conn, int(flag["id"]), evidence)
        store.scrub_reader_writing(conn, account_id, PLACEHOLDER)
        ignores.forget_account(conn, account_id)  # their list, and their place on others' (private: not counted)
        for row in store.deliveries_of_site(conn, site_id):
            if _mentions(row["payload"], account_id):
                p = row["payload"]
                store.set_delivery_payload(conn, int(row["id"]), {"id": p.get("id"), "event": p.get("event"), "site": p.get("site"),
                                                                  "created_at": p.get("created_at"), "data": {"erased": True}})
        if not sanctioned:
            subject = erased_subject()
        elif str(account["subject"]).startswith(SANCTIONED_PREFIX):
            subject = account["subject"]  # erased before, while sanctioned: hashing the hash would lose the sanction
        else:
            subject = sanctioned_subject(conn, site_id, account["subject"])
        store.anonymise_account(conn, account_id, subject=subject, name=ERASED_NAME)
        svc.audit(conn, action=ERASED_ACTION, subject_type="account", subject_id=account_id,
                  actor_kind=ActorKind.READER.value if actor.startswith("account:") else ActorKind.SYSTEM.value,
                  actor=actor, site_id=site_id, details={"comments": n, "mode": mode})
    # the erased subject signs in as a new reader from now on. The coordination index of every process (this
    # one, other workers; a ``townhall erase`` has none) still holds the text and hashes just erased: each reads
    # the site back afresh before its next analysis, when it finds this erasure in the audit log
    # (townhall.service.trolls.TrollWatch.catch_up), so no flag quotes them again
    svc.forget(f"identity:{site_id}:")
    return {"account_id": account_id, "erased": True, "comments": n, "mode": mode}


def account_id_of(svc: Services, site_id: str, subject: str) -> int:
    with svc.db.read() as conn:
        account = people.find_account(conn, site_id, subject)
    if account is None:
        raise NotFound("No account with this subject on this site.", {"site": site_id})
    return int(account["id"])


def erase_subject(svc: Services, site_id: str, subject: str, *, mode: str | None = None) -> dict[str, Any]:
    return erase_account(svc, account_id_of(svc, site_id, subject), actor="cli", mode=mode)


def purge_signals(svc: Services) -> dict[str, int]:
    """Forget IP, user-agent and device hashes older than ``signal_retention_days``, and finish the erasure of
    accounts erased while sanctioned whose ban or suspension has run out (:func:`release_erased`)."""
    before = svc.now() - timedelta(days=svc.settings.signal_retention_days)
    with svc.db.write() as conn:
        counts = store.purge_signals(conn, before)
        counts["erasures_completed"] = sum(
            release_erased(conn, svc, i) for i in store.account_ids_with_subject_prefix(conn, SANCTIONED_PREFIX))
        if any(counts.values()):
            svc.audit(conn, action="signals.purged", subject_type="installation", subject_id=None,
                      actor_kind=ActorKind.SYSTEM.value, actor="retention", site_id=None,
                      details={**counts, "before": before.isoformat()})
    if counts["erasures_completed"]:
        svc.forget("identity:")  # a cached sign-in may still name one of them
    return counts


def _purge(svc: Services, _job: Job) -> None:
    """Daily housekeeping: purge old signals, and forget finished jobs after a week."""
    purge_signals(svc)
    with svc.db.write() as conn:
        job_store.prune_done(conn, svc.now() - timedelta(days=7))
        dashboard_store.purge_ended_sessions(conn, svc.now())


# The job queues tomorrow's run itself, whoever runs it and however it ends (townhall.service.jobs.Recurring).
purge_job = Recurring(_purge, PURGE_EVERY)


def schedule_purge(svc: Services, queue: JobQueue) -> None:
    """Make sure a daily purge is queued: one per installation, however many processes start at once (an
    exclusive transaction: on PostgreSQL, READ COMMITTED would let each of them see none and queue one)."""
    with svc.db.write(exclusive=True) as conn:
        if job_store.pending_of_kind(conn, PURGE_JOB) == 0:
            queue.enqueue(PURGE_JOB, {"repeat": True}, queue.clock() + timedelta(minutes=1), conn=conn)
