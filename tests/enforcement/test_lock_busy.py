"""A write transaction PostgreSQL rolls back to break a deadlock is answered 503 ``busy`` with ``Retry-After``,
not a server error: it was rolled back whole, and the same request sent again goes through.

That answer is the safety net, not the plan: paths that lock several accounts of one person lock them in
one order (ascending id, :func:`townhall.store.people.lock_person`). Before, a ban carried to the same
person's accounts on other sites (``ban_scope = "installation"``) locked them after the account it started
from, and two moderators banning that person on two sites at once deadlocked (11 of 24 bans were sent again
after 503 busy); the race below now asserts that none is."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.enforcement.test_lock_order import MOD, MOD2, _race
from tests.enforcement.test_scope import _installation_policy, _site
from tests.fixtures_app import auth
from townhall.service.errors import DatabaseBusy
from townhall.store import people

pytestmark = [pytest.mark.postgres]


def test_a_deadlock_rolls_back_one_transaction_as_busy(make_app, postgres) -> None:
    """Two transactions lock two accounts in opposite orders: PostgreSQL breaks the cycle; the one it picks
    raises DatabaseBusy (and keeps nothing), the other commits."""
    app = make_app(postgres.fresh())
    svc = app.services
    with TestClient(app) as client:
        ids = [client.get("/api/v1/me", headers=auth(sub)).json()["id"] for sub in ("deadlock-a", "deadlock-b")]
    both_hold_one = threading.Barrier(2)
    outcome: list[Any] = [None, None]

    def run(i: int) -> None:
        first, second = (ids[0], ids[1]) if i == 0 else (ids[1], ids[0])
        try:
            with svc.db.write() as conn:
                people.get_account(conn, first, for_update=True)
                both_hold_one.wait(10)
                people.get_account(conn, second, for_update=True)
            outcome[i] = "committed"
        except DatabaseBusy as exc:
            outcome[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(type(o).__name__ for o in outcome) == ["DatabaseBusy", "str"], outcome
    assert "deadlock" in str(next(o for o in outcome if isinstance(o, DatabaseBusy)))


def test_two_moderators_ban_one_person_on_two_sites_at_once(make_app, postgres, tmp_path: Path) -> None:
    """Each ban locks both of the person's accounts, lowest id first, before changing either: the second
    waits for the first, then finds the ban in force (409). No deadlock, so no request is answered busy."""
    app = make_app(postgres.fresh(), policy=_installation_policy(tmp_path))
    _site(app, "sister")

    def ban(site: str, headers: dict[str, str]) -> Any:
        def request(c: TestClient, case: dict[str, Any]) -> int:
            r = c.post(f"/api/v1/mod/accounts/{case['aids'][site]}/sanctions", json={"sanction": "ban", "reason": "Abuse."},
                       params={"site": site}, headers=headers)
            case["codes"].append(r.status_code)
            return r.status_code
        return request

    def setup(c: TestClient, n: int) -> dict[str, Any]:
        reader = auth(f"two-sites-{n}")
        aids = {site: c.get("/api/v1/me", params={"site": site}, headers=reader).json()["id"]
                for site in ("default", "sister")}
        return {"reader": reader, "aids": aids, "codes": []}

    with TestClient(app, raise_server_exceptions=False) as client:
        # 409: the other ban, carried here, came first; a 503 (a deadlock broken) fails the round
        cases = _race(client, setup, ban("default", MOD), ban("sister", MOD2), ({201, 409}, {201, 409}))
        for case in cases:  # one ban took effect, and holds on both sites (the original and its copy)
            assert sorted(case["codes"]) == [201, 409], case
            for site in ("default", "sister"):
                me = client.get("/api/v1/me", params={"site": site}, headers=case["reader"]).json()
                assert me["state"] == "banned", (site, me)
                bans = [a for a in me["actions"] if a["kind"] == "ban"]
                assert len(bans) == 1, (site, me["actions"])
