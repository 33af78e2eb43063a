"""A site's announcement (Coral's site-wide "Announcement"): one short message a site's moderators show above the
comments of every article of the site ("Comments on election coverage close at 22:00 tonight."), optionally until a
given time, after which it disappears by itself.

Set over ``PUT /api/v1/mod/announcement``, the dashboard's Articles page or ``townhall announce``; cleared over
``DELETE``, the page's Clear button or ``townhall announce --clear``; read publicly over ``GET /api/v1/announcement``
and in the ``thread`` of every comments listing (``announcement``: ``{"text", "until"}`` or null). Its text is
checked as an article's message is (townhall.service.thread_metadata.check_message: plain text, 1 to 1,000
characters after trimming, line breaks kept, no control or bidirectional characters), named ``text``.

Where it lives, and how fresh readers see it: on the site's row (``sites.announcement*``, migration 0015), which every
request reads through ``Services.site`` (cached for ``cache_seconds``, 5 by default). The comments listing adds it to
the thread *when answering*, never into the page cache (townhall.service.threads.list_page), so that no cached page
of any thread of the site carries an old one: a change reaches every thread of the site at once in the process that
made it (it forgets the site's row on commit), in other server processes when the live event below reaches them
(they forget it too: ``Services.on_site_event``), and within ``cache_seconds`` where no event comes (a command-line
change). An announcement is in force while ``svc.now()`` is before its ``until``, compared when each
answer is made: it disappears from every listing, cached page or not, the moment it expires.

Open widgets are told at once: a change (set, replaced, its ``until`` moved, cleared) publishes, once committed, one
``site.announcement`` live event, ``{"type": "site.announcement", "announcement": {"text", "until"} | null}`` (the
one in force after it, as a thread carries it), on the site's channel (``EventBus.site_channel``): every live reader
of every thread of the site gets it, in this process and, through the relay, in the others; a reader who reconnects
with the last id they saw is sent it if they missed it (or a ``reset``: they reload). The event carries the
announcement itself, so that no process's cached site row is asked (at most 1,000 characters: the relay's
notification holds it, in UTF-8 where its escaped form is too long). Nothing is published where nothing changed for
readers (the same again; an expired one cleared). Its ``until`` is the widget's to keep: it hides the announcement
then by itself, as after a read of the thread. A change made by ``townhall announce`` is published on that command's
bus: on PostgreSQL its relay sends it to every running server at once (the command listens to nothing); on SQLite the
command's bus has no readers, and open widgets see it on their next read of the thread (a poll, a reload).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Mapping

from townhall.service import thread_metadata
from townhall.service.core import Services, as_utc
from townhall.service.errors import Invalid, no_such_site
from townhall.service.identity import Actor
from townhall.store import announcements as store
from townhall.store import content

__all__ = ["EVENT", "FORM_DATE", "MAX_AHEAD", "MAX_TEXT", "MAX_UNTIL_TEXT", "Announcement", "check_text", "check_until",
           "clear", "clear_form", "current", "form_view", "in_force", "on_thread", "parse_form_until", "parse_until",
           "put", "save_form"]

MAX_TEXT: Final = thread_metadata.MAX_MESSAGE
"""An announcement's length, in characters after trimming (a line break is one): an article's message's."""
MAX_AHEAD: Final = timedelta(days=366)
"""How far ahead ``until`` may lie: a year and a day (an announcement meant to stay needs none)."""
MAX_UNTIL_TEXT: Final = thread_metadata.MAX_DATE_TEXT  # what parse_zoned reads
_EXAMPLE: Final = "e.g. 2026-11-27T22:00:00Z or 2026-11-27T23:00:00+01:00"
EVENT: Final = "site.announcement"
"""The live event a change sends to every reader of the site's threads: ``{"type", "announcement": {...} | null}``."""


@dataclass(frozen=True, slots=True)
class Announcement:
    """The announcement in force on a site: its text, when it disappears (None: when cleared), and when it was set."""

    text: str
    until: datetime | None
    since: datetime | None

    def public(self) -> dict[str, Any]:
        """As ``GET /api/v1/announcement`` shows it (times in ISO 8601, UTC)."""
        return {**self.on_thread(), "since": self.since.isoformat() if self.since is not None else None}

    def on_thread(self) -> dict[str, Any]:
        """As the thread of a comments listing carries it."""
        return {"text": self.text, "until": self.until.isoformat() if self.until is not None else None}


def _renamed(exc: Invalid, old: str, new: str) -> Invalid:
    """``exc`` (a refusal of the field ``old``, as townhall.service.thread_metadata words it) naming ``new``."""
    details = dict(exc.details) if isinstance(exc.details, dict) else {}
    if details.get("field") == old:
        details["field"] = new
    return Invalid(exc.message.replace(f"'{old}'", f"'{new}'"), details or None)


def check_text(value: str) -> str:
    """The text as it is stored and shown (an article's message's rules, named ``text``); blank is refused: clearing
    is its own call."""
    try:
        text = thread_metadata.check_message(value)
    except Invalid as exc:
        raise _renamed(exc, "message", "text") from None
    if text is None:
        raise Invalid("'text' is empty: write the announcement (to remove it, clear it instead).",
                      {"field": "text", "max_length": MAX_TEXT})
    return text


def parse_until(text: str) -> datetime:
    """``until`` as sent: an ISO 8601 date and time with its time zone, in UTC."""
    return thread_metadata.parse_zoned(text, "until", _EXAMPLE)


def check_until(value: datetime | None, now: datetime) -> datetime | None:
    """``until`` in UTC: after ``now`` and at most MAX_AHEAD after it (None: until cleared)."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid("'until' needs a time zone.", {"field": "until"})
    value = value.astimezone(UTC)
    if value <= now:
        raise Invalid(f"'until' must be in the future (the server's clock says {now:%Y-%m-%d %H:%M:%S} UTC).",
                      {"field": "until", "now": now.isoformat()})
    if value > now + MAX_AHEAD:
        latest = now + MAX_AHEAD
        raise Invalid(f"'until' may be at most {MAX_AHEAD.days} days ahead (until {latest:%Y-%m-%d %H:%M} UTC); "
                      "leave it out for an announcement that stays until it is cleared.",
                      {"field": "until", "latest": latest.isoformat()})
    return value


def in_force(site: Mapping[str, Any] | None, now: datetime) -> Announcement | None:
    """The announcement a site's row holds, if it is in force at ``now`` (not expired)."""
    if site is None or not site.get("announcement"):
        return None
    until = as_utc(site.get("announcement_until"))
    if until is not None and until <= now:
        return None
    return Announcement(str(site["announcement"]), until, as_utc(site.get("announcement_at")))


def current(svc: Services, site_id: str) -> Announcement | None:
    """The site's announcement in force now (from the site's cached row); NotFound for a site that does not exist."""
    site = svc.site(site_id)
    if site is None:
        raise no_such_site(site_id)
    return in_force(site, svc.now())


def on_thread(svc: Services, site_id: str) -> dict[str, Any] | None:
    """The announcement as a thread carries it (``{"text", "until"}``), or None; None too for a site that does not
    exist (the listing says so itself)."""
    found = in_force(svc.site(site_id), svc.now())
    return found.on_thread() if found is not None else None


def _audited(found: Announcement | None) -> dict[str, Any]:
    return {"text": found.text if found else None,
            "until": found.until.isoformat() if found and found.until else None}


def _change(svc: Services, actor: Actor, site_id: str, text: str | None, until: datetime | None) -> Announcement | None:
    """Store the site's announcement (``text`` None: none), audited as ``site.announcement`` with the one in force
    before and after (none for no change); once committed, the site's cached row forgotten and, where the one in force
    changed, the ``site.announcement`` live event published to every reader of the site's threads."""
    with svc.db.write() as conn:
        site = store.lock_site(conn, site_id)
        if site is None:
            raise no_such_site(site_id)
        now = svc.now()
        before = in_force(site, now)
        until = check_until(until, now) if text is not None else None
        if text is None:
            after = None
        elif before is not None and (before.text, before.until) == (text, until):
            return before  # the same again: it stays as set, since when it was
        else:
            after = Announcement(text, until, now)
        if after is None and site["announcement"] is None:
            return None  # nothing stored: nothing to clear
        store.set_announcement(conn, site_id, text, until, now if text is not None else None)
        if before != after:  # an expired one cleared: no entry (it was gone already)
            svc.audit(conn, action="site.announcement", subject_type="site", subject_id=site_id,
                      actor_kind=actor.kind.value, actor=actor.id, site_id=site_id,
                      details={"from": _audited(before), "to": _audited(after)})
        svc.db.after_commit(conn, lambda: svc.forget_site(site_id))
        if before != after:
            event = {"type": EVENT, "announcement": after.on_thread() if after is not None else None}
            channel = svc.events.site_channel(site_id)
            svc.db.after_commit(conn, lambda: svc.events.publish(channel, event))
    return after


def put(svc: Services, actor: Actor, site_id: str, text: str, until: datetime | None = None) -> Announcement:
    """Show ``text`` above the comments of every article of the site, until ``until`` (in the future, at most
    MAX_AHEAD ahead; None: until cleared), replacing the one in force. Moderators of the site only."""
    actor.require_site(site_id)
    checked = check_text(text)
    found = _change(svc, actor, site_id, checked, until)
    assert found is not None
    return found


def clear(svc: Services, actor: Actor, site_id: str) -> None:
    """Remove the site's announcement (nothing happens where there is none). Moderators of the site only."""
    actor.require_site(site_id)
    _change(svc, actor, site_id, None, None)


# --- the dashboard's form (the Articles page) ---------------------------------------------------------------------
FORM_DATE: Final = "%Y-%m-%dT%H:%M"  # an <input type="datetime-local">'s value, to the minute, in UTC


def _form_values(found: Announcement | None) -> dict[str, str]:
    """The form's fields as the page fills them in from the announcement in force (``until`` in UTC, to the minute)."""
    if found is None:
        return {"text": "", "until": ""}
    return {"text": found.text, "until": found.until.strftime(FORM_DATE) if found.until is not None else ""}


def form_view(svc: Services, actor: Actor, site_id: str, *, saved: str = "") -> dict[str, Any]:
    """The Articles page's announcement panel: the one in force (read afresh, not from the cached row), the form's
    values, the text's limit, and what was just done (``saved``: a word for the page's status line)."""
    actor.require_site(site_id)
    with svc.db.read() as conn:
        site = content.get_site(conn, site_id)
    if site is None:
        raise no_such_site(site_id)
    found = in_force(site, svc.now())
    return {"current": found, "form": _form_values(found), "limit": MAX_TEXT, "errors": {}, "saved": saved}


def parse_form_until(text: str) -> datetime | None:
    """The form's ``until``: ``YYYY-MM-DDTHH:MM`` (seconds allowed), read as UTC; empty: until cleared."""
    return thread_metadata.parse_form_utc(text, "until", malformed="'until' is a date and time in UTC, e.g. 2026-11-27T22:00.",
                                          zoned="'until' is in UTC, without a time zone (e.g. 2026-11-27T22:00).")


def save_form(svc: Services, actor: Actor, site_id: str, *, text: str, until: str) -> dict[str, Any]:
    """Set the announcement from the dashboard's form (``until`` in UTC). An ``until`` sent as the form showed it
    stays as stored (one given to the second is not cut to the minute); the rest goes to :func:`put`, which checks
    and audits it. The panel as now."""
    actor.require_site(site_id)
    shown = form_view(svc, actor, site_id)
    current: Announcement | None = shown["current"]
    if current is not None and until.strip() == shown["form"]["until"]:
        ends = current.until
    else:
        ends = parse_form_until(until)
    put(svc, actor, site_id, text, ends)
    return form_view(svc, actor, site_id, saved="Saved: shown above the comments of every article.")


def clear_form(svc: Services, actor: Actor, site_id: str) -> dict[str, Any]:
    """Clear the announcement from the dashboard; the panel as now."""
    clear(svc, actor, site_id)
    return form_view(svc, actor, site_id, saved="Cleared: no announcement is shown.")
