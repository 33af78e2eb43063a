"""Regression tests from an audit of three features (comment counts, the reader's ignore list, thread metadata),
through the HTTP API on SQLite and PostgreSQL: what a hostile reader, a careless publisher or a busy newsroom
found."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tests.fixtures_app import auth
from townhall.app import Townhall
from townhall.service import ignores, privacy
from townhall.service.errors import Unauthenticated
from townhall.service.identity import Identity
from townhall.store.ops_tables import ignored_accounts

THREAD = "audit-article"
COMMENTS = f"/api/v1/threads/{THREAD}/comments"
DAVE = auth("dave")
MOD = auth("mod", role="moderator")


def post(client: TestClient, text: str, who: str, parent: int | None = None, status: str = "published") -> dict[str, Any]:
    r = client.post(COMMENTS, json={"text": text, "parent_id": parent}, headers=auth(who))
    assert r.status_code == 201 and r.json()["comment"]["status"] == status, r.text
    return r.json()["comment"]  # type: ignore[no-any-return]


def me_id(client: TestClient, headers: dict[str, str]) -> int:
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 200, r.text
    return int(r.json()["id"])


def rows(app: Townhall) -> list[tuple[int, int]]:
    with app.services.db.read() as conn:
        return [(int(a), int(b)) for a, b in conn.execute(select(ignored_accounts.c.account_id, ignored_accounts.c.ignored_id))]


# --- the ignore list -------------------------------------------------------------------------------------------
def test_ignoring_does_not_reveal_the_names_of_readers_who_never_wrote_anything_shown(app: Townhall, client: TestClient) -> None:
    """PUT /me/ignored/{id} answered any account id of the site with its display name (an SSO name is often the
    reader's real one), also for readers who never wrote a comment or whose comments were never shown: counting
    up the ids listed every reader of the site by name. Only an author whose comment readers were shown can be
    ignored; any other account is answered as an unknown one (404), a moderator too (their role is not told)."""
    silent = me_id(client, auth("silent", name="Jane Realname"))
    r = client.post(f"/api/v1/mod/accounts/{me_id(client, auth('held'))}/sanctions",
                    json={"sanction": "premoderate", "reason": "Checking"}, headers=MOD)
    assert r.status_code in (200, 201), r.text
    held_only = post(client, "Waiting for a moderator.", "held", status="held")["author"]["id"]
    quiet_mod = me_id(client, MOD)
    for target in (silent, held_only, quiet_mod):
        r = client.put(f"/api/v1/me/ignored/{target}", headers=DAVE)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
        assert "Realname" not in r.text
    assert client.get("/api/v1/me/ignored", headers=DAVE).json()["ignored"] == []
    assert rows(app) == []
    # an author readers were shown: ignored, and still on the list (and taken off it) once their comment is gone
    bob = post(client, "Shown to everyone.", "bob")
    assert client.put(f"/api/v1/me/ignored/{bob['author']['id']}", headers=DAVE).status_code == 200
    assert client.delete(f"/api/v1/comments/{bob['id']}", headers=auth("bob")).status_code == 204
    assert client.put(f"/api/v1/me/ignored/{bob['author']['id']}", headers=DAVE).status_code == 200  # no change
    assert client.delete(f"/api/v1/me/ignored/{bob['author']['id']}", headers=DAVE).status_code == 204
    # a moderator who speaks in a thread: as before, not to be ignored
    r = client.post(COMMENTS, json={"text": "The moderators speaking."}, headers=MOD)
    assert r.status_code == 201 and r.json()["comment"]["status"] == "published", r.text
    r = client.put(f"/api/v1/me/ignored/{quiet_mod}", headers=DAVE)
    assert r.status_code == 422 and r.json()["error"]["code"] == "cannot_ignore_moderator", r.text


def test_a_reader_erased_while_their_ignore_request_was_on_its_way_keeps_no_list(app: Townhall, client: TestClient) -> None:
    """The request signed in before the erasure committed (an identity cached for a few seconds, or DELETE /me and
    PUT from two tabs at once): the row it would add after the erasure is personal data the erasure removed."""
    bob = post(client, "Hello.", "bob")["author"]["id"]
    dave = me_id(client, DAVE)
    ident = Identity(dave, "default", "dave", "Dave")
    privacy.erase_subject(app.services, "default", "dave")
    with pytest.raises(Unauthenticated):
        ignores.ignore(app.services, ident, bob)
    assert rows(app) == []


# --- thread metadata ---------------------------------------------------------------------------------------------
def test_concurrent_changes_of_a_thread_are_audited_one_after_the_other(app: Townhall) -> None:
    """A newsroom's CMS sends its PATCH twice at once (on publish and on update): each change must read the thread
    as the one before left it, so that every ``thread.updated`` entry's ``from`` is the previous entry's ``to``
    (and a live ``thread.closed``/``thread.opened`` is decided from the state the change replaced). On PostgreSQL
    both read the thread before either wrote, and the log claimed changes from a value no longer there."""
    import threading

    from townhall.service import thread_metadata as meta
    from townhall.service.identity import Actor
    from townhall.store import moderation

    svc = app.services
    meta.update_thread(svc, Actor.cli(), "default", THREAD, meta.ThreadChanges(title="start"))
    failures: list[BaseException] = []
    for n in range(12):
        barrier = threading.Barrier(3)

        def change(name: str, n: int = n, barrier: threading.Barrier = barrier) -> None:
            try:
                barrier.wait()
                meta.update_thread(svc, Actor.cli(), "default", THREAD, meta.ThreadChanges(title=f"{name}{n}"))
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        workers = [threading.Thread(target=change, args=(name,)) for name in "abc"]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    assert failures == []
    with svc.db.read() as conn:
        titles = [e["details"]["changed"]["title"] for e in moderation.audit_entries(conn) if e["action"] == "thread.updated"]
    assert len(titles) == 1 + 12 * 3
    assert [t["from"] for t in titles[1:]] == [t["to"] for t in titles[:-1]]


# --- what a signed-out reader is shown, and counted ----------------------------------------------------------------
def test_a_reply_page_does_not_show_a_reply_under_a_comment_held_again(app: Townhall, client: TestClient) -> None:
    """The first page hides a published reply under a comment held again after an edit (and the counts no longer
    count it); the further replies of a top-level comment (``root=``, past the 50 the first page nests) showed it,
    to signed-out readers and to everyone else but the held comment's author."""
    from tests.api.test_counts import sanction
    from townhall.service.threads import REPLIES_PER_ROOT

    root = post(client, "Opens.", "ann")["id"]
    for n in range(REPLIES_PER_ROOT):
        post(client, f"Reply {n}.", f"r{n % 5}", root)
    held = post(client, "Will be held again.", "ben", root)["id"]
    under = post(client, "Answers Ben.", "cat", held)["id"]
    sanction(client, "ben", "premoderate")
    r = client.patch(f"/api/v1/comments/{held}", json={"text": "Edited."}, headers=auth("ben"))
    assert r.status_code == 200 and r.json()["comment"]["status"] == "held", r.text
    first = client.get(COMMENTS).json()
    cursor = first["comments"][0]["replies_cursor"]
    assert first["comments"][0]["more_replies"] and first["thread"]["count"] == 1 + REPLIES_PER_ROOT
    for headers in ({}, auth("observer")):
        page = client.get(COMMENTS, params={"root": root, "cursor": cursor}, headers=headers).json()
        assert [c["id"] for c in page["comments"]] == [], page
    page = client.get(COMMENTS, params={"root": root, "cursor": cursor}, headers=auth("ben")).json()
    assert [c["id"] for c in page["comments"]] == [held, under]  # the author sees theirs, with its reply


def test_an_erased_reader_cannot_be_put_on_an_ignore_list_again(app: Townhall, client: TestClient) -> None:
    """Erasure leaves no row naming the account on either side (docs/operations.md); in the "anonymise" mode the
    erased reader's comments stay published under "Former reader", and ignoring the account added such a row
    again. An erased account is answered as an unknown one; the row lock taken on both accounts (in id order)
    keeps an ignore sent while the erasure runs from adding it after the erasure removed the others."""
    bob = post(client, "Kept, anonymised.", "bob")["author"]["id"]
    privacy.erase_subject(app.services, "default", "bob", mode="anonymise")
    r = client.put(f"/api/v1/me/ignored/{bob}", headers=DAVE)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
    assert rows(app) == []


# --- the OpenAPI schema of the new routes ------------------------------------------------------------------------
def test_the_schema_describes_what_the_new_routes_answer(client: TestClient) -> None:
    """The ignore list's and the thread metadata's answers were documented as any object, and the refusals they
    answer (403 ``guests_not_allowed``/``origin_not_allowed``; 404 for an unknown site) were not listed."""
    spec = client.get("/openapi.json").json()

    def answer(path: str, method: str, status: str = "200") -> dict[str, Any]:
        content = spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        ref = content.get("$ref", "")
        return spec["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else content  # type: ignore[no-any-return]

    assert set(answer("/api/v1/me/ignored", "get")["properties"]) == {"ignored", "limit"}
    assert set(answer("/api/v1/me/ignored/{account_id}", "put")["properties"]) == {"account_id", "name", "ignored"}
    assert set(answer("/api/v1/mod/threads/{thread_id}", "patch")["properties"]) == {
        "id", "title", "url", "state", "closed_reason", "closes_at", "published_at", "premoderated", "message", "count",
        "announcement"}
    for method in ("put", "delete"):
        assert "403" in spec["paths"]["/api/v1/me/ignored/{account_id}"][method]["responses"]
    assert "404" in spec["paths"]["/api/v1/mod/threads/{thread_id}"]["patch"]["responses"]


def test_the_command_line_refuses_text_no_database_can_store_by_name(app: Townhall, db_url: str) -> None:
    """``townhall threads set`` passes its text to the service unchecked by the API's body schema: a title or
    address with a lone surrogate (an argument in another encoding, read by Python as surrogate escapes) reached
    the database driver and ended in ``Error: UnicodeEncodeError …``; the service names the field instead."""
    from click.testing import CliRunner

    from townhall.cli import build_cli

    for option in ("--title", "--url"):
        r = CliRunner().invoke(build_cli(), ["threads", "set", THREAD, option, "/bad\udcff", "--db", db_url])
        assert r.exit_code == 1 and option.strip("-") in r.output and "UnicodeEncodeError" not in r.output, r.output
