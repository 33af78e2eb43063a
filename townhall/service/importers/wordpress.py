"""WordPress eXtended RSS (WXR 1.0–1.2): <item>s (posts, pages, media pages) carrying <wp:comment>s.

A thread's key is the item's permalink (<link>), else ``wp-<post_id>``. Pingbacks and trackbacks are
skipped. ``wp:comment_approved``: 1 published, 0 held, spam rejected, trash deleted. A file without a single
<item> (empty, or another kind of export) is refused with ``Invalid``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

from townhall.service.errors import Invalid
from townhall.service.importers.model import (
    Archive,
    ImportedAuthor,
    ImportedComment,
    ImportedThread,
    author_subject,
    clean_email,
    clean_name,
    filled,
    html_to_text,
    parse_time,
)
from townhall.service.importers.xmlrecords import child_markup, child_text, decoding_problems, file_chunks, peek, records
from townhall.store.schema import CommentStatus

_WP_NS = re.compile(r"""xmlns:wp\s*=\s*["'](http://wordpress\.org/export/[\d.]+/)["']""")
_BLOG_URL = re.compile(r"<(wp:base_blog_url|wp:base_site_url|link)>\s*(?:<!\[CDATA\[)?\s*([^<\]\s]+)", re.S)
_STATUS = {"1": CommentStatus.PUBLISHED, "approve": CommentStatus.PUBLISHED, "0": CommentStatus.HELD,
           "hold": CommentStatus.HELD, "spam": CommentStatus.REJECTED, "trash": CommentStatus.DELETED}
NOT_WXR = "no <item> records found — is this a WordPress export (WXR)?"


def read(text: str | Iterable[str], *, spool_dir: str | Path | None = None) -> Archive:
    """Read a WXR file, whole or in decoded pieces (see ``read_file``)."""
    return filled("wordpress", lambda archive: _read(archive, text), spool_dir=spool_dir)


def read_file(path: str | Path, *, progress: Callable[[int], None] | None = None,
              spool_dir: str | Path | None = None) -> Archive:
    """Read a WXR file piece by piece, in the encoding it declares; ``progress`` is told the bytes read."""
    return read(file_chunks(path, progress=progress), spool_dir=spool_dir)


def _read(archive: Archive, source: str | Iterable[str]) -> None:
    head, text = peek(source, 20000)
    found = _WP_NS.search(head)
    ns = {"wp": found.group(1) if found else "http://wordpress.org/export/1.2/",
          "content": "http://purl.org/rss/1.0/modules/content/"}
    blog = _blog(head)
    statuses: dict[str, str] = {}  # post id -> status, of the items read so far (a media page is as public as its post)
    found_any = False
    for rec in records(text, {"item"}):
        found_any = True
        where = f"line {rec.line} <item>"
        if rec.error is not None or rec.element is None:
            archive.problem(where, f"{rec.error}; skipped")
            continue
        item = rec.element
        post_id = (child_text(item, "wp:post_id", ns) or "").strip()
        where = f"line {rec.line} <item wp:post_id={post_id or '?'}>"
        post_type = (child_text(item, "wp:post_type", ns) or "post").strip()
        if post_type in ("nav_menu_item", "revision"):  # no page of its own; an attachment's (media) page has one
            if item.find("wp:comment", ns) is not None:
                archive.problem(where, f"a {post_type} item has comments; skipped with them")
            continue
        link = (child_text(item, "link", ns) or "").strip() or None
        key = link or (f"wp-{post_id}" if post_id else None)
        if key is None:
            archive.problem(where, "item has neither <link> nor <wp:post_id>; skipped with its comments")
            continue
        try:
            created = parse_time(child_text(item, "wp:post_date_gmt", ns))
        except ValueError:
            created = None
        thread = ImportedThread(key=key[:300], url=link, title=(child_text(item, "title", ns) or "").strip() or None,
                                created_at=created, closed=(child_text(item, "wp:comment_status", ns) or "").strip() == "closed")
        comments = item.findall("wp:comment", ns)
        if comments:
            archive.threads.setdefault(thread.key, thread)
        post_status = (child_text(item, "wp:status", ns) or "publish").strip()
        if post_id:
            statuses[post_id] = post_status
        if post_type == "attachment" and post_status == "inherit":  # the media page of a post: as public as the post
            parent_id = (child_text(item, "wp:post_parent", ns) or "0").strip()
            if parent_id not in ("", "0"):
                post_status = statuses.get(parent_id, f"unknown (post {parent_id} is not earlier in the file)")
        if comments and post_status not in ("publish", "inherit"):
            # a draft, private, pending or trashed post: its readers' comments were not public, and are
            # not made public here; moderators see them held
            archive.problem(where, f"the post's status is {post_status!r}; its {len(comments)} comment(s) imported as held")
        for index, comment in enumerate(comments, 1):
            _comment(archive, thread, comment, ns, f"{where} comment #{index}", public=post_status in ("publish", "inherit"),
                     blog=blog)
    if not found_any:  # an empty file, or another kind of export: not "imported 0 comments"
        raise Invalid(NOT_WXR)
    archive.file_problems(decoding_problems(source))


def _blog(head: str) -> str | None:
    """The blog an export is of, as its header names it (``wp:base_blog_url``, else ``wp:base_site_url``, else the
    channel's ``<link>``), written ``host/path``: WordPress numbers each blog's users from 1, so a registered
    user's id means someone only with the blog's address (two blogs' user 1 are two people). None where the
    header names no address (the user is then ``import:wordpress:user:<id>``, as before)."""
    header = head[:head.find("<item")] if "<item" in head else head
    found = {name: value for name, value in reversed(_BLOG_URL.findall(header))}  # the first of each name
    for name in ("wp:base_blog_url", "wp:base_site_url", "link"):
        parts = urlsplit(found.get(name, ""))
        if parts.hostname:
            return f"{parts.hostname}{parts.path.rstrip('/')}"[:80]
    return None


def _comment(archive: Archive, thread: ImportedThread, el: ET.Element, ns: dict[str, str], where: str,
             public: bool = True, blog: str | None = None) -> None:
    comment_id = (child_text(el, "wp:comment_id", ns) or "").strip()
    if not comment_id:
        archive.problem(where, "no wp:comment_id; skipped")
        return
    where = f"{where} (wp:comment_id={comment_id})"
    if (child_text(el, "wp:comment_type", ns) or "").strip() in ("pingback", "trackback"):
        return
    try:
        created = parse_time(child_text(el, "wp:comment_date_gmt", ns))
    except ValueError as gmt_exc:
        try:
            created = parse_time(child_text(el, "wp:comment_date", ns))
        except ValueError as exc:
            archive.problem(where, f"bad comment date: {gmt_exc} (wp:comment_date_gmt), {exc} (wp:comment_date); skipped")
            return
    approved = (child_text(el, "wp:comment_approved", ns) or "1").strip()
    status = _STATUS.get(approved)
    if status is None:
        archive.problem(where, f"unknown approval state {approved!r}; imported as held")
        status = CommentStatus.HELD
    if not public and status is CommentStatus.PUBLISHED:
        status = CommentStatus.HELD
    body = html_to_text(child_markup(el, "wp:comment_content", ns))
    if not body:
        archive.problem(where, "empty comment; skipped")
        return
    parent = (child_text(el, "wp:comment_parent", ns) or "0").strip()
    user_id = (child_text(el, "wp:comment_user_id", ns) or "0").strip()
    name = child_text(el, "wp:comment_author", ns)
    email = clean_email(child_text(el, "wp:comment_author_email", ns))
    registered = user_id if user_id not in ("", "0") else None
    if registered is not None and blog is not None:
        registered = f"{blog}:{registered}"  # a blog's user: two blogs' user 1 are two people
    subject = author_subject("wordpress", user_id=registered, email=email, name=name)
    archive.add(ImportedComment(
        external_id=comment_id, thread_key=thread.key, parent_external_id=parent if parent not in ("", "0") else None,
        author=ImportedAuthor(subject, clean_name(name), email), text=body, created_at=created, status=status,
        position=where,
    ))
