"""Who is calling: reader JWTs signed by the publisher (HS256 with the site's SSO secret), guest tokens
signed by this installation, and moderator sessions from the dashboard."""

from __future__ import annotations

import hmac
import time
from datetime import timedelta
from typing import Any

import jwt
from fastapi import Request

from townhall.service import accounts as acct
from townhall.service.article_urls import origin_of, site_origins
from townhall.service.core import Services
from townhall.service.errors import Forbidden, Invalid, Unauthenticated
from townhall.service.identity import Actor, Identity

MAX_TOKEN = 8192
MAX_SITE_ID = 64
LEEWAY = 30
GUEST_KID = "townhall-guest"


def site_id_of(request: Request, svc: Services) -> str:
    site = request.query_params.get("site") or request.headers.get("x-townhall-site") or svc.settings.default_site
    if not site.isprintable():  # NUL and other control characters: no site has them, PostgreSQL cannot compare them
        raise Invalid("A site id is printable text.", {"field": "site"})
    return site[:MAX_SITE_ID]


_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_origin(request: Request) -> None:
    """A browser's write from a page the site does not name among its allowed origins is refused (where the
    site names any; one that names none takes every page). Townhall's own pages are always allowed, and so is
    a request without ``Origin`` (not a browser's cross-origin request: a server can send anything anyway).
    Origins are compared as browsers write them (``origin_of``): a listed ``https://News.Example:443/`` is the
    page ``https://news.example``."""
    if request.method in _READS:
        return
    origin = request.headers.get("origin")
    if origin is None:
        return
    svc: Services = request.app.state.services
    listed = site_origins(svc.site(site_id_of(request, svc)))
    if not any(o.strip() for o in listed):
        return
    allowed = {origin_of(o) for o in listed}
    allowed.add(origin_of(f"{request.url.scheme}://{request.url.netloc}"))
    if svc.settings.public_url:
        allowed.add(origin_of(svc.settings.public_url))
    allowed.discard(None)
    if origin_of(origin) not in allowed:
        raise Forbidden("This site does not take comments from that page.", {"origin": origin[:200]},
                        code="origin_not_allowed")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send the sign-in token as 'Authorization: Bearer <token>'.")
    token = token.strip()
    if len(token) > MAX_TOKEN:
        raise Unauthenticated("The sign-in token is too large.")
    return token


def decode_reader_token(svc: Services, site_id: str, token: str) -> dict[str, Any]:
    """The verified claims of a reader's token. A verified token is remembered for a few seconds together
    with the key that verified it, since a reader sends the same one with every request; a changed site
    secret, an expiry or (for a token without ``exp``) its maximum age still refuses it."""
    cache_key = f"token:{site_id}:{token}"
    claims, verified_with = svc.cached(cache_key, lambda: _decode_reader_token(svc, site_id, token))
    exp = claims.get("exp")
    if verified_with != _key(svc, site_id, claims["_guest"]) or (isinstance(exp, (int, float)) and exp < time.time() - LEEWAY):
        svc.forget(cache_key)
        claims, _ = _decode_reader_token(svc, site_id, token)
    try:
        _check_lifetime(svc, claims)
    except Unauthenticated:
        svc.forget(cache_key)
        raise
    return dict(claims)


def _key(svc: Services, site_id: str, guest: bool) -> str | None:
    if guest:
        return svc.secret
    site = svc.site(site_id)
    return site["sso_secret"] if site is not None else None


def _decode_reader_token(svc: Services, site_id: str, token: str) -> tuple[dict[str, Any], str]:
    """Verify a token: its claims (with ``_guest``) and the key that verified them."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthenticated("The sign-in token is malformed.") from exc
    if header.get("alg") != "HS256":
        raise Unauthenticated("The sign-in token must be signed with HS256.")
    key = _key(svc, site_id, header.get("kid") == GUEST_KID)
    if key is None:
        raise Unauthenticated("Unknown site.")
    try:
        # ``aud`` is checked below (_check_audience): PyJWT would refuse every token that carries one, since no
        # single audience is passed to it, and say only "not valid"
        claims = jwt.decode(token, key, algorithms=["HS256"], leeway=LEEWAY,
                            options={"require": ["sub"], "verify_aud": False})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("The sign-in token has expired; please sign in again.", code="token_expired") from exc
    except jwt.ImmatureSignatureError as exc:  # its signature was verified: only a time claim stands in the way
        raise _not_yet_valid(token) from exc
    except jwt.PyJWTError as exc:
        raise _not_valid(exc, site_id, header.get("kid") == GUEST_KID) from exc
    iat = claims.get("iat")
    if isinstance(iat, (int, float)) and iat > svc.now().timestamp() + LEEWAY:
        raise _issued_in_future()
    if header.get("kid") == GUEST_KID and claims.get("site") != site_id:
        raise Unauthenticated("This guest token belongs to another site.")
    if "purpose" in claims and hmac.compare_digest(key.encode(), svc.secret.encode()):
        # a site whose SSO secret is the installation secret: Townhall's own tokens (the unsubscribe link of
        # every reply e-mail: no expiry, ``sub`` an account id) verify with it, and are no one's sign-in
        raise Unauthenticated("This is not a sign-in token.")
    _check_audience(svc, site_id, claims)
    _check_lifetime(svc, claims)
    claims["_guest"] = header.get("kid") == GUEST_KID
    return claims, key


def _not_valid(exc: jwt.PyJWTError, site_id: str, guest: bool) -> Unauthenticated:
    """Why a token was refused, in words a publisher's developer can act on: the usual mistakes (a token signed
    with another site's secret or sent without ``?site=``, a numeric ``sub``, no ``sub``) were all answered "not
    valid", which tells them nothing. What it says is no secret: whoever holds the token knows its claims."""
    if isinstance(exc, jwt.InvalidSignatureError):
        if guest:
            return Unauthenticated("This guest token was not signed by this installation.")
        return Unauthenticated(
            f"The sign-in token's signature does not match the SSO secret of site {site_id!r}: sign it with that "
            "site's secret, and name the site with ?site= or the X-Townhall-Site header.", {"site": site_id})
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return Unauthenticated("The sign-in token has no 'sub' claim (the reader's stable id at the publisher).",
                               {"claim": "sub"})
    if type(exc).__name__ == "InvalidSubjectError":  # PyJWT 2.10 on (pyproject allows 2.8), not exported as jwt.…
        return Unauthenticated("The sign-in token's 'sub' must be a string of 1 to 255 characters: send a numeric "
                               "id as a string (\"12345\", not 12345).", {"claim": "sub"})
    if isinstance(exc, (jwt.InvalidIssuedAtError, jwt.DecodeError)) and "claim" in str(exc):
        # PyJWT's own words name the claim: "Expiration Time claim (exp) must be an integer."
        return Unauthenticated(f"The sign-in token is not valid: {exc}")
    return Unauthenticated("The sign-in token is not valid.")


def _as_time(value: Any) -> int | None:
    """A time claim read as PyJWT reads it (``int(value)``), or None where it cannot be."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _check_lifetime(svc: Services, claims: dict[str, Any]) -> None:
    """A token with ``exp`` lives until then (PyJWT checks it). One without lives ``sso_token_max_age_days``
    after its ``iat``, so that a leaked token without ``exp`` does not sign its reader in for ever; one with
    neither cannot be bounded and is refused. The default of 30 days is a long "remember me" sign-in at the
    publisher: a publisher who signs one token at sign-in and hands the same one to the widget for the whole
    of that session keeps working, while a leaked token stops working within a month."""
    if "exp" in claims:
        return
    iat = _as_time(claims.get("iat")) if "iat" in claims else None
    if iat is None:
        raise Unauthenticated(
            "The sign-in token has no expiry time (exp) and no issue time (iat), so it would never expire: "
            "the publisher must add 'exp' to its reader tokens.", {"claim": "exp"})
    days = svc.settings.sso_token_max_age_days
    if svc.now().timestamp() > iat + days * 86400 + LEEWAY:
        raise Unauthenticated(
            f"The sign-in token has expired; please sign in again. It has no expiry time (exp) and was issued "
            f"(iat) more than {days:g} day{'' if days == 1 else 's'} ago, the longest a token without 'exp' is accepted.",
            {"claim": "iat", "max_age_days": days}, code="token_expired")


def _url_key(url: str) -> str:
    """A URL as compared with another: without surrounding space and trailing slashes, scheme and host in
    lower case (the path keeps its case)."""
    scheme, sep, rest = url.strip().rstrip("/").partition("://")
    if not sep:
        return scheme
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def _check_audience(svc: Services, site_id: str, claims: dict[str, Any]) -> None:
    """A token without ``aud`` is for whoever holds the secret. One with ``aud`` (a string or a list of
    strings, as RFC 7519 allows) must name this site's id or this installation's ``public_url``."""
    if "aud" not in claims:
        return
    aud = claims["aud"]
    names = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else None
    public_url = svc.settings.public_url.strip()
    expected = [site_id, public_url] if public_url else [site_id]
    wanted = f"the site id {site_id!r}" + (f" or this server's public URL {public_url!r}" if public_url else "")
    details: dict[str, Any] = {"claim": "aud", "expected": expected}
    if names is None or not all(isinstance(name, str) for name in names):
        raise Unauthenticated(f"The sign-in token's audience (aud) must be a string or a list of strings: {wanted}.", details)
    if site_id in names or (public_url and _url_key(public_url) in {_url_key(name) for name in names}):
        return
    raise Unauthenticated(
        f"The sign-in token's audience (aud) does not name this site: it must be (or, as a list, contain) {wanted}, "
        "or be left out.", details)


def _issued_in_future() -> Unauthenticated:
    return Unauthenticated(
        f"The sign-in token was issued in the future: its issue time (iat) is more than {LEEWAY} seconds ahead of "
        "this server's clock. Check the clock of the server that signs it.",
        {"claim": "iat", "leeway_seconds": LEEWAY})


def _not_yet_valid(token: str) -> Unauthenticated:
    """Why PyJWT refused a token, whose signature it had verified, as not valid yet: its ``iat`` is ahead of
    the clock (checked first), or else its ``nbf`` (not before) has not come."""
    claims = jwt.decode(token, options={"verify_signature": False})  # verified a moment ago
    try:
        iat_ahead = int(claims.get("iat")) > time.time() + LEEWAY  # read as PyJWT reads it
    except (TypeError, ValueError, OverflowError):
        iat_ahead = False
    if "nbf" in claims and not iat_ahead:
        return Unauthenticated(
            f"The sign-in token is not valid yet: its 'nbf' (not before) time is more than {LEEWAY} seconds ahead "
            "of this server's clock.", {"claim": "nbf", "leeway_seconds": LEEWAY})
    return _issued_in_future()


def guest_token(svc: Services, ident: Identity) -> str:
    now = svc.now()
    claims = {"sub": ident.subject, "name": ident.name, "site": ident.site_id, "iat": int(now.timestamp()),
              "exp": int((now + timedelta(days=365)).timestamp())}
    return jwt.encode(claims, svc.secret, algorithm="HS256", headers={"kid": GUEST_KID})


def optional_reader(request: Request, svc: Services) -> Identity | None:
    token = _bearer(request)
    if token is None:
        return None
    site_id = site_id_of(request, svc)
    claims = decode_reader_token(svc, site_id, token)
    if claims.pop("_guest"):
        subject = str(claims["sub"])
        gid = subject.removeprefix("guest:")
        return acct.sign_in_guest(svc, site_id, claims.get("name", "Guest"), gid) if subject.startswith("guest:") else None
    return acct.sign_in_sso(svc, site_id, claims)


def require_reader(request: Request, svc: Services) -> Identity:
    ident = optional_reader(request, svc)
    if ident is None:
        raise Unauthenticated("Sign in to do this.")
    return ident


def require_moderator(request: Request, svc: Services) -> Actor:
    """A moderator: a dashboard session (cookie) or an SSO token whose role claim is moderator/admin."""
    session_actor = getattr(request.state, "moderator", None)
    if session_actor is not None:
        return session_actor
    ident = optional_reader(request, svc)
    if ident is None:
        raise Unauthenticated("Moderators must sign in.")
    if not ident.is_moderator:
        raise Forbidden("This needs a moderator.")
    return Actor.from_identity(ident)
