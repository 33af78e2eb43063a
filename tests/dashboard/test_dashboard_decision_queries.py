"""A moderator's decision on a comment reads no other site's accounts unless it can change them. Since the lock order
among one person's accounts (townhall.store.people.lock_person), every decision locked the author's accounts on the
installation's other sites first, found by ``linked_accounts_elsewhere``: a query on the SSO subject or the lower-cased
address, which no index serves, so a scan of every account, twice per decision (and on SQLite under the one write
lock every reader's comment waits for). Only a ban carried there (the site's ``ban_scope = "installation"``) or the
lifting of a ban (the author banned now) changes those accounts; under the default ``ban_scope = "site"`` a decision on
an author who is not banned locks their account alone, as before. tests/enforcement/test_lock_person.py races the
decisions that do reach other sites."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.dashboard.seed import BUDGET, moderator_actor, reader, say
from tests.dashboard.test_dashboard_audit import held, status_of
from townhall.app import Townhall
from townhall.service import enforcement, moderation

_OTHER_SITES = "accounts.site_id !="  # linked_accounts_elsewhere's condition


class _Statements:
    """The SQL statements every engine of this process runs while it is open."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def _capture(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(statement)

    def __enter__(self) -> "_Statements":
        event.listen(Engine, "before_cursor_execute", self._capture)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(Engine, "before_cursor_execute", self._capture)

    def scans(self) -> list[str]:
        return [s for s in self.seen if _OTHER_SITES in s]


def test_a_decision_under_a_site_scoped_ban_reads_no_other_sites_accounts(app: Townhall) -> None:
    svc = app.services
    actor = moderator_actor()
    rejected, _ = held(svc, "r1")
    approved, _ = held(svc, "r2")
    with _Statements() as sql:
        moderation.decide_comment(svc, actor, rejected, approve=False, reason="No.", expect_status="held")
        moderation.decide_comment(svc, actor, approved, approve=True, expect_status="held")
    assert [status_of(svc, rejected), status_of(svc, approved)] == ["rejected", "published"]
    assert sql.seen and sql.scans() == [], sql.scans()


def test_a_banned_authors_comment_decided_still_locks_their_other_accounts(app: Townhall) -> None:
    """Approving may lift the ban (a strike's reversal), and with it its copies elsewhere: those are locked first."""
    svc = app.services
    actor = moderator_actor()
    cid, author = held(svc, "r3")
    enforcement.moderator_sanction(svc, actor, author, "ban", "Abuse.")
    with _Statements() as sql:
        moderation.decide_comment(svc, actor, cid, approve=True, expect_status="held")
    assert sql.scans(), "the banned author's accounts elsewhere were not looked up before the decision"


def test_a_comment_refused_with_a_strike_under_a_site_scoped_ban_reads_no_other_sites_accounts(
        make_app: Any, sqlite_url: str) -> None:
    """The same for a reader's comment the house rules refuse with a strike (the default policy's abuse rule): only
    under ``ban_scope = "installation"`` can its strike's ban reach the reader's other accounts."""
    svc = make_app(sqlite_url).services
    who = reader(svc, "r4", "R4")
    with _Statements() as sql:
        refused = say(svc, who, BUDGET, "You are an idiot.")
    assert refused["status"] == "rejected", refused
    assert sql.seen and sql.scans() == [], sql.scans()
