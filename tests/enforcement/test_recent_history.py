"""``[history] hold_rejected_share``: a reader whose recent comments were mostly rejected has their next comments held
for a moderator (Coral's "Recent history"), with the hit ``recent_history`` and the evidence "N of M comments in the
last D days were rejected". Off by default; no strike, no sanction; moderators are never held. Through the HTTP API
with the test clock, on SQLite (and PostgreSQL where the test takes ``db_url``); ``townhall policy check`` says what
the setting does and refuses bad values."""

from __future__ import annotations

from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any, Iterator

import click
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.commands.policy import register

from tests.fixtures_app import AppFactory, Clock, auth
from tests.policy.stubs import NoModelResources

DEFAULT = importlib_resources.files("townhall.policy").joinpath("default.policy.toml").read_text(encoding="utf-8")
T = "/api/v1/threads/history/comments"
MOD = auth("history-mod", role="moderator")
F_WORD = "What the fuck is this council doing."


def _policy(tmp_path: Path, share: str = "0.5", days: str = "7", min_comments: str = "3") -> Path:
    text = DEFAULT
    for old, new in (("hold_rejected_share = 0 ", f"hold_rejected_share = {share} "), ("\ndays = 7 ", f"\ndays = {days} "),
                     ("min_comments = 3 ", f"min_comments = {min_comments} ")):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "history.policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _client(make_app: AppFactory, url: str, policy: Path | None) -> Iterator[TestClient]:
    app = make_app(url, **({"policy": str(policy)} if policy else {}), page_cache_seconds=0)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def history(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """hold at 50% rejected, of at least 3 judged comments of the last 7 days (SQLite)"""
    yield from _client(make_app, sqlite_url, _policy(tmp_path))


def _post(client: TestClient, reader: dict[str, str], text: str, thread: str = T) -> dict[str, Any]:
    r = client.post(thread, json={"text": text}, headers=reader)
    assert r.status_code == 201, r.text
    return r.json()["comment"]  # type: ignore[no-any-return]


def _refused(client: TestClient, reader: dict[str, str], text: str = F_WORD) -> int:
    r = client.post(T, json={"text": text}, headers=reader)
    assert r.status_code == 422 and r.json()["error"]["code"] == "rejected_by_house_rules", r.text
    return int(r.json()["error"]["details"]["comment_id"])


def _decide(client: TestClient, comment_id: int, action: str) -> None:
    r = client.post(f"/api/v1/mod/comments/{comment_id}/decision", json={"action": action, "reason": "Checked."},
                    headers=MOD)
    assert r.status_code == 200, r.text


def _visible(client: TestClient) -> list[int]:
    r = client.get(T)
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["comments"]]


def _held_for_history(comment: dict[str, Any], evidence: str) -> None:
    assert comment["status"] == "held", comment
    assert [h["rule"] for h in comment["hits"]] == ["recent_history"], comment["hits"]
    hit = comment["hits"][0]
    assert hit["evidence"] == evidence and hit["action"] == "hold" and hit["strike"] is False
    assert "recent comments were rejected" in hit["description"]


# --- off by default -------------------------------------------------------------------------------------------------
def test_off_by_default_nothing_is_held(make_app: AppFactory, sqlite_url: str) -> None:
    for client in _client(make_app, sqlite_url, None):
        reader = auth("default-site-reader")
        for _ in range(4):
            _refused(client, reader)
        assert _post(client, reader, "A calm remark about the harbour.")["status"] == "published"
        assert client.get("/api/v1/me", headers=reader).json()["premoderation"] is None


# --- the hold: at the threshold, not below min_comments, moderators never ---------------------------------------
def test_held_at_the_threshold_with_the_hit_and_its_evidence(make_app: AppFactory, db_url: str, tmp_path: Path) -> None:
    for client in _client(make_app, db_url, _policy(tmp_path)):  # SQLite and PostgreSQL
        reader = auth("often-refused")
        _post(client, reader, "First, a fair point about the budget.")  # 0 of 1
        _refused(client, reader)  # 1 of 2 rejected: 50%, but only 2 judged (min_comments = 3)
        assert _post(client, reader, "Second, the schools.")["status"] == "published"  # now 1 of 3: 33%
        _refused(client, reader)  # 2 of 4: 50%, at the threshold
        held = _post(client, reader, "Third, the trams.")
        _held_for_history(held, "2 of 4 comments in the last 7 days were rejected")
        assert held["id"] not in _visible(client)
        queue = client.get("/api/v1/mod/queues/held", headers=MOD).json()["items"]
        item = next(c for c in queue if c["id"] == held["id"])
        assert [h["evidence"] for h in item["decision"]["hits"] if h["rule"] == "recent_history"] == [
            "2 of 4 comments in the last 7 days were rejected"]


def test_below_the_threshold_not_held(history: TestClient) -> None:
    reader = auth("mostly-fine")
    for text in ("One.", "Two.", "Three."):
        _post(history, reader, f"{text} A fair point.")
    _refused(history, reader)
    _refused(history, reader)  # 2 of 5: 40% < 50%
    assert _post(history, reader, "Four. Another fair point.")["status"] == "published"


def test_never_judged_on_fewer_than_min_comments(history: TestClient) -> None:
    reader = auth("two-refusals")
    _refused(history, reader)
    _refused(history, reader)  # 2 of 2 rejected: 100%, but 2 judged < 3
    assert _post(history, reader, "Sorry, a calmer comment.")["status"] == "published"
    _held_for_history(_post(history, reader, "And another."), "2 of 3 comments in the last 7 days were rejected")


def test_comments_older_than_the_window_are_not_counted(history: TestClient, clock: Clock) -> None:
    reader = auth("reformed")
    for _ in range(3):
        _refused(history, reader)
    clock.advance(days=6, hours=23)
    _held_for_history(_post(history, reader, "Still within the week."), "3 of 3 comments in the last 7 days were rejected")
    clock.advance(hours=2)  # the refusals are now more than 7 days old; the held comment is not judged yet
    assert _post(history, reader, "A week later, a calm remark.")["status"] == "published"


def test_moderators_are_never_held(history: TestClient) -> None:
    for _ in range(3):
        _refused(history, MOD)
    comment = _post(history, MOD, "A note from the moderators.")
    assert comment["status"] == "published" and comment["hits"] == []


def test_a_moderators_approval_publishes_and_counts_for_the_reader(history: TestClient) -> None:
    reader = auth("held-then-approved")
    _post(history, reader, "A fair point.")
    _refused(history, reader)
    _refused(history, reader)  # 2 of 3
    held = _post(history, reader, "Please read this one.")
    _held_for_history(held, "2 of 3 comments in the last 7 days were rejected")
    _decide(history, held["id"], "approve")
    assert held["id"] in _visible(history)
    # 2 of 4 (50%) is still at the threshold: the next is held; once approved, 2 of 5 (40%) lets the one after through
    second = _post(history, reader, "One more.")
    assert second["status"] == "held"
    _decide(history, second["id"], "approve")
    assert _post(history, reader, "And now at once.")["status"] == "published"


def test_a_moderators_rejections_count(history: TestClient) -> None:
    reader = auth("removed-twice")
    ids = [_post(history, reader, f"Comment {n}, published at first.")["id"] for n in range(3)]
    _decide(history, ids[0], "reject")
    _decide(history, ids[1], "reject")  # 2 of 3 removed by a moderator
    _held_for_history(_post(history, reader, "Another."), "2 of 3 comments in the last 7 days were rejected")


def test_deleting_refused_comments_does_not_clear_the_record(history: TestClient) -> None:
    reader = auth("tidy-refuser")
    refused = [_refused(history, reader) for _ in range(2)]
    _post(history, reader, "A calm one.")
    for comment_id in refused:
        assert history.delete(f"/api/v1/comments/{comment_id}", headers=reader).status_code == 204
    _held_for_history(_post(history, reader, "Next."), "2 of 3 comments in the last 7 days were rejected")


def test_refusals_for_length_and_closed_threads_do_not_count(history: TestClient) -> None:
    reader = auth("long-winded")
    for _ in range(3):
        _refused(history, reader, "word " * 1001)  # over max_length (5000): a limit, not conduct
    assert _post(history, reader, "Shorter now.")["status"] == "published"


def test_trusted_readers_are_held_too(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> None:
    policy = _policy(tmp_path)
    text = policy.read_text(encoding="utf-8")
    for old, new in (("min_age_days = 30 ", "min_age_days = 0 "), ("min_published = 20", "min_published = 0")):
        assert text.count(old) == 1
        text = text.replace(old, new)
    policy.write_text(text, encoding="utf-8")
    for client in _client(make_app, sqlite_url, policy):
        reader = auth("trusted-but-refused")
        for _ in range(3):
            _refused(client, reader)
        _held_for_history(_post(client, reader, "Calm now."), "3 of 3 comments in the last 7 days were rejected")


def test_an_edit_is_not_judged_by_its_own_refusal(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> None:
    for client in _client(make_app, sqlite_url, _policy(tmp_path, min_comments="2")):
        reader = auth("mender")
        _post(client, reader, "A fair point.")
        refused = _refused(client, reader)  # 1 of 2: 50%
        r = client.patch(f"/api/v1/comments/{refused}", json={"text": "What is this council doing."}, headers=reader)
        assert r.status_code == 200 and r.json()["comment"]["status"] == "published", r.text  # judged on 0 of 1
        assert _post(client, reader, "Next.")["status"] == "published"  # the mended comment counts as published


# --- what the reader is told ------------------------------------------------------------------------------------
def test_me_tells_the_reader_why(history: TestClient) -> None:
    reader = auth("told-why")
    for _ in range(3):
        _refused(history, reader)
    r = history.get("/api/v1/me", headers=reader)
    assert r.status_code == 200, r.text
    premod = r.json()["premoderation"]
    assert premod["source"] == "recent_history" and premod["rule"] == "recent_history"
    assert "3 of 3 comments in the last 7 days were rejected" in premod["reason"]
    assert "not a sanction" in premod["reason"]
    assert premod["action_id"] is None and premod["can_appeal"] is False and premod["appeal_url"] is None
    me = r.json()
    assert me["state"] == "active" and me["active_strikes"] == 0 and me["actions"] == []  # no strike, no sanction
    assert history.get("/api/v1/me", headers=MOD).json()["premoderation"] is None


# --- the policy file ----------------------------------------------------------------------------------------------
def _check(path: Path) -> Any:
    group = click.Group("townhall")
    register(group)
    return CliRunner().invoke(group, ["policy", "check", str(path)], obj={"resources": NoModelResources()})


def test_policy_check_says_what_the_setting_does(tmp_path: Path) -> None:
    on = _check(_policy(tmp_path, share="0.3"))
    assert on.exit_code == 0, on.output
    assert ("• recent history: premoderated at 30% rejected. A reader's comment is held for a moderator when at least "
            "30% of their comments of the last 7 days that were published or rejected (at least 3) were rejected") in on.stdout
    off = _check(_policy(tmp_path, share="0"))
    assert off.exit_code == 0 and "recent history" not in off.stdout


@pytest.mark.parametrize(("key", "value", "message"), [
    ("share", "1.5", "history.hold_rejected_share: must be between 0 and 1 (a share; 0 = off), not 1.5"),
    ("share", "-0.1", "history.hold_rejected_share: must be between 0 and 1 (a share; 0 = off), not -0.1"),
    ("share", '"30%"', "history.hold_rejected_share: must be a number, not '30%'"),
    ("share", "nan", "history.hold_rejected_share: must be a finite number, not nan"),
    ("days", "0", "history.days: must be greater than 0 and at most 365 days, not 0"),
    ("days", "400", "history.days: must be greater than 0 and at most 365 days, not 400"),
    ("min_comments", "0", "history.min_comments: must be between 1 and 100 comments, not 0"),
    ("min_comments", "2.5", "history.min_comments: must be a whole number, not 2.5"),
    ("min_comments", "1000", "history.min_comments: must be between 1 and 100 comments, not 1000"),
])
def test_bad_values_are_refused_with_the_line(tmp_path: Path, key: str, value: str, message: str) -> None:
    path = _policy(tmp_path, **{key: value})
    result = _check(path)
    assert result.exit_code == 1, result.output
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if text.startswith({"share": "hold_rejected_share", "days": "days", "min_comments": "min_comments"}[key]))
    assert f"{path}:{line}: {message}" in result.output


def test_an_unknown_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "typo.policy.toml"
    path.write_text(DEFAULT.replace("min_comments = 3 ", "min_comment = 3 "), encoding="utf-8")
    result = _check(path)
    assert result.exit_code == 1
    assert "history.min_comment: unknown key (expected one of: days, hold_rejected_share, min_comments)" in result.output
