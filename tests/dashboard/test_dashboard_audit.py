"""Regressions from the dashboard audit, over HTTP on SQLite and PostgreSQL: two moderators on one item
(bulk, sanction + reject, Keep), double submissions, the recent-rejections count, appeals against lifted
sanctions, removing a moderator, and the messages moderators read."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from starlette.testclient import TestClient

from tests.dashboard.helpers import add_moderator, csrf_token, sign_in
from tests.dashboard.seed import BUDGET, moderator_actor, reader, say
from tests.fixtures_app import Clock
from townhall.app import Townhall
from townhall.service import appeals, enforcement
from townhall.service import comments as svc_comments
from townhall.service.core import Services
from townhall.store import content, moderation, people
from townhall.store.schema import ActionKind

FETCH = {"X-Requested-With": "fetch"}


class Mod:
    """A signed-in moderator's browser: a client of its own and the CSRF token of its pages."""

    def __init__(self, app: Townhall, email: str, *, admin: bool = False) -> None:
        add_moderator(app.services, email, admin=admin, sites=() if admin else (app.settings.default_site,))
        self.client = TestClient(app, raise_server_exceptions=False)
        assert sign_in(self.client, email).status_code == 303
        self.token = csrf_token(self.client.get("/admin/queue/held").text)
        self.actor = f"mod:{email}"

    def post(self, url: str, data: dict[str, Any], *, fetch: bool = True) -> Any:
        return self.client.post(url, data={**data, "csrf_token": self.token}, headers=FETCH if fetch else {},
                                follow_redirects=False)

    def decide(self, cid: int, decision: str, seen: str, reason: str = "") -> Any:
        return self.post(f"/admin/comments/{cid}/decision", {"decision": decision, "expect_status": seen, "reason": reason})


def status_of(svc: Services, cid: int) -> str:
    with svc.db.read() as conn:
        return str(content.get_comment(conn, cid)["status"])


def audited(svc: Services, action: str, subject: int | str) -> list[Any]:
    with svc.db.read() as conn:
        return list(moderation.audit_entries(conn, action=action, subject_id=str(subject)))


def held(svc: Services, sub: str, text: str = "What an idiot the minister is.") -> tuple[int, int]:
    who = reader(svc, sub, sub.title())
    comment = say(svc, who, BUDGET, text)
    assert comment["status"] == "held"
    return int(comment["id"]), who.account_id


def test_bulk_decision_does_not_overrule_another_moderator(app: Townhall) -> None:
    svc = app.services
    a, b = Mod(app, "a@news.example"), Mod(app, "b@news.example")
    c1, _ = held(svc, "r1")
    c2, _ = held(svc, "r2")
    assert a.decide(c1, "approve", "held").status_code == 200

    blind = b.post("/admin/bulk", {"ids": [c1, c2], "decision": "reject", "reason": "No."})
    assert blind.status_code == 422 and "expect_status" in blind.text  # a bulk decision never acts blind
    assert [status_of(svc, c1), status_of(svc, c2)] == ["published", "held"]

    r = b.post("/admin/bulk", {"ids": [c1, c2], "expect_status": ["held", "held"], "decision": "reject", "reason": "No."})
    body = r.json()
    assert r.status_code == 200 and body["ok"] is False
    assert body["done"] == [c2] and body["conflicts"] == [c1]
    assert body["failed"] == {str(c1): "Another moderator has already decided this comment."}
    assert [status_of(svc, c1), status_of(svc, c2)] == ["published", "rejected"]
    assert [e["actor"] for e in audited(svc, "comment.moderation_conflict", c1)] == [b.actor]

    # the other way round: B's rejection stands against A's stale bulk approval
    back = a.post("/admin/bulk", {"ids": [c2], "expect_status": ["held"], "decision": "approve"}).json()
    assert back["done"] == [] and back["conflicts"] == [c2] and status_of(svc, c2) == "rejected"
    mismatched = a.post("/admin/bulk", {"ids": [c1, c2], "expect_status": ["held"], "decision": "approve"})
    assert mismatched.status_code == 422


def test_sanction_and_reject_does_not_overrule_an_approval(app: Townhall) -> None:
    svc = app.services
    a, b = Mod(app, "a@news.example"), Mod(app, "b@news.example")
    cid, account = held(svc, "r2", "What a moron.")
    page = b.client.get("/admin/queue/held").text
    assert re.search(rf'name="also_reject" value="{cid}" checked>.*?name="expect_status" value="held"', page, re.S)
    assert a.decide(cid, "approve", "held").status_code == 200

    blind = b.post(f"/admin/accounts/{account}/sanction", {"sanction": "warn", "reason": "B warns", "also_reject": cid})
    assert blind.status_code == 422 and status_of(svc, cid) == "published"

    r = b.post(f"/admin/accounts/{account}/sanction",
               {"sanction": "warn", "reason": "B warns", "also_reject": cid, "expect_status": "held"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rejected"] is None and body["action_id"]  # the warning itself applies
    assert body["notice"] == "The comment was not rejected: Another moderator has already decided this comment."
    assert status_of(svc, cid) == "published"
    assert [e["actor"] for e in audited(svc, "comment.moderation_conflict", cid)] == [b.actor]


def test_keep_counts_as_a_decision(app: Townhall) -> None:
    svc = app.services
    a, b = Mod(app, "a@news.example"), Mod(app, "b@news.example")
    spammer = reader(svc, "spammer", "Spammer")
    kept = int(say(svc, spammer, BUDGET, "Buy cheap watches today.")["id"])
    other = int(say(svc, spammer, BUDGET, "Cheap watches, again.")["id"])
    for sub in ("x1", "x2", "x3"):
        for cid in (kept, other):
            svc_comments.report(svc, reader(svc, sub, sub), cid, "spam", None)

    assert a.decide(kept, "approve", "published").status_code == 200  # A keeps it
    stale = b.decide(kept, "reject", "published", "Spam.")
    assert stale.status_code == 409 and stale.json()["error"]["message"] == "Another moderator has already decided this comment."
    assert status_of(svc, kept) == "published"
    assert [e["actor"] for e in audited(svc, "comment.moderation_conflict", kept)] == [b.actor]
    stale_bulk = b.post("/admin/bulk", {"ids": [kept], "expect_status": ["published"], "decision": "reject", "reason": "Spam."})
    assert stale_bulk.json()["conflicts"] == [kept]

    # one moderator alone: rejecting a reported comment whose reports are open still works
    assert b.decide(other, "reject", "published", "Spam.").status_code == 200
    assert status_of(svc, other) == "rejected"


def test_double_approve_says_already_approved(app: Townhall) -> None:
    svc = app.services
    a = Mod(app, "a@news.example")
    cid, _ = held(svc, "r1")
    assert a.decide(cid, "approve", "held").status_code == 200
    again = a.decide(cid, "approve", "held")
    assert again.status_code == 409
    assert again.json()["error"] == {"code": "already_decided", "message": "You have already approved this comment.",
                                     "details": {"status": "published"}}
    assert audited(svc, "comment.moderation_conflict", cid) == []  # not a conflict with anyone


def test_second_ban_is_refused_while_one_is_in_force(app: Townhall) -> None:
    svc = app.services
    a = Mod(app, "a@news.example")
    cid, account = held(svc, "r3")
    first = a.post(f"/admin/accounts/{account}/sanction", {"sanction": "ban", "reason": "Spam."})
    assert first.status_code == 200
    again = a.post(f"/admin/accounts/{account}/sanction", {"sanction": "ban", "reason": "Spam."})
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "This account is already banned: the ban is in force."
    # from a queue item, the comment is still rejected; the ban is not taken twice
    with_reject = a.post(f"/admin/accounts/{account}/sanction",
                         {"sanction": "ban", "reason": "Spam.", "also_reject": cid, "expect_status": "held"})
    assert with_reject.status_code == 200
    assert with_reject.json()["rejected"] == cid and with_reject.json()["action_id"] is None
    assert "already banned" in with_reject.json()["notice"]
    with svc.db.read() as conn:
        bans = [x for x in moderation.actions_for(conn, account) if x["kind"] == ActionKind.BAN.value]
    assert len(bans) == 1
    assert len(audited(svc, "account.ban", account)) == 1  # one audit entry, one account.sanctioned event


def test_recent_rejections_count_matches_its_list(app: Townhall, clock: Clock) -> None:
    svc = app.services
    now = clock.now
    who = reader(svc, "old", "Old Timer")
    clock.now = now - timedelta(days=10)
    long_ago = int(say(svc, who, BUDGET, "This is fucking old news.")["id"])  # rejected 10 days ago
    old_held = int(say(svc, who, BUDGET, "You idiot, ten days on.")["id"])
    clock.now = now
    fresh = int(say(svc, who, BUDGET, "Fucking fresh.")["id"])
    a = Mod(app, "a@news.example")
    assert a.decide(old_held, "reject", "held", "Insult.").status_code == 200  # written 10 days ago, rejected now

    page = a.client.get("/admin/queue/rejected").text
    listed = {int(x) for x in re.findall(r'<article class="item" id="item-(\d+)"', page)}
    assert listed == {fresh, old_held}
    count = int(re.search(r'data-queue="rejected">(\d+)<', page).group(1))
    assert count == len(listed) == a.client.get("/admin/queue-sizes").json()["rejected"]
    assert long_ago not in listed


def test_sanction_forms_without_a_comment_reload_the_page(app: Townhall) -> None:
    svc = app.services
    a = Mod(app, "a@news.example")
    cid, account = held(svc, "r4")
    assert a.decide(cid, "reject", "held", "Insult.").status_code == 200
    rejected_tab = a.client.get("/admin/queue/rejected").text
    sanction = re.search(r'<form class="act sanction"[^>]*>', rejected_tab).group(0)
    assert 'data-reload="1"' in sanction  # the rejected item stays; the page shows the author's new state
    account_page = a.client.get(f"/admin/accounts/{account}").text
    assert 'data-reload="1"' in re.search(r'<form class="act sanction"[^>]*>', account_page).group(0)


def _banned_and_appealing(app: Townhall, sub: str) -> tuple[Any, Any, int, int]:
    """A moderator's session, a reader banned by that moderator, the ban's id and the reader's appeal's."""
    a = Mod(app, "a@news.example")
    who = reader(app.services, sub, sub.title())
    ban = enforcement.moderator_sanction(app.services, moderator_actor("a@news.example"), who.account_id, "ban", "Trolling.")
    return a, who, ban, appeals.appeal(app.services, who, ban, "Sorry.")["appeal_id"]


def test_appeal_against_a_lifted_sanction_leaves_the_queue(app: Townhall) -> None:
    svc = app.services
    a, who, ban, appeal_id = _banned_and_appealing(app, "r5")
    assert a.client.get("/admin/queue-sizes").json()["appeals"] == 1
    assert a.post(f"/admin/accounts/{who.account_id}/restore", {"reason": "Lifted."}).status_code == 200
    assert a.client.get("/admin/queue-sizes").json()["appeals"] == 0
    with svc.db.read() as conn:
        assert moderation.get_appeal(conn, appeal_id)["state"] == "moot"
    assert [e["details"]["action_id"] for e in audited(svc, "appeal.moot", appeal_id)] == [ban]
    uphold = a.post(f"/admin/appeals/{appeal_id}/decision", {"outcome": "uphold", "response": "The ban stands."})
    assert uphold.status_code == 409 and "lifted" in uphold.json()["error"]["message"]


def test_upholding_an_appeal_whose_action_was_lifted_closes_it_instead(app: Townhall) -> None:
    svc = app.services
    a, who, ban, appeal_id = _banned_and_appealing(app, "r6")
    with svc.db.write() as conn:  # lifted by a path that left its appeal open (as before lifting closed appeals)
        moderation.revoke_action(conn, ban, svc.now())
        enforcement.settle_standing(conn, svc, who.account_id)
    r = a.post(f"/admin/appeals/{appeal_id}/decision", {"outcome": "uphold", "response": "The ban stands."})
    assert r.status_code == 200 and r.json()["state"] == "moot" and "already lifted" in r.json()["notice"]
    with svc.db.read() as conn:
        assert moderation.get_appeal(conn, appeal_id)["state"] == "moot"
        assert people.get_account(conn, who.account_id)["state"] == "active"
    assert a.client.get("/admin/queue-sizes").json()["appeals"] == 0


def test_removing_a_moderator_asks_first(app: Townhall) -> None:
    svc = app.services
    root = Mod(app, "root@news.example", admin=True)
    victim = add_moderator(svc, "leaving@news.example", sites=(app.settings.default_site,))
    page = root.post(f"/admin/moderators/{victim}/remove", {}, fetch=False)
    assert page.status_code == 200 and "Remove leaving@news.example?" in page.text
    assert 'name="confirm" value="yes"' in page.text
    assert [m["email"] for m in svc_moderators(app) if m["id"] == victim] == ["leaving@news.example"]
    assert root.post(f"/admin/moderators/{victim}/remove", {}).status_code == 422  # scripts must confirm too
    assert root.post("/admin/moderators/12345/remove", {}, fetch=False).status_code == 404
    done = root.post(f"/admin/moderators/{victim}/remove", {"confirm": "yes"}, fetch=False)
    assert done.status_code == 303
    assert victim not in [m["id"] for m in svc_moderators(app)]
    assert len(audited(svc, "moderator.removed", victim)) == 1


def svc_moderators(app: Townhall) -> list[dict[str, Any]]:
    from townhall.service import moderators

    return moderators.list_moderators(app.services, moderators.actor_for({"email": "cli", "role": "admin", "sites": []}))


def test_rejecting_a_deleted_comment_says_the_author_deleted_it(app: Townhall) -> None:
    svc = app.services
    a = Mod(app, "a@news.example")
    who = reader(svc, "r7", "Reader Seven")
    cid = int(say(svc, who, BUDGET, "What an idiot.")["id"])
    svc_comments.delete(svc, who, cid)
    r = a.decide(cid, "reject", "held", "Insult.")
    assert r.status_code == 409
    assert r.json()["error"]["message"] == "Its author deleted this comment; there is nothing left to reject."

