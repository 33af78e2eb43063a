"""A moderator's restore either lifts the sanctions and leaves the strikes standing (the next violation
climbs the ladder from where it stopped) or, with ``clear_strikes``, also revokes the strikes in force (the
next violation is a first strike again). Through the HTTP API and the dashboard, on SQLite and PostgreSQL."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from starlette.testclient import TestClient

from tests.dashboard.helpers import add_moderator, csrf_token, sign_in
from tests.enforcement.test_ladder import MOD, T, abusive_texts, audit_actions
from tests.fixtures_app import SSO_SECRET, Clock, auth, make_token
from townhall.store import content

FETCH = {"X-Requested-With": "fetch"}


def _me(client: TestClient, reader: dict[str, str], **params: str) -> dict:
    r = client.get("/api/v1/me", params=params, headers=reader)
    assert r.status_code == 200, r.text
    return r.json()


def _strike(client: TestClient, reader: dict[str, str], text: str, **params: str) -> None:
    r = client.post(T, params=params, json={"text": text}, headers=reader)
    assert r.status_code == 422 and r.json()["error"]["code"] == "rejected_by_house_rules", r.text


def _banned(client: TestClient, clock: Clock, abuse: list[str], sub: str) -> tuple[dict[str, str], int]:
    """A reader the ladder banned: three strikes (warned, suspended for a day, banned)."""
    reader = auth(sub)
    _strike(client, reader, abuse[0])
    _strike(client, reader, abuse[1])
    clock.advance(hours=25)  # the suspension runs out
    _strike(client, reader, abuse[2])
    me = _me(client, reader)
    assert me["state"] == "banned" and me["active_strikes"] == 3
    return reader, int(me["id"])


def _restore(client: TestClient, aid: int, headers: dict[str, str] = MOD, **body: object) -> dict:
    r = client.post(f"/api/v1/mod/accounts/{aid}/restore", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _restore_entries(client: TestClient, aid: int, **params: str) -> list[dict]:
    return audit_actions(client, action="account.restore", subject_type="account", subject_id=str(aid), **params)


def test_clearing_strikes_starts_the_ladder_again(app, client: TestClient, clock: Clock) -> None:
    abuse = abusive_texts(app)
    reader, aid = _banned(client, clock, abuse, "clean-slate")
    strikes = sorted(a["id"] for a in _me(client, reader)["actions"] if a["kind"] == "strike")
    out = _restore(client, aid, reason="Provoked; given a fresh start.", clear_strikes=True)
    assert out["account_id"] == aid and out["cleared_strikes"] == strikes

    me = _me(client, reader)  # what the reader reads about their standing
    assert me["state"] == "active" and me["sanction"] is None and me["active_strikes"] == 0
    assert all(a["revoked"] for a in me["actions"] if a["kind"] != "restore")
    told = [a["reason"] for a in me["actions"] if a["kind"] == "restore"]
    assert told == ["Provoked; given a fresh start. (3 strikes cleared)"]
    history = client.get(f"/api/v1/mod/accounts/{aid}", headers=MOD).json()
    assert history["active_strikes"] == 0 and history["account"]["state"] == "active"

    [entry] = _restore_entries(client, aid)  # the audit log lists what was revoked
    assert entry["details"]["clear_strikes"] is True and entry["details"]["cleared_strikes"] == strikes
    assert entry["details"]["reason"] == "Provoked; given a fresh start." and entry["details"]["still_in_force"] is None
    ban = next(a["id"] for a in me["actions"] if a["kind"] == "ban")
    assert ban in entry["details"]["revoked"]

    assert client.post(T, json={"text": "Thank you; I will keep it civil."}, headers=reader).status_code == 201
    _strike(client, reader, abuse[3])  # the next violation is a first strike: a warning, no suspension or ban
    me = _me(client, reader)
    assert me["active_strikes"] == 1 and me["state"] == "warned" and me["sanction"] is None
    assert client.post(T, json={"text": "Still here, still civil."}, headers=reader).status_code == 201


def test_without_clearing_the_strikes_stand(app, client: TestClient, clock: Clock) -> None:
    abuse = abusive_texts(app)
    reader, aid = _banned(client, clock, abuse, "same-old")
    out = _restore(client, aid, reason="Lifted for now.")
    assert out["cleared_strikes"] == []
    me = _me(client, reader)
    assert me["state"] == "active" and me["active_strikes"] == 3
    assert [a["reason"] for a in me["actions"] if a["kind"] == "restore"] == ["Lifted for now."]
    [entry] = _restore_entries(client, aid)
    assert entry["details"]["clear_strikes"] is False and entry["details"]["cleared_strikes"] == []
    _strike(client, reader, abuse[3])  # a fourth strike: straight back to a ban
    assert _me(client, reader)["state"] == "banned"


def test_clearing_when_no_strike_is_in_force(app, client: TestClient, clock: Clock) -> None:
    abuse = abusive_texts(app)
    never = auth("never-struck")
    aid = int(_me(client, never)["id"])
    assert _restore(client, aid, clear_strikes=True)["cleared_strikes"] == []  # nothing to lift: no error
    assert _me(client, never)["active_strikes"] == 0

    warned = auth("warned-by-a-moderator")
    aid = int(_me(client, warned)["id"])
    r = client.post(f"/api/v1/mod/accounts/{aid}/sanctions", json={"sanction": "warn", "reason": "Off topic"}, headers=MOD)
    assert r.status_code == 201
    assert _restore(client, aid, clear_strikes=True)["cleared_strikes"] == []
    me = _me(client, warned)
    assert me["state"] == "active" and [a["reason"] for a in me["actions"] if a["kind"] == "restore"] == ["Lifted by a moderator"]

    old = auth("old-strike")
    _strike(client, old, abuse[0])
    clock.advance(days=91)  # the strike ran out: it is history, not in force, and stays as it was
    aid = int(_me(client, old)["id"])
    assert _restore(client, aid, clear_strikes=True)["cleared_strikes"] == []
    me = _me(client, old)
    assert me["active_strikes"] == 0 and [a["revoked"] for a in me["actions"] if a["kind"] == "strike"] == [False]


def test_clear_strikes_takes_only_a_json_boolean(app, client: TestClient) -> None:
    abuse = abusive_texts(app)
    reader = auth("strict")
    _strike(client, reader, abuse[0])
    aid = int(_me(client, reader)["id"])
    url = f"/api/v1/mod/accounts/{aid}/restore"
    for bad in ("yes", "true", 1, None, [True]):
        r = client.post(url, json={"clear_strikes": bad}, headers=MOD)
        assert r.status_code == 422, (bad, r.text)
        assert set(r.json()) == {"error"} and r.json()["error"]["code"] == "invalid"
    r = client.post(f"/api/v1/mod/accounts/{aid}/reject-all", json={"reason": "x", "clear_strikes": True}, headers=MOD)
    assert r.status_code == 422  # only the restore takes the option
    me = _me(client, reader)
    assert me["active_strikes"] == 1 and me["state"] == "warned"


def test_reversing_an_appeal_after_a_clear_brings_nothing_back(app, client: TestClient) -> None:
    abuse = abusive_texts(app)
    reader = auth("appealed-then-cleared")
    _strike(client, reader, abuse[0])
    _strike(client, reader, abuse[1])
    me = _me(client, reader)
    assert me["state"] == "suspended"
    first, second = sorted(a["id"] for a in me["actions"] if a["kind"] == "strike")
    suspension = me["sanction"]["action_id"]
    assert client.post(f"/api/v1/me/actions/{suspension}/appeal", json={"text": "Please."}, headers=reader).status_code == 201

    assert _restore(client, int(me["id"]), clear_strikes=True)["cleared_strikes"] == [first, second]
    r = client.post(f"/api/v1/me/actions/{first}/appeal", json={"text": "And this one?"}, headers=reader)
    assert r.status_code == 409  # a cleared strike has already been lifted

    # lifting the suspension closed its appeal (nothing left to decide): it left the queue, and answering it
    # now is refused
    assert all(a["action_id"] != suspension for a in client.get("/api/v1/mod/queues/appeals", headers=MOD).json()["items"])
    appeal = next(a for a in client.get(f"/api/v1/mod/accounts/{me['id']}", headers=MOD).json()["appeals"]
                  if a["action_id"] == suspension)
    assert appeal["state"] == "moot"
    r = client.post(f"/api/v1/mod/appeals/{appeal['id']}/decision", json={"outcome": "reverse", "response": "Granted."}, headers=MOD)
    assert r.status_code == 409 and r.json()["error"]["code"] == "appeal_moot", r.text
    me = _me(client, reader)
    assert me["state"] == "active" and me["sanction"] is None and me["active_strikes"] == 0
    assert all(a["revoked"] for a in me["actions"] if a["kind"] in ("strike", "warn", "suspend"))
    _strike(client, reader, abuse[2])  # still a first strike
    me = _me(client, reader)
    assert me["active_strikes"] == 1 and me["state"] == "warned"


def _site(app, site_id: str, secret: str = SSO_SECRET) -> None:
    with app.services.db.write() as conn:
        content.insert_site(conn, id=site_id, name=site_id, sso_secret=secret, allow_guests=False,
                            auto_create_threads=True, policy_path=None, origins=[], created_at=app.services.now())


def test_a_carried_ban_is_lifted_but_the_other_sites_strikes_stand(make_app, db_url: str, tmp_path: Path,
                                                                   clock: Clock) -> None:
    text = (resources.files("townhall.policy") / "default.policy.toml").read_text()
    policy = tmp_path / "network.policy.toml"
    policy.write_text(text.replace('ban_scope = "site"', 'ban_scope = "installation"'))
    app = make_app(db_url, policy=str(policy))
    _site(app, "sister")
    abuse = abusive_texts(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        person = auth("network-reader")
        _strike(client, person, abuse[0], site="sister")  # an offence of its own on the sister site
        elsewhere = _me(client, person, site="sister")
        assert elsewhere["active_strikes"] == 1
        _reader, aid = _banned(client, clock, abuse, "network-reader")
        assert _me(client, person, site="sister")["state"] == "banned"  # the ban was carried

        assert len(_restore(client, aid, clear_strikes=True)["cleared_strikes"]) == 3
        assert _me(client, person)["active_strikes"] == 0
        elsewhere = _me(client, person, site="sister")
        assert elsewhere["state"] == "warned" and elsewhere["sanction"] is None and elsewhere["active_strikes"] == 1
        [entry] = _restore_entries(client, int(elsewhere["id"]), site="sister")
        assert entry["details"]["cleared_strikes"] == [] and entry["details"]["clear_strikes"] is False


def test_a_moderator_of_another_site_cannot_clear_strikes(app, client: TestClient) -> None:
    abuse = abusive_texts(app)
    reader = auth("not-yours")
    _strike(client, reader, abuse[0])
    aid = int(_me(client, reader)["id"])
    other_secret = "the-other-publisher-secret-long-enough"
    _site(app, "other", other_secret)
    other_mod = {"Authorization": "Bearer " + make_token("omod", role="moderator", secret=other_secret)}
    r = client.post(f"/api/v1/mod/accounts/{aid}/restore", params={"site": "other"}, json={"clear_strikes": True},
                    headers=other_mod)
    assert r.status_code == 403 and set(r.json()["error"]) == {"code", "message", "details"}
    me = _me(client, reader)
    assert me["active_strikes"] == 1 and me["state"] == "warned"
    assert _restore_entries(client, aid) == []


def test_erasure_rules_hold_around_a_clear(app, client: TestClient, clock: Clock) -> None:
    abuse = abusive_texts(app)
    reader, aid = _banned(client, clock, abuse, "erased-while-banned")
    assert client.delete("/api/v1/me", headers=reader).status_code == 200
    assert _me(client, reader)["id"] == aid  # erasure is no way out of the ban ...
    assert len(_restore(client, aid, clear_strikes=True)["cleared_strikes"]) == 3  # ... a moderator's restore is
    me = _me(client, reader)
    assert me["state"] == "active" and me["active_strikes"] == 0
    assert client.post(T, json={"text": "Back, and civil."}, headers=reader).status_code == 201
    # now in good standing, the account is erased for good: the same sign-in starts afresh
    assert client.delete("/api/v1/me", headers=reader).status_code == 200
    assert _me(client, reader)["id"] != aid


def test_the_dashboard_offers_and_applies_the_option(app, client: TestClient) -> None:
    abuse = abusive_texts(app)
    add_moderator(app.services, "mod@example.org")
    sign_in(client, "mod@example.org")
    reader = auth("dashboard-reader")
    _strike(client, reader, abuse[0])
    _strike(client, reader, abuse[1])
    aid = int(_me(client, reader)["id"])
    page = client.get(f"/admin/accounts/{aid}")
    assert page.status_code == 200
    assert f'action="/admin/accounts/{aid}/restore"' in page.text
    assert 'name="clear_strikes" value="yes"' in page.text and "Also clear the 2 strikes" in page.text
    token = csrf_token(page.text)
    url = f"/admin/accounts/{aid}/restore"

    r = client.post(url, data={"csrf_token": token, "reason": "Fresh start", "clear_strikes": "maybe"}, headers=FETCH)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid"
    assert _me(client, reader)["active_strikes"] == 2  # nothing changed

    r = client.post(url, data={"csrf_token": token, "reason": "Lifted"}, headers=FETCH)  # unticked: strikes stand
    assert r.status_code == 200 and r.json()["ok"] is True and r.json()["cleared_strikes"] == []
    me = _me(client, reader)
    assert me["state"] == "active" and me["active_strikes"] == 2
    page = client.get(f"/admin/accounts/{aid}")  # no sanction left, but strikes: the form stays, to clear them
    assert "(2 active strikes)" in page.text and 'name="clear_strikes" value="yes" checked' in page.text
    assert ">Clear strikes</button>" in page.text

    r = client.post(url, data={"csrf_token": token, "reason": "Fresh start", "clear_strikes": "yes"}, follow_redirects=False)
    assert r.status_code == 303  # a plain form post goes back
    me = _me(client, reader)
    assert me["state"] == "active" and me["active_strikes"] == 0
    page = client.get(f"/admin/accounts/{aid}")
    assert "(0 active strikes)" in page.text and f'action="/admin/accounts/{aid}/restore"' not in page.text
    entries = client.get("/admin/audit.jsonl?action=account.restore").text
    assert '"cleared_strikes"' in entries and "mod:mod@example.org" in entries
