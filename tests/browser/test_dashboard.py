"""The moderators' dashboard in a real Chromium (SQLite live server): sign-in, keyboard moderation with
undo, rejecting with a reason the reader sees, banning from a report, confirming a troll cluster,
appeals, the try-it box, and site isolation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.dashboard.helpers import PASSWORD, add_moderator, write_policy
from tests.dashboard.seed import BUDGET, Seeded, moderator_actor, reader, say, seed_morning
from tests.fixtures_app import AppFactory, Clock, LiveServer, make_token
from townhall.app import Townhall
from townhall.service import enforcement, moderators
from townhall.service.identity import Actor
from townhall.store import content, moderation, people
from townhall.store.schema import ActionKind

pytestmark = pytest.mark.browser
EMAIL = "editor@news.example"


@pytest.fixture
def app(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Townhall:
    return make_app(sqlite_url, policy=write_policy(tmp_path))


@pytest.fixture
def seeded(app: Townhall, clock: Clock) -> Seeded:
    data = seed_morning(app.services, clock)
    add_moderator(app.services, EMAIL, sites=(app.settings.default_site,))
    return data


@pytest.fixture
def context(browser: Any) -> Any:
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(8000)
    ctx.add_init_script("window.sessionStorage.setItem('th-undo-ms', '700')")
    yield ctx
    ctx.close()


def sign_in(page: Any, server: LiveServer, email: str = EMAIL, password: str = PASSWORD, target: str = "/admin") -> None:
    page.goto(server.url + target)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def status_of(app: Townhall, comment_id: int) -> str:
    with app.services.db.read() as conn:
        return str(content.get_comment(conn, comment_id)["status"])


def state_of(app: Townhall, account_id: int) -> str:
    with app.services.db.read() as conn:
        return str(people.get_account(conn, account_id)["state"])


def reader_headers(sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(sub)}"}


def test_sign_in_and_sign_out(app: Townhall, seeded: Seeded, server: LiveServer, page: Any) -> None:
    sign_in(page, server, password="wrong password, sorry")
    assert page.locator("p.error").inner_text() == "Wrong e-mail or password."
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/queue/held?site=default")
    assert page.locator(".who").inner_text().startswith(EMAIL)
    assert page.locator(".queue .item").count() == len(seeded.held)
    page.click("#logout")
    page.wait_for_url("**/admin/login")
    page.goto(server.url + "/admin/queue/held")
    assert "/admin/login" in page.url


def test_clear_held_comment_by_keyboard(app: Townhall, seeded: Seeded, server: LiveServer, page: Any) -> None:
    sign_in(page, server)
    page.wait_for_selector(".queue .item.selected")
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#help").is_visible()

    first, second = seeded.held[-1], seeded.held[-2]  # newest first
    assert page.locator(".item.selected").get_attribute("data-id") == str(first)
    page.keyboard.press("j")
    assert page.locator(".item.selected").get_attribute("data-id") == str(second)
    page.keyboard.press("k")
    page.keyboard.press("a")  # approve, then change our mind
    assert page.locator(f"#item-{first}").is_hidden()
    page.get_by_role("button", name="Undo").click()
    assert page.locator(f"#item-{first}").is_visible()
    page.wait_for_timeout(1200)
    assert status_of(app, first) == "held"

    page.locator(f"#item-{first}").click(position={"x": 400, "y": 10})
    page.keyboard.press("a")
    page.wait_for_selector(f"#item-{first}", state="detached")
    assert status_of(app, first) == "published"
    assert page.locator(".tabs a.current .count").inner_text() == str(len(seeded.held) - 1)
    assert page.locator(".item.selected").get_attribute("data-id") == str(second)
    with app.services.db.read() as conn:
        entries = moderation.audit_entries(conn, subject_type="comment", subject_id=str(first), action="comment.approved")
    assert [e["actor"] for e in entries] == [f"mod:{EMAIL}"]


def test_reject_with_a_reason_the_reader_sees(app: Townhall, seeded: Seeded, server: LiveServer, page: Any) -> None:
    target = seeded.held[0]  # Carl's reply to Alice
    sign_in(page, server)
    page.locator(f"#item-{target}").click(position={"x": 400, "y": 10})
    page.keyboard.press("r")
    page.keyboard.type("Call the argument wrong, not the person an idiot.")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#item-{target}", state="detached")
    assert status_of(app, target) == "rejected"
    with httpx.Client(base_url=server.url) as http:
        me = http.get("/api/v1/me", headers=reader_headers("carl")).json()
        thread = http.get("/api/v1/threads/budget-2027/comments", headers=reader_headers("carl")).json()
    assert me["removed_comments"][0]["id"] == target
    assert me["removed_comments"][0]["reason"] == "Call the argument wrong, not the person an idiot."
    assert target not in {c["id"] for c in thread["comments"]} | {r["id"] for c in thread["comments"] for r in c.get("replies", [])}


def test_ban_from_a_report(app: Townhall, seeded: Seeded, server: LiveServer, page: Any) -> None:
    sign_in(page, server, target="/admin/queue/reported")
    item = page.locator(f"#item-{seeded.reported}")
    assert "3 reader reports" in item.locator(".reports").inner_text()
    assert "Advert, not a comment." in item.locator(".reports").inner_text()
    item.click(position={"x": 400, "y": 10})
    page.keyboard.press("b")
    page.keyboard.type("Spam: advertising watches.")
    page.keyboard.press("Enter")
    spammer = int(item.get_attribute("data-account"))
    page.wait_for_selector(f"#item-{seeded.reported}", state="detached")
    assert state_of(app, spammer) == "banned"
    with httpx.Client(base_url=server.url) as http:
        me = http.get("/api/v1/me", headers=reader_headers("frank")).json()
        again = http.post("/api/v1/threads/bridge-closure/comments", json={"text": "More watches!"}, headers=reader_headers("frank"))
    assert me["sanction"]["sanction"] == "ban" and me["sanction"]["reason"] == "Spam: advertising watches."
    assert again.status_code == 403
    assert status_of(app, seeded.reported) == "rejected"  # "and reject this comment" was ticked


def test_confirm_a_troll_cluster_bans_every_account(app: Townhall, seeded: Seeded, server: LiveServer, page: Any) -> None:
    sign_in(page, server, target="/admin/queue/clusters")
    page.click(f"#cluster-{seeded.flag} a.open")
    page.wait_for_url(f"**/admin/clusters/{seeded.flag}")
    assert page.locator(".member").count() == 4
    assert page.locator("svg.timeline rect").count() > 4
    assert "text reuse" in page.locator(".signals-table").inner_text()
    page.click("button:has-text('Ban the cluster')")  # not ticked yet: the browser refuses the form
    assert page.locator(".toast").count() == 0
    page.check("input[name=confirm]")
    page.click("button:has-text('Ban the cluster')")
    page.wait_for_selector(".cluster-head .state-confirmed")
    assert [state_of(app, a) for a in seeded.trolls] == ["banned"] * 4
    with app.services.db.read() as conn:
        confirmed = moderation.audit_entries(conn, action="flag.confirmed")
        bans = moderation.audit_entries(conn, action="account.ban")
    assert confirmed[0]["details"]["accounts"] == sorted(seeded.trolls)
    assert sorted(int(b["subject_id"]) for b in bans) == sorted(seeded.trolls)


def test_uphold_and_reverse_appeals(app: Townhall, seeded: Seeded, server: LiveServer, page: Any) -> None:
    gina_appeal, hank_appeal = seeded.appeals
    sign_in(page, server, target="/admin/queue/appeals")
    gina = page.locator(f"#appeal-{gina_appeal}")
    gina.locator("input[name=response]").fill("Calling supporters sheep is a personal attack; the suspension stands.")
    gina.get_by_role("button", name="Uphold").click()
    page.wait_for_selector(f"#appeal-{gina_appeal}", state="detached")
    hank = page.locator(f"#appeal-{hank_appeal}")
    hank.locator("input[name=response]").fill("You are right, the minutes are public. Warning withdrawn.")
    hank.get_by_role("button", name="Reverse").click()
    page.wait_for_selector(f"#appeal-{hank_appeal}", state="detached")
    with httpx.Client(base_url=server.url) as http:
        gina_me = http.get("/api/v1/me", headers=reader_headers("gina")).json()
        hank_me = http.get("/api/v1/me", headers=reader_headers("hank")).json()
    assert gina_me["state"] == "suspended"
    assert gina_me["sanction"]["appeal"]["state"] == "upheld"
    assert hank_me["state"] == "active"
    warn = next(a for a in hank_me["actions"] if a["kind"] == "warn")
    assert warn["revoked"] is True


def test_lift_a_ban_and_clear_the_strikes(app: Townhall, seeded: Seeded, server: LiveServer, page: Any) -> None:
    svc = app.services
    ivy = reader(svc, "ivy", "Ivy Tran")
    with svc.db.write() as conn:
        account = people.get_account(conn, ivy.account_id)
        for _ in range(3):
            enforcement.take_action(conn, svc, account=account, kind=ActionKind.STRIKE, actor=Actor.policy(),
                                    reason="Insults", rule="insult")
    enforcement.moderator_sanction(svc, moderator_actor(), ivy.account_id, "ban", "Three strikes.")
    sign_in(page, server, target=f"/admin/accounts/{ivy.account_id}")
    form = page.locator("form.restore")
    form.locator("input[name=reason]").fill("Provoked; a fresh start.")
    form.get_by_label("Also clear the 3 strikes").check()
    form.get_by_role("button", name="Lift sanctions").click()
    page.wait_for_selector("text=(0 active strikes)")  # the page reloads once the undo window has passed
    with httpx.Client(base_url=server.url) as http:
        me = http.get("/api/v1/me", headers=reader_headers("ivy")).json()
    assert me["state"] == "active" and me["active_strikes"] == 0
    assert [a["reason"] for a in me["actions"] if a["kind"] == "restore"] == ["Provoked; a fresh start. (3 strikes cleared)"]


def test_try_it_box(app: Townhall, seeded: Seeded, server: LiveServer, page: Any) -> None:
    sign_in(page, server, target="/admin/policy")
    assert "except the F word" in page.locator("ol.rules").inner_text()
    page.fill("#tryit textarea", "What the f*ck is this budget?")
    page.click("#tryit button")
    verdict = page.locator("#tryit-result .verdict")
    verdict.wait_for()
    assert verdict.get_attribute("data-verdict") == "reject"
    assert verdict.locator("mark.hit").inner_text() == "f*ck"
    assert page.url.endswith("/admin/policy")  # answered in place by htmx, not by a full-page post
    page.fill("#tryit textarea", "A sensible budget, for once.")
    page.click("#tryit button")
    page.wait_for_selector("#tryit-result .verdict[data-verdict=publish]")


def test_moderator_of_one_site_cannot_open_another(app: Townhall, seeded: Seeded, server: LiveServer, page: Any) -> None:
    svc = app.services
    root = moderators.actor_for({"email": "root@example.org", "role": "admin", "sites": []})
    secret = moderators.add_site(svc, root, "other", "The Other Paper")
    with httpx.Client(base_url=server.url) as http:
        r = http.post("/api/v1/threads/x/comments", json={"text": "You idiot."},
                      headers={"Authorization": f"Bearer {make_token('zed', secret=secret)}", "X-Townhall-Site": "other"})
    other = r.json()["comment"]
    assert other["status"] == "held"
    sign_in(page, server)
    page.wait_for_url("**/admin/queue/held?site=default")
    assert page.locator("select[name=site] option").all_inner_texts() == ["Demo Gazette (default)"] or \
        all("other" not in o for o in page.locator("select[name=site] option").all_inner_texts())
    response = page.goto(server.url + "/admin/queue/held?site=other")
    assert response.status == 403
    assert "You do not moderate this site." in page.locator("p.error").inner_text()
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content")
    attempt = page.request.post(f"{server.url}/admin/comments/{other['id']}/decision",
                                form={"decision": "approve", "csrf_token": csrf}, headers={"X-Requested-With": "fetch"})
    assert attempt.status == 403
    assert status_of(app, other["id"]) == "held"


def test_new_arrivals_are_announced_without_moving_the_queue(app: Townhall, seeded: Seeded, server: LiveServer, page: Any) -> None:
    sign_in(page, server)
    page.wait_for_selector(".queue .item.selected")
    page.evaluate("window.sessionStorage.setItem('th-poll-ms', '300')")
    page.reload()
    page.wait_for_selector(".queue .item.selected")
    before = len(seeded.held)
    svc = app.services
    newcomer = reader(svc, "ivan", "Ivan Novak")
    enforcement.moderator_sanction(svc, moderator_actor(), newcomer.account_id, "premoderate", "New account, first comments reviewed.")
    held = say(svc, newcomer, BUDGET, "The budget vote is on Thursday, for anyone who wants to attend.")
    assert held["status"] == "held"

    note = page.locator(".queue .new-items")
    note.wait_for()
    assert note.inner_text() == "1 new item in this queue: show"
    assert page.locator(".tabs a.current .count").inner_text() == str(before + 1)
    assert page.locator(".queue .item").count() == before  # nothing moved under the cursor
    note.get_by_role("link").click()
    page.wait_for_selector(f"#item-{held['id']}")
    assert page.locator(".queue .item").count() == before + 1
    assert page.locator(".queue .new-items").count() == 0
