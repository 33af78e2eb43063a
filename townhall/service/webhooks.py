"""Webhooks: each site may register endpoints that receive its events as signed JSON POSTs.

Events: comment.created, comment.held, comment.rejected, comment.published, account.sanctioned, appeal.created,
appeal.decided. ``comment.published``: a comment published after it was posted (approved, restored on appeal, mended,
released), once, at its first publication; its data is ``comment.created``'s (a comment published when it was posted
is only a ``comment.created``).
Every delivery is logged (``webhook_deliveries``) and sent by the job runner, with retries and
exponential backoff. The body is JSON ``{"id", "event", "site", "created_at", "data"}`` and the request
carries ``Townhall-Event``, ``Townhall-Delivery`` (the event id: receivers can drop repeats) and

    Townhall-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the secret>

Receivers recompute the HMAC over the raw body, compare in constant time, and reject requests whose
``t`` is more than five minutes from their clock (replay protection).

URLs on the server's own network (loopback, private, link-local, … addresses) are refused when added and
again at every delivery unless the setting ``webhooks_allow_private`` is on; deliveries connect only to
the address that was checked and never follow redirects (``townhall.service.webhook_guard``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from typing import Any

import httpx

from townhall.service import webhook_guard
from townhall.service.core import Services, as_utc
from townhall.service.errors import Invalid, no_such_site
from townhall.service.jobs import Job, JobQueue, PermanentError
from townhall.store import content
from townhall.store import webhooks as store

log = logging.getLogger("townhall.webhooks")
EVENTS = ("comment.created", "comment.held", "comment.rejected", "comment.published", "account.sanctioned",
          "appeal.created", "appeal.decided")
JOB_KIND = "webhook.deliver"
TOLERANCE_SECONDS = 300
TIMEOUT_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 5.0


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does (also usable by Python receivers): check the signature and the timestamp."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    # compared as bytes: compare_digest raises on a str with non-ASCII characters, which a forger may send
    return hmac.compare_digest(expected.encode(), parts.get("v1", "").encode("utf-8", "surrogateescape"))


def add(svc: Services, site_id: str, url: str, *, secret: str | None = None, events: list[str] | None = None) -> dict[str, Any]:
    try:
        parsed = webhook_guard.parse(url)
    except webhook_guard.BadURL as exc:
        raise Invalid(f"A webhook URL must be an http:// or https:// URL with a host (not {url!r}: {exc}).",
                      {"field": "url"}) from exc
    unknown = sorted(set(events or []) - set(EVENTS))
    if unknown:
        raise Invalid(f"Unknown event(s): {', '.join(unknown)}.", {"allowed": list(EVENTS)})
    try:  # a name that does not resolve now is accepted: every delivery checks the address again
        webhook_guard.check_registration(parsed, allow_private=svc.settings.webhooks_allow_private)
    except webhook_guard.Refused as exc:
        raise Invalid(f"Refused webhook URL: {exc}.", {"field": "url", "setting": webhook_guard.SETTING}) from exc
    secret = secret or secrets.token_urlsafe(32)
    with svc.db.write() as conn:
        if content.get_site(conn, site_id) is None:
            raise no_such_site(site_id)
        webhook_id = store.add(conn, site_id=site_id, url=url, secret=secret, events=list(events or []), now=svc.now())
    svc.forget(f"webhooks:{site_id}")
    return {"id": webhook_id, "site": site_id, "url": url, "secret": secret, "events": list(events or EVENTS)}


def list_webhooks(svc: Services, site_id: str) -> list[dict[str, Any]]:
    with svc.db.read() as conn:
        return [{"id": r["id"], "url": r["url"], "events": r["events"] or list(EVENTS), "active": bool(r["active"])}
                for r in store.for_site(conn, site_id, active_only=False)]


def remove(svc: Services, webhook_id: int) -> bool:
    with svc.db.write() as conn:
        removed = store.set_active(conn, webhook_id, False)
    svc.forget("webhooks:")
    return removed


def deliveries(svc: Services, site_id: str, *, state: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The delivery log of a site, newest first (for the dashboard and ``townhall webhooks deliveries``)."""
    with svc.db.read() as conn:
        rows = store.deliveries(conn, site_id, state=state, limit=limit)
    return [{"id": r["id"], "webhook_id": r["webhook_id"], "url": r["url"], "event": r["event"], "event_id": r["event_id"],
             "state": r["state"], "attempts": r["attempts"], "last_status": r["last_status"], "last_error": r["last_error"],
             "created_at": _iso(r["created_at"]), "delivered_at": _iso(r["delivered_at"])} for r in rows]


def _iso(value: Any) -> str | None:
    stamp = as_utc(value)
    return stamp.isoformat() if stamp is not None else None


def listener(svc: Services, queue: JobQueue) -> Any:
    """A ``svc.listeners`` entry: log one delivery per subscribed endpoint and queue it for sending."""

    def on_event(event: str, site_id: str, payload: dict[str, Any]) -> None:
        if event not in EVENTS:
            return

        def subscriptions() -> list[list[str]]:
            with svc.db.read() as conn:
                return [list(h["events"] or EVENTS) for h in store.for_site(conn, site_id)]

        try:  # most sites have no webhooks: know that without a query per event, and without the write lock
            if not any(event in events for events in svc.cached(f"webhooks:{site_id}", subscriptions)):
                return
            with svc.db.write() as conn:
                hooks = [h for h in store.for_site(conn, site_id) if not h["events"] or event in h["events"]]
                if not hooks:
                    return
                event_id = uuid.uuid4().hex
                now = svc.now()
                for hook in hooks:
                    delivery_id = store.add_delivery(
                        conn, webhook_id=hook["id"], site_id=site_id, event=event, event_id=event_id,
                        payload={"id": event_id, "event": event, "site": site_id, "created_at": now.isoformat(), "data": payload},
                        state="pending", attempts=0, created_at=now,
                    )
                    queue.enqueue(JOB_KIND, {"delivery_id": delivery_id}, conn=conn)
        except Exception:  # noqa: BLE001 - a webhook problem must not fail the reader's request
            log.exception("could not queue webhook deliveries for %s", event)

    return on_event


def deliver(svc: Services, job: Job) -> None:
    """Job handler: POST one delivery; raise to have the runner retry it later."""
    delivery_id = int(job.payload["delivery_id"])
    with svc.db.read() as conn:
        delivery = store.get_delivery(conn, delivery_id)
        hook = store.get(conn, int(delivery["webhook_id"])) if delivery is not None else None
    if delivery is None or hook is None:
        raise PermanentError(f"delivery {delivery_id} is gone")
    if delivery["state"] == "delivered":
        return  # a retried job after a crash between sending and recording: do not send twice
    if not hook["active"]:
        _record(svc, delivery_id, state="failed", attempts=job.attempt, status=None, error="webhook removed")
        return
    body = json.dumps(delivery["payload"], ensure_ascii=False, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "Townhall-Webhooks/1",
               "Townhall-Event": delivery["event"], "Townhall-Delivery": delivery["event_id"],
               "Townhall-Signature": sign(hook["secret"], int(time.time()), body)}
    status: int | None = None
    timeout = httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
    try:
        response = webhook_guard.post(hook["url"], content=body, headers=headers, timeout=timeout,
                                      allow_private=svc.settings.webhooks_allow_private)
        status = response.status_code
        if 200 <= status < 300:
            _record(svc, delivery_id, state="delivered", attempts=job.attempt, status=status, error=None, delivered=True)
            return
        error = f"HTTP {status}"
        if response.is_redirect:
            error += " (redirects are not followed: register the URL it points to)"
    except webhook_guard.Refused as exc:  # retrying cannot help: only the setting or the URL can change
        error = f"refused: {exc}"
        _record(svc, delivery_id, state="failed", attempts=job.attempt, status=None, error=error)
        raise PermanentError(f"webhook {shown_url(hook['url'])}: {error}") from exc
    except webhook_guard.Unresolvable as exc:  # DNS may answer again later
        error = str(exc)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    _record(svc, delivery_id, state="failed" if job.last_attempt else "retrying", attempts=job.attempt, status=status, error=error)
    raise RuntimeError(f"webhook {shown_url(hook['url'])}: {error}")


def shown_url(url: str) -> str:
    """A webhook's URL as logs and job errors show it: scheme, host and port. Its path and query are often the
    receiver's secret (Slack's and Discord's webhook URLs, ``?token=``), and ``user:password@`` is one."""
    try:
        parsed = httpx.URL(url)
        if parsed.scheme and parsed.host:
            return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}/…"
    except (httpx.InvalidURL, TypeError, ValueError, UnicodeDecodeError):
        pass
    return "(a URL that cannot be parsed)"


def _record(svc: Services, delivery_id: int, *, state: str, attempts: int, status: int | None, error: str | None,
            delivered: bool = False) -> None:
    values: dict[str, Any] = {"state": state, "attempts": attempts, "last_status": status, "last_error": error}
    if delivered:
        values["delivered_at"] = svc.now()
    with svc.db.write() as conn:
        store.update_delivery(conn, delivery_id, **values)
