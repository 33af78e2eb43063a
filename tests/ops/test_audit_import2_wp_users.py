"""Second import audit: two WordPress blogs imported into one site each have a registered user 1 (WordPress
numbers each blog's users from 1: user 1 is the blog's first administrator). They are two people. Before, both
became the one account ``import:wordpress:user:1``: the second blog's editor's comments were shown under the
first blog's editor's name, and the first editor's sign-in (the address of that account) took over — could
edit and delete — the other's comments. The docs name a second blog whose ids overlap the first's as a case
the import keeps apart; its users are kept apart too. Importing one blog again finds its accounts. On SQLite
and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.service.importers import wordpress
from townhall.service.importing import run_import
from tests.fixtures_app import auth


def _blog(base: str, author: str, email: str, text: str, cid: int) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">'
            f"<channel><title>{author}'s blog</title><link>{base}</link><wp:wxr_version>1.2</wp:wxr_version>"
            f"<wp:base_site_url>{base}</wp:base_site_url><wp:base_blog_url>{base}</wp:base_blog_url>\n"
            f"<item><title>Post</title><link>{base}/post-{cid}/</link><wp:post_id>1</wp:post_id>"
            f"<wp:status>publish</wp:status>\n<wp:comment><wp:comment_id>{cid}</wp:comment_id>"
            f"<wp:comment_author>{author}</wp:comment_author><wp:comment_author_email>{email}</wp:comment_author_email>"
            f"<wp:comment_date_gmt>2015-01-01 00:00:00</wp:comment_date_gmt><wp:comment_content>{text}"
            f"</wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent>"
            f"<wp:comment_user_id>1</wp:comment_user_id></wp:comment>\n</item></channel></rss>\n")


def _authors(app: Townhall) -> dict[str, dict[str, Any]]:
    with app.services.db.read() as conn:
        return {str(r["body"]): dict(r) for r in conn.execute(sa.text(
            "SELECT c.body, c.account_id, a.display_name, a.subject, a.email FROM comments c "
            "JOIN accounts a ON a.id = c.account_id")).mappings()}


def test_user_1_of_two_blogs_is_two_accounts(app: Townhall, client: TestClient) -> None:
    first = _blog("https://alice.example", "Alice", "alice@example.org", "Alice writes", 5)
    second = _blog("https://bob.example/blog", "Bob", "bob@example.org", "Bob writes", 6)
    run_import(app.services, wordpress.read(first), "default")
    report = run_import(app.services, wordpress.read(second), "default")
    assert report.accounts_new == 1

    authors = _authors(app)
    assert authors["Alice writes"]["account_id"] != authors["Bob writes"]["account_id"]
    assert authors["Bob writes"]["display_name"] == "Bob" and authors["Bob writes"]["email"] == "bob@example.org"

    # Alice signs in: her history is hers, Bob's is not
    me = client.get("/api/v1/me", headers=auth("alice-sso", name="Alice", email="alice@example.org"))
    assert me.status_code == 200, me.text
    authors = _authors(app)
    assert not authors["Alice writes"]["subject"].startswith("import:")  # claimed by her sign-in
    assert authors["Bob writes"]["subject"].startswith("import:wordpress:user:")

    again = run_import(app.services, wordpress.read(first), "default")  # the same blog again: nothing new
    assert again.comments_new == 0 and again.accounts_new == 0
    more = _blog("https://bob.example/blog", "Bob", "bob@example.org", "Bob again", 7)
    assert run_import(app.services, wordpress.read(more), "default").accounts_new == 0  # Bob's account found
    assert _authors(app)["Bob again"]["account_id"] == _authors(app)["Bob writes"]["account_id"]
