"""One event, one appeal: a rule's strike for a comment and the ladder's sanction taken with it are lifted together
whichever is reversed, so an appeal of one decides the other; a second appeal is refused (409 appeal_covered) and
the reader is shown the first one's state on both. Strikes for other comments are appealed on their own. Through
the HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

from starlette.testclient import TestClient

from tests.enforcement.test_ladder import MOD, T, abusive_texts
from tests.fixtures_app import Clock, auth
from townhall.app import Townhall


def _me(client: TestClient, reader: dict[str, str]) -> dict[str, Any]:
    r = client.get("/api/v1/me", headers=reader)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _kinds(me: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The reader's actions by kind (the last of each kind)."""
    return {a["kind"]: a for a in me["actions"]}


def _appeal(client: TestClient, reader: dict[str, str], action_id: int) -> Any:
    return client.post(f"/api/v1/me/actions/{action_id}/appeal", json={"text": "Please look again."}, headers=reader)


def _abuse(client: TestClient, reader: dict[str, str], text: str) -> None:
    r = client.post(T, json={"text": text}, headers=reader)
    assert r.status_code == 422 and r.json()["error"]["code"] == "rejected_by_house_rules", r.text


def test_a_strike_and_the_warning_it_brought_take_one_appeal(app: Townhall, client: TestClient) -> None:
    abuse = abusive_texts(app)
    reader = auth("one-event")
    _abuse(client, reader, abuse[0])
    acts = _kinds(_me(client, reader))
    strike, warning = acts["strike"], acts["warn"]
    assert strike["can_appeal"] and warning["can_appeal"]

    r = _appeal(client, reader, warning["id"])
    assert r.status_code == 201, r.text
    appeal_id = r.json()["appeal_id"]
    me = _me(client, reader)
    acts = _kinds(me)
    assert acts["warn"]["appeal"] == {"state": "open", "response": None} and not acts["warn"]["can_appeal"]
    # the strike shows the appeal that decides it, and cannot be appealed again
    assert acts["strike"]["appeal"] == {"state": "open", "response": None} and not acts["strike"]["can_appeal"]
    assert me["warning"]["appeal"]["state"] == "open" and me["warning"]["can_appeal"] is False

    r = _appeal(client, reader, strike["id"])
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "appeal_covered"
    assert r.json()["error"]["details"] == {"appeal_id": appeal_id, "action_id": warning["id"]}
    queue = client.get("/api/v1/mod/queues/appeals", headers=MOD).json()["items"]
    assert [i["id"] for i in queue] == [appeal_id]  # one question for the moderators

    # upheld: the strike stands with the answer, still not appealable; reversed would have lifted both
    r = client.post(f"/api/v1/mod/appeals/{appeal_id}/decision", json={"outcome": "uphold", "response": "It was abuse."},
                    headers=MOD)
    assert r.status_code == 200, r.text
    acts = _kinds(_me(client, reader))
    assert acts["strike"]["appeal"] == {"state": "upheld", "response": "It was abuse."}
    assert not acts["strike"]["can_appeal"]
    assert _appeal(client, reader, strike["id"]).status_code == 409


def test_reversing_the_strikes_appeal_lifts_the_warning_it_covered(app: Townhall, client: TestClient) -> None:
    abuse = abusive_texts(app)
    reader = auth("one-event-reversed")
    _abuse(client, reader, abuse[0])
    acts = _kinds(_me(client, reader))
    r = _appeal(client, reader, acts["strike"]["id"])
    assert r.status_code == 201, r.text
    assert _appeal(client, reader, acts["warn"]["id"]).json()["error"]["code"] == "appeal_covered"
    r = client.post(f"/api/v1/mod/appeals/{r.json()['appeal_id']}/decision",
                    json={"outcome": "reverse", "response": "Not abuse."}, headers=MOD)
    assert r.status_code == 200, r.text
    me = _me(client, reader)
    assert me["state"] == "active" and me["warning"] is None and me["active_strikes"] == 0
    assert all(a["revoked"] for a in me["actions"] if a["kind"] in ("strike", "warn"))


def test_a_strike_for_another_comment_is_appealed_on_its_own(app: Townhall, client: TestClient, clock: Clock) -> None:
    abuse = abusive_texts(app)
    reader = auth("two-events")
    _abuse(client, reader, abuse[0])  # strike 1 and the warning
    first = _kinds(_me(client, reader))
    assert _appeal(client, reader, first["warn"]["id"]).status_code == 201
    _abuse(client, reader, abuse[1])  # strike 2 and the suspension (it counts both strikes)
    me = _me(client, reader)
    second_strike = [a for a in me["actions"] if a["kind"] == "strike"][-1]
    assert second_strike["id"] != first["strike"]["id"]
    assert second_strike["can_appeal"] and second_strike["appeal"] is None
    r = _appeal(client, reader, second_strike["id"])
    assert r.status_code == 201, r.text
    # the suspension goes with the second strike: covered by that appeal, not by the first one
    suspension = _kinds(_me(client, reader))["suspend"]
    assert not suspension["can_appeal"]
    r = _appeal(client, reader, suspension["id"])
    assert r.status_code == 409 and r.json()["error"]["details"]["action_id"] == second_strike["id"], r.text


def test_a_moderators_own_sanction_is_never_covered(app: Townhall, client: TestClient) -> None:
    abuse = abusive_texts(app)
    reader = auth("mod-and-rule")
    _abuse(client, reader, abuse[0])
    acts = _kinds(_me(client, reader))
    assert _appeal(client, reader, acts["strike"]["id"]).status_code == 201
    r = client.post(f"/api/v1/mod/accounts/{_me(client, reader)['id']}/sanctions",
                    json={"sanction": "suspend", "reason": "Repeated abuse", "hours": 48}, headers=MOD)
    assert r.status_code == 201, r.text
    r = _appeal(client, reader, r.json()["action_id"])
    assert r.status_code == 201, r.text


def test_two_appeals_of_one_event_sent_at_once_file_one(app: Townhall, client: TestClient) -> None:
    abuse = abusive_texts(app)
    for n in range(3):
        reader = auth(f"racing-appeals-{n}")
        _abuse(client, reader, abuse[0])
        acts = _kinds(_me(client, reader))
        barrier = threading.Barrier(2)
        codes: list[int] = []

        def send(action_id: int) -> None:
            barrier.wait()
            codes.append(_appeal(client, reader, action_id).status_code)

        threads = [threading.Thread(target=send, args=(acts[k]["id"],)) for k in ("strike", "warn")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(codes) == [201, 409], codes
