"""The site's announcement reaches open widgets live: setting, changing or clearing it (``PUT`` / ``DELETE
/api/v1/mod/announcement``) sends one ``site.announcement`` event, ``{"announcement": {"text", "until"} | null}``, to
every live reader of every thread of the site, and to no other site's; a reader who reconnects with the last id they
saw is sent the one they missed; nothing is sent where nothing changed. On PostgreSQL the relay carries it to the
readers of another process on the same database, a 1,000-character announcement of emoji included. Over real
servers and streams, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.api.test_live_audit import Events, Stream, post, subscribed, wait_for
from tests.fixtures_app import AppFactory, Clock, LiveServer, auth
from townhall.app import Townhall
from townhall.service import announcements, moderators
from townhall.service.events import EventBus
from townhall.service.identity import Actor

A, B = "ann-article-a", "ann-article-b"
MOD = auth("editor", role="moderator")
CLOSING = "Comments on election coverage close at 22:00 tonight."
MOVING = "We are moving to a new sign-in on Monday.\n\nYour account stays as it is."
OTHER = "The Other Paper's readers hear this one."


def announce(server: LiveServer, text: str, until: str | None = None) -> None:
    r = httpx.put(f"{server.url}/api/v1/mod/announcement", json={"text": text, "until": until}, headers=MOD)
    assert r.status_code == 200, r.text


def clear(server: LiveServer) -> None:
    r = httpx.delete(f"{server.url}/api/v1/mod/announcement", headers=MOD)
    assert r.status_code == 204, r.text


def announcements_in(events: Events) -> list[Any]:
    return [d["announcement"] for kind, _, d in events if kind == "site.announcement"]


def next_announcement(stream: Stream) -> tuple[str | None, Any]:
    """The next event on ``stream``, which must be a ``site.announcement``: its id and what it carries."""
    kind, ident, data = stream.events(lambda e: bool(e))[0]
    assert kind == "site.announcement" and data["type"] == "site.announcement", (kind, data)
    assert set(data) == {"type", "announcement"}, data
    return ident, data["announcement"]


def test_set_changed_and_cleared_reach_every_thread_of_the_site_and_no_other_site(
        app: Townhall, live_server: LiveServer, clock: Clock) -> None:
    moderators.add_site(app.services, Actor.cli(), "other", "The Other Paper")
    bus = app.services.events
    ours = [Stream(live_server, thread=A), Stream(live_server, thread=B), Stream(live_server, thread=A)]
    theirs = Stream(live_server, thread=A, query="?site=other")  # the same thread id, on another site
    try:
        subscribed(app, 2, A)
        subscribed(app, 1, B)
        wait_for(lambda: bus.subscriber_count(bus.channel("other", A)) == 1)
        assert bus.subscriber_count(bus.site_channel(app.settings.default_site)) == 3

        announce(live_server, CLOSING)
        got = [next_announcement(s) for s in ours]
        assert [a for _, a in got] == [{"text": CLOSING, "until": None}] * 3
        assert got[0][0] is not None and len({i for i, _ in got}) == 1  # one event, one id, for every thread

        until = (clock.now + timedelta(hours=2)).isoformat()
        announce(live_server, CLOSING, until)  # only its end moved: readers are told too
        assert {next_announcement(s)[1]["until"] for s in ours} == {until}
        announce(live_server, CLOSING, until)  # the same again: nothing to tell
        announce(live_server, MOVING)
        assert [next_announcement(s)[1] for s in ours] == [{"text": MOVING, "until": None}] * 3

        # the other site's reader heard none of it: the first thing it hears is its own site's announcement
        announcements.put(app.services, Actor.cli(), "other", OTHER)
        assert next_announcement(theirs)[1] == {"text": OTHER, "until": None}

        clear(live_server)
        assert [next_announcement(s)[1] for s in ours] == [None] * 3  # not the other site's OTHER
        clear(live_server)  # nothing stored: nothing to tell
        announce(live_server, CLOSING)
        assert [next_announcement(s)[1]["text"] for s in ours] == [CLOSING] * 3  # the next one, not a second clear
    finally:
        for s in [*ours, theirs]:
            s.close()
    subscribed(app, 0, A)
    subscribed(app, 0, B)


def test_a_reader_who_reconnects_is_sent_the_announcement_they_missed(app: Townhall, live_server: LiveServer) -> None:
    stream = Stream(live_server, thread=A)
    try:
        subscribed(app, 1, A)
        cid = post(live_server, "Before the reader's connection drops.", thread=A)
        seen = [i for _, i, d in stream.events(lambda e: bool(e)) if d.get("id") == cid][0]
        assert seen is not None
    finally:
        stream.close()
    subscribed(app, 0, A)

    announce(live_server, CLOSING)  # while no reader of any thread of the site is connected
    elsewhere = post(live_server, "Another article's comment.", thread=B)
    clear(live_server)
    announce(live_server, MOVING)
    laters: list[int] = []  # the next reconnect from the same id misses these too
    for how in ({"headers": f"Last-Event-ID: {seen}\r\n"}, {"query": f"?last_event_id={seen}"}):
        again = Stream(live_server, thread=A, **how)  # type: ignore[arg-type]
        try:
            got = again.events(lambda e: len(e) >= 3 + len(laters))
            assert announcements_in(got) == [{"text": CLOSING, "until": None}, None, {"text": MOVING, "until": None}]
            assert [d["id"] for kind, _, d in got if kind == "comment.published"] == laters  # not B's comment
            assert elsewhere not in laters
            ids = [int(i or 0) for _, i, _ in got]
            assert ids == sorted(ids) and len(set(ids)) == len(got) and ids[0] > int(seen)
            subscribed(app, 1, A)
            later = post(live_server, "Live again.", thread=A)
            assert again.events(lambda e: bool(e))[0][2]["id"] == later
            laters.append(later)
        finally:
            again.close()
        subscribed(app, 0, A)


def test_on_the_bus_a_site_event_reaches_each_thread_of_the_site_and_a_dead_loops_readers_are_dropped() -> None:
    bus = EventBus(flush_every=0.0)
    watched: list[tuple[str, str, str]] = []
    bus.watchers.append(lambda site, thread, event: watched.append((site, thread, event["type"])))
    dead = asyncio.new_event_loop()
    gone = dead.run_until_complete(_subscribe(bus, bus.channel("site", "old")))
    dead.close()

    async def scenario() -> list[list[str]]:
        pairs = (("site", "a"), ("site", "b"), ("site2", "a"))
        subs = [bus.subscribe(bus.channel(site, thread)) for site, thread in pairs]
        bus.publish(bus.site_channel("site"), {"type": "site.announcement", "announcement": None})
        await asyncio.sleep(0.05)
        out = [[d.type for d in (await sub.get_all() if not sub.queue.empty() else [])] for sub in subs]
        for sub in subs:
            sub.close()
        return out

    assert asyncio.run(scenario()) == [["site.announcement"], ["site.announcement"], []]
    assert gone.queue.empty() and bus.subscriber_count(bus.channel("site", "old")) == 0  # its loop closed: dropped
    assert watched == [("site", "", "site.announcement")]
    assert bus.subscriber_count() == 0


async def _subscribe(bus: EventBus, channel: str) -> Any:
    return bus.subscribe(channel)


@pytest.mark.postgres
def test_the_relay_carries_it_to_another_process_readers_and_replays_it_there(make_app: AppFactory, postgres: Any,
                                                                              clock: Clock) -> None:
    url = postgres.fresh()
    one, two = make_app(url), make_app(url)
    with LiveServer(one) as first, LiveServer(two) as second:
        readers = [Stream(second, thread=A), Stream(second, thread=B)]  # threads no reader of process one follows
        try:
            subscribed(two, 1, A)
            subscribed(two, 1, B)
            cid = post(first, "Seen by process two's reader.", thread=A)
            seen = [i for _, i, d in readers[0].events(lambda e: bool(e)) if d.get("id") == cid][0]

            listing = f"{second.url}/api/v1/threads/{A}/comments"
            assert httpx.get(listing).json()["thread"]["announcement"] is None  # process two holds the site's row now
            wide = "\U0001F5F3" * announcements.MAX_TEXT  # 1,000 ballot boxes: 12,000 bytes escaped, 4,000 in UTF-8
            until = (clock.now + timedelta(days=1)).isoformat()
            announce(first, wide, until)
            got = [next_announcement(s) for s in readers]
            assert [a for _, a in got] == [{"text": wide, "until": until}] * 2
            # ... and forgot it on the event: a reload there shows what the event drew, not the row it had cached
            assert httpx.get(listing).json()["thread"]["announcement"] == {"text": wide, "until": until}
            assert got[0][0] is not None and got[0][0] == got[1][0]
            clear(first)
            assert [next_announcement(s)[1] for s in readers] == [None, None]
        finally:
            for s in readers:
                s.close()
        subscribed(two, 0, A)

        # a reader of process two who saw the comment reconnects to process one: the same ids, the same history
        again = Stream(first, thread=A, headers=f"Last-Event-ID: {seen}\r\n")
        try:
            got_again = again.events(lambda e: len(e) >= 2)
            assert announcements_in(got_again) == [{"text": wide, "until": until}, None]
        finally:
            again.close()
