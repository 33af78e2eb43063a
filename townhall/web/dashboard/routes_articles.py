"""Dashboard routes: the Articles page (a site's threads, searched and filtered, newest started first, under the
site's announcement and the form that sets or clears it), one
article's page (its data, the form for its title, address, publication date and message, its audit entries), closing
or opening a thread from either, and premoderating its comments from the article's page.

A thread id may hold any printable character, a slash included: it is the rest of the path (``{thread:path}``),
percent-encoded by the pages. Actions answer htmx with the fragment to swap in (the list's row, or the article's
panel; a refused field as that panel with the error beside the field, 422), the dashboard's script with JSON, and a
plain form with the page again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from townhall.service import announcements, thread_admin
from townhall.service.errors import Invalid
from townhall.web.dashboard.common import action, done, error_response, page, render, services, session_of
from townhall.web.inputs import MAX_ID, FormText, SafeStr, SiteQuery

router = APIRouter(prefix="/admin", include_in_schema=False)


def _site(request: Request, site: str | None) -> str:
    return site or services(request).settings.default_site


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def article_path(site: str, thread: str) -> str:
    return f"/admin/articles/{quote(thread, safe='')}?site={quote(site, safe='')}"


def _back(request: Request, fallback: str) -> str:
    ref = request.headers.get("referer") or ""
    parts = urlsplit(ref)
    if parts.netloc == request.url.netloc and parts.path.startswith("/admin/articles"):
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return fallback


# The article form's labels, as its refusals name the fields (the service names them as the API does: 'url').
FORM_LABELS = {"title": "Title", "url": "Address (URL)", "published_at": "Publication date",
               "message": "Message to readers"}


def form_message(exc: Invalid, field: str) -> str:
    """A refusal of the article form's field in the form's words: "Publication date must be 1 January 1990 or
    later.", not "'published_at' must be 1990-01-01 or later." (the API keeps its own)."""
    details = exc.details if isinstance(exc.details, dict) else {}
    label = FORM_LABELS[field]
    if field == "published_at" and isinstance(details.get("earliest"), str):
        try:
            earliest = datetime.fromisoformat(details["earliest"])
        except ValueError:
            pass
        else:
            return f"{label} must be {earliest.day} {earliest:%B %Y} or later."
    if field == "published_at" and isinstance(details.get("latest"), str):
        try:
            latest = datetime.fromisoformat(details["latest"])
        except ValueError:
            pass
        else:
            return (f"{label} may be at most a day ahead (until {latest:%Y-%m-%d %H:%M} UTC): a later date would keep "
                    "the thread open past the site's age limit.")
    quoted = f"'{field}'"
    if exc.message.startswith(quoted):
        return label + exc.message[len(quoted):]
    return exc.message


@router.get("/articles")
@page
def articles(request: Request, site: SiteQuery = None,
             q: Annotated[SafeStr, Query(max_length=thread_admin.MAX_SEARCH)] = "",
             state: Annotated[SafeStr, Query(max_length=16)] = "",
             before: int | None = Query(None, ge=1, le=MAX_ID)) -> Response:
    site_id = _site(request, site)
    svc = services(request)
    actor = session_of(request).actor
    data = thread_admin.list_threads(svc, actor, site_id, search=q, state=state, before_id=before)
    return render(request, "admin/articles.html", site=site_id, ann=announcements.form_view(svc, actor, site_id), **data)


@router.get("/articles/{thread:path}")
@page
def article(request: Request, thread: str, site: SiteQuery = None) -> Response:
    site_id = _site(request, site)
    data = thread_admin.thread_view(services(request), session_of(request).actor, site_id, thread)
    return render(request, "admin/article.html", site=site_id, **data)


@router.post("/articles/{thread:path}/state")
@action
def article_state(request: Request, thread: str, site: SiteQuery = None,
                  state: Annotated[SafeStr, Form(max_length=16)] = "",
                  view: Annotated[SafeStr, Form(max_length=16)] = "row", csrf_token: FormText = "") -> Response:
    """Close the thread or open it again. htmx gets the list's row (``view=row``) or the article's panel
    (``view=page``) in the new state, to swap in place; a refusal is a toast (admin.js)."""
    svc = services(request)
    site_id = _site(request, site)
    data = thread_admin.set_state(svc, session_of(request).actor, site_id, thread, state)
    if _htmx(request):
        if view == "page":
            return render(request, "admin/_article.html", site=site_id, **data)
        return render(request, "admin/_article_row.html", site=site_id, t=data["thread"])
    item = data["thread"]
    return done(request, {"thread": item["thread"], "state": item["state"], "closed_reason": item["closed_reason"],
                          "closes_at": item["closes_at"]}, _back(request, article_path(site_id, thread)))


@router.post("/articles/{thread:path}/premoderation")
@action
def article_premoderation(request: Request, thread: str, site: SiteQuery = None,
                          premoderated: Annotated[SafeStr, Form(max_length=8)] = "",
                          csrf_token: FormText = "") -> Response:
    """Premoderate the article's comments (``premoderated=on``) or stop (``off``). htmx gets the article's panel
    to swap in place; a refusal is a toast (admin.js)."""
    svc = services(request)
    site_id = _site(request, site)
    data = thread_admin.set_premoderated(svc, session_of(request).actor, site_id, thread, premoderated)
    if _htmx(request):
        return render(request, "admin/_article.html", site=site_id, **data)
    item = data["thread"]
    return done(request, {"thread": item["thread"], "premoderated": item["premoderated"]},
                _back(request, article_path(site_id, thread)))


@router.post("/articles/{thread:path}/article")
@action
def article_save(request: Request, thread: str, site: SiteQuery = None,
                 title: Annotated[SafeStr, Form(max_length=2000)] = "",
                 url: Annotated[SafeStr, Form(max_length=4000)] = "",
                 published_at: Annotated[SafeStr, Form(max_length=64)] = "",
                 message: Annotated[SafeStr | None, Form(max_length=8000)] = None,
                 csrf_token: FormText = "") -> Response:
    """Set the article's title, address, publication date (in UTC) and the message shown above its comments (a form
    without the field leaves the message alone). A refused field: htmx gets the article's panel with the error
    beside that field (422), a plain form the page with it."""
    svc = services(request)
    actor = session_of(request).actor
    site_id = _site(request, site)
    try:
        data = thread_admin.save_article(svc, actor, site_id, thread, title=title, url=url, published_at=published_at,
                                         message=message)
    except Invalid as exc:
        field = exc.details.get("field") if isinstance(exc.details, dict) else None
        if field not in FORM_LABELS or request.headers.get("x-requested-with") == "fetch":
            return error_response(request, exc)
        data = thread_admin.thread_view(svc, actor, site_id, thread)
        sent: dict[str, Any] = {"title": title, "url": url, "published_at": published_at,
                                "message": data["form"]["message"] if message is None else message}
        return render(request, "admin/_article.html" if _htmx(request) else "admin/article.html", status=422,
                      site=site_id, **{**data, "form": sent, "errors": {field: form_message(exc, field)}})
    if _htmx(request):
        return render(request, "admin/_article.html", site=site_id, saved=True, **data)
    return done(request, {"thread": data["thread"]["thread"], "state": data["thread"]["state"]},
                article_path(site_id, thread))



# The announcement form's labels, as its refusals name the fields (the service names them as the API does: 'text').
ANNOUNCEMENT_LABELS = {"text": "Announcement", "until": "Until"}


def _announcement_answer(request: Request, site_id: str, ann: dict[str, Any], status: int = 200) -> Response:
    """htmx: the panel to swap in; the dashboard's script: JSON; a plain form: the Articles page again (a refusal:
    the page with the error beside the field)."""
    if _htmx(request):
        return render(request, "admin/_announcement.html", status=status, site=site_id, ann=ann)
    if status == 200:
        current = ann["current"]
        return done(request, {"announcement": current.public() if current is not None else None},
                    f"/admin/articles?site={quote(site_id, safe='')}")
    svc = services(request)
    data = thread_admin.list_threads(svc, session_of(request).actor, site_id)
    return render(request, "admin/articles.html", status=status, site=site_id, ann=ann, **data)


@router.post("/announcement")
@action
def announcement_save(request: Request, site: SiteQuery = None,
                      text: Annotated[SafeStr, Form(max_length=8000)] = "",
                      until: Annotated[SafeStr, Form(max_length=64)] = "", csrf_token: FormText = "") -> Response:
    """Set the site's announcement, shown above the comments of every article (``until`` in UTC; empty: until
    cleared). A refused field: htmx gets the panel with the error beside that field (422), a plain form the page
    with it."""
    svc = services(request)
    actor = session_of(request).actor
    site_id = _site(request, site)
    try:
        ann = announcements.save_form(svc, actor, site_id, text=text, until=until)
    except Invalid as exc:
        field = exc.details.get("field") if isinstance(exc.details, dict) else None
        if field not in ANNOUNCEMENT_LABELS or request.headers.get("x-requested-with") == "fetch":
            return error_response(request, exc)
        ann = announcements.form_view(svc, actor, site_id)
        label = ANNOUNCEMENT_LABELS[field]
        said = exc.message.replace(f"'{field}'", label, 1) if exc.message.startswith(f"'{field}'") else exc.message
        ann.update(form={"text": text, "until": until}, errors={field: said})
        return _announcement_answer(request, site_id, ann, status=422)
    return _announcement_answer(request, site_id, ann)


@router.post("/announcement/clear")
@action
def announcement_clear(request: Request, site: SiteQuery = None, csrf_token: FormText = "") -> Response:
    """Clear the site's announcement (none: nothing happens)."""
    site_id = _site(request, site)
    ann = announcements.clear_form(services(request), session_of(request).actor, site_id)
    return _announcement_answer(request, site_id, ann)
