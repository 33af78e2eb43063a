"""Found by an audit (2026-11-28; each test failed before its fix): an evasion premoderation rests on a ban; once that ban is found wrong, or a moderator dismisses the
evasion flag, the premoderation (and the comments it alone held) must not stay."""

from __future__ import annotations

from tests.enforcement.test_evasion_network import (MOD, T, TEXTS, app, ban_after_posting, evasion_flags, from_ip,  # noqa: F401
                                                    me, mod, post)


def _reverse_ban(c, sub: str, action_id: int) -> None:
    r = c.post(f"/api/v1/me/actions/{action_id}/appeal", json={"text": "I did nothing wrong."}, headers=__import__(
        "tests.fixtures_app", fromlist=["auth"]).auth(sub))
    assert r.status_code == 201, r.text
    appeal = next(a for a in c.get("/api/v1/mod/queues/appeals", headers=MOD).json()["items"] if a["action_id"] == action_id)
    r = c.post(f"/api/v1/mod/appeals/{appeal['id']}/decision", json={"outcome": "reverse", "response": "Our mistake."},
               headers=MOD)
    assert r.status_code == 200, r.text


def test_an_evasion_premoderation_ends_with_the_ban_reversed_on_appeal(app, mod) -> None:  # noqa: F811
    banned_id = ban_after_posting(app, mod, "203.0.113.7", device="device-of-the-banned")
    banned = from_ip(app, "203.0.113.7")
    ban = next(a for a in me(banned, "banned-reader")["actions"] if a["kind"] == "ban")
    evader = from_ip(app, "198.51.100.99")
    held = post(evader, "evader", TEXTS[3], device="device-of-the-banned")
    assert held["verdict"] == "held" and me(evader, "evader")["state"] == "premoderated"

    _reverse_ban(mod, "banned-reader", ban["id"])
    assert me(banned, "banned-reader")["state"] == "active"
    # the ban was wrong: nobody "shares a device with a banned account" any more
    state = me(evader, "evader")
    assert state["premoderation"] is None and state["state"] == "active", state["premoderation"]
    assert banned_id


def test_dismissing_an_evasion_flag_lifts_the_premoderation_it_took(app, mod) -> None:  # noqa: F811
    ban_after_posting(app, mod, "203.0.113.7", device="device-of-the-banned")
    evader = from_ip(app, "198.51.100.99")
    post(evader, "evader", TEXTS[3], device="device-of-the-banned")
    evader_id = int(me(evader, "evader")["id"])
    assert me(evader, "evader")["state"] == "premoderated"
    flag = evasion_flags(mod)[evader_id]
    r = mod.post(f"/api/v1/mod/flags/{flag['id']}/decision", json={"outcome": "dismiss", "reason": "Same family PC, not an evader."},
                 headers=MOD)
    assert r.status_code == 200, r.text
    state = me(evader, "evader")
    assert state["premoderation"] is None and state["state"] == "active", state["premoderation"]
