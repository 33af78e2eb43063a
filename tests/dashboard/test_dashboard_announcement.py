"""The site's announcement on the dashboard's Articles page: a panel above the list says which one is shown (and until
when), a form with a labelled box and a labelled "Until (UTC)" field sets it through townhall.service.announcements
(checked and audited as the API's ``PUT``, shown at once in the listing's thread), a Clear button removes it; every
change needs the CSRF token; a refused field comes back as a 422 fragment naming it by its label, with the text as sent
and the focus on it; a moderator of another site is refused. Over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.dashboard.helpers import POLICY, add_moderator, csrf_token, sign_in
from tests.dashboard.test_dashboard_articles import HTMX
from tests.dashboard.test_dashboard_audit import Mod, audited
from tests.fixtures_app import AppFactory, Clock
from townhall.app import Townhall
from townhall.service import announcements, moderators
from townhall.service.identity import Actor

PAGE = "/admin/articles"
SAVE = "/admin/announcement"
CLEAR = "/admin/announcement/clear"
CLOSING = "Comments on election coverage close at 22:00 tonight."
MOVING = "We are moving to a new sign-in on <b>Monday</b> & more."


@pytest.fixture
def app(make_app: AppFactory, db_url: str, tmp_path: Path) -> Townhall:
    path = tmp_path / "announcement.policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    return make_app(db_url, policy=str(path), page_cache_seconds=300)


def shown(mod: Mod, site: str = "default") -> object:
    r = mod.client.get("/api/v1/announcement", params={"site": site})
    assert r.status_code == 200, r.text
    return r.json()["announcement"]


def listed(mod: Mod) -> object:
    return mod.client.get("/api/v1/threads/story-1/comments").json()["thread"]["announcement"]


def textarea(page: str) -> str:
    found = re.search(r'<textarea id="announcement-text" name="text"[^>]*>([^<]*)</textarea>', page)
    assert found is not None, page
    return html.unescape(found.group(1))


def until_value(page: str) -> str:
    found = re.search(r'<input type="datetime-local" id="announcement-until" name="until" value="([^"]*)"', page)
    assert found is not None, page
    return found.group(1)


def test_set_replaced_and_cleared_from_the_articles_page(app: Townhall, clock: Clock) -> None:
    mod = Mod(app, "a@news.example")
    assert listed(mod) is None  # a signed-out page of a thread, now cached
    page = mod.client.get(PAGE).text
    assert '<section id="announcement-panel"' in page and "None: nothing is shown" in page
    assert '<label for="announcement-text">Announcement</label>' in page
    assert '<label for="announcement-until">Until (UTC)</label>' in page
    assert re.search(r'<textarea id="announcement-text" name="text" rows="3" maxlength="1000" '
                     r'aria-describedby="announcement-text-hint">', page), page
    assert 'aria-describedby="announcement-until-hint"' in page and "at most 1,000 characters" in page
    assert 'id="announcement-clear"' not in page  # nothing to clear
    until = (clock.now + timedelta(hours=6)).replace(second=0, microsecond=0)
    sent = CLOSING + "  \r\n\r\n\r\n" + MOVING  # a browser sends the box's line breaks as \r\n
    r = mod.client.post(SAVE, data={"text": sent, "until": until.strftime("%Y-%m-%dT%H:%M"), "csrf_token": mod.token},
                        headers=HTMX)
    assert r.status_code == 200, r.text
    assert r.text.startswith('<section id="announcement-panel"') and "Saved: shown above the comments" in r.text
    assert textarea(r.text) == CLOSING + "\n\n" + MOVING and "<b>Monday</b>" not in r.text  # escaped
    assert until_value(r.text) == until.strftime("%Y-%m-%dT%H:%M")
    assert f"until {until:%Y-%m-%d %H:%M} UTC" in r.text and 'id="announcement-clear"' in r.text
    assert shown(mod) == {"text": CLOSING + "\n\n" + MOVING, "until": until.isoformat(), "since": clock.now.isoformat()}
    assert listed(mod) == {"text": CLOSING + "\n\n" + MOVING, "until": until.isoformat()}  # the cached page too
    entries = audited(app.services, "site.announcement", "default")
    assert [(e["actor"], e["details"]["to"]["text"]) for e in entries] == [(mod.actor, CLOSING + "\n\n" + MOVING)]
    # sent back as the page showed it: nothing changes, no entry
    r = mod.client.post(SAVE, data={"text": (CLOSING + "\n\n" + MOVING).replace("\n", "\r\n"),
                                    "until": until_value(r.text), "csrf_token": mod.token}, headers=HTMX)
    assert r.status_code == 200 and len(audited(app.services, "site.announcement", "default")) == 1
    # a plain form: back to the Articles page; no until: until cleared
    r = mod.client.post(SAVE, data={"text": CLOSING, "until": "", "csrf_token": mod.token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/articles?site=default"
    assert shown(mod) == {"text": CLOSING, "until": None, "since": clock.now.isoformat()}
    assert "until it is cleared" in mod.client.get(PAGE).text
    r = mod.client.post(CLEAR, data={"csrf_token": mod.token}, headers=HTMX)
    assert r.status_code == 200 and "Cleared" in r.text and "None: nothing is shown" in r.text
    assert shown(mod) is None and listed(mod) is None and textarea(r.text) == ""
    assert [e["details"]["to"]["text"] for e in audited(app.services, "site.announcement", "default")] == [
        CLOSING + "\n\n" + MOVING, CLOSING, None]


def test_an_until_given_to_the_second_is_kept_when_the_form_is_sent_back(app: Townhall, clock: Clock) -> None:
    mod = Mod(app, "a@news.example")
    until = (clock.now + timedelta(hours=1)).replace(second=30, microsecond=0)
    announcements.put(app.services, Actor.cli(), "default", CLOSING, until)
    page = mod.client.get(PAGE).text
    assert until_value(page) == until.strftime("%Y-%m-%dT%H:%M")  # shown to the minute
    r = mod.client.post(SAVE, data={"text": MOVING, "until": until_value(page), "csrf_token": mod.token}, headers=HTMX)
    assert r.status_code == 200, r.text
    assert shown(mod) == {"text": MOVING, "until": until.isoformat(), "since": clock.now.isoformat()}  # not cut


@pytest.mark.parametrize(("field", "value", "says"), [
    ("text", "Close \u202eat ten.", "Announcement may not contain bidirectional control characters"),
    ("text", "Close\tat ten.", "Announcement may not contain tabs or other control characters"),
    ("text", "x" * 1001, "Announcement is at most 1000 characters"),
    ("text", " \r\n ", "Announcement is empty"),
    ("until", "tonight", "Until is a date and time in UTC"),
    ("until", "2020-01-01T10:00", "Until must be in the future"),
    ("until", "2020-01-01T10:00+01:00", "Until is in UTC, without a time zone"),
])
def test_a_refused_field_is_named_by_its_label_and_takes_the_focus(app: Townhall, field: str, value: str,
                                                                   says: str) -> None:
    mod = Mod(app, "a@news.example")
    data = {"text": CLOSING, "until": "", field: value, "csrf_token": mod.token}
    for headers in (HTMX, {}):
        r = mod.client.post(SAVE, data=data, headers=headers)
        assert r.status_code == 422, r.text
        error = re.search(r'<p class="error field-error" id="announcement-([a-z_]+)-error" data-field="([a-z_]+)" '
                          r'role="alert">([^<]*)</p>', r.text)
        assert error is not None and error.group(1) == error.group(2) == field, r.text
        assert html.unescape(error.group(3)).startswith(says), error.group(3)
        assert re.findall(r'<(?:input|textarea) [^>]*id="announcement-([a-z_]+)"[^>]*\bautofocus\b', r.text) == [field]
        assert re.search(rf'id="announcement-{field}"[^>]*aria-invalid="true"', r.text)
        assert textarea(r.text) == data["text"] and until_value(r.text) == html.escape(data["until"])  # as sent
        if not headers:
            assert "<h1>Articles on" in r.text  # the whole page, with the error in its panel
    r = mod.post(SAVE, {k: v for k, v in data.items() if k != "csrf_token"})  # the script: the API's wording
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == field
    assert shown(mod) is None and audited(app.services, "site.announcement", "default") == []


def test_changes_need_the_csrf_token(app: Townhall) -> None:
    mod = Mod(app, "a@news.example")
    r = mod.client.post(SAVE, data={"text": CLOSING, "until": ""}, headers=HTMX)
    assert r.status_code == 403 and shown(mod) is None
    assert mod.client.post(SAVE, data={"text": CLOSING, "csrf_token": mod.token}, headers=HTMX).status_code == 200
    r = mod.client.post(CLEAR, data={"csrf_token": "forged"}, headers=HTMX)
    assert r.status_code == 403 and shown(mod) is not None


def test_a_moderator_of_another_site_is_refused(app: Townhall) -> None:
    from starlette.testclient import TestClient

    moderators.add_site(app.services, Actor.cli(), "other", "The Other Paper")
    add_moderator(app.services, "o@example.org", sites=("other",))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert sign_in(client, "o@example.org").status_code == 303
        token = csrf_token(client.get(PAGE, params={"site": "other"}).text)
        for url, data in ((SAVE, {"text": CLOSING}), (CLEAR, {})):
            r = client.post(url, params={"site": "default"}, data={**data, "csrf_token": token}, headers=HTMX)
            assert r.status_code == 403, r.text
        assert client.get(PAGE, params={"site": "default"}).status_code == 403
        r = client.post(SAVE, params={"site": "other"}, data={"text": CLOSING, "csrf_token": token}, headers=HTMX)
        assert r.status_code == 200, r.text
    mod = Mod(app, "a@news.example")
    other = shown(mod, "other")
    assert shown(mod) is None and isinstance(other, dict) and other["text"] == CLOSING
