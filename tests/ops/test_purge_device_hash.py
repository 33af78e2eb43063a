"""The daily signal purge forgets an account's device hash by when it was last seen, not by the account's age.

An account keeps the hash of its first device (evidence against ban evasion), recorded with the comment that first
showed it. The purge cleared it for every account created before the retention cut-off: a reader who signed up
long ago, whose hash the purge had cleared, and who posted yesterday had yesterday's device hash cleared at the very
next purge, while the comment of yesterday kept the same hash for the whole retention period."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.service.privacy import purge_signals
from tests.fixtures_app import AppFactory, Clock, auth

DAY = 86400


def _post(client: TestClient, clock: Clock, sub: str, device: str, text: str) -> None:
    r = client.post("/api/v1/threads/t1/comments", json={"text": text, "device": device},
                    headers=auth(sub, now=clock.now, exp_in=400 * DAY))
    assert r.status_code == 201, r.text


def _device_hash(app: Townhall, sub: str) -> Any:
    with app.services.db.read() as conn:
        return conn.execute(sa.text("SELECT device_hash FROM accounts WHERE subject = :s"), {"s": sub}).scalar_one()


def _hashes(app: Townhall) -> dict[str, Any]:
    with app.services.db.read() as conn:
        return {body: h for body, h in conn.execute(sa.text("SELECT body, device_hash FROM comments"))}


def test_an_old_account_keeps_the_device_hash_it_showed_yesterday(make_app: AppFactory, db_url: str, clock: Clock) -> None:
    app = make_app(db_url)  # retention: 90 days
    with TestClient(app, raise_server_exceptions=False) as client:
        clock.advance(days=-200)
        assert client.get("/api/v1/me", headers=auth("olga", now=clock.now, exp_in=400 * DAY)).status_code == 200
        clock.advance(days=199)  # she signed up 200 days ago and first posts yesterday
        _post(client, clock, "olga", "d1", "first words")
        kept = _device_hash(app, "olga")
        assert kept is not None
        clock.advance(days=1)
        assert purge_signals(app.services)["accounts"] == 0
        assert _device_hash(app, "olga") == kept == _hashes(app)["first words"]


def test_a_hash_first_recorded_long_ago_but_seen_yesterday_is_kept(make_app: AppFactory, sqlite_url: str,
                                                                   clock: Clock) -> None:
    app = make_app(sqlite_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        clock.advance(days=-120)
        _post(client, clock, "pia", "d1", "long ago")
        kept = _device_hash(app, "pia")
        clock.advance(days=119)
        _post(client, clock, "pia", "d1", "yesterday, same device")
        clock.advance(days=1)
        counts = purge_signals(app.services)
        assert counts["comments"] == 1 and counts["accounts"] == 0, counts
        assert _hashes(app) == {"long ago": None, "yesterday, same device": kept}
        assert _device_hash(app, "pia") == kept


def test_a_hash_not_seen_within_the_retention_period_is_purged(make_app: AppFactory, sqlite_url: str,
                                                               clock: Clock) -> None:
    """The other side of the rule: the account's first device, last seen 120 days ago, goes, even though the
    reader posted yesterday (from another device); the next post records the device of then."""
    app = make_app(sqlite_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        clock.advance(days=-120)
        _post(client, clock, "quinn", "d1", "long ago")
        first = _device_hash(app, "quinn")
        clock.advance(days=119)
        _post(client, clock, "quinn", "d2", "yesterday, a new phone")
        assert _device_hash(app, "quinn") == first  # only the first device is kept on the account
        clock.advance(days=1)
        counts = purge_signals(app.services)
        assert counts == {"comments": 1, "accounts": 1, "erasures_completed": 0}, counts
        assert _device_hash(app, "quinn") is None
        _post(client, clock, "quinn", "d2", "today")
        assert _device_hash(app, "quinn") == _hashes(app)["today"] != first
        assert purge_signals(app.services)["accounts"] == 0  # recorded today: kept


def test_an_account_recorded_within_the_period_is_kept_without_a_comment_carrying_it(
        make_app: AppFactory, sqlite_url: str, clock: Clock) -> None:
    """An account made within the retention period cannot hold an older hash: it is kept even where no comment
    carries it any more (here the comments' hashes are cleared by hand, as a scrub of the comments would)."""
    app = make_app(sqlite_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        clock.advance(days=-10)
        _post(client, clock, "rae", "d1", "ten days ago")
        kept = _device_hash(app, "rae")
        with app.services.db.write() as conn:
            conn.execute(sa.text("UPDATE comments SET device_hash = NULL"))
        clock.advance(days=10)
        assert purge_signals(app.services)["accounts"] == 0
        assert _device_hash(app, "rae") == kept
