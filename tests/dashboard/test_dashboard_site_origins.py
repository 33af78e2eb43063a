"""A site's allowed origins are origins, and saving a site says so (a publisher's walkthrough, 2026-11-28).

An entry without its scheme (``127.0.0.1:8742``, ``www.news.example``) was stored as typed; it matches no page's
``Origin``, so every browser write from the publisher's own pages was then refused (403 ``origin_not_allowed``)
with nothing said when saving. Such an entry is now refused where the origins are set (the only path is the
dashboard's site forms, through townhall.service.moderators.add_site / update_site): 422 ``invalid`` naming the
entry and what to write, beside the field on the page. And a saved site's row says "Saved.", as the article and
announcement forms do. Each test here failed on the code before (see the assertions marked "before:"), but for
the moderator's, a guard that ``?saved=`` opens nothing."""

from __future__ import annotations

import html as markup
import re

import pytest
from starlette.testclient import TestClient

from tests.dashboard.test_dashboard_audit import Mod
from townhall.app import Townhall
from townhall.service import moderators
from townhall.service.errors import Invalid
from townhall.service.identity import Actor
from townhall.store import content


def origins_of(app: Townhall, site_id: str) -> list[str] | None:
    with app.services.db.read() as conn:
        site = content.get_site(conn, site_id)
    return None if site is None else list(site["origins"])


def error_beside(html: str, field_id: str) -> str:
    """The text of the error paragraph the field names in ``aria-describedby``."""
    field = re.search(rf'<input[^>]* id="{field_id}"[^>]*>', html)
    assert field is not None, html
    assert 'aria-invalid="true"' in field.group(0) and "autofocus" in field.group(0), field.group(0)
    described = re.search(r'aria-describedby="([^"]+)"', field.group(0))
    assert described is not None, field.group(0)
    said = re.search(rf'<p class="error field-error" id="{described.group(1)}"[^>]*>([^<]*)</p>', html)
    assert said is not None, html
    return markup.unescape(said.group(1))


@pytest.mark.parametrize("entry, says", [
    ("127.0.0.1:8742", "write it as http://127.0.0.1:8742"),
    ("www.news.example", "write it as https://www.news.example"),
    ("news.example/comments", "write it as https://news.example"),
    ("https://news.example/comments", "a page's address is not its origin, write it as https://news.example"),
    ("https://news.example?utm=x", "write it as https://news.example"),
    ("https://*.news.example", "there are no wildcards, list each host"),
    ("*", "to take every page, leave the allowed origins empty"),
    ("ftp://news.example", "write it as scheme://host[:port], e.g. https://news.example"),
    ("https://reader@news.example", "write it as scheme://host[:port]"),
    ("https://news.example:99999", "write it as scheme://host[:port]"),
])
def test_an_entry_that_is_no_origin_is_refused_naming_it(app: Townhall, entry: str, says: str) -> None:
    before = origins_of(app, "default")
    with pytest.raises(Invalid) as refused:  # before: stored as typed
        moderators.update_site(app.services, Actor.cli(), "default", name="News", allow_guests=False,
                               origins=["https://news.example", entry])
    said = refused.value.message
    assert said.startswith(f"'{entry}' is not an origin (scheme://host[:port]): ") and says in said, said
    assert refused.value.details["field"] == "origins" and refused.value.details["origin"] == entry
    assert origins_of(app, "default") == before
    with pytest.raises(Invalid):
        moderators.add_site(app.services, Actor.cli(), "sport", "Sport", origins=[entry])
    assert origins_of(app, "sport") is None  # no site made


def test_origins_as_a_browser_may_write_them_are_kept_as_typed(app: Townhall) -> None:
    """The origin check compares origins as browsers write them (case, a trailing slash, the default port, a
    Unicode host's punycode make no difference): such variants are origins, kept as the admin typed them."""
    typed = ["HTTPS://News.Example:443/", "https://www.news.example/", "http://127.0.0.1:8742", "http://[::1]:8080",
             "https://bücher.example"]
    moderators.update_site(app.services, Actor.cli(), "default", name="News", allow_guests=False, origins=typed)
    assert origins_of(app, "default") == typed


def test_the_site_form_shows_the_refusal_beside_the_origins(app: Townhall) -> None:
    admin = Mod(app, "root@news.example", admin=True)
    moderators.update_site(app.services, Actor.cli(), "default", name="News", allow_guests=False,
                           origins=["https://news.example"])
    sent = {"name": "The News", "allow_guests": "yes", "origins": "https://news.example 127.0.0.1:8742"}
    answer = admin.post("/admin/sites/default", sent, fetch=False)
    assert answer.status_code == 422, answer.status_code  # before: 303, and the entry stored
    said = error_beside(answer.text, "origins-default")
    assert said == "'127.0.0.1:8742' is not an origin (scheme://host[:port]): write it as http://127.0.0.1:8742"
    assert 'value="https://news.example 127.0.0.1:8742"' in answer.text  # as sent, to correct
    assert 'value="The News"' in answer.text
    assert origins_of(app, "default") == ["https://news.example"]
    # the dashboard's script gets the one error envelope
    scripted = admin.post("/admin/sites/default", sent)
    assert scripted.status_code == 422
    assert scripted.json()["error"]["code"] == "invalid"
    assert scripted.json()["error"]["details"] == {"field": "origins", "origin": "127.0.0.1:8742",
                                                   "expected": "http://127.0.0.1:8742"}


def test_the_new_site_form_shows_the_refusal_and_keeps_what_was_typed(app: Townhall) -> None:
    admin = Mod(app, "root@news.example", admin=True)
    sent = {"site_id": "sport", "name": "Sport Daily", "origins": "www.sport.example"}
    answer = admin.post("/admin/sites", sent, fetch=False)
    assert answer.status_code == 422, answer.status_code  # before: 200, the site made
    said = error_beside(answer.text, "new-site-origins")
    assert said == "'www.sport.example' is not an origin (scheme://host[:port]): write it as https://www.sport.example"
    assert 'value="sport"' in answer.text and 'value="Sport Daily"' in answer.text
    assert 'value="www.sport.example"' in answer.text
    assert origins_of(app, "sport") is None


def test_a_saved_site_says_saved(app: Townhall) -> None:
    admin = Mod(app, "root@news.example", admin=True)
    moderators.add_site(app.services, Actor.cli(), "sport", "Sport Daily")
    saved = admin.post("/admin/sites/sport", {"name": "Sport", "origins": "https://sport.example"}, fetch=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/admin/moderators?saved=sport#site-sport"  # before: /admin/moderators
    page = admin.client.get(saved.headers["location"]).text
    row = re.search(r'<tr id="site-sport">.*?</tr>', page, re.S)
    assert row is not None and '<span class="notice" role="status">Saved.</span>' in row.group(0)
    assert page.count("Saved.") == 1  # only that site's row
    assert origins_of(app, "sport") == ["https://sport.example"]
    # the page without ?saved= says nothing; the dashboard's script still gets {"ok": true}
    assert "Saved." not in admin.client.get("/admin/moderators").text
    assert admin.post("/admin/sites/sport", {"name": "Sport", "origins": ""}).json() == {"ok": True}


def test_a_moderator_cannot_save_a_site_nor_learn_of_one(app: Townhall) -> None:
    """``?saved=`` names a site only on the admin's page: a moderator's is refused as before."""
    mod = Mod(app, "mod@news.example")
    assert mod.client.get("/admin/moderators?saved=default").status_code == 403
    refused = mod.post("/admin/sites/default", {"name": "Mine", "origins": "www.news.example"}, fetch=False)
    assert refused.status_code == 403


def test_a_page_of_the_site_writes_once_its_origin_is_written_with_the_scheme(app: Townhall) -> None:
    """The walkthrough's case end to end: the entry the refusal proposes lets the publisher's page write."""
    try:
        moderators.update_site(app.services, Actor.cli(), "default", name="News", allow_guests=True,
                               origins=["127.0.0.1:8742"])
    except Invalid as exc:
        proposed = exc.details["expected"]
    else:
        pytest.fail("before: stored, and every write from http://127.0.0.1:8742 refused with origin_not_allowed")
    moderators.update_site(app.services, Actor.cli(), "default", name="News", allow_guests=True, origins=[proposed])
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/api/v1/threads/t1/comments", json={"text": "A guest's comment.", "guest_name": "Guest"},
                   headers={"Origin": "http://127.0.0.1:8742"})
        assert r.status_code == 201, r.text
