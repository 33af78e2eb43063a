"""Lock order among one person's accounts (PostgreSQL): a path that may change several of them, a ban carried to
the installation's other sites (``ban_scope = "installation"``) or its lifting, locks all of them in ascending id
order before changing any (:func:`townhall.store.people.lock_person`). The races below, each from two sites
at once, deadlocked before: PostgreSQL rolled one request back, answered 503 ``busy`` (tests/enforcement/test_lock_busy.py
keeps that answer as the safety net). Here none may be answered busy, and every ban holds on both sites.
``TOWNHALL_LOCK_ROUNDS`` sets the rounds per case (default 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.enforcement.test_lock_order import HELD_TEXT, MOD, MOD2, STRUCK_TEXT, T, _consistent, _race
from tests.enforcement.test_scope import _installation_policy, _site
from tests.fixtures_app import auth
from townhall.store import moderation
from townhall.store.schema import FlagKind, FlagState

pytestmark = [pytest.mark.postgres]

SITES = ("default", "sister")


def _reader(c: TestClient, name: str) -> dict[str, Any]:
    """A reader with an account on both sites, the default one made first (the lower id)."""
    reader = auth(name)
    aids = {site: c.get("/api/v1/me", params={"site": site}, headers=reader).json()["id"] for site in SITES}
    assert aids["default"] < aids["sister"], aids
    return {"reader": reader, "aids": aids}


def _ban(site: str, headers: dict[str, str]) -> Any:
    def request(c: TestClient, case: dict[str, Any]) -> int:
        return c.post(f"/api/v1/mod/accounts/{case['aids'][site]}/sanctions", json={"sanction": "ban", "reason": "Abuse."},
                      params={"site": site}, headers=headers).status_code
    return request


def _banned_everywhere(client: TestClient, cases: list[dict[str, Any]]) -> None:
    for case in cases:
        for site in SITES:
            me = client.get("/api/v1/me", params={"site": site}, headers=case["reader"]).json()
            assert me["state"] == "banned", (site, me)


def test_a_ladder_ban_on_one_site_while_a_moderator_bans_the_person_on_another(make_app, postgres, tmp_path: Path) -> None:
    """A moderator rejects the third held comment of a reader on the sister site: the third strike climbs the
    ladder to a ban, carried to the default site. Meanwhile another moderator bans the reader's default account,
    a ban carried to the sister site. The rejection started from the comment's author (the higher id) and
    locked the other account only when it carried the ban; the ban, from the lower id."""
    app = make_app(postgres.fresh(), policy=_installation_policy(tmp_path))
    _site(app, "sister")

    def setup(c: TestClient, n: int) -> dict[str, Any]:
        case = _reader(c, f"ladder-{n}")
        cids = []
        for _ in range(3):  # held for a strike-bearing rule: each rejection counts a strike
            r = c.post(T, json={"text": HELD_TEXT}, params={"site": "sister"}, headers=case["reader"])
            assert r.status_code == 201 and r.json()["comment"]["status"] == "held", r.text
            cids.append(r.json()["comment"]["id"])
        for cid in cids[:2]:  # a warning, then a suspension
            r = c.post(f"/api/v1/mod/comments/{cid}/decision", json={"action": "reject", "reason": "Rude."},
                       params={"site": "sister"}, headers=MOD)
            assert r.status_code == 200, r.text
        return {**case, "cid": cids[2]}

    def reject(c: TestClient, case: dict[str, Any]) -> int:
        return c.post(f"/api/v1/mod/comments/{case['cid']}/decision", json={"action": "reject", "reason": "Rude."},
                      params={"site": "sister"}, headers=MOD).status_code

    with TestClient(app, raise_server_exceptions=False) as client:
        # 409: the ladder's ban, carried to the default site, came first
        cases = _race(client, setup, reject, _ban("default", MOD2), ({200}, {201, 409}))
        _banned_everywhere(client, cases)
    _consistent(app, {aid for case in cases for aid in case["aids"].values()})



def test_an_appeal_against_a_ban_granted_while_a_moderator_lifts_its_copy(make_app, postgres, tmp_path: Path) -> None:
    """The person was banned on the sister site (the higher id), the ban carried to the default site. A moderator
    grants the appeal against the ban, which lifts its copy on the default site too; meanwhile another moderator
    lifts that copy there. The restore locks the person's accounts lowest id first, so the appeal's decision must
    too: locking its own account first, then the copy's, it would hold the one the restore waits for."""
    app = make_app(postgres.fresh(), policy=_installation_policy(tmp_path))
    _site(app, "sister")

    def setup(c: TestClient, n: int) -> dict[str, Any]:
        case = _reader(c, f"appeal-lift-{n}")
        assert _ban("sister", MOD)(c, case) == 201
        me = c.get("/api/v1/me", params={"site": "sister"}, headers=case["reader"]).json()
        ban = next(a for a in me["actions"] if a["kind"] == "ban")
        r = c.post(f"/api/v1/me/actions/{ban['id']}/appeal", json={"text": "Not me."}, params={"site": "sister"},
                   headers=case["reader"])
        assert r.status_code == 201, r.text
        return {**case, "appeal": r.json()["appeal_id"]}

    def grant(c: TestClient, case: dict[str, Any]) -> int:
        return c.post(f"/api/v1/mod/appeals/{case['appeal']}/decision", json={"outcome": "reverse", "response": "Sorry."},
                      params={"site": "sister"}, headers=MOD).status_code

    def lift_copy(c: TestClient, case: dict[str, Any]) -> int:
        return c.post(f"/api/v1/mod/accounts/{case['aids']['default']}/restore", json={"reason": "Forgiven."},
                      params={"site": "default"}, headers=MOD2).status_code

    with TestClient(app, raise_server_exceptions=False) as client:
        cases = _race(client, setup, grant, lift_copy, ({200}, {200}))
        for case in cases:  # whichever came first, the person is banned nowhere
            for site in SITES:
                me = client.get("/api/v1/me", params={"site": site}, headers=case["reader"]).json()
                assert me["state"] == "active", (site, me)
    _consistent(app, {aid for case in cases for aid in case["aids"].values()})


def test_a_readers_third_strike_on_one_site_while_a_moderator_bans_them_on_another(make_app, postgres,
                                                                                    tmp_path: Path) -> None:
    """A reader with two strikes in force on the sister site (the suspension they brought lifted) posts a third
    comment the rules strike: the ladder bans them, and the ban is carried to the default site. Meanwhile a
    moderator bans their default account. The post locked its author (the higher id) and the other account only
    when it carried the ban; the moderator's ban, lowest id first."""
    app = make_app(postgres.fresh(), policy=_installation_policy(tmp_path))
    _site(app, "sister")

    def post(c: TestClient, case: dict[str, Any]) -> int:
        return c.post(T, json={"text": STRUCK_TEXT}, params={"site": "sister"}, headers=case["reader"]).status_code

    def setup(c: TestClient, n: int) -> dict[str, Any]:
        case = _reader(c, f"third-strike-{n}")
        assert [post(c, case), post(c, case)] == [422, 422]  # a warning, then a suspension
        r = c.post(f"/api/v1/mod/accounts/{case['aids']['sister']}/restore", json={"reason": "Second chance."},
                   params={"site": "sister"}, headers=MOD)
        assert r.status_code == 200 and r.json()["cleared_strikes"] == [], r.text
        return case

    with TestClient(app, raise_server_exceptions=False) as client:
        # 403: the moderator's ban, carried to the sister site, came first; 409: the ladder's, carried here
        cases = _race(client, setup, post, _ban("default", MOD2), ({422, 403}, {201, 409}))
        _banned_everywhere(client, cases)
    _consistent(app, {aid for case in cases for aid in case["aids"].values()})


def test_a_troll_cluster_confirmed_on_one_site_while_a_moderator_bans_a_member_on_another(make_app, postgres,
                                                                                          tmp_path: Path) -> None:
    """A moderator confirms a coordination flag on the sister site, which bans its member (the higher id) and
    carries the ban to the member's default account; meanwhile another moderator bans that default account.
    The confirmation locks every member, and the accounts its bans are carried to, in id order first."""
    app = make_app(postgres.fresh(), policy=_installation_policy(tmp_path))
    _site(app, "sister")

    def setup(c: TestClient, n: int) -> dict[str, Any]:
        case = _reader(c, f"cluster-{n}")
        with app.services.db.write() as conn:  # as the clustering files one (townhall.trolls)
            flag = moderation.insert_flag(conn, site_id="sister", kind=FlagKind.COORDINATION.value,
                                          state=FlagState.OPEN.value, score=0.9, accounts=[case["aids"]["sister"]],
                                          evidence={}, key=f"cluster-{n}", created_at=app.services.now())
        return {**case, "flag": flag}

    def confirm(c: TestClient, case: dict[str, Any]) -> int:
        return c.post(f"/api/v1/mod/flags/{case['flag']}/decision", json={"outcome": "confirm"},
                      params={"site": "sister"}, headers=MOD).status_code

    with TestClient(app, raise_server_exceptions=False) as client:
        # 409: the confirmation's ban, carried here, came first
        cases = _race(client, setup, confirm, _ban("default", MOD2), ({200}, {201, 409}))
        _banned_everywhere(client, cases)
    _consistent(app, {aid for case in cases for aid in case["aids"].values()})


def test_reject_all_on_one_site_while_a_moderator_bans_the_person_on_another(make_app, postgres, tmp_path: Path) -> None:
    """Rejecting all of a reader's comments on the sister site confirms the strike of each one a strike-bearing
    rule held: the third climbs the ladder to a ban, carried to the default site, while another moderator bans
    the reader's default account."""
    app = make_app(postgres.fresh(), policy=_installation_policy(tmp_path))
    _site(app, "sister")

    def setup(c: TestClient, n: int) -> dict[str, Any]:
        case = _reader(c, f"reject-all-{n}")
        for _ in range(3):
            r = c.post(T, json={"text": HELD_TEXT}, params={"site": "sister"}, headers=case["reader"])
            assert r.status_code == 201 and r.json()["comment"]["status"] == "held", r.text
        return case

    def reject_all(c: TestClient, case: dict[str, Any]) -> int:
        return c.post(f"/api/v1/mod/accounts/{case['aids']['sister']}/reject-all", json={"reason": "Rude."},
                      params={"site": "sister"}, headers=MOD).status_code

    with TestClient(app, raise_server_exceptions=False) as client:
        cases = _race(client, setup, reject_all, _ban("default", MOD2), ({200}, {201, 409}))
        _banned_everywhere(client, cases)
    _consistent(app, {aid for case in cases for aid in case["aids"].values()})
