"""Comments an older Townhall rendered are drawn again by today's renderer: a background job, queued at start when
any comment's ``render_version`` is older than ``RENDER_VERSION``, renders them again from their text; an edit or an
erasure meanwhile is kept; new and imported comments carry today's version, so nothing is queued for them."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.service import rerender
from townhall.service.importers import disqus
from townhall.service.importing import run_import
from townhall.service.render import RENDER_VERSION, render
from townhall.store import rerender as store
from townhall.store.ops_tables import jobs
from townhall.store.schema import comments
from tests.fixtures_app import auth
from tests.ops.conftest import POLICY
from tests.ops.test_export import FIXTURES

# What the renderer before version 1 made of a link in quotes: the quote and a ";" inside the address.
QUOTED = 'Read "https://example.com/report" first.'
OLD_QUOTED = ('<p>Read "<a href="https://example.com/report&amp;quot" rel="nofollow ugc noopener noreferrer">'
              'https://example.com/report&amp;quot</a>; first.</p>')
TEXTS = [QUOTED, "> quoted words\nmy answer", "plain words", "two\n\nparagraphs"]


def _post(client: Any, texts: list[str]) -> list[int]:
    ids = []
    for i, text in enumerate(texts):
        r = client.post("/api/v1/threads/t-r/comments", json={"text": text, "title": "T"}, headers=auth(f"r{i}"))
        assert r.status_code == 201, r.text
        ids.append(r.json()["comment"]["id"])
    return ids


def _age(app: Townhall, ids: list[int], html: str | None = None) -> None:
    """Make the comments look written by a Townhall before render versions: version 0, and (given) old HTML."""
    values: dict[str, Any] = {"render_version": 0}
    if html is not None:
        values["html"] = html
    with app.services.db.write() as conn:
        conn.execute(sa.update(comments).where(comments.c.id.in_(ids)).values(**values))


def _rows(app: Townhall) -> dict[int, tuple[str, str, int]]:
    with app.services.db.read() as conn:
        q = sa.select(comments.c.id, comments.c.body, comments.c.html, comments.c.render_version)
        return {r.id: (r.body, r.html, r.render_version) for r in conn.execute(q)}


def _jobs(app: Townhall) -> list[str]:
    with app.services.db.read() as conn:
        q = sa.select(jobs.c.state).where(jobs.c.kind == rerender.JOB_KIND).order_by(jobs.c.id)
        return list(conn.execute(q).scalars())


def test_new_and_imported_comments_carry_todays_version_and_queue_nothing(app: Townhall, client: Any) -> None:
    _post(client, TEXTS)
    run_import(app.services, disqus.read((FIXTURES / "disqus.xml").read_text(encoding="utf-8")), "default")
    rows = _rows(app)
    assert len(rows) > len(TEXTS)
    assert {v for _, _, v in rows.values()} == {RENDER_VERSION}
    assert all(html == render(body) for body, html, _ in rows.values())
    assert rerender.stale(app.services) == 0
    assert rerender.schedule_rerender(app.services, app.services.operations.queue) is False
    assert _jobs(app) == []


def test_a_comment_edited_gets_todays_version(app: Townhall, client: Any) -> None:
    [cid] = _post(client, ["first words"])
    _age(app, [cid], "<p>old</p>")
    r = client.patch(f"/api/v1/comments/{cid}", json={"text": QUOTED}, headers=auth("r0"))
    assert r.status_code == 200, r.text
    assert _rows(app)[cid] == (QUOTED, render(QUOTED), RENDER_VERSION)


def test_an_older_townhalls_html_is_rendered_again_at_the_next_start(app: Townhall, client: Any, make_app: Any,
                                                                      db_url: str) -> None:
    ids = _post(client, TEXTS)
    _age(app, ids[:1], OLD_QUOTED)
    _age(app, ids[1:])  # same HTML as today's: only the version is old
    app.services.operations.queue.stop()
    listed = client.get("/api/v1/threads/t-r/comments").json()["comments"]
    assert OLD_QUOTED in [c["html"] for c in listed]  # as readers see it before
    later = make_app(db_url, policy=POLICY)  # the next start (an upgrade): one job is queued
    later.services.operations.queue.stop()
    assert _jobs(app) in (["queued"], ["running"], ["done"])
    later.services.operations.queue.run_until_idle()
    assert _jobs(app)[-1] == "done" and "queued" not in _jobs(app)
    rows = _rows(app)
    assert rows[ids[0]] == (QUOTED, render(QUOTED), RENDER_VERSION)
    assert render(QUOTED) != OLD_QUOTED and '&amp;quot' not in render(QUOTED)
    assert all(rows[i] == (t, render(t), RENDER_VERSION) for i, t in zip(ids, TEXTS))
    with TestClient(later) as fresh:  # what readers of the new process see
        listed = fresh.get("/api/v1/threads/t-r/comments").json()["comments"]
    assert render(QUOTED) in [c["html"] for c in listed] and OLD_QUOTED not in [c["html"] for c in listed]


def test_starts_together_queue_one_job(app: Townhall, client: Any) -> None:
    ids = _post(client, TEXTS)
    app.services.operations.queue.stop()
    _age(app, ids, "<p>old</p>")
    queue = app.services.operations.queue
    assert rerender.schedule_rerender(app.services, queue) is True
    assert rerender.schedule_rerender(app.services, queue) is False  # one is queued already
    assert _jobs(app) == ["queued"]


def test_passes_go_by_batches_and_a_job_queues_its_successor(app: Townhall, client: Any, monkeypatch: Any) -> None:
    ids = _post(client, TEXTS * 2)
    app.services.operations.queue.stop()
    _age(app, ids, "<p>old</p>")
    first = rerender.rerender(app.services, limit=3, batch=2)
    assert (first.seen, first.changed, first.left) == (3, 3, True)
    assert rerender.stale(app.services) == len(ids) - 3
    monkeypatch.setattr(rerender, "PER_JOB", 2)  # the rest: 5 comments, 2 per job, so three jobs
    queue = app.services.operations.queue
    assert rerender.schedule_rerender(app.services, queue)
    assert queue.run_until_idle() == 3
    assert _jobs(app) == ["done", "done", "done"]
    assert rerender.stale(app.services) == 0
    assert all(html == render(body) for body, html, _ in _rows(app).values())


def test_an_edit_or_erasure_meanwhile_is_kept(app: Townhall, client: Any) -> None:
    """The job read a comment's text, then its author edited it (or it was erased) before the job wrote: the job's
    write is refused by its guard (same text, older version), and the next pass renders the new text."""
    [cid] = _post(client, ["what the job read"])
    _age(app, [cid], "<p>old</p>")
    with app.services.db.read() as conn:
        [row] = store.stale_batch(conn, RENDER_VERSION, after_id=0, limit=10)
    assert row["body"] == "what the job read"
    with app.services.db.write() as conn:  # an older process edits it meanwhile (its version stays old)
        conn.execute(sa.update(comments).where(comments.c.id == cid).values(body="edited", html="<p>edited</p>"))
    with app.services.db.write() as conn:
        assert store.set_html(conn, [(cid, row["body"], render(row["body"]))], version=RENDER_VERSION) == 0
    assert _rows(app)[cid] == ("edited", "<p>edited</p>", 0)
    done = rerender.rerender(app.services)
    assert (done.seen, done.changed, done.left) == (1, 0, False)  # same HTML: only the version was old
    assert _rows(app)[cid] == ("edited", "<p>edited</p>", RENDER_VERSION)


GOLDEN = FIXTURES / "render_golden.json"


def test_a_change_to_the_renderer_raises_its_version() -> None:
    """What today's renderer makes of texts of every kind it handles, recorded with its version. Output that differs
    under the same version means comments written before would keep the old HTML: raise ``RENDER_VERSION`` (the job
    then renders them again) and record the new output (``python -m tests.ops.test_rerender``)."""
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8"))
    changed = [text for text, html in recorded["cases"] if render(text) != html]
    if recorded["version"] == RENDER_VERSION:
        assert changed == [], f"render() changed for {changed!r} but RENDER_VERSION is still {RENDER_VERSION}"
    else:
        assert recorded["version"] < RENDER_VERSION, "RENDER_VERSION went down"
        raise AssertionError(f"RENDER_VERSION is {RENDER_VERSION}: record its output (python -m tests.ops.test_rerender)")


def _record() -> None:
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8"))
    cases = [json.dumps([text, render(text)], ensure_ascii=False) for text, _ in recorded["cases"]]
    GOLDEN.write_text(f'{{"version": {RENDER_VERSION}, "cases": [\n ' + ",\n ".join(cases) + "\n]}\n", encoding="utf-8")


if __name__ == "__main__":
    _record()
