"""The article page's message to readers (Coral's per-story "Message box"): a box of several lines in the article
form, its limit shown, saved through townhall.service.thread_metadata as the API's ``message`` (normalised,
audited as ``thread.updated``, shown in the thread object), sent back unchanged without an entry, cleared when
emptied; a refused message as a 422 fragment naming it by its label, with the text as sent and the focus on it;
titles with a tab refused the same way. Over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.dashboard.helpers import POLICY
from tests.dashboard.test_dashboard_articles import HTMX, thread
from tests.dashboard.test_dashboard_audit import Mod, audited
from tests.fixtures_app import AppFactory
from townhall.app import Townhall
from townhall.store import content

TID = "news/debate?round=2"  # a slash and a question mark in the id
URL = "/admin/articles/news%2Fdebate%3Fround%3D2"
SAVE = URL + "/article"
TOPIC = "Please keep to the topic: the candidates' debate."
QUESTION = "What did you make of it? <b>Tell us</b> & the others."


@pytest.fixture
def app(make_app: AppFactory, db_url: str, tmp_path: Path) -> Townhall:
    path = tmp_path / "message.policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    return make_app(db_url, policy=str(path), page_cache_seconds=0)


def stored(app: Townhall) -> str | None:
    with app.services.db.read() as conn:
        return content.get_thread(conn, "default", TID)["message"]  # type: ignore[no-any-return]


def textarea(page: str) -> str:
    found = re.search(r'<textarea id="article-message" name="message"[^>]*>([^<]*)</textarea>', page)
    assert found is not None, page
    return html.unescape(found.group(1))


def form(mod: Mod, message: str, **fields: str) -> dict[str, str]:
    return {"title": "The debate", "url": "", "published_at": "", "message": message, "csrf_token": mod.token,
            **fields}


def test_the_message_is_saved_shown_and_cleared_from_the_article_form(app: Townhall) -> None:
    thread(app, TID, "The debate")
    mod = Mod(app, "a@news.example")
    page = mod.client.get(URL).text
    assert '<label for="article-message">Message to readers</label>' in page
    assert re.search(r'<textarea id="article-message" name="message" rows="4" maxlength="1000" '
                     r'aria-describedby="article-message-hint">', page), page
    assert "at most 1,000 characters" in page and "also while they are closed" in page
    assert textarea(page) == ""
    sent = TOPIC + "  \r\n\r\n\r\n" + QUESTION  # a browser sends the box's line breaks as \r\n
    r = mod.client.post(SAVE, data=form(mod, sent), headers=HTMX)
    assert r.status_code == 200, r.text
    assert r.text.startswith('<section id="article-panel"') and "Saved." in r.text
    assert stored(app) == TOPIC + "\n\n" + QUESTION
    assert textarea(r.text) == TOPIC + "\n\n" + QUESTION and "<b>Tell us</b>" not in r.text  # escaped
    entries = audited(app.services, "thread.updated", TID)
    assert [e["actor"] for e in entries] == ["cli", mod.actor]
    assert entries[-1]["details"] == {"changed": {"message": {"from": None, "to": TOPIC + "\n\n" + QUESTION}}}
    api = mod.client.get(f"/api/v1/threads/{TID.replace('?', '%3F')}/comments").json()["thread"]
    assert api["message"] == TOPIC + "\n\n" + QUESTION  # the same message the API shows
    # sent back as the page showed it (the browser's \r\n again): nothing changes, no entry
    r = mod.client.post(SAVE, data=form(mod, (TOPIC + "\n\n" + QUESTION).replace("\n", "\r\n")), headers=HTMX)
    assert r.status_code == 200 and len(audited(app.services, "thread.updated", TID)) == 2
    r = mod.client.post(SAVE, data={k: v for k, v in form(mod, "").items() if k != "message"}, headers=HTMX)
    assert r.status_code == 200 and stored(app) == TOPIC + "\n\n" + QUESTION  # a form without the box: left alone
    r = mod.client.post(SAVE, data=form(mod, " \r\n "), headers=HTMX)  # emptied: no message
    assert r.status_code == 200 and stored(app) is None and textarea(r.text) == ""
    assert audited(app.services, "thread.updated", TID)[-1]["details"] == {
        "changed": {"message": {"from": TOPIC + "\n\n" + QUESTION, "to": None}}}
    r = mod.client.post(SAVE, data=form(mod, TOPIC), follow_redirects=False)  # a plain form: back to the page
    assert r.status_code == 303 and stored(app) == TOPIC


@pytest.mark.parametrize(("field", "value", "says"), [
    ("message", "Keep \u202eto the topic.", "Message to readers may not contain bidirectional control characters"),
    ("message", "Keep to\tthe topic.", "Message to readers may not contain tabs or other control characters"),
    ("message", "x" * 1001, "Message to readers is at most 1000 characters"),
    ("title", "The\tdebate", "Title may not contain tabs or other control characters"),
    ("title", "The \u2066debate\u2069", "Title may not contain bidirectional control characters"),
])
def test_a_refused_message_or_title_is_named_by_its_label_and_takes_the_focus(app: Townhall, field: str, value: str,
                                                                              says: str) -> None:
    thread(app, TID, "The debate")
    mod = Mod(app, "a@news.example")
    data = {**form(mod, TOPIC), field: value}
    for headers in (HTMX, {}):
        r = mod.client.post(SAVE, data=data, headers=headers)
        assert r.status_code == 422, r.text
        error = re.search(r'<p class="error field-error" id="article-([a-z_]+)-error" data-field="([a-z_]+)" '
                          r'role="alert">([^<]*)</p>', r.text)
        assert error is not None and error.group(1) == error.group(2) == field, r.text
        assert html.unescape(error.group(3)).startswith(says), error.group(3)
        assert re.findall(r'<(?:input|textarea) [^>]*id="article-([a-z_]+)"[^>]*\bautofocus\b', r.text) == [field]
        assert re.search(rf'id="article-{field}"[^>]*aria-invalid="true"', r.text)
        assert textarea(r.text) == data["message"]  # as sent
    r = mod.post(SAVE, data)  # the dashboard's script: the API's own wording in the envelope
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == field
    assert r.json()["error"]["message"].startswith(f"'{field}'")
    assert stored(app) is None and [e["actor"] for e in audited(app.services, "thread.updated", TID)] == ["cli"]
