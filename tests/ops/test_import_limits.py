"""Import limits: an archive's comment longer than 1,000,000 characters is skipped and reported, the rest of the
archive imported (its reply imported as top-level); a re-run of an import judges nothing it already has (the
house rules run only on comments new to the site); a WordPress import killed with SIGKILL half-way and run again
has every comment once. SQLite only: none of this depends on the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from townhall.app import Townhall
from townhall.policy.policyfile import Policy
from townhall.service.importers import disqus, isso, wordpress
from townhall.service.importing import run_import
from tests.ops.conftest import POLICY
from tests.ops.import_runs import count_comments, imported, kill_half_way, start

FIXTURES = Path(__file__).parent / "fixtures"
CAP = 1_000_000  # characters: the policy file's own upper bound for max_length


@pytest.fixture
def app(make_app: Any, sqlite_url: str) -> Townhall:
    return make_app(sqlite_url, policy=POLICY)  # type: ignore[no-any-return]


def _bodies(app: Townhall) -> dict[str, dict[str, Any]]:
    with app.services.db.read() as conn:
        return {str(r["external_id"]): dict(r) for r in conn.execute(sa.text(
            "SELECT external_id, parent_id, depth, length(body) AS chars FROM comments")).mappings()}


def _disqus(posts: list[tuple[str, str | None, str]]) -> str:
    body = "".join(
        f'<post dsq:id="{pid}"><message><![CDATA[{text}]]></message><createdAt>2020-01-02T00:00:00Z</createdAt>'
        f'<author><name>P{pid}</name><isAnonymous>true</isAnonymous></author><thread dsq:id="1"/>'
        + (f'<parent dsq:id="{parent}"/>' if parent else "") + "</post>"
        for pid, parent, text in posts)
    return ('<?xml version="1.0"?><disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
            f'<thread dsq:id="1"><link>https://ex.org/t</link><title>T</title></thread>{body}</disqus>')


def _wxr(items: list[list[tuple[int, int, str]]]) -> str:
    """A WXR export: one <item> per list of (comment id, parent id or 0, text)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">'
           "<channel><wp:base_site_url>https://blog.example</wp:base_site_url>"]
    for n, comments in enumerate(items):
        out.append(f"<item><title>Post {n}</title><link>https://blog.example/p{n}/</link>"
                   f"<wp:post_id>{n + 1}</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>")
        out.extend(f"<wp:comment><wp:comment_id>{cid}</wp:comment_id><wp:comment_author>R{cid % 10}</wp:comment_author>"
                   f"<wp:comment_author_email>r{cid % 10}@example.org</wp:comment_author_email>"
                   f"<wp:comment_date_gmt>2024-05-14 08:{cid // 60 % 60:02d}:{cid % 60:02d}</wp:comment_date_gmt>"
                   f"<wp:comment_content><![CDATA[{text}]]></wp:comment_content>"
                   f"<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>{parent}</wp:comment_parent>"
                   "<wp:comment_user_id>0</wp:comment_user_id></wp:comment>"
                   for cid, parent, text in comments)
        out.append("</item>")
    out.append("</channel></rss>")
    return "".join(out)


def _skipped_for_length(report: Any, where: str) -> None:
    [line] = [str(p) for p in report.problems if where in str(p) and "characters" in str(p)]
    assert f"{CAP + 1:,}" in line and f"{CAP:,}" in line and "skipped" in line, line


# --- 1. an imported comment longer than 1,000,000 characters ------------------------------------------------
def test_a_disqus_message_over_the_cap_is_skipped_and_reported_and_the_rest_imported(app: Townhall) -> None:
    archive = disqus.read(_disqus([("huge", None, "x" * (CAP + 1)), ("reply", "huge", "a reply to it"),
                                   ("full", None, "y" * CAP), ("small", None, "a plain comment")]))
    report = run_import(app.services, archive, "default")
    _skipped_for_length(report, "dsq:id=huge")
    assert any("replies to comment 'huge'" in str(p) and "top-level" in str(p) for p in report.problems)
    assert report.comments_new == 3 and report.total == 3
    rows = _bodies(app)
    assert set(rows) == {"disqus:reply", "disqus:full", "disqus:small"}
    assert rows["disqus:full"]["chars"] == CAP  # the cap itself is imported whole
    assert rows["disqus:reply"]["parent_id"] is None and rows["disqus:reply"]["depth"] == 0
    again = run_import(app.services, disqus.read(_disqus([("huge", None, "x" * (CAP + 1))])), "default")
    assert again.comments_new == 0  # a re-run skips it again, and says so again
    _skipped_for_length(again, "dsq:id=huge")


def test_a_disqus_message_over_the_cap_read_before_its_thread_is_skipped_too(app: Townhall) -> None:
    text = _disqus([("huge", None, "x" * (CAP + 1)), ("small", None, "kept")])
    head, thread = text.split('<thread dsq:id="1"><link>', 1)
    thread, posts = thread.split("</thread>", 1)
    text = head + posts.replace("</disqus>", f'<thread dsq:id="1"><link>{thread}</thread></disqus>')  # posts first
    report = run_import(app.services, disqus.read(text), "default")
    _skipped_for_length(report, "dsq:id=huge")
    assert set(_bodies(app)) == {"disqus:small"}


def test_a_disqus_post_too_long_to_hold_a_kept_comment_is_skipped_while_it_is_read(app: Townhall,
                                                                                   tmp_path: Path) -> None:
    """A post record over 16 Mi characters cannot hold a comment of 1,000,000 characters, however written: it is
    reported and skipped as it is scanned, never held whole (a 40 MB message peaked at 380 MiB, now at what a
    tiny import takes)."""
    export = tmp_path / "export.xml"
    export.write_text(_disqus([("flood", None, "f" * (17 << 20)), ("small", None, "kept")]), encoding="utf-8")
    with disqus.read_file(export) as archive:
        report = run_import(app.services, archive, "default")
    assert [str(p) for p in report.problems] == ["line 1 <post>: <post> is longer than 16,777,216 characters; skipped"]
    assert set(_bodies(app)) == {"disqus:small"}


def test_a_wordpress_comment_over_the_cap_is_skipped_and_reported(app: Townhall) -> None:
    report = run_import(app.services, wordpress.read(_wxr([[(1, 0, "z" * (CAP + 1)), (2, 0, "fine")]])), "default")
    _skipped_for_length(report, "wp:comment_id=1")
    assert set(_bodies(app)) == {"wordpress:2"}


def test_an_isso_comment_over_the_cap_is_skipped_and_reported(app: Townhall) -> None:
    archive = isso.from_rows([{"id": 1, "uri": "/a", "title": "A"}],
                             [{"id": 1, "tid": 1, "parent": None, "created": 1.7e9, "mode": 1, "text": "w" * (CAP + 1)},
                              {"id": 2, "tid": 1, "parent": None, "created": 1.7e9, "mode": 1, "text": "fine"}])
    report = run_import(app.services, archive, "default")
    _skipped_for_length(report, "comments row id=1")
    assert set(_bodies(app)) == {"isso:2"}


# --- 2. a re-run judges nothing it already has ----------------------------------------------------------------
@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the house rules judge from here on (the real policy judges them: this only notes them)."""
    texts: list[str] = []
    original = Policy.evaluate

    def noting(self: Policy, subject: Any) -> Any:
        texts.append(subject.text)
        return original(self, subject)

    monkeypatch.setattr(Policy, "evaluate", noting)
    return texts


def _decisions(app: Townhall) -> int:
    with app.services.db.read() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM decisions WHERE source = 'import'")).scalar_one())


def test_a_rerun_judges_only_the_comments_it_has_not_imported_yet(app: Townhall, judged: list[str]) -> None:
    text = (FIXTURES / "disqus.xml").read_text(encoding="utf-8")
    total, done = disqus.read(text).prepare(), 0

    def killed_after_two_batches(n: int) -> None:
        nonlocal done
        done += n
        if done == 8:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_import(app.services, disqus.read(text), "default", batch=4, progress=killed_after_two_batches)
    assert len(judged) == 8 and _decisions(app) == 8
    judged.clear()
    resumed = run_import(app.services, disqus.read(text), "default", batch=4)
    assert resumed.comments_existing == 8 and resumed.comments_new == total - 8
    assert len(judged) == total - 8  # only the comments the first run did not write
    judged.clear()
    for dry_run in (True, False):
        again = run_import(app.services, disqus.read(text), "default", dry_run=dry_run)
        assert again.comments_new == 0 and again.comments_existing == total
    assert judged == []
    assert _decisions(app) == total  # one report-only decision per comment, none added by a re-run


# --- 3. a WordPress import killed half-way ---------------------------------------------------------------------
ITEMS, PER_ITEM = 4, 200  # 800 comments: four batches of 200, an item each


def test_a_wordpress_import_killed_half_way_and_run_again_has_every_comment_once(app: Townhall, sqlite_url: str,
                                                                                 tmp_path: Path) -> None:
    total = ITEMS * PER_ITEM
    export = tmp_path / "export.xml"
    export.write_text(_wxr([[(i * PER_ITEM + n + 1, i * PER_ITEM + n if n % 3 else 0, f"comment {i}/{n}")
                             for n in range(PER_ITEM)] for i in range(ITEMS)]), encoding="utf-8")
    before = kill_half_way(app, start("wordpress", export, sqlite_url, tmp_path), total)
    # run again in this process (the command's own path is the Disqus test's; a second child would cost a start)
    with wordpress.read_file(export) as archive:
        report = run_import(app.services, archive, "default")
    assert (report.comments_existing, report.comments_new) == (before, total - before)
    assert report.problems == [] and report.accounts_new == 0  # the ten authors were made before the kill
    rows, accounts = imported(app)
    assert len(rows) == total and accounts == 10
    for i in range(ITEMS):
        for n in range(PER_ITEM):
            row = rows[f"wordpress:{i * PER_ITEM + n + 1}"]
            assert row["thread"] == f"https://blog.example/p{i}/" and row["depth"] == n % 3
            if n % 3:
                assert row["parent_id"] == rows[f"wordpress:{i * PER_ITEM + n}"]["id"]
    assert count_comments(app) == total
