"""Second audit: the dashboard's downloads (audit log as JSON Lines, numbers as CSV) name their file after the
``?site=`` of the link, which an installation admin's session takes for any text (an admin may look at any site,
so an unknown one is not refused). A link with a line break in ``site`` made the server fail (a header value
with CR/LF: no answer, or a bare 500), and one with a quote rewrote the ``Content-Disposition`` header's
parameters (``filename*=...``: another file name and extension). Run against a real server, as the HTTP layer
(h11) is what refuses the header."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from townhall.app import Townhall
from tests.dashboard.helpers import add_moderator, sign_in, write_policy
from tests.fixtures_app import AppFactory, LiveServer

DOWNLOADS = ("/admin/audit.jsonl", "/admin/numbers.csv")
HOSTILE = ("a\r\nSet-Cookie: th_session=forged", "a\nX-Evil: 1", 'x.html"; filename*=UTF-8\'\'evil.html; x="',
           "a\tb", "a\x7fb")
SAFE_NAME = re.compile(r'attachment; filename="[A-Za-z0-9._-]+"')


@pytest.fixture
def admin_app(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Townhall:
    app = make_app(sqlite_url, policy=write_policy(tmp_path))
    add_moderator(app.services, "admin@example.org", admin=True)
    return app


@pytest.fixture
def admin(admin_app: Townhall) -> Iterator[httpx.Client]:
    with LiveServer(admin_app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        assert sign_in(client, "admin@example.org").status_code == 303
        yield client


@pytest.mark.parametrize("path", DOWNLOADS)
@pytest.mark.parametrize("site", HOSTILE)
def test_a_hostile_site_in_a_download_link_gets_a_clear_answer(admin: httpx.Client, path: str, site: str) -> None:
    r = admin.get(path, params={"site": site})
    assert r.status_code < 500, r.text
    assert "x-evil" not in r.headers and "th_session=forged" not in r.headers.get("set-cookie", "")
    disposition = r.headers.get("content-disposition")
    if r.status_code == 200:
        assert disposition is not None and SAFE_NAME.fullmatch(disposition), disposition
    else:  # refused: the one error envelope, no file
        assert disposition is None
        assert r.headers["content-type"].startswith("application/json")
        assert set(r.json()["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize("path", DOWNLOADS)
def test_a_real_site_still_downloads_under_its_own_name(admin: httpx.Client, path: str) -> None:
    r = admin.get(path, params={"site": "default"})
    assert r.status_code == 200
    disposition = r.headers["content-disposition"]
    assert SAFE_NAME.fullmatch(disposition) and "townhall-default-" in disposition
