"""Regressions from the third dashboard audit, over HTTP on SQLite and PostgreSQL: double submissions of a
note or a sanction, an audit filter at the end of the calendar, and paging the moderators' API."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.dashboard.seed import BUDGET, reader, say
from tests.dashboard.test_dashboard_audit import Mod, audited, held
from tests.fixtures_app import auth
from townhall.app import Townhall
from townhall.service import comments as svc_comments
from townhall.store import moderation
from townhall.store.schema import ActionKind


def test_a_double_submitted_note_is_added_once(app: Townhall) -> None:
    svc = app.services
    a = Mod(app, "a@news.example")
    _, account = held(svc, "n1")
    first = a.post(f"/admin/accounts/{account}/notes", {"text": "Often heated about transport."})
    again = a.post(f"/admin/accounts/{account}/notes", {"text": "Often heated about transport. "})
    assert first.status_code == 200 and again.status_code == 200, again.text
    assert again.json()["note_id"] == first.json()["note_id"] and "already" in again.json()["notice"]
    with svc.db.read() as conn:
        assert [n["text"] for n in moderation.notes_for(conn, account)] == ["Often heated about transport."]
    assert len(audited(svc, "account.note", account)) == 1
    # a different note, or the same one from another moderator, is a note of its own
    assert a.post(f"/admin/accounts/{account}/notes", {"text": "Second thought."}).json()["note_id"] != first.json()["note_id"]
    b = Mod(app, "b@news.example")
    assert b.post(f"/admin/accounts/{account}/notes", {"text": "Often heated about transport."}).status_code == 200
    with svc.db.read() as conn:
        assert len(moderation.notes_for(conn, account)) == 3


def test_a_double_submitted_note_through_the_api_is_added_once(app: Townhall, client: TestClient) -> None:
    svc = app.services
    _, account = held(svc, "n2")
    headers = auth("mod-1", role="moderator")
    first = client.post(f"/api/v1/mod/accounts/{account}/notes", json={"text": "Check their sources."}, headers=headers)
    again = client.post(f"/api/v1/mod/accounts/{account}/notes", json={"text": "Check their sources."}, headers=headers)
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["note_id"] == first.json()["note_id"]
    with svc.db.read() as conn:
        assert len(moderation.notes_for(conn, account)) == 1


def test_a_double_submitted_warning_is_taken_once(app: Townhall) -> None:
    svc = app.services
    a = Mod(app, "a@news.example")
    cid, account = held(svc, "w1")
    first = a.post(f"/admin/accounts/{account}/sanction", {"sanction": "warn", "reason": "Keep it civil."})
    assert first.status_code == 200
    again = a.post(f"/admin/accounts/{account}/sanction", {"sanction": "warn", "reason": "Keep it civil."})
    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "already_taken"
    # from a queue item, the comment still goes; the warning is not given twice
    with_reject = a.post(f"/admin/accounts/{account}/sanction",
                         {"sanction": "warn", "reason": "Keep it civil.", "also_reject": cid, "expect_status": "held"})
    assert with_reject.status_code == 200 and with_reject.json()["rejected"] == cid
    assert with_reject.json()["action_id"] is None and "already" in with_reject.json()["notice"]
    with svc.db.read() as conn:
        warns = [x for x in moderation.actions_for(conn, account) if x["kind"] == ActionKind.WARN.value]
    assert len(warns) == 1 and len(audited(svc, "account.warn", account)) == 1
    # a second warning with another reason is a decision of its own
    assert a.post(f"/admin/accounts/{account}/sanction", {"sanction": "warn", "reason": "And again."}).status_code == 200


def test_a_double_submitted_suspension_through_the_api_is_taken_once(app: Townhall, client: TestClient) -> None:
    svc = app.services
    _, account = held(svc, "w2")
    headers = auth("mod-1", role="moderator")
    body = {"sanction": "suspend", "reason": "Cool off.", "hours": 24}
    first = client.post(f"/api/v1/mod/accounts/{account}/sanctions", json=body, headers=headers)
    again = client.post(f"/api/v1/mod/accounts/{account}/sanctions", json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 409, again.text
    with svc.db.read() as conn:
        assert len([x for x in moderation.actions_for(conn, account) if x["kind"] == ActionKind.SUSPEND.value]) == 1


def test_audit_filter_until_the_last_day_of_the_calendar(app: Townhall) -> None:
    a = Mod(app, "a@news.example")
    cid, _ = held(app.services, "d1")
    assert a.decide(cid, "reject", "held", "Insult.").status_code == 200
    for url in ("/admin/audit?until=9999-12-31", "/admin/audit.jsonl?until=9999-12-31",
                "/admin/audit?since=2020-01-01&until=9999-12-31"):
        r = a.client.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:200])
    assert "comment.moderated_rejected" in a.client.get("/admin/audit.jsonl?until=9999-12-31").text


def test_api_reported_queue_does_not_repeat_a_page(app: Townhall, client: TestClient) -> None:
    svc = app.services
    spammer = reader(svc, "spammer", "Spammer")
    ids = [int(say(svc, spammer, BUDGET, f"Cheap watches, offer {i}.")["id"]) for i in range(3)]
    for sub in ("x1", "x2", "x3"):
        for cid in ids:
            svc_comments.report(svc, reader(svc, sub, sub), cid, "spam", None)
    headers = auth("mod-1", role="moderator")
    page = client.get("/api/v1/mod/queues/reported?limit=2", headers=headers).json()
    seen = [i["id"] for i in page["items"]]
    if page.get("next_before") is not None:
        more = client.get(f"/api/v1/mod/queues/reported?limit=2&before={page['next_before']}", headers=headers)
        assert more.status_code == 200
        seen += [i["id"] for i in more.json()["items"]]
    else:
        # the queue is not paged: a "before" is refused rather than answered with the first page again
        assert client.get("/api/v1/mod/queues/reported?limit=2&before=99", headers=headers).status_code == 422
    assert len(seen) == len(set(seen))


def test_answering_an_appeal_twice_says_you_already_did(app: Townhall) -> None:
    from tests.dashboard.test_dashboard_audit import _banned_and_appealing

    a, _, _, appeal_id = _banned_and_appealing(app, "p1")
    first = a.post(f"/admin/appeals/{appeal_id}/decision", {"outcome": "uphold", "response": "The ban stands."})
    assert first.status_code == 200
    again = a.post(f"/admin/appeals/{appeal_id}/decision", {"outcome": "uphold", "response": "The ban stands."})
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "You have already answered this appeal."


def test_signing_out_is_audited_once(app: Townhall) -> None:
    svc = app.services
    a = Mod(app, "a@news.example")
    r = a.post("/admin/logout", {}, fetch=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    with svc.db.read() as conn:
        entries = list(moderation.audit_entries(conn, action="moderator.signed_out"))
    assert [e["actor"] for e in entries] == [a.actor]


def test_an_appeal_on_the_account_page_links_the_action_it_is_against(app: Townhall) -> None:
    """The account page listed appeals as "(action #N)" while its actions table showed no ids."""
    from tests.dashboard.test_dashboard_audit import _banned_and_appealing

    a, who, ban, _ = _banned_and_appealing(app, "p2")
    page = a.client.get(f"/admin/accounts/{who.account_id}")
    assert page.status_code == 200
    assert f'<tr id="action-{ban}"' in page.text and f"<small>#{ban}</small> ban" in page.text
    assert f'<a href="#action-{ban}">action #{ban}</a>' in page.text
