"""A site's form refused for its allowed origins (422, the page again with the values as sent) keeps every choice the
admin made in it, the Articles setting (``threads``) too: shown as stored instead, the admin who corrects the origin
and saves again would silently save the old setting back."""

from __future__ import annotations

from tests.dashboard.test_dashboard_audit import Mod
from townhall.app import Townhall
from townhall.store import content


def test_a_refused_site_form_shows_the_articles_setting_as_sent(app: Townhall) -> None:
    admin = Mod(app, "admin@example.org", admin=True)
    r = admin.post("/admin/sites/default", {"name": "News", "origins": "news.example", "threads": "registered"},
                   fetch=False)
    assert r.status_code == 422, r.text
    row = r.text.split('id="site-default"', 1)[1].split("</tr>", 1)[0]
    assert 'value="https://news.example"' not in row and "news.example" in row  # the origin as sent, with its error
    assert '<option value="registered" selected>' in row, row
    assert '<option value="open" selected>' not in row
    with app.services.db.read() as conn:
        site = content.get_site(conn, "default")
    assert site is not None and bool(site["auto_create_threads"]) is True  # nothing saved
    # a form sent without the field (an older page) is shown as stored
    r = admin.post("/admin/sites/default", {"name": "News", "origins": "news.example"}, fetch=False)
    assert r.status_code == 422 and '<option value="open" selected>' in r.text.split('id="site-default"', 1)[1]
