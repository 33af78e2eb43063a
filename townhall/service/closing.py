"""A thread's effective state, from its row, its site's policy and the clock (the rule: townhall.policy.closing).

A thread open by its state is closed to new comments (and to edits, like a moderator's closing) once it is older
than the site's ``[comments] close_after_days``, counted from its article's ``published_at`` where the publisher
gave it (else from its start), unless a moderator opened it past that age (``kept_open_at``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from townhall.policy.closing import Closure, thread_closure
from townhall.service.core import Services, as_utc
from townhall.store.schema import ThreadState

NOT_STARTED = Closure(None, None)  # a thread Townhall has not stored yet: open; its age counts from its first comment


def closure(svc: Services, policy: Any, thread: Mapping[str, Any] | None, now: datetime | None = None) -> Closure:
    """The thread's effective state at ``now`` (by default the service's clock)."""
    if thread is None:
        return NOT_STARTED
    return _closure(policy, thread, now or svc.now(), kept_open=thread["kept_open_at"] is not None)


def _closure(policy: Any, thread: Mapping[str, Any], now: datetime, *, kept_open: bool) -> Closure:
    started = as_utc(thread["created_at"])
    assert started is not None
    return thread_closure(closed_by_moderator=thread["state"] == ThreadState.CLOSED.value, started_at=started,
                          published_at=as_utc(thread.get("published_at")), kept_open=kept_open,
                          close_after_days=policy.settings.comments.close_after_days, now=now)


def kept_open_at(policy: Any, thread: Mapping[str, Any] | None, target: ThreadState, now: datetime) -> datetime | None:
    """What a moderator's ``target`` state stores as the thread's ``kept_open_at``: for an "open" given once the
    thread is past the site's age limit, when (an earlier such "open" is kept); for a closing, or an "open"
    before the limit (which then closes the thread as usual), None."""
    if target is not ThreadState.OPEN or thread is None:
        return None
    if thread["kept_open_at"] is not None:
        return as_utc(thread["kept_open_at"])
    aged = _closure(policy, {**thread, "state": ThreadState.OPEN.value}, now, kept_open=False)
    return now if aged.closed else None


def published(thread: Mapping[str, Any] | None) -> str | None:
    """The thread's article publication date as the API gives it (ISO 8601, UTC), or None where not known."""
    at = as_utc(thread.get("published_at")) if thread is not None else None
    return at.isoformat() if at is not None else None


def described(closed: Closure) -> dict[str, Any]:
    """The thread's state as readers' widgets get it: ``state`` (open or closed), ``closed_reason`` (moderator,
    age, or None while open) and ``closes_at`` (ISO time when the age limit closes or closed it, or None)."""
    return {
        "state": (ThreadState.CLOSED if closed.closed else ThreadState.OPEN).value,
        "closed_reason": closed.reason.value if closed.reason is not None else None,
        "closes_at": closed.closes_at.isoformat() if closed.closes_at is not None else None,
    }


def takes_released(svc: Services, policy: Any, thread: Mapping[str, Any] | None) -> bool:
    """Whether a held comment that only an account's premoderation kept back may be published on ``thread`` now, as
    that premoderation is lifted (an evasion premoderation released, an appeal granted): not once a moderator has
    premoderated the article, or it has closed (by a moderator or by age), since — a new comment of the reader there
    would be held or refused, so the comment waits for a moderator."""
    return thread is not None and not thread["premoderated"] and not closure(svc, policy, thread).closed
