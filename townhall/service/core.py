"""The service container: everything the use cases share, built once per application from settings."""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Mapping

from townhall.policy.rules.base import Resources
from townhall.service.events import EventBus
from townhall.service.pages import PageCache
from townhall.service.ttl import TtlStore
from townhall.service.ratelimit import MemoryRateLimiter, RateLimiter
from townhall.service.signals import SignalHasher
from townhall.settings import Settings
from townhall.store import content, moderation, people, schema
from townhall.store.db import Database

MAX_ID = schema.MAX_ID  # the largest id either database is asked about; the web layer bounds ids with it


# One plain address (local@domain): no spaces or control characters, none of the characters that separate or
# quote addresses in a header (a comma would make "a@x.org, b@y.org" two recipients), one "@".
_PLAIN_ADDRESS = re.compile(r'[^\s\x00-\x1f\x7f@,;:<>()\[\]\\"]+@[^\s\x00-\x1f\x7f@,;:<>()\[\]\\"]+')


def plain_address(value: str) -> bool:
    """Whether ``value`` is one e-mail address that can go in a ``To:`` header as it is."""
    return _PLAIN_ADDRESS.fullmatch(value) is not None


def storable(value: str) -> bool:
    """Whether text can be stored the same way on SQLite and PostgreSQL: no NUL, no lone surrogates (JSON lets
    a client send one, and no classifier, database or page can take it)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class PolicyBook:
    """Policies by file path, loaded once each (a site without its own file uses the default)."""

    def __init__(self, default_path: str, resources: Resources) -> None:
        self.default_path = default_path
        self.resources = resources
        self._lock = threading.Lock()
        self._loaded: dict[str, Any] = {}

    def get(self, path: str | None = None) -> Any:
        from townhall.policy import load_policy

        key = path or self.default_path or ""
        with self._lock:
            policy = self._loaded.get(key)
            if policy is None:
                policy = load_policy(key or None, resources=self.resources)
                self._loaded[key] = policy
            return policy

    def for_site(self, site: Any) -> Any:
        return self.get(site["policy_path"] if site is not None else None)

    def load_all(self, paths: Iterable[str | None]) -> None:
        """Load the default policy and each of ``paths`` now (each file is read once, at start: a changed file
        takes effect at the next start). A wrong file raises :class:`~townhall.policy.PolicyError`."""
        for path in sorted({None, *paths}, key=lambda p: p or ""):
            self.get(path)


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    secret: str
    policies: PolicyBook
    events: EventBus
    pages: PageCache
    hasher: SignalHasher
    limiter: RateLimiter
    trolls: Any = None  # townhall.service.trolls.TrollWatch, attached by the application
    operations: Any = None  # townhall.service.operations.Operations (jobs, webhooks, mail), attached by the application
    listeners: list[Callable[[str, str, dict[str, Any]], None]] = field(default_factory=list)

    cache_seconds: float = 5.0
    _facts: TtlStore[str, Any] = field(default_factory=lambda: TtlStore(max_entries=20_000))

    def now(self) -> datetime:
        return self.clock()

    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        """What ``load()`` answers, kept for ``cache_seconds``: for facts read on every request and
        changed almost never (a site's row, its webhooks). This process forgets a key when it changes the
        fact itself (``forget``); another process's change is seen within the same few seconds."""
        now = time.monotonic()
        hit = self._facts.fresh(key, now, self.cache_seconds)
        if hit is not None:
            return hit
        value = load()  # outside the lock: two threads may both load, and the last one's answer is kept
        if value is not None:
            self._facts.put(key, value, now, self.cache_seconds)
        return value

    def load_policies(self) -> None:
        """Load every policy this installation serves (the default and each site's own file) so that a wrong
        file stops the application when it is built, with ``file:line: message``, instead of answering 500
        to every comment of a running server."""
        with self.db.read() as conn:
            paths = [site["policy_path"] for site in content.list_sites(conn)]
        self.policies.load_all(paths)

    def forget(self, prefix: str) -> None:
        """Drop every cached fact whose key starts with ``prefix``."""
        self._facts.discard(lambda key: key.startswith(prefix))

    def site(self, site_id: str) -> Any:
        """A site's row, cached for a few seconds (read on every request; changed almost never)."""

        def load() -> Any:
            with self.db.read() as conn:
                return content.get_site(conn, site_id)

        return self.cached(f"site:{site_id}", load)

    def forget_site(self, site_id: str) -> None:
        self._facts.pop(f"site:{site_id}")

    def on_site_event(self, site_id: str, thread_id: str, event: dict[str, Any]) -> None:
        """A watcher of the event bus (every event, in every process it reaches): a site's event changed what its
        cached row says (``site.announcement``: townhall.service.announcements), so the next answer reads it again
        rather than show, for up to ``cache_seconds``, what the live event has just replaced."""
        if not thread_id and event.get("type") == "site.announcement":
            self.forget_site(site_id)

    def announce(self, conn: Any, site_id: str, thread_external_id: str, event: dict[str, Any]) -> None:
        """Send ``event`` to the live readers of a thread once the write transaction of ``conn`` has committed
        (nothing is sent if it rolls back). A comment readers now see (``published_event``: approved, released,
        restored) is also a ``comment.published`` for the listeners (:meth:`published_later`)."""
        channel = self.events.channel(site_id, thread_external_id)
        self.db.after_commit(conn, lambda: self.events.publish(channel, event))
        if event.get("type") == "comment.published":
            self.published_later(conn, site_id, thread_external_id, event)

    def published_later(self, conn: Any, site_id: str, thread_external_id: str, event: Mapping[str, Any]) -> None:
        """Tell the listeners, once ``conn`` has committed, of a comment published after it was posted (a moderator's
        approval, a granted appeal, a mend, a released evasion hold): ``comment.published`` (the reply e-mail, the
        publisher's webhooks), its data as ``comment.created``'s, so that a receiver treats both alike. Only the
        comment's first publication: its latest decision, just recorded, is its only ``publish`` (one published when
        posted was told then, as ``comment.created``)."""
        from townhall.service.comments import published_data  # comments imports this module

        comment_id = int(event["id"])
        if sum(1 for d in moderation.decisions_for(conn, [comment_id]) if d["verdict"] == "publish") != 1:
            return
        payload = published_data(conn, comment_id, thread_external_id)
        if payload is None:
            return
        self.db.after_commit(conn, lambda: self.emit("comment.published", site_id, payload))

    def announce_on(self, conn: Any, thread_id: int, event: dict[str, Any]) -> None:
        """``announce`` for a thread known by its row id; nothing for a thread that is gone."""
        thread = content.get_thread_by_id(conn, int(thread_id))
        if thread is not None:
            self.announce(conn, thread["site_id"], thread["external_id"], event)

    @staticmethod
    def published_event(row: Mapping[str, Any]) -> dict[str, Any]:
        """The live event for a comment readers now see (posted, approved, released, restored): its id, its
        parent, and its author (a widget leaves out the readers its reader ignores)."""
        return {"type": "comment.published", "id": row["id"], "parent_id": row["parent_id"], "author_id": row["account_id"]}

    def emit(self, event: str, site_id: str, payload: dict[str, Any]) -> None:
        """Tell listeners (webhooks, e-mail) that something happened, after it was committed."""
        for listener in self.listeners:
            listener(event, site_id, payload)

    def audit(
        self,
        conn: Any,
        *,
        action: str,
        subject_type: str,
        subject_id: Any,
        actor_kind: str,
        actor: str | None,
        site_id: str | None,
        details: dict[str, Any] | None = None,
        policy_version: str | None = None,
    ) -> int:
        return moderation.append_audit(
            conn,
            at=self.now(),
            site_id=site_id,
            actor_kind=actor_kind,
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=None if subject_id is None else str(subject_id),
            details=details or {},
            policy_version=policy_version,
        )


def policy_resources(settings: Settings) -> Resources:
    """What the policy's rules share (the classifier model), as the settings configure it."""
    return Resources(*_model_settings(settings))


def _model_settings(settings: Settings) -> tuple[Path | None, float | None]:
    route_at = settings.classifier_route_at if settings.classifier_route_at >= 0 else None
    return (Path(settings.model_dir) if settings.model_dir else None), route_at


def build_services(settings: Settings, *, clock: Clock = utcnow, migrate: bool = True,
                   resources: Resources | None = None) -> Services:
    """``resources``: what the policies' rules share (the classifier model, read-only once loaded), passed in by a
    caller that builds several applications in one process with the same model settings (a test session) so
    that it is loaded once; by default, loaded for this application from ``settings``."""
    if resources is not None and (resources.model_dir, resources.route_at) != _model_settings(settings):
        raise ValueError("The shared resources were loaded with other model settings than these.")
    db = Database(settings.resolved_database_url)
    if migrate:
        db.migrate()
    with db.write(exclusive=True) as conn:  # several processes may start at once on a new database
        secret = settings.secret or people.put_meta_if_absent(conn, "secret", secrets.token_urlsafe(32))
        if content.get_site(conn, settings.default_site) is None:
            sso = settings.sso_secret or secrets.token_urlsafe(32)
            content.insert_site(
                conn,
                id=settings.default_site,
                name=settings.site_name,
                sso_secret=sso,
                allow_guests=bool(settings.allow_guests),
                auto_create_threads=True,
                policy_path=None,
                origins=[],
                created_at=clock(),
            )
        else:
            changes: dict[str, Any] = {}
            site = content.get_site(conn, settings.default_site)
            assert site is not None
            if settings.sso_secret and site["sso_secret"] != settings.sso_secret:
                changes["sso_secret"] = settings.sso_secret
            # only a value the operator set: a command run without it (or a restart) keeps an admin's choice
            if settings.allow_guests is not None and bool(site["allow_guests"]) != settings.allow_guests:
                changes["allow_guests"] = settings.allow_guests
            if changes:
                content.update_site(conn, settings.default_site, **changes)
    resources = resources or policy_resources(settings)
    events = EventBus()
    pages = PageCache(settings.page_cache_seconds)
    events.watchers.append(pages.on_event)
    svc = Services(
        settings=settings,
        db=db,
        clock=clock,
        secret=secret,
        policies=PolicyBook(settings.policy, resources),
        events=events,
        pages=pages,
        hasher=SignalHasher(secret, settings.ip_salt_rotation_days),
        limiter=MemoryRateLimiter(settings.rate_limit_per_minute),
    )
    events.watchers.append(svc.on_site_event)
    return svc
