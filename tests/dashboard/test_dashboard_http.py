"""The dashboard over HTTP (no browser), on SQLite and PostgreSQL: sign-in, cookies, CSRF, expiry,
site isolation, and that actions reach the services and the audit log."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

from starlette.testclient import TestClient

from tests.dashboard.helpers import PASSWORD, add_moderator, csrf_token, login_token, sign_in, sso_sign_in
from tests.fixtures_app import Clock, auth, make_token
from townhall.app import Townhall
from townhall.service import moderators
from townhall.service.identity import Actor
from townhall.store import content

THREAD = "budget-2027"


def post(client: TestClient, sub: str, text: str, site: str | None = None) -> dict[str, Any]:
    headers = auth(sub)
    if site:
        headers["X-Townhall-Site"] = site
    r = client.post(f"/api/v1/threads/{THREAD}/comments", json={"text": text}, headers=headers)
    assert r.status_code in (201, 422), r.text
    body = r.json()
    return body["comment"] if r.status_code == 201 else body["error"]["details"]


def session_cookie(response: Any) -> str:
    headers = [v for k, v in response.headers.multi_items() if k.lower() == "set-cookie" and v.startswith("th_session=")]
    assert headers, f"no session cookie in {response.headers}"
    return headers[0]


def test_wrong_password_is_refused_and_right_one_signs_in(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    bad = sign_in(client, "mod@example.org", "not the password at all")
    assert bad.status_code == 401
    assert "Wrong e-mail or password" in bad.text
    assert "th_session=" not in bad.headers.get("set-cookie", "")
    unknown = sign_in(client, "nobody@example.org")
    assert unknown.status_code == 401
    assert client.get("/admin/queue/held", follow_redirects=False).status_code == 303

    good = sign_in(client, "mod@example.org")
    assert good.status_code == 303 and good.headers["location"] == "/admin"
    page = client.get("/admin/queue/held")
    assert page.status_code == 200 and "mod@example.org" in page.text


def test_sign_in_form_needs_its_token(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    client.get("/admin/login")
    r = client.post("/admin/login", data={"email": "mod@example.org", "password": PASSWORD, "login_token": "forged"},
                    follow_redirects=False)
    assert r.status_code == 403
    assert "th_session=" not in r.headers.get("set-cookie", "")


def test_session_cookie_is_httponly_lax_and_not_secure_over_http(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    cookie = session_cookie(sign_in(client, "mod@example.org"))
    parsed = SimpleCookie()
    parsed.load(cookie)
    morsel = parsed["th_session"]
    assert morsel["httponly"] is True
    assert morsel["samesite"].lower() == "lax"
    assert morsel["path"] == "/admin"
    assert not morsel["secure"]
    assert int(morsel["max-age"]) == int(app.settings.session_hours * 3600)


def test_session_cookie_is_secure_over_https(app: Townhall) -> None:
    add_moderator(app.services, "mod@example.org")
    with TestClient(app, base_url="https://dash.example.org", raise_server_exceptions=False) as https:
        cookie = session_cookie(sign_in(https, "mod@example.org"))
        assert "secure" in cookie.lower().split("; ")
        assert https.get("/admin/queue/held").status_code == 200


def test_form_post_without_csrf_token_is_refused(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    held = post(client, "alice", "What an idiot the minister is.")
    assert held["status"] == "held"
    sign_in(client, "mod@example.org")
    url = f"/admin/comments/{held['id']}/decision"
    refused = client.post(url, data={"decision": "approve"}, follow_redirects=False)
    assert refused.status_code == 403 and "csrf" in refused.text.lower()
    forged = client.post(url, data={"decision": "approve", "csrf_token": "x" * 43}, follow_redirects=False)
    assert forged.status_code == 403
    with app.services.db.read() as conn:
        assert content.get_comment(conn, held["id"])["status"] == "held"

    token = csrf_token(client.get("/admin/queue/held").text)
    ok = client.post(url, data={"decision": "approve", "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    by_header = client.post(f"/admin/accounts/{held['author']['id']}/notes", data={"text": "Checked, fine."},
                            headers={"X-CSRF-Token": token, "X-Requested-With": "fetch"})
    assert by_header.status_code == 200 and by_header.json()["ok"] is True
    with app.services.db.read() as conn:
        assert content.get_comment(conn, held["id"])["status"] == "published"


def test_session_expires(app: Townhall, client: TestClient, clock: Clock) -> None:
    add_moderator(app.services, "mod@example.org")
    sign_in(client, "mod@example.org")
    assert client.get("/admin/queue/held").status_code == 200
    clock.advance(hours=app.settings.session_hours - 0.1)
    assert client.get("/admin/queue/held", follow_redirects=False).status_code == 200
    clock.advance(hours=0.2)
    expired = client.get("/admin/queue/held", follow_redirects=False)
    assert expired.status_code == 303 and expired.headers["location"].startswith("/admin/login")


def test_sign_out_ends_the_session(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    sign_in(client, "mod@example.org")
    token = csrf_token(client.get("/admin/queue/held").text)
    copied = client.cookies.get("th_session")
    out = client.post("/admin/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and 'th_session=""' in out.headers["set-cookie"]
    assert client.get("/admin/queue/held", follow_redirects=False).status_code == 303
    # the server ended it too: a copy of the cookie taken before signing out opens nothing
    client.cookies.set("th_session", copied, path="/admin")
    assert client.get("/admin/queue/held", follow_redirects=False).status_code == 303


def test_rotating_the_sso_secret_ends_dashboard_sessions_opened_with_it(make_app: Any, db_url: str) -> None:
    """SECURITY.md's remedy for a leaked sign-in secret is a new one: it must end the dashboard sessions that
    tokens signed with the old secret opened, as it ends the tokens."""
    with TestClient(make_app(db_url)) as before:
        assert sso_sign_in(before, make_token('mallory', role='moderator')).status_code == 303
        assert before.get("/admin/queue/held", follow_redirects=False).status_code == 200
        cookie = before.cookies.get("th_session")
    with TestClient(make_app(db_url, sso_secret="a-new-sign-in-secret-after-a-leak-0123456789abcdef")) as after:
        after.cookies.set("th_session", cookie, path="/admin")
        r = after.get("/admin/queue/held", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")


def test_a_link_never_swaps_a_signed_in_moderators_session(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "admin@example.org", admin=True)
    sign_in(client, "admin@example.org")
    r = client.get(f"/admin/sso?token={make_token('attacker', role='moderator')}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin" and "th_session=" not in r.headers.get("set-cookie", "")
    assert client.get("/admin/moderators").status_code == 200  # still the admin, not the link's moderator


def test_a_sign_in_link_alone_signs_nobody_in(client: TestClient) -> None:
    """Another site could send a visitor to a link (or post a form) with its own moderator's token; the visitor
    would then moderate, and report, as that account (login CSRF). Only the confirmation page's button, whose
    form token is bound to this browser's pre-session cookie, signs in."""
    token = make_token("attacker", name="Mallory", role="moderator")
    page = client.get("/admin/sso", params={"token": token}, follow_redirects=False)
    assert page.status_code == 200 and "Sign in as Mallory" in page.text and "th_session=" not in page.headers.get("set-cookie", "")
    assert client.get("/admin/queue/held", follow_redirects=False).status_code == 303  # not signed in
    for forged in ("", "x" * 43, login_token(page.text) + "x"):  # a cross-site form cannot know the token
        r = client.post("/admin/sso", data={"token": token, "login_token": forged}, follow_redirects=False)
        assert r.status_code == 403 and "th_session=" not in r.headers.get("set-cookie", "")
    client.cookies.clear()  # another browser (the attacker's page) with this page's form token and no cookie
    r = client.post("/admin/sso", data={"token": token, "login_token": login_token(page.text)}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/admin/queue/held", follow_redirects=False).status_code == 303


def test_tokens_beyond_ascii_are_refused_not_a_server_error(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    cookie = {"cookie": "th_session=abc.\u00e9".encode("latin-1")}
    assert client.get("/admin/queue/held", headers=cookie, follow_redirects=False).status_code == 303  # type: ignore[dict-item]
    form = client.get("/admin/login")
    assert client.post("/admin/login", data={"email": "mod@example.org", "password": PASSWORD, "login_token": "\u00e9"},
                       follow_redirects=False).status_code == 403
    assert form.status_code == 200 and sign_in(client, "mod@example.org").status_code == 303
    assert client.post("/admin/logout", data={"csrf_token": "\u00e9"}, follow_redirects=False).status_code == 403
    header = {"x-csrf-token": "\u00e9".encode("latin-1")}
    assert client.post("/admin/logout", headers=header, follow_redirects=False).status_code == 403  # type: ignore[arg-type]


def test_new_password_ends_older_sessions(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    sign_in(client, "mod@example.org")
    assert client.get("/admin/queue/held").status_code == 200
    moderators.add_moderator(app.services, "mod@example.org", "a brand new password")
    assert client.get("/admin/queue/held", follow_redirects=False).status_code == 303
    assert sign_in(client, "mod@example.org", "a brand new password").status_code == 303


def test_removed_moderator_loses_the_session(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "boss@example.org", admin=True)
    mid = add_moderator(app.services, "mod@example.org")
    sign_in(client, "mod@example.org")
    assert client.get("/admin/queue/held").status_code == 200
    boss = moderators.actor_for({"email": "boss@example.org", "role": "admin", "sites": []})
    moderators.remove_moderator(app.services, boss, mid)
    assert client.get("/admin/queue/held", follow_redirects=False).status_code == 303


def test_moderator_of_one_site_cannot_open_or_act_on_another(app: Townhall, client: TestClient) -> None:
    svc = app.services
    admin = Actor.policy()
    admin_mod = moderators.actor_for({"email": "root@example.org", "role": "admin", "sites": []})
    moderators.add_site(svc, admin_mod, "other", "The Other Paper")
    assert admin.sites is None
    add_moderator(svc, "a@example.org", sites=(svc.settings.default_site,))
    with svc.db.read() as conn:
        other_secret = content.get_site(conn, "other")["sso_secret"]
    r = client.post(f"/api/v1/threads/{THREAD}/comments", json={"text": "You idiot."},
                    headers={"Authorization": f"Bearer {make_token('bob', secret=other_secret)}", "X-Townhall-Site": "other"})
    assert r.status_code == 201 and r.json()["comment"]["status"] == "held"
    other_comment = r.json()["comment"]

    sign_in(client, "a@example.org")
    assert client.get("/admin/queue/held?site=other").status_code == 403
    assert client.get("/admin/queue/reported?site=other").status_code == 403
    assert client.get("/admin/numbers?site=other").status_code == 403
    assert client.get("/admin/audit.jsonl?site=other").status_code == 403
    assert client.get("/admin/queue-sizes?site=other").status_code == 403
    assert client.get(f"/admin/accounts/{other_comment['author']['id']}").status_code == 403
    token = csrf_token(client.get("/admin/queue/held").text)
    act = client.post(f"/admin/comments/{other_comment['id']}/decision", data={"decision": "approve", "csrf_token": token},
                      headers={"X-Requested-With": "fetch"})
    assert act.status_code == 403
    ban = client.post(f"/admin/accounts/{other_comment['author']['id']}/sanction",
                      data={"sanction": "ban", "reason": "x", "csrf_token": token}, headers={"X-Requested-With": "fetch"})
    assert ban.status_code == 403
    with svc.db.read() as conn:
        assert content.get_comment(conn, other_comment["id"])["status"] == "held"
    assert client.get("/admin/moderators").status_code == 403
    page = client.get("/admin/queue/held")
    assert 'value="other"' not in page.text  # the site picker lists only the moderator's sites


def test_sso_sign_in_for_moderators_only(app: Townhall, client: TestClient) -> None:
    reader = sso_sign_in(client, make_token('rita'))
    assert reader.status_code == 403 and "th_session=" not in reader.headers.get("set-cookie", "")
    forged = sso_sign_in(client, make_token('eve', role='moderator', secret='wrong-secret-' * 4))
    assert forged.status_code == 401
    ok = sso_sign_in(client, make_token('maria', name='Maria', role='moderator'))
    assert ok.status_code == 303
    page = client.get("/admin/queue/held")
    assert page.status_code == 200 and "Maria" in page.text


def test_actions_are_audited_and_exported(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    held = post(client, "carl", "Only a moron would vote for this budget.")
    sign_in(client, "mod@example.org")
    token = csrf_token(client.get("/admin/queue/held").text)
    r = client.post(f"/admin/comments/{held['id']}/decision",
                    data={"decision": "reject", "reason": "Name-calling instead of argument.", "csrf_token": token},
                    headers={"X-Requested-With": "fetch"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    lines = [json.loads(x) for x in client.get("/admin/audit.jsonl?action=comment.moderated").text.splitlines()]
    assert [(e["action"], e["actor"], e["details"]["reason"]) for e in lines] == [
        ("comment.moderated_rejected", "mod:mod@example.org", "Name-calling instead of argument.")]
    page = client.get("/admin/audit?actor=mod:mod@example.org")
    assert "comment.moderated_rejected" in page.text
    csv_text = client.get("/admin/numbers.csv").text
    assert "rules,insult,held,1" in csv_text
    assert "moderators,mod:mod@example.org,decisions,1" in csv_text


def test_try_it_box(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    sign_in(client, "mod@example.org")
    page = client.get("/admin/policy")
    assert "except the F word" in page.text
    token = csrf_token(page.text)
    r = client.post("/admin/policy/try", data={"text": "What the fuck, minister?", "csrf_token": token},
                    headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert 'data-verdict="reject"' in r.text and '<mark class="hit" title="f_word"' in r.text
    assert client.post("/admin/policy/try", data={"text": "A fine budget.", "csrf_token": token},
                       headers={"HX-Request": "true"}).text.count('data-verdict="publish"') == 1


def test_page_headings_name_the_site_not_its_id(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    sign_in(client, "mod@example.org")
    name = app.services.settings.site_name
    assert name and name != "default"
    for path, heading in (("/admin/policy", "House rules for"), ("/admin/numbers", "Numbers for"),
                          ("/admin/audit", "Audit log for")):
        page = client.get(path)
        assert page.status_code == 200, path
        assert f"{heading} {name}" in page.text, path


def test_numbers_measure_reversals_as_false_positives(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    first = post(client, "ann", "You idiot, read the report.")
    post(client, "ben", "What a moron.")
    rejected = post(client, "cat", "Fuck this budget.")
    assert rejected["comment_id"] and first["status"] == "held"
    sign_in(client, "mod@example.org")
    token = csrf_token(client.get("/admin/queue/held").text)
    client.post(f"/admin/comments/{first['id']}/decision", data={"decision": "approve", "csrf_token": token})
    page = client.get("/admin/numbers?days=7")
    assert page.status_code == 200 and page.text.count("<svg") >= 3
    assert "1 of 3 automatic holds and rejections were reversed" in page.text
    rows = set(client.get("/admin/numbers.csv?days=7").text.splitlines())
    assert {"rules,insult,held,2", "rules,insult,reversed,1", "rules,insult,false_positive_rate,0.5000",
            "rules,f_word,rejected,1", "rules,f_word,false_positive_rate,0.0000", "overall,default,false_positive_rate,0.3333",
            "queues,held,size,1"} <= rows
    today = app.services.now().date().isoformat()
    assert f"comments_per_day,{today},published,1" in rows and f"comments_per_day,{today},held,1" in rows


def test_confirming_a_cluster_bans_every_account_once(app: Townhall, client: TestClient) -> None:
    from townhall.service import clusters
    from townhall.store.schema import FlagKind

    svc = app.services
    ids = [post(client, f"troll{i}", f"Vote for the chancellor, number {i}!")["author"]["id"] for i in range(3)]
    evidence = {"score": 0.9, "evidence": [{"signal": "text_reuse", "strength": 1.4, "observed": 6, "expected": 0.1,
                                            "why": "same wording", "details": [{"thread": THREAD, "accounts": 3}]}],
                "note": {"nested": ["a", "b"]}}
    flag = clusters.record_flag(svc, svc.settings.default_site, FlagKind.COORDINATION, ids, 0.9, evidence, key="k1")
    add_moderator(svc, "mod@example.org")
    sign_in(client, "mod@example.org")
    page = client.get(f"/admin/clusters/{flag}")
    assert page.status_code == 200 and "text reuse" in page.text and "same wording" in page.text and "nested" in page.text
    token = csrf_token(page.text)
    unticked = client.post(f"/admin/clusters/{flag}/confirm", data={"csrf_token": token}, headers={"X-Requested-With": "fetch"})
    assert unticked.status_code == 422
    ok = client.post(f"/admin/clusters/{flag}/confirm", data={"csrf_token": token, "confirm": "yes"},
                     headers={"X-Requested-With": "fetch"})
    assert ok.status_code == 200 and ok.json()["sanction"] == "ban"
    again = client.post(f"/admin/clusters/{flag}/confirm", data={"csrf_token": token, "confirm": "yes"},
                        headers={"X-Requested-With": "fetch"})
    assert again.status_code == 409
    for sub in ("troll0", "troll1", "troll2"):
        me = client.get("/api/v1/me", headers=auth(sub)).json()
        assert me["state"] == "banned" and me["sanction"]["rule"] == "paid_troll"
    lines = [json.loads(x) for x in client.get("/admin/audit.jsonl?action=account.ban").text.splitlines()]
    assert sorted(int(e["subject_id"]) for e in lines) == sorted(ids)


def test_bulk_approve_and_reject(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    ids = [post(client, f"r{i}", f"Idiot number {i}.")["id"] for i in range(3)]
    sign_in(client, "mod@example.org")
    token = csrf_token(client.get("/admin/queue/held").text)
    no_reason = client.post("/admin/bulk", data={"ids": ids[:2], "expect_status": ["held"] * 2, "decision": "reject", "csrf_token": token},
                            headers={"X-Requested-With": "fetch"})
    assert set(no_reason.json()["results"].values()) == {"error: Give a reason; the reader will see it."}
    r = client.post("/admin/bulk", data={"ids": ids[:2], "expect_status": ["held"] * 2, "decision": "reject", "reason": "Name-calling.", "csrf_token": token},
                    headers={"X-Requested-With": "fetch"})
    assert r.json()["results"] == {str(ids[0]): "rejected", str(ids[1]): "rejected"}
    with app.services.db.read() as conn:
        assert [content.get_comment(conn, i)["status"] for i in ids] == ["rejected", "rejected", "held"]


def test_admin_manages_sites_and_moderators(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "root@example.org", admin=True)
    sign_in(client, "root@example.org")
    token = csrf_token(client.get("/admin/moderators").text)
    created = client.post("/admin/sites", data={"site_id": "gazette", "name": "The Gazette", "csrf_token": token})
    assert created.status_code == 200 and "SSO secret" in created.text
    added = client.post("/admin/moderators", data={"email": "gm@example.org", "password": PASSWORD, "role": "moderator",
                                                   "sites": ["gazette"], "csrf_token": token}, follow_redirects=False)
    assert added.status_code == 303
    listed = client.get("/admin/moderators").text
    assert "gm@example.org" in listed and 'value="gazette"' in listed
    with TestClient(app, raise_server_exceptions=False) as other:
        sign_in(other, "gm@example.org")
        assert other.get("/admin/queue/held?site=gazette").status_code == 200
        assert other.get("/admin/queue/held?site=default").status_code == 403
        assert other.get("/admin/moderators").status_code == 403
        mod_token = csrf_token(other.get("/admin/queue/held?site=gazette").text)
        grab = other.post("/admin/sites", data={"site_id": "mine", "name": "Mine", "csrf_token": mod_token})
        assert grab.status_code == 403
        promote = other.post("/admin/moderators", data={"email": "pal@example.org", "password": PASSWORD, "role": "admin",
                                                       "csrf_token": mod_token})
        assert promote.status_code == 403
    audit = client.get("/admin/audit.jsonl?site=gazette&action=site.").text.splitlines()
    assert [json.loads(x)["action"] for x in audit] == ["site.created"]


def test_audit_filters_by_rule_account_and_date(app: Townhall, client: TestClient, clock: Clock) -> None:
    add_moderator(app.services, "mod@example.org")
    fword = post(client, "dan", "Fuck the bridge closure.")
    insult = post(client, "eve", "The council are idiots.")
    sign_in(client, "mod@example.org")
    by_rule = [json.loads(x) for x in client.get("/admin/audit.jsonl?rule=f_word").text.splitlines()]
    assert [e["subject_id"] for e in by_rule] == [str(fword["comment_id"])]
    page = client.get("/admin/audit?rule=insult")
    assert f"comment #{insult['id']}" in page.text and f"comment #{fword['comment_id']}" not in page.text
    today = clock.now.date()
    assert client.get(f"/admin/audit.jsonl?since={today}&until={today}&rule=insult").text.count("\n") == 1
    tomorrow = (clock.now + timedelta(days=1)).date()
    assert client.get(f"/admin/audit.jsonl?since={tomorrow}").text == ""
    account = insult["author"]["id"]
    token = csrf_token(page.text)
    client.post(f"/admin/accounts/{account}/notes", data={"text": "Watch this one.", "csrf_token": token})
    mine = [json.loads(x) for x in client.get(f"/admin/audit.jsonl?account={account}").text.splitlines()]
    assert [e["action"] for e in mine] == ["account.note"]
    assert client.get("/admin/audit?since=yesterday").status_code == 422
    # the filter form sends every box, the empty ones as "": they filter nothing
    form = client.get("/admin/audit", params={"site": "default", "actor": "", "account": "", "action": "", "rule": "insult",
                                              "since": "", "until": ""})
    assert form.status_code == 200 and f"comment #{insult['id']}" in form.text
    assert client.get("/admin/audit.jsonl", params={"account": "", "rule": "f_word"}).text.count("\n") == 1


def test_sign_in_attempts_are_rate_limited(make_app: Any, db_url: str, tmp_path: Any) -> None:
    from tests.dashboard.helpers import write_policy

    limited = make_app(db_url, policy=write_policy(tmp_path), rate_limit_per_minute=3)
    add_moderator(limited.services, "mod@example.org")
    with TestClient(limited, raise_server_exceptions=False) as c:
        assert [sign_in(c, "mod@example.org", "guess number one").status_code for _ in range(3)] == [401, 401, 401]
        blocked = sign_in(c, "mod@example.org")
        assert blocked.status_code == 429 and "th_session=" not in blocked.headers.get("set-cookie", "")


def test_where_clients_have_no_ip_address_one_guesser_locks_out_no_one_else(make_app: Any, db_url: str,
                                                                             tmp_path: Any) -> None:
    """Behind a Unix socket without a forwarded header (as in this in-process client) there is no network to
    count sign-in attempts against: they count against the address tried, not one budget for everyone."""
    from tests.dashboard.helpers import write_policy

    limited = make_app(db_url, policy=write_policy(tmp_path), rate_limit_per_minute=3)
    add_moderator(limited.services, "mod@example.org")
    add_moderator(limited.services, "other@example.org")
    with TestClient(limited, raise_server_exceptions=False) as guesser, \
            TestClient(limited, raise_server_exceptions=False) as colleague:
        assert [sign_in(guesser, "mod@example.org", "wrong guess").status_code for _ in range(4)] == [401, 401, 401, 429]
        assert sign_in(colleague, "other@example.org").status_code == 303


def test_queue_pages_load_more_with_htmx(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    ids = [post(client, f"p{i}", f"Comment {i}: you idiot.")["id"] for i in range(53)]
    sign_in(client, "mod@example.org")
    first = client.get("/admin/queue/held").text
    shown = [int(x) for x in re.findall(r'<article class="item" id="item-(\d+)"', first)]
    assert shown == sorted(ids, reverse=True)[:50]
    assert f'hx-get="/admin/queue/held?site=default&before={shown[-1]}"' in first
    more = client.get(f"/admin/queue/held?site=default&before={shown[-1]}", headers={"HX-Request": "true"})
    assert "<html" not in more.text
    rest = [int(x) for x in re.findall(r'<article class="item" id="item-(\d+)"', more.text)]
    assert rest == sorted(ids, reverse=True)[50:] and "Load more" not in more.text


def test_queue_sizes_for_the_live_counts(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    assert client.get("/admin/queue-sizes", follow_redirects=False).status_code == 303  # signed out: to the sign-in page
    sign_in(client, "mod@example.org")
    empty = client.get("/admin/queue-sizes")
    assert empty.status_code == 200 and empty.headers["cache-control"] == "no-store"
    assert empty.json() == {"held": 0, "reported": 0, "clusters": 0, "appeals": 0, "rejected": 0}
    post(client, "p1", "You idiot.")
    assert client.get("/admin/queue-sizes?site=default").json()["held"] == 1
    # a report counts in the tab only once the comment is in the queue (open reports weigh the threshold)
    reported = post(client, "p2", "A plain remark about the budget.")
    r = client.post(f"/api/v1/comments/{reported['id']}/reports", json={"reason": "spam"}, headers=auth("r1"))
    assert r.status_code == 201 and r.json()["duplicate"] is False
    assert client.get("/admin/queue-sizes").json()["reported"] == 0
    assert client.get("/api/v1/mod/queues/reported", headers=auth("m", role="moderator")).json()["items"] == []
