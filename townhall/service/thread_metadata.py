"""A thread's article as its publisher describes it: title, address and publication date (as Coral's story
metadata). Set by a moderator of the site or the publisher's token (``PATCH /api/v1/mod/threads/{thread}``), or
at the command line (``townhall threads set``); never by a reader's request, whose date could be forged to close
a thread. The site's age limit (``[comments] close_after_days``) counts from ``published_at`` where it is set
(townhall.policy.closing). The same call premoderates the article (``premoderated``: every new comment, reply or
edit of a reader waits for a moderator; townhall.service.comments.settle), as Coral's per-story setting does, and
sets the article's ``message``, a short plain text the widget shows above its comments (Coral's "Message box").

The call creates the thread where it does not exist yet, whatever the site's ``auto_create_threads``: that
setting governs a reader's first comment; a publisher registering its article is how a site that creates no
threads on first comment gets them (as a moderator's opening or closing and an import create threads too).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, Final, Mapping


from townhall.service import closing
from townhall.service.article_urls import RULE, article_url, site_origins, web_address
from townhall.service.bidi import BIDI_CONTROLS  # public here too (it was defined here first)
from townhall.service.comments import check_thread_id
from townhall.service.core import Services, as_utc, storable
from townhall.service.errors import Invalid, no_such_site
from townhall.service.identity import Actor
from townhall.service.threads import thread_info
from townhall.store import content

__all__ = ["BIDI_CONTROLS", "EARLIEST", "AHEAD", "FIELDS", "MAX_MESSAGE", "UNSET", "ThreadChanges", "check_message",
           "parse_form_utc", "parse_published_at", "parse_zoned", "plausible_published_at", "update_thread"]

FIELDS: Final = ("title", "url", "published_at", "premoderated", "message")
"""What a change may set, in the order the refusal of an empty one names them."""
MAX_TITLE = 500
MAX_MESSAGE = 1000
"""A message's length, in characters after trimming (a line break is one)."""
MAX_URL = 2000
MAX_DATE_TEXT = 64
EARLIEST: Final = datetime(1990, 1, 1, tzinfo=UTC)
"""No earlier date is taken: news sites' articles are later, and an earlier one is a typo (0226 for 2026)."""
AHEAD: Final = timedelta(days=1)
"""How far ahead of the clock a date may be. A scheduled article is registered shortly before it goes out, and a
day covers clocks and time zones that are off; a later date, a wrong year (2062 for 2026) above all, would keep
the thread open years past the site's limit and show readers a date that has not come."""


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET
"""A field the caller leaves as it is (None clears it)."""


@dataclass(frozen=True, slots=True)
class ThreadChanges:
    """What to change; a field left UNSET stays as it is, None clears it. ``premoderated``: every new comment
    waits for a moderator (townhall.service.comments.settle). ``message``: shown above the comments (None or
    blank: none)."""

    title: str | None | _Unset = UNSET
    url: str | None | _Unset = UNSET
    published_at: datetime | None | _Unset = UNSET
    premoderated: bool | _Unset = UNSET
    message: str | None | _Unset = UNSET

    def given(self) -> dict[str, Any]:
        return {name: value for name in FIELDS if (value := getattr(self, name)) is not UNSET}


def parse_zoned(text: str, field: str, example: str, *, why_zone: str = "") -> datetime:
    """``field`` as sent: an ISO 8601 date-time with its time zone (``2026-11-27T08:00:00Z``, ``…+01:00``), in UTC;
    refusals name ``field`` and give ``example`` (``why_zone`` follows the refusal of a time without its zone)."""
    try:
        if len(text) > MAX_DATE_TEXT:
            raise ValueError
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(f"'{field}' must be an ISO 8601 date and time with a time zone, {example}.",
                      {"field": field}) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid(f"'{field}' needs a time and a time zone (Z for UTC, or an offset such as +01:00), {example}"
                      f"{why_zone}.", {"field": field})
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 lies before the first date a datetime holds
        raise Invalid(f"'{field}' is out of range.", {"field": field}) from None


def parse_form_utc(text: str, field: str, *, malformed: str, zoned: str) -> datetime | None:
    """A dashboard form's date-time box: ``YYYY-MM-DDTHH:MM`` (seconds allowed), read as UTC; empty: None. Refusals
    name ``field``: ``malformed`` for what is no date and time, ``zoned`` for one with a time zone."""
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) > MAX_DATE_TEXT:
            raise ValueError
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(malformed, {"field": field}) from None
    if value.tzinfo is not None:
        raise Invalid(zoned, {"field": field})
    return value.replace(tzinfo=UTC)


def parse_published_at(text: str) -> datetime:
    """An ISO 8601 date-time with its time zone (``2026-11-27T08:00:00Z``, ``…+01:00``), in UTC."""
    return parse_zoned(text, "published_at", "e.g. 2026-11-27T08:00:00Z or 2026-11-27T09:00:00+01:00",
                       why_zone=": a time without its zone is ambiguous by up to a day")


def plausible_published_at(value: datetime, now: datetime) -> bool:
    """Whether ``value`` is a publication date Townhall takes: from 1990 on, at most a day after ``now``."""
    return EARLIEST <= value <= now + AHEAD


def _check_published_at(value: datetime, now: datetime) -> datetime:
    value = _utc(value)
    if value < EARLIEST:
        raise Invalid(f"'published_at' must be {EARLIEST:%Y-%m-%d} or later.",
                      {"field": "published_at", "earliest": EARLIEST.isoformat()})
    if value > now + AHEAD:
        raise Invalid("'published_at' may be at most a day ahead of the server's clock: a later date would keep the "
                      "thread open past the site's age limit (register a scheduled article once it is that close).",
                      {"field": "published_at", "latest": (now + AHEAD).isoformat()})
    return value


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid("'published_at' needs a time zone.", {"field": "published_at"})
    return value.astimezone(UTC)


def _check_storable(value: str, field: str) -> None:
    """The API's body schema refuses such text (townhall.web.inputs.SafeStr); the command line's arguments reach
    here unchecked (an argument in another encoding is read with surrogate escapes)."""
    if not storable(value):
        raise Invalid(f"'{field}' must be valid Unicode without NUL (\\u0000) characters.", {"field": field})


def _check_characters(value: str, field: str, *, line_breaks: bool) -> None:
    """Refuse control characters (a tab, an escape, a bell; line breaks where ``line_breaks``, as \\n) and
    bidirectional controls, naming the first one found."""
    for at, ch in enumerate(value, 1):
        if ch == "\n" and line_breaks:
            continue
        if ch in BIDI_CONTROLS:
            raise Invalid(f"'{field}' may not contain bidirectional control characters (U+{ord(ch):04X} at character "
                          f"{at}): they show the text in another order than it is written.",
                          {"field": field, "character": f"U+{ord(ch):04X}", "position": at})
        if unicodedata.category(ch) == "Cc":
            allowed = "other than line breaks " if line_breaks else ""
            raise Invalid(f"'{field}' may not contain tabs or other control characters {allowed}(U+{ord(ch):04X} at "
                          f"character {at}).", {"field": field, "character": f"U+{ord(ch):04X}", "position": at})


def _check_title(value: str | None) -> str | None:
    if value is None:
        return None
    _check_storable(value, "title")
    if "".join(value.splitlines()) != value:
        raise Invalid("'title' is one line: no line breaks.", {"field": "title"})
    _check_characters(value, "title", line_breaks=False)
    if len(value) > MAX_TITLE:
        raise Invalid(f"'title' is at most {MAX_TITLE} characters.", {"field": "title", "max_length": MAX_TITLE})
    return value.strip() or None


_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029]")
_BLANK_LINES = re.compile("\n{3,}")


def check_message(value: str | None) -> str | None:
    """A message as it is stored and shown: plain text, its line breaks (\\r\\n, \\r and the Unicode line and
    paragraph separators) as \\n, each line's trailing spaces and more than one empty line between paragraphs
    dropped, trimmed; 1 to MAX_MESSAGE characters, without other control characters or bidirectional controls.
    None, or nothing left after trimming: no message."""
    if value is None:
        return None
    _check_storable(value, "message")
    lines = _LINE_BREAKS.sub("\n", value).split("\n")
    text = _BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in lines)).strip()
    if not text:
        return None
    _check_characters(text, "message", line_breaks=True)
    if len(text) > MAX_MESSAGE:
        raise Invalid(f"'message' is at most {MAX_MESSAGE} characters after trimming ({len(text)} given).",
                      {"field": "message", "max_length": MAX_MESSAGE, "length": len(text)})
    return text


def _check_url(value: str | None, site: Mapping[str, Any]) -> str | None:
    if not value:
        return None
    _check_storable(value, "url")
    if len(value) > MAX_URL or web_address(value) is None:
        raise Invalid(f"'url' {RULE}, at most {MAX_URL} characters.", {"field": "url"})
    origins = site_origins(site)
    if article_url(value, origins) is None:
        raise Invalid("'url' is not on the site's origins: a page of the site could not link it.",
                      {"field": "url", "origins": origins})
    return value


_DEFAULTS: Final[Mapping[str, Any]] = {"premoderated": False}
"""A new thread's values other than None: a change to them is audited from them."""


def _shown(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def update_thread(svc: Services, actor: Actor, site_id: str, thread_external_id: str,
                  changes: ThreadChanges) -> dict[str, Any]:
    """Set the thread's article data (or whether it is premoderated), creating the thread if need be; the thread as
    the API shows it. Audited (``thread.updated`` with each changed field's old and new value, ``created`` for a new
    thread); where the change opens or closes the thread (a publication date past the site's limit, or cleared),
    readers' widgets are told (``thread.closed`` / ``thread.opened``), and so they are of a change of
    ``premoderated`` (``thread.premoderated``) and of ``message`` (``thread.message``). A change that gives no
    field is refused (it would only create the thread)."""
    actor.require_site(site_id)
    check_thread_id(thread_external_id)
    given = changes.given()
    if not given:
        raise Invalid("No field was given: set at least one of " + ", ".join(FIELDS) + ".", {"fields": list(FIELDS)})
    if "title" in given:
        given["title"] = _check_title(given["title"])
    if "message" in given:
        given["message"] = check_message(given["message"])
    if "premoderated" in given and not isinstance(given["premoderated"], bool):
        raise Invalid("'premoderated' must be true or false.", {"field": "premoderated"})
    with svc.db.write() as conn:
        site = content.get_site(conn, site_id)
        if site is None:
            raise no_such_site(site_id)
        now = svc.now()
        if "url" in given:
            given["url"] = _check_url(given["url"], site)
        if given.get("published_at") is not None:
            given["published_at"] = _check_published_at(given["published_at"], now)
        policy = svc.policies.for_site(site)
        thread = content.get_thread(conn, site_id, thread_external_id)
        created = thread is None and _insert(conn, site_id, thread_external_id, given, now)
        if thread is None:
            thread = content.get_thread(conn, site_id, thread_external_id)
            assert thread is not None
        # locked, and read again: a concurrent change (the CMS's PATCH sent twice) is audited and announced from
        # the state the other left, not from the one both read before either wrote (PostgreSQL)
        thread = content.lock_thread(conn, int(thread["id"]))
        assert thread is not None
        if created:
            before = closing.NOT_STARTED
            changed = {name: {"from": _DEFAULTS.get(name), "to": _shown(value)} for name, value in given.items()
                       if value != _DEFAULTS.get(name)}
        else:
            before = closing.closure(svc, policy, thread, now)
            changed = {name: {"from": _shown(old), "to": _shown(value)} for name, value in given.items()
                       if (old := _stored(thread, name)) != value}
            content.update_thread(conn, int(thread["id"]), **{name: given[name] for name in changed})
            thread = content.get_thread_by_id(conn, int(thread["id"]))
            assert thread is not None
        after = closing.closure(svc, policy, thread, now)
        if before.closed != after.closed:  # readers' widgets hide or show the comment form
            svc.announce(conn, site_id, thread_external_id,
                         {"type": "thread.closed", "closed_reason": after.reason.value} if after.reason is not None
                         else {"type": "thread.opened"})
        if "premoderated" in changed:  # open widgets show or drop their line about it
            svc.announce(conn, site_id, thread_external_id,
                         {"type": "thread.premoderated", "premoderated": bool(thread["premoderated"])})
        if "message" in changed:  # open widgets show, change or drop it (and the thread's cached pages go)
            svc.announce(conn, site_id, thread_external_id, {"type": "thread.message", "message": thread["message"]})
        if created or changed:
            svc.audit(conn, action="thread.updated", subject_type="thread", subject_id=thread_external_id,
                      actor_kind=actor.kind.value, actor=actor.id, site_id=site_id,
                      details={"changed": changed, **({"created": True} if created else {})})
        count = content.count_published(conn, int(thread["id"]))
        return thread_info(thread, thread_external_id, count, after, site_origins(site))


def _stored(thread: Mapping[str, Any], name: str) -> Any:
    if name == "premoderated":
        return bool(thread[name])
    return as_utc(thread[name]) if name == "published_at" else thread[name]


def _insert(conn: Any, site_id: str, external_id: str, given: Mapping[str, Any], now: datetime) -> bool:
    """A new thread with ``given``; False where a concurrent first comment created it a moment ago (PostgreSQL:
    the caller then reads it and changes it as an existing one)."""
    return content.insert_thread(conn, site_id=site_id, external_id=external_id, url=given.get("url"),
                                 title=given.get("title"), published_at=given.get("published_at"), now=now,
                                 premoderated=bool(given.get("premoderated")), message=given.get("message")) is not None
