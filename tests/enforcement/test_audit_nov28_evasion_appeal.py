"""Found by an audit (2026-11-28; each test failed before its fix): a reader premoderated as a suspected ban evader appeals and a moderator reverses (not an evader). Their
next comment, from the same device, must not premoderate them again on the very evidence the moderator rejected."""

from __future__ import annotations

from tests.enforcement.test_evasion_network import (MOD, TEXTS, app, ban_after_posting, from_ip, me, mod,  # noqa: F401
                                                    post)
from tests.fixtures_app import auth


def test_a_premoderation_reversed_on_appeal_is_not_taken_again_on_the_same_evidence(app, mod) -> None:  # noqa: F811
    ban_after_posting(app, mod, "203.0.113.7", device="shared-family-pc")
    sibling = from_ip(app, "198.51.100.99")
    assert post(sibling, "sibling", TEXTS[3], device="shared-family-pc")["verdict"] == "held"
    premod = me(sibling, "sibling")["premoderation"]
    assert premod is not None and premod["rule"] == "evasion"
    r = sibling.post(f"/api/v1/me/actions/{premod['action_id']}/appeal", json={"text": "That is my brother's PC."},
                     headers=auth("sibling"))
    assert r.status_code == 201, r.text
    appeal = next(a for a in mod.get("/api/v1/mod/queues/appeals", headers=MOD).json()["items"]
                  if a["action_id"] == premod["action_id"])
    r = mod.post(f"/api/v1/mod/appeals/{appeal['id']}/decision", json={"outcome": "reverse", "response": "Not an evader."},
                 headers=MOD)
    assert r.status_code == 200, r.text
    assert me(sibling, "sibling")["premoderation"] is None
    # the next comment from the same family PC
    second = post(sibling, "sibling", TEXTS[4], device="shared-family-pc")
    state = me(sibling, "sibling")
    assert second["verdict"] == "published" and state["premoderation"] is None, (second["verdict"], state["premoderation"])
