"""The live-update bus on its own: events published from worker threads reach an event loop's readers in
order; the first after a quiet spell at once, the ones that follow it together, at most ``flush_every``
later."""

from __future__ import annotations

import asyncio
import threading
import time

from townhall.service.events import EventBus


def test_first_event_at_once_then_a_burst_together_in_order() -> None:
    bus = EventBus(flush_every=0.3)
    channel = bus.channel("site", "article")

    async def scenario() -> tuple[float, list[int], float, list[int]]:
        sub = bus.subscribe(channel)
        other = bus.subscribe(bus.channel("site", "elsewhere"))
        start = time.monotonic()
        threading.Thread(target=bus.publish, args=(channel, {"type": "comment.published", "id": 0})).start()
        first = await asyncio.wait_for(sub.get_all(), 5)
        first_after = time.monotonic() - start

        def burst() -> None:
            for i in range(1, 6):
                bus.publish(channel, {"type": "comment.published", "id": i})

        start = time.monotonic()
        threading.Thread(target=burst).start()
        await asyncio.sleep(0.1)
        assert sub.queue.empty()  # held back: the loop was handed an event less than 0.3 s ago
        rest = await asyncio.wait_for(sub.get_all(), 5)
        rest_after = time.monotonic() - start
        assert other.queue.empty()  # another thread's reader hears nothing
        sub.close()
        other.close()
        return first_after, [d.event["id"] for d in first], rest_after, [d.event["id"] for d in rest]

    first_after, first, rest_after, rest = asyncio.run(scenario())
    assert first == [0] and first_after < 0.25
    assert rest == [1, 2, 3, 4, 5]  # one wake-up, in publication order
    assert 0.1 < rest_after < 1.0
    assert bus.subscriber_count() == 0


def test_one_delivery_object_and_json_text_for_every_reader() -> None:
    bus = EventBus(flush_every=0.0)
    channel = bus.channel("site", "article")

    async def scenario() -> list[object]:
        subs = [bus.subscribe(channel) for _ in range(3)]
        bus.publish(channel, {"type": "comment.deleted", "id": 7})
        got = [await asyncio.wait_for(s.get(), 5) for s in subs]
        for s in subs:
            s.close()
        return got

    got = asyncio.run(scenario())
    assert got[0] is got[1] is got[2]
    assert got[0].type == "comment.deleted" and got[0].data == b'{"type": "comment.deleted", "id": 7}'


def test_a_closed_loop_is_forgotten_with_its_readers() -> None:
    bus = EventBus()
    channel = bus.channel("site", "article")
    loop = asyncio.new_event_loop()
    sub = loop.run_until_complete(_subscribe(bus, channel))
    loop.close()
    assert bus.subscriber_count(channel) == 1
    bus.publish(channel, {"type": "comment.published", "id": 1})  # no error, and the dead reader is dropped
    assert bus.subscriber_count(channel) == 0
    assert sub.queue.empty()


async def _subscribe(bus: EventBus, channel: str):  # type: ignore[no-untyped-def]
    return bus.subscribe(channel)


def test_idle_readers_get_heartbeats_from_one_timer_per_loop() -> None:
    bus = EventBus(heartbeat_every=0.2)
    channel = bus.channel("site", "article")

    async def scenario() -> tuple[list[bool], int]:
        subs = [bus.subscribe(channel) for _ in range(3)]
        timers = len(asyncio.get_running_loop()._scheduled)  # type: ignore[attr-defined]
        got = [d.heartbeat for s in subs for d in await asyncio.wait_for(s.get_all(), 5)]
        for s in subs:
            s.close()
        return got, timers

    got, timers = asyncio.run(scenario())
    assert got == [True, True, True]
    assert timers == 1
