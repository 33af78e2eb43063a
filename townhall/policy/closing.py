"""When a thread is closed to new comments: by a moderator, or by the site's age limit.

``[comments] close_after_days = N`` closes a thread N days after its article was published, or, where Townhall
is not told that date, N days after the thread started: a newsroom's old articles stop collecting comments. It is a
rule, worked out whenever it matters (a post, an edit, a page of the thread), not a state written at some moment:
nothing has to run at the hour a thread closes, and a changed limit applies at once to every thread.

The publication date (``published_at``) comes from the publisher only: a moderator or the publisher's token over
the moderators' API (``PATCH /api/v1/mod/threads/{thread}``), the command line, or an imported archive's article
date (WordPress, Disqus). A reader's request never sets it: a forged old date would close a thread. A thread
starts when Townhall first stored it: its first comment, a moderator's opening or closing, the publisher's
registration of the article, or, for an imported thread, the archive's date of the article or of its first comment.

A moderator's "open" on a thread past its limit keeps it open (the service stores when: ``kept_open_at``) until a
moderator closes it again, whatever the publication date says. Pure: the caller passes the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = ["ClosedReason", "Closure", "thread_closure"]


class ClosedReason(StrEnum):
    MODERATOR = "moderator"  # a moderator closed the thread (or an imported archive said it was closed)
    AGE = "age"  # open by its state, but older than the site's close_after_days


@dataclass(frozen=True, slots=True)
class Closure:
    """A thread's effective state: ``reason`` is None while it takes comments. ``closes_at``: when the age limit
    closes (or closed) it; None where the site sets no limit, a moderator kept the thread open, or the date would
    lie beyond what a date can hold."""

    reason: ClosedReason | None
    closes_at: datetime | None

    @property
    def closed(self) -> bool:
        return self.reason is not None


def thread_closure(*, closed_by_moderator: bool, started_at: datetime, kept_open: bool, close_after_days: int,
                   now: datetime, published_at: datetime | None = None) -> Closure:
    """The thread's effective state at ``now``. A moderator's closing comes first (it names who closed it); else
    the thread is closed from ``close_after_days`` after its article's ``published_at`` (where known, else after
    ``started_at``) on, unless a moderator kept it open."""
    closes_at = None
    if close_after_days > 0 and not kept_open:
        try:
            closes_at = (published_at or started_at) + timedelta(days=close_after_days)
        except OverflowError:  # an imported date near year 9999: the limit never comes
            closes_at = None
    if closed_by_moderator:
        return Closure(ClosedReason.MODERATOR, closes_at)
    if closes_at is not None and now >= closes_at:
        return Closure(ClosedReason.AGE, closes_at)
    return Closure(None, closes_at)
