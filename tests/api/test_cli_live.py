"""What a command changes reaches open widgets at once on PostgreSQL, as a change made through the API does: the
command sends its live event on the running servers' relay (NOTIFY) — ``townhall announce`` its
``site.announcement``, ``townhall threads set`` its ``thread.message`` and ``thread.premoderated`` — and the readers of
a running server receive it. The command's relay only sends: it is closed with the command's database."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from tests.api.test_live_audit import Stream, post, subscribed, wait_for
from tests.fixtures_app import AppFactory, LiveServer
from townhall.cli import build_cli

THREAD = "cli-live-article"
SAID = "Comments on election coverage close at 22:00 tonight."


def _cli(url: str, *args: str) -> None:
    ran = CliRunner().invoke(build_cli(), [*args, "--db", url])
    assert ran.exit_code == 0, ran.output


def _next(stream: Stream, kind: str) -> dict[str, Any]:
    got = stream.events(lambda e: any(k == kind for k, _, _ in e))
    return [d for k, _, d in got if k == kind][0]


@pytest.mark.postgres
def test_commands_reach_the_readers_of_a_running_server(make_app: AppFactory, postgres: Any) -> None:
    url = postgres.fresh()
    app = make_app(url)
    with LiveServer(app) as server:
        post(server, "The thread exists.", thread=THREAD)
        reader = Stream(server, thread=THREAD)
        try:
            subscribed(app, 1, THREAD)
            _cli(url, "announce", SAID)
            assert _next(reader, "site.announcement")["announcement"] == {"text": SAID, "until": None}
            _cli(url, "threads", "set", THREAD, "--message", "Keep to the debate, please.", "--premoderate")
            got = reader.events(lambda e: {"thread.message", "thread.premoderated"} <= {k for k, _, _ in e})
            assert [(k, d) for k, _, d in got if k.startswith("thread.")] == [
                ("thread.premoderated", {"type": "thread.premoderated", "premoderated": True}),
                ("thread.message", {"type": "thread.message", "message": "Keep to the debate, please."})]
            _cli(url, "announce", "--clear")
            assert _next(reader, "site.announcement")["announcement"] is None
        finally:
            reader.close()
    app.close()  # the server's connections go; the commands left none behind (their relay was closed)
    name = url.rsplit("/", 1)[1]

    def connections() -> int:
        with postgres.admin.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)).scalar_one())
    wait_for(lambda: connections() == 0)
