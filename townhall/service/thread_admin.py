"""The dashboard's Articles page (Coral's "Stories"): a site's threads for its moderators, newest started first,
searched by title or thread id and filtered by effective state, with their published, held and reported comments;
one thread's page with its article data and its audit entries; closing and opening (townhall.service.moderation),
setting the article's title, address and publication date, and premoderating its comments
(townhall.service.thread_metadata) from there.

A thread's state is the one the API gives (townhall.service.closing): open, closed by a moderator, or closed by
the site's age limit (``close_after_days``, counted from ``published_at`` where known). The dashboard acts only
on threads that exist: unlike the API, it never creates one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from townhall.service import closing
from townhall.service import moderation as svc_mod
from townhall.service import thread_metadata
from townhall.service.article_urls import absolute_article_url, site_origins, web_address
from townhall.service.comments import check_thread_id
from townhall.service.core import Services, as_utc
from townhall.service.errors import Invalid, NotFound, no_such_site
from townhall.service.identity import Actor
from townhall.store import content, dashboard
from townhall.store import thread_admin as store
from townhall.store.thread_admin import StateFilter, ThreadQuery

__all__ = ["AUDIT_ENTRIES", "MAX_SEARCH", "PAGE", "StateFilter", "list_threads", "parse_form_date", "save_article",
           "set_premoderated", "set_state", "thread_view"]

PAGE = 50
MAX_SEARCH = 200
AUDIT_ENTRIES = 20
FORM_DATE = "%Y-%m-%dT%H:%M"  # an <input type="datetime-local">'s value, to the minute


def state_filter(value: str | None) -> StateFilter:
    if not value:
        return StateFilter.ALL
    try:
        return StateFilter(value)
    except ValueError:
        raise Invalid("The state filter is one of: " + ", ".join(s.value for s in StateFilter) + ".",
                      {"field": "state"}) from None


def _search(text: str | None) -> str | None:
    text = (text or "").strip()
    if len(text) > MAX_SEARCH:
        raise Invalid(f"Search for at most {MAX_SEARCH} characters.", {"field": "q", "max_length": MAX_SEARCH})
    return text.lower() or None


def _report_threshold(policy: Any) -> float:
    """The weight of open reports at which a comment joins the reported queue (townhall.service.dashboard's)."""
    return float(policy.settings.reports.threshold)


def _item(svc: Services, policy: Any, row: Mapping[str, Any], now: datetime, origins: list[str]) -> dict[str, Any]:
    """A thread as the dashboard shows it, with its comments in the reported queue; its state exactly as the API
    gives it (townhall.service.closing)."""
    closed = closing.closure(svc, policy, row, now)
    return {
        "id": int(row["id"]),
        "thread": str(row["external_id"]),
        "title": row["title"],
        # a page of the dashboard is not on the publisher's site: a path is linked on the site's first origin
        "url": absolute_article_url(row["url"], origins),
        # the address as stored, shown as text where it cannot be linked (a path on a site that names no origins)
        "address": str(row["url"] or ""),
        "address_unlinked": _unlinked(row["url"], origins),
        "started_at": as_utc(row["created_at"]),
        "published_at": as_utc(row["published_at"]),
        "published": int(row["published_count"]),
        "held": int(row["held_count"]),
        "reported": int(row["reported_count"]),
        "kept_open": row["kept_open_at"] is not None,
        "premoderated": bool(row["premoderated"]),
        **closing.described(closed),
    }


def _unlinked(url: str | None, origins: list[str]) -> str | None:
    """Why the stored address is not linked (None where it is, or is empty)."""
    if not url or absolute_article_url(url, origins) is not None:
        return None
    if web_address(url) is None:
        return "not a web address"
    if url.startswith("/"):
        return "a path, and the site names no origins to link it on"
    return "not on the site's origins"


def _site_and_policy(svc: Services, conn: Any, site_id: str) -> tuple[Mapping[str, Any], Any]:
    site = content.get_site(conn, site_id)
    if site is None:
        raise no_such_site(site_id)
    return site, svc.policies.for_site(site)


def list_threads(svc: Services, actor: Actor, site_id: str, *, search: str | None = None, state: str | None = None,
                 before_id: int | None = None, limit: int = PAGE) -> dict[str, Any]:
    """A page of the site's threads, newest started first; ``next_before`` continues the list (None at its end)."""
    actor.require_site(site_id)
    wanted = state_filter(state)
    needle = _search(search)
    with svc.db.read() as conn:
        site, policy = _site_and_policy(svc, conn, site_id)
        now = svc.now()
        days = int(policy.settings.comments.close_after_days)
        query = ThreadQuery(state=wanted, search=needle, before_id=before_id,
                            aged_before=now - timedelta(days=days) if days > 0 else None,
                            report_threshold=_report_threshold(policy))
        rows = store.thread_page(conn, site_id, query, limit=limit + 1)
        origins = site_origins(site)
        items = [_item(svc, policy, row, now, origins) for row in rows[:limit]]
    return {"threads": items, "next_before": items[-1]["id"] if len(rows) > limit else None,
            "close_after_days": days, "state": wanted.value, "search": (search or "").strip()}


def _form_values(row: Mapping[str, Any]) -> dict[str, str]:
    """The article form's fields as the page fills them in from the stored thread (the date in UTC, to the minute)."""
    published = as_utc(row["published_at"])
    return {"title": str(row["title"] or ""), "url": str(row["url"] or ""),
            "published_at": published.strftime(FORM_DATE) if published is not None else "", "message": row["message"] or ""}


def thread_view(svc: Services, actor: Actor, site_id: str, external_id: str) -> dict[str, Any]:
    """One thread with its counts and state, the article form's values (the message included), and its latest
    audit entries."""
    actor.require_site(site_id)
    check_thread_id(external_id)
    with svc.db.read() as conn:
        site, policy = _site_and_policy(svc, conn, site_id)
        row = store.thread_with_counts(conn, site_id, external_id, report_threshold=_report_threshold(policy))
        if row is None:
            raise NotFound("No such article on this site.", {"thread": external_id})
        entries = dashboard.audit_page(conn, site_ids=[site_id], subject_type="thread", subject_id=external_id,
                                       limit=AUDIT_ENTRIES)
        return {"thread": _item(svc, policy, row, svc.now(), site_origins(site)),
                "form": _form_values(row), "message_limit": thread_metadata.MAX_MESSAGE,
                "close_after_days": int(policy.settings.comments.close_after_days),
                "audit": [{**dict(e), "at": as_utc(e["at"])} for e in entries]}


def _require_thread(svc: Services, site_id: str, external_id: str) -> Mapping[str, Any]:
    check_thread_id(external_id)
    with svc.db.read() as conn:
        row = content.get_thread(conn, site_id, external_id)
    if row is None:
        raise NotFound("No such article on this site.", {"thread": external_id})
    return row


def set_state(svc: Services, actor: Actor, site_id: str, external_id: str, state: str) -> dict[str, Any]:
    """Close the thread, or open it again (audited ``thread.closed`` / ``thread.open``; a state the thread already
    has changes nothing and is not audited); the thread as now."""
    actor.require_site(site_id)
    _require_thread(svc, site_id, external_id)
    svc_mod.set_thread_state(svc, actor, site_id, external_id, state)
    return thread_view(svc, actor, site_id, external_id)


def set_premoderated(svc: Services, actor: Actor, site_id: str, external_id: str, value: str) -> dict[str, Any]:
    """Premoderate the article's comments (``value`` "on") or stop ("off"), through
    townhall.service.thread_metadata.update_thread (audited ``thread.updated``, announced ``thread.premoderated``);
    the thread as now."""
    actor.require_site(site_id)
    if value not in ("on", "off"):
        raise Invalid("Premoderation is on or off.", {"field": "premoderated"})
    _require_thread(svc, site_id, external_id)
    thread_metadata.update_thread(svc, actor, site_id, external_id, thread_metadata.ThreadChanges(premoderated=value == "on"))
    return thread_view(svc, actor, site_id, external_id)


def parse_form_date(text: str) -> datetime | None:
    """The form's publication date: ``YYYY-MM-DDTHH:MM`` (seconds allowed), read as UTC; empty: none."""
    return thread_metadata.parse_form_utc(
        text, "published_at", malformed="The publication date is a date and time in UTC, e.g. 2026-11-27T08:00.",
        zoned="Give the publication date in UTC, without a time zone (e.g. 2026-11-27T08:00).")


def _one_line(text: str) -> str:
    return text.replace("\r", "").replace("\n", "")


def save_article(svc: Services, actor: Actor, site_id: str, external_id: str, *, title: str, url: str,
                 published_at: str, message: str | None = None) -> dict[str, Any]:
    """Set the article's title, address, publication date and message from the dashboard's form (the date in UTC;
    ``message`` None: the form had no such field). A field sent as the form showed it stays as stored (a date given
    to the second is not cut to the minute, nor a title with a line break refused; a message's line breaks come back
    from the browser as \\r\\n); the others go to townhall.service.thread_metadata.update_thread, which checks and
    audits them (``thread.updated``), as the API's. The thread as now."""
    actor.require_site(site_id)
    row = _require_thread(svc, site_id, external_id)
    shown = _form_values(row)
    changes: dict[str, Any] = {}
    if title != shown["title"] and title != _one_line(shown["title"]):
        changes["title"] = title or None
    if url.strip() != shown["url"]:
        changes["url"] = url.strip() or None
    if published_at.strip() != shown["published_at"]:
        changes["published_at"] = parse_form_date(published_at)
    if message is not None and message.replace("\r\n", "\n") != shown["message"]:
        changes["message"] = message  # blank: none (the service trims and checks it)
    if changes:
        thread_metadata.update_thread(svc, actor, site_id, external_id, thread_metadata.ThreadChanges(**changes))
    return thread_view(svc, actor, site_id, external_id)
