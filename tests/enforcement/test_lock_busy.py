"""A write transaction PostgreSQL rolls back to break a deadlock is answered 503 ``busy`` with ``Retry-After``,
not a server error: it was rolled back whole, and the same request sent again goes through.

Accounts among themselves still have no lock order (see :func:`townhall.store.people.get_account`): a ban
carried to the same person's accounts on other sites (``ban_scope = "installation"``) locks them after the
account it started from, so two moderators banning that person on two sites at once can deadlock. That is
what the race below provokes; before, the loser got a 500."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.enforcement.test_lock_order import MOD, MOD2, ROUNDS, _race
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
    app = make_app(postgres.fresh(), policy=_installation_policy(tmp_path))
    _site(app, "sister")
    busy = 0

    def ban(site: str | None, headers: dict[str, str]) -> Any:
        def request(c: TestClient, case: dict[str, Any]) -> int:
            nonlocal busy
            aid = case["aids"][site or "default"]
            for _ in range(3):
                r = c.post(f"/api/v1/mod/accounts/{aid}/sanctions", json={"sanction": "ban", "reason": "Abuse."},
                           params={"site": site}, headers=headers)
                if r.status_code != 503:
                    return r.status_code
                assert r.json()["error"]["code"] == "busy" and r.headers["retry-after"] == "1", r.text
                busy += 1
            return r.status_code
        return request

    def setup(c: TestClient, n: int) -> dict[str, Any]:
        reader = auth(f"two-sites-{n}")
        aids = {site: c.get("/api/v1/me", params={"site": site}, headers=reader).json()["id"]
                for site in ("default", "sister")}
        return {"reader": reader, "aids": aids}

    with TestClient(app, raise_server_exceptions=False) as client:
        # 409: the other ban, carried here, came first
        cases = _race(client, setup, ban("default", MOD), ban("sister", MOD2), ({201, 409}, {201, 409}))
        for case in cases:  # whoever won, the person is banned on both sites
            for site in ("default", "sister"):
                me = client.get("/api/v1/me", params={"site": site}, headers=case["reader"]).json()
                assert me["state"] == "banned", (site, me)
    print(f"{busy} of {2 * ROUNDS} bans were sent again after 503 busy")
