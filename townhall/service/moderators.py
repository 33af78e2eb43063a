"""Local moderator accounts (argon2 password hashes), dashboard sign-in, and the admin's management of
moderators and sites. Every change is audited."""

from __future__ import annotations

import re
import secrets
from typing import Any, Mapping, Sequence
from urllib.parse import urlsplit

from datetime import UTC, datetime

from argon2 import PasswordHasher
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import RowMapping
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from townhall.service.article_urls import origin_of
from townhall.service.core import Services
from townhall.service.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated, no_such_site
from townhall.service.identity import Actor
from townhall.store import content, dashboard, people
from townhall.store.schema import ActorKind, DecisionSource, Role

MIN_PASSWORD = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_SITE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Verify against this when the e-mail is unknown, so both failures take the same time.
_DUMMY_HASH = PasswordHasher().hash("townhall-no-such-moderator")


def _hasher() -> PasswordHasher:
    return PasswordHasher()


def actor_for(row: Mapping[Any, Any]) -> Actor:
    role = Role(row["role"])
    sites = None if role is Role.ADMIN else frozenset(str(s) for s in (row["sites"] or []))
    return Actor(ActorKind.MODERATOR, f"mod:{row['email']}", role, sites)


def other_deciders(conn: Any, site_id: str, actor_id: str) -> int:
    """How many dashboard moderators of ``site_id`` (its moderators and the installation's admins), other than the
    one acting as ``actor_id``, could answer an appeal there. Moderators who sign in through the publisher's
    single sign-on are known only by their tokens, so they are not counted."""
    others = (actor_for(row) for row in people.list_moderators(conn))
    return sum(1 for other in others if other.can_moderate(site_id) and other.id != actor_id)


def own_appeal(actor: Actor, took: set[str], others: int) -> bool:
    """Whether ``actor`` is among those who ``took`` the appealed action (:func:`takers`) while one of ``others``
    moderators of the site could answer its appeal instead: then a second pair of eyes decides. A site with a
    single moderator lets that moderator answer (audited as their own action)."""
    return actor.kind is ActorKind.MODERATOR and actor.id in took and others > 0


def takers(actions: Sequence[Mapping[str, Any]], last_decisions: Mapping[int, Any]) -> dict[int, set[str]]:
    """Who took each of ``actions`` (rows with ``id``, ``actor`` and ``comment_id``): its actor, and for an action
    for a comment, the moderator whose decision on it is the comment's last (``last_decisions``, by comment id:
    :func:`townhall.store.moderation.latest_decisions`) — rejecting a comment a rule held brings the rule's strike,
    recorded as the policy's, by that moderator's judgement."""
    out: dict[int, set[str]] = {}
    for a in actions:
        took = {str(a["actor"])} if a["actor"] else set()
        decision = last_decisions.get(a["comment_id"]) if a["comment_id"] is not None else None
        if decision is not None and decision["source"] == DecisionSource.MODERATOR.value and decision["moderator"]:
            took.add(str(decision["moderator"]))
        out[int(a["id"])] = took
    return out


def check_email(email: str) -> str:
    email = (email or "").strip()
    if not _EMAIL.match(email) or len(email) > 300:
        raise Invalid("Give an e-mail address.", {"field": "email"})
    return email


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise Invalid(f"A password needs at least {MIN_PASSWORD} characters.", {"field": "password"})
    return password


def add_moderator(svc: Services, email: str, password: str, *, admin: bool = False, sites: Sequence[str] = (),
                  by: Actor | None = None) -> int:
    """Create (or update the password, role and sites of) a local moderator: from the command line
    (``by`` None) or by an installation admin in the dashboard."""
    if by is not None:
        _require_admin(by)
    email = check_email(email)
    check_password(password)
    role = Role.ADMIN if admin else Role.MODERATOR
    site_list = sorted({s.strip() for s in sites if s.strip()})
    if role is Role.MODERATOR and not site_list:
        site_list = [svc.settings.default_site]
    with svc.db.write() as conn:
        for site in site_list:
            if content.get_site(conn, site) is None:
                raise no_such_site(site)
        mid = people.upsert_moderator(conn, email=email, password_hash=_hasher().hash(password), role=role.value,
                                      sites=site_list, now=svc.now())
        svc.audit(conn, action="moderator.saved", subject_type="moderator", subject_id=mid,
                  actor_kind=(by.kind.value if by else ActorKind.SYSTEM.value), actor=(by.id if by else "cli"), site_id=None,
                  details={"email": email, "role": role.value, "sites": site_list})
    return mid


def authenticate(svc: Services, email: str, password: str) -> RowMapping:
    """The moderator row for a correct e-mail and password; otherwise Unauthenticated (same message either way)."""
    with svc.db.read() as conn:
        row = people.get_moderator(conn, (email or "").strip())
    hasher = _hasher()
    try:
        hasher.verify(row["password_hash"] if row is not None else _DUMMY_HASH, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        row = None
    if row is None:
        with svc.db.write() as conn:
            svc.audit(conn, action="moderator.sign_in_failed", subject_type="moderator", subject_id=None,
                      actor_kind=ActorKind.SYSTEM.value, actor=None, site_id=None, details={"email": (email or "")[:300]})
        raise Unauthenticated("Wrong e-mail or password.", code="bad_credentials")
    if hasher.check_needs_rehash(row["password_hash"]):
        with svc.db.write() as conn:
            dashboard.update_moderator(conn, int(row["id"]), password_hash=hasher.hash(password))
            row = people.get_moderator_by_id(conn, int(row["id"]))
        assert row is not None
    with svc.db.write() as conn:
        svc.audit(conn, action="moderator.signed_in", subject_type="moderator", subject_id=row["id"],
                  actor_kind=ActorKind.MODERATOR.value, actor=f"mod:{row['email']}", site_id=None, details={})
    return row


def load(svc: Services, moderator_id: int) -> RowMapping | None:
    with svc.db.read() as conn:
        return people.get_moderator_by_id(conn, moderator_id)


def _require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN or actor.sites is not None:
        raise Forbidden("Only installation admins manage moderators and sites.")


def list_moderators(svc: Services, actor: Actor) -> list[dict[str, Any]]:
    """Local moderator accounts (installation admins only; the command line acts as one)."""
    _require_admin(actor)
    with svc.db.read() as conn:
        return [{"id": r["id"], "email": r["email"], "role": r["role"], "sites": list(r["sites"] or [])}
                for r in people.list_moderators(conn)]


def get_moderator(svc: Services, actor: Actor, moderator_id: int) -> dict[str, Any]:
    """One local moderator account, as :func:`list_moderators` lists them (installation admins only)."""
    _require_admin(actor)
    with svc.db.read() as conn:
        row = people.get_moderator_by_id(conn, moderator_id)
    if row is None:
        raise NotFound("No such moderator.")
    return {"id": row["id"], "email": row["email"], "role": row["role"], "sites": list(row["sites"] or [])}


def update_moderator(svc: Services, actor: Actor, moderator_id: int, *, role: str, sites: Sequence[str]) -> None:
    _require_admin(actor)
    if role not in (Role.MODERATOR.value, Role.ADMIN.value):
        raise Invalid("Role is moderator or admin.", {"field": "role"})
    site_list = sorted({s.strip() for s in sites if s.strip()})
    with svc.db.write() as conn:
        row = people.get_moderator_by_id(conn, moderator_id)
        if row is None:
            raise NotFound("No such moderator.")
        for site in site_list:
            if content.get_site(conn, site) is None:
                raise no_such_site(site)
        if f"mod:{row['email']}" == actor.id and role != Role.ADMIN.value:
            raise Conflict("You cannot take away your own admin role.")
        dashboard.update_moderator(conn, moderator_id, role=role, sites=site_list)
        svc.audit(conn, action="moderator.updated", subject_type="moderator", subject_id=moderator_id,
                  actor_kind=actor.kind.value, actor=actor.id, site_id=None,
                  details={"email": row["email"], "role": role, "sites": site_list})


def remove_moderator(svc: Services, actor: Actor, moderator_id: int) -> None:
    _require_admin(actor)
    with svc.db.write() as conn:
        row = people.get_moderator_by_id(conn, moderator_id)
        if row is None:
            raise NotFound("No such moderator.")
        if f"mod:{row['email']}" == actor.id:
            raise Conflict("You cannot remove yourself.")
        dashboard.delete_moderator(conn, moderator_id)
        svc.audit(conn, action="moderator.removed", subject_type="moderator", subject_id=moderator_id,
                  actor_kind=actor.kind.value, actor=actor.id, site_id=None, details={"email": row["email"]})


def remove_moderator_by_email(svc: Services, email: str, actor: Actor | None = None) -> None:
    """Remove the local moderator with this e-mail (``townhall users remove-moderator``; the command line acts
    as an installation admin)."""
    with svc.db.read() as conn:
        row = people.get_moderator(conn, (email or "").strip())
    if row is None:
        raise NotFound(f"No moderator {(email or '').strip()}.", {"email": (email or "").strip()[:300]})
    remove_moderator(svc, actor or Actor.cli(), int(row["id"]))


def visible_sites(svc: Services, actor: Actor) -> list[dict[str, Any]]:
    with svc.db.read() as conn:
        rows = content.list_sites(conn)
    return [{"id": r["id"], "name": r["name"], "allow_guests": bool(r["allow_guests"]), "policy_path": r["policy_path"],
             "origins": list(r["origins"] or []), "auto_create_threads": bool(r["auto_create_threads"])}
            for r in rows if actor.can_moderate(r["id"])]


def add_site(svc: Services, actor: Actor, site_id: str, name: str, *, allow_guests: bool = False,
             origins: Sequence[str] = ()) -> str:
    """Create a site; returns its SSO secret (shown once to the admin, who gives it to the publisher)."""
    _require_admin(actor)
    site_id = (site_id or "").strip().lower()
    if not _SITE_ID.match(site_id):
        raise Invalid("A site id is lower-case letters, digits, '-' or '_' (at most 64).", {"field": "site_id"})
    name = (name or "").strip()[:200] or site_id
    listed = allowed_origins(origins)
    secret = secrets.token_urlsafe(32)
    with svc.db.write() as conn:
        if content.get_site(conn, site_id) is not None:
            raise Conflict("That site exists already.", {"site": site_id})
        try:
            with conn.begin_nested():
                content.insert_site(conn, id=site_id, name=name, sso_secret=secret, allow_guests=allow_guests,
                                    auto_create_threads=True, policy_path=None,
                                    origins=listed, created_at=svc.now())
        except IntegrityError:  # PostgreSQL: the same site added a moment ago (a double click, another admin)
            raise Conflict("That site exists already.", {"site": site_id}) from None
        svc.audit(conn, action="site.created", subject_type="site", subject_id=site_id, actor_kind=actor.kind.value,
                  actor=actor.id, site_id=site_id, details={"name": name, "allow_guests": allow_guests})
    return secret


def update_site(svc: Services, actor: Actor, site_id: str, *, name: str, allow_guests: bool, origins: Sequence[str],
                auto_create_threads: bool | None = None) -> None:
    """Save a site's settings. ``auto_create_threads``: whether a reader's first comment on an article id the site
    has no thread for creates it (on), or is refused until the publisher registers the article
    (``PATCH /api/v1/mod/threads/{thread}``; off); None leaves it as it is."""
    _require_admin(actor)
    listed = allowed_origins(origins)
    with svc.db.write() as conn:
        if content.get_site(conn, site_id) is None:
            raise no_such_site(site_id)
        values: dict[str, Any] = {"name": (name or "").strip()[:200] or site_id, "allow_guests": allow_guests,
                                  "origins": listed}
        if auto_create_threads is not None:
            values["auto_create_threads"] = auto_create_threads
        content.update_site(conn, site_id, **values)
        svc.audit(conn, action="site.updated", subject_type="site", subject_id=site_id, actor_kind=actor.kind.value,
                  actor=actor.id, site_id=site_id, details=values)
    svc.forget_site(site_id)


ORIGIN_FORM = "scheme://host[:port]"
"""What a site's allowed origin is, as a refusal says it."""

_ORIGIN = re.compile(r"^https?://(\[[0-9a-f:.]+\]|[\w.-]+)(:[0-9]+)?$")  # as origin_of writes one; \w: a Unicode host
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def allowed_origins(entries: Sequence[str]) -> list[str]:
    """A site's allowed origins as the admin typed them (blank ones dropped), each refused (422 ``invalid``,
    ``details.origin`` the entry and ``details.expected`` what to write) unless it is a page's origin as a browser
    sends it in ``Origin``: ``http(s)://host[:port]``. Anything else (``www.news.example`` without its scheme, a
    page's address, a wildcard) matches no page, and a list of only such entries refuses every browser write from
    the publisher's own pages (403 ``origin_not_allowed``) with nothing said when it was saved. Harmless variants
    (case, a trailing slash, the default port) are kept as typed: the origin check compares origins as browsers
    write them (``origin_of``). Values stored before this check are left as they are."""
    listed = [str(e).strip() for e in entries if str(e).strip()]
    for entry in listed:
        refusal = origin_refusal(entry)
        if refusal is not None:
            raise refusal
    return listed


def origin_refusal(entry: str) -> Invalid | None:
    """The refusal of an allowed origin's entry that is no origin (:func:`allowed_origins`), or None for an origin;
    also what ``townhall doctor`` says of one stored before the check."""
    found = _not_an_origin(entry)
    if found is None:
        return None
    why, expected = found
    shown = entry if len(entry) <= 100 else entry[:100] + "…"
    return Invalid(f"'{shown}' is not an origin ({ORIGIN_FORM}): {why}",
                   {"field": "origins", "origin": entry[:300], "expected": expected})


def _not_an_origin(entry: str) -> tuple[str, str] | None:
    """Why ``entry`` names no page's origin and what to write instead (the origin it meant, where that is clear),
    or None for an origin. No sentence ends in an address: a copied address would take the full stop along."""
    example = f"write it as {ORIGIN_FORM}, e.g. https://news.example"
    if entry == "*":
        return "to take every page, leave the allowed origins empty", ""
    if "*" in entry:
        return ("there are no wildcards, list each host (e.g. https://news.example https://www.news.example)",
                ORIGIN_FORM)
    if "://" not in entry:
        meant = _with_scheme(entry)
        return (f"write it as {meant}", meant) if meant else (example, ORIGIN_FORM)
    origin = origin_of(entry)
    if origin is None or not _ORIGIN.match(origin) or entry.count("://") > 1:
        return example, ORIGIN_FORM  # another scheme, a user name, no host, a port that is no port, two schemes
    if urlsplit(entry).path not in ("", "/") or "?" in entry or "#" in entry:
        return f"a page's address is not its origin, write it as {origin}", origin
    return None


def _with_scheme(entry: str) -> str | None:
    """The origin ``entry`` (a host, with a port or a path perhaps) means once its scheme is written: http for this
    computer's own addresses, https for any other; None where it still is none."""
    try:
        host = urlsplit(f"//{entry}").hostname or ""
    except ValueError:
        return None
    scheme = "http" if host in _LOCAL_HOSTS or host.endswith(".localhost") else "https"
    meant = origin_of(f"{scheme}://{entry}")
    return meant if meant is not None and _ORIGIN.match(meant) else None


def sso_actor(site_id: str, subject: str, role: str) -> Actor | None:
    """The actor for a dashboard session opened with a publisher's SSO token (moderates that site only)."""
    try:
        parsed = Role(role)
    except ValueError:
        return None
    if parsed not in (Role.MODERATOR, Role.ADMIN):
        return None
    return Actor(ActorKind.MODERATOR, f"sso:{site_id}:{subject}", parsed, frozenset({site_id}))


def sso_role(svc: Services, site_id: str, subject: str) -> str | None:
    """The role of the SSO account ``subject`` on ``site_id`` as the publisher's latest token set it (one read by
    the accounts' unique key), or None where there is no such account (never signed in, or erased)."""
    with svc.db.read() as conn:
        row = people.find_account(conn, site_id, subject)
    return str(row["role"]) if row is not None else None


def record_sso_sign_in(svc: Services, actor: Actor, site_id: str) -> None:
    with svc.db.write() as conn:
        svc.audit(conn, action="moderator.signed_in", subject_type="moderator", subject_id=None,
                  actor_kind=actor.kind.value, actor=actor.id, site_id=site_id, details={"via": "sso"})


def end_session(svc: Services, nonce: str, expires: float, actor: Actor | None = None) -> None:
    """Signing out ends a dashboard session on the server too: its cookie, even copied, opens nothing more.
    With ``actor`` (the moderator signing out), audited as signing in is."""
    try:
        with svc.db.write() as conn:
            if actor is not None and not dashboard.session_ended(conn, nonce[:64]):
                svc.audit(conn, action="moderator.signed_out", subject_type="moderator", subject_id=None,
                          actor_kind=actor.kind.value, actor=actor.id,
                          site_id=_sso_site(actor), details={})
            dashboard.end_session(conn, nonce[:64], datetime.fromtimestamp(expires, UTC))
    except IntegrityError:  # the same session signed out twice at once: it is ended either way
        pass


def _sso_site(actor: Actor) -> str | None:
    """The site of an SSO moderator (their sign-in is audited on it); None for local moderators."""
    return next(iter(actor.sites)) if actor.id.startswith("sso:") and actor.sites else None


def session_ended(svc: Services, nonce: str) -> bool:
    with svc.db.read() as conn:
        return dashboard.session_ended(conn, nonce[:64])
