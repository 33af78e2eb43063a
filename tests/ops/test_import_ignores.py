"""Ignore lists when an imported account joins a reader's (a claim by a vouched e-mail address), on SQLite and
PostgreSQL: the readers who ignored the imported account now ignore the reader, its own list joins the reader's,
with no duplicate (the earlier time kept), no row naming its own reader, and no more than 1,000 readers (the
newest kept)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select
from starlette.testclient import TestClient

from tests.fixtures_app import auth
from tests.ops.test_import_claims import ANNA, _author_of, _import, _me
from townhall.app import Townhall
from townhall.service.core import as_utc
from townhall.service.importing import merge_imported
from townhall.store import people
from townhall.store.ops_tables import ignored_accounts
from townhall.store.schema import AccountState, ActorKind, Role


def _rows(app: Townhall) -> dict[tuple[int, int], datetime | None]:
    with app.services.db.read() as conn:
        q = select(ignored_accounts.c.account_id, ignored_accounts.c.ignored_id, ignored_accounts.c.created_at)
        return {(int(a), int(b)): as_utc(at) for a, b, at in conn.execute(q)}  # SQLite's are naive


def _reader(app: Townhall, sub: str) -> int:
    with app.services.db.write() as conn:
        return people.insert_account(conn, site_id="default", subject=sub, display_name=sub.title(), email=None,
                                     supporter=False, role=Role.READER.value, guest=False,
                                     state=AccountState.ACTIVE.value, created_at=app.services.now())


def _ignores(app: Townhall, pairs: list[tuple[int, int, datetime]]) -> None:
    with app.services.db.write() as conn:
        conn.execute(insert(ignored_accounts), [{"account_id": a, "ignored_id": b, "created_at": at} for a, b, at in pairs])


def test_a_claim_moves_the_ignore_lists_of_and_naming_the_imported_account(app: Townhall, client: TestClient) -> None:
    imported = _import(app)
    anna = _me(client, email=ANNA, email_verified=False)["id"]  # signed in, the address not vouched for: no claim
    assert anna != imported
    carol = _reader(app, "carol")
    dave = _reader(app, "dave")
    eve = _reader(app, "eve")
    r = client.put(f"/api/v1/me/ignored/{imported}", headers=auth("carol"))  # the imported comments were shown
    assert r.status_code == 200, r.text
    t0 = app.services.now() - timedelta(days=10)
    _ignores(app, [(dave, imported, t0), (dave, anna, t0 + timedelta(days=1)),  # dave ignores both: one row stays
                   (anna, imported, t0),  # anna ignored her old self: dropped
                   (imported, anna, t0), (imported, eve, t0 + timedelta(days=2)),  # the imported account's own list
                   (imported, dave, t0 + timedelta(days=3)), (anna, dave, t0 + timedelta(days=4))])
    carol_since = _rows(app)[(carol, imported)]

    again = _me(client, email=ANNA, email_verified=True)  # vouched for now: anna's account takes the history over
    assert again["id"] == anna and _author_of(app, "disqus:3001")["account_id"] == anna
    got = _rows(app)
    assert set(got) == {(carol, anna), (dave, anna), (anna, eve), (anna, dave)}
    assert got[(carol, anna)] == carol_since and got[(dave, anna)] == t0  # the earlier of dave's two rows
    assert got[(anna, dave)] == t0 + timedelta(days=3) and got[(anna, eve)] == t0 + timedelta(days=2)
    listed = client.get("/api/v1/me/ignored", headers=auth("sso-anna", email=ANNA)).json()["ignored"]
    assert [i["id"] for i in listed] == [dave, eve]  # the latest first
    assert [i["id"] for i in client.get("/api/v1/me/ignored", headers=auth("carol")).json()["ignored"]] == [anna]


def test_a_merged_list_keeps_the_newest_thousand(app: Townhall, client: TestClient) -> None:
    imported = _import(app)
    anna = _me(client, email=ANNA, email_verified=False)["id"]
    readers = [_reader(app, f"reader-{i}") for i in range(1100)]
    t0 = app.services.now() - timedelta(days=30)
    # anna's own 600 and the imported account's 600 (100 of them the same readers), times interleaved
    mine = [(anna, r, t0 + timedelta(minutes=2 * i)) for i, r in enumerate(readers[:600])]
    theirs = [(imported, r, t0 + timedelta(minutes=2 * i + 1)) for i, r in enumerate(readers[500:1100])]
    _ignores(app, mine + theirs)
    with app.services.db.write() as conn:  # as an import run does for a reader who signed in before it
        merged = merge_imported(app.services, conn, "default", anna, ANNA, actor_kind=ActorKind.SYSTEM, actor="import",
                                email_verified="stored")
    assert merged == [imported]
    got = _rows(app)
    assert not [k for k in got if imported in k]
    expected: dict[int, datetime] = {}
    for _, r, at in mine + theirs:
        expected[r] = min(at, expected.get(r, at))
    newest = sorted(expected, key=lambda r: (expected[r], r), reverse=True)[:1000]
    assert {b: at for (a, b), at in got.items() if a == anna} == {r: expected[r] for r in newest}


def test_a_reader_of_the_imported_account_signing_in_first_keeps_the_rows(app: Townhall, client: TestClient) -> None:
    """The first sign-in takes the imported account itself over: the rows naming it stay as they are."""
    imported = _import(app)
    carol = _reader(app, "carol")
    _ignores(app, [(carol, imported, app.services.now())])
    assert _me(client, email=ANNA, email_verified=True)["id"] == imported
    assert set(_rows(app)) == {(carol, imported)}
