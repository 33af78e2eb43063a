"""Dashboard sessions: a signed cookie (HMAC-SHA256 with a key derived from the installation secret),
HttpOnly, SameSite=Lax, Secure over HTTPS, expiring after ``session_hours``; and CSRF tokens bound to it.

The cookie says who; what they may do is read again at every request, by one indexed read: a local moderator's
row (removed, another role or other sites, a new password), or an SSO moderator's account on the site (its role,
which the publisher's latest token set). A moderator taken off moderation is refused at their next request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

from townhall.service import moderators
from townhall.service.core import Services
from townhall.service.identity import Actor

COOKIE = "th_session"
LOGIN_COOKIE = "th_login"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True, slots=True)
class Session:
    actor: Actor
    label: str  # what the header shows: the e-mail, or the SSO name
    nonce: str
    expires: float
    csrf: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(svc: Services, purpose: str) -> bytes:
    return hmac.new(svc.secret.encode(), f"townhall-dashboard:{purpose}".encode(), hashlib.sha256).digest()


def _sign(svc: Services, purpose: str, text: str) -> str:
    return _b64(hmac.new(_key(svc, purpose), text.encode(), hashlib.sha256).digest())


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that takes any text (a forged token may hold characters beyond ASCII)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def sso_mark(svc: Services, site_id: str) -> str | None:
    """Binds an SSO session to the site's sign-in secret: rotating the secret ends the sessions opened with it."""
    site = svc.site(site_id)
    return _sign(svc, "sso-secret", f"{site_id}\x00{site['sso_secret']}")[:16] if site is not None else None


def address_key(svc: Services, email: str) -> str:
    """A rate-limit key for sign-in attempts as ``email`` (keyed, so the limiter stores no address)."""
    return _sign(svc, "login-address", email.strip().lower())[:22]


def password_mark(svc: Services, password_hash: str) -> str:
    """Binds a session to the password it was opened with: a new password ends older sessions."""
    return _sign(svc, "password", password_hash)[:16]


def csrf_for(svc: Services, nonce: str) -> str:
    return _sign(svc, "csrf", nonce)


def is_https(request: Request, svc: Services) -> bool:
    return request.url.scheme == "https" or svc.settings.public_url.lower().startswith("https://")


def issue(request: Request, response: Response, svc: Services, payload: dict[str, Any]) -> None:
    """Start a session: ``payload`` says who (local moderator id, or the SSO identity)."""
    max_age = int(svc.settings.session_hours * 3600)
    body = {**payload, "n": secrets.token_urlsafe(16), "exp": svc.now().timestamp() + max_age}
    text = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    response.set_cookie(COOKIE, f"{text}.{_sign(svc, 'session', text)}", max_age=max_age, path="/admin", httponly=True,
                        samesite="lax", secure=is_https(request, svc))
    response.delete_cookie(LOGIN_COOKIE, path="/admin")


def clear(request: Request, response: Response, svc: Services) -> None:
    response.delete_cookie(COOKIE, path="/admin", httponly=True, samesite="lax", secure=is_https(request, svc))


def read(request: Request, svc: Services) -> Session | None:
    """The session of this request, or None (absent, forged, expired, or its moderator removed)."""
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 4096 or "." not in raw:
        return None
    text, _, sig = raw.rpartition(".")
    if not _same(sig, _sign(svc, "session", text)):
        return None
    try:
        body = json.loads(_unb64(text))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict) or float(body.get("exp", 0)) <= svc.now().timestamp():
        return None
    nonce = str(body.get("n", ""))
    if moderators.session_ended(svc, nonce):
        return None  # signed out: a copy of the cookie opens nothing
    if body.get("k") == "local":
        row = moderators.load(svc, int(body.get("m", 0)))
        if row is None or not _same(str(body.get("pw", "")), password_mark(svc, str(row["password_hash"]))):
            return None  # removed, or the password changed since: sign in again
        actor, label = moderators.actor_for(row), str(row["email"])
    elif body.get("k") == "sso":
        site, sub = str(body.get("site")), str(body.get("sub"))
        mark = sso_mark(svc, site)
        if mark is None or not _same(str(body.get("sm", "")), mark):
            return None  # the site is gone, or its sign-in secret changed since: sign in again
        # the role is the account's now, not the token's of the sign-in: the publisher's next token for them
        # (the widget's, or the moderators' API's) saying reader ends the session at its next request
        sso = moderators.sso_actor(site, sub, moderators.sso_role(svc, site, sub) or "")
        if sso is None:
            return None  # no longer a moderator there (or the account was erased): sign in again
        actor, label = sso, f"{body.get('name') or sub} ({site})"
    else:
        return None
    return Session(actor, label, nonce, float(body["exp"]), csrf_for(svc, nonce))


def login_nonce(request: Request, response: Response, svc: Services) -> str:
    """A token for the sign-in form, bound to a short-lived pre-session cookie (login CSRF)."""
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, path="/admin", httponly=True, samesite="lax",
                        secure=is_https(request, svc))
    return _sign(svc, "login", nonce)


def login_token_ok(request: Request, svc: Services, token: str) -> bool:
    nonce = request.cookies.get(LOGIN_COOKIE)
    return bool(nonce and token) and _same(token, _sign(svc, "login", nonce or ""))


def csrf_ok(request: Request, session: Session, form_token: str | None) -> bool:
    token = request.headers.get(CSRF_HEADER) or form_token or ""
    return _same(token, session.csrf)
