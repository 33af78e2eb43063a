"""Errors that use cases raise. The web layer turns each into the one JSON error envelope."""

from __future__ import annotations

from typing import Any

from townhall.store.db import DatabaseBusy, DatabaseUnavailable

__all__ = ["Conflict", "DatabaseBusy", "DatabaseUnavailable", "Forbidden", "Invalid", "NotFound", "RateLimited", "RuleRejected",
           "Sanctioned", "ServiceError", "Unauthenticated", "Unavailable", "no_such_site"]


class ServiceError(Exception):
    """Base class: a code for machines, a message for people, details for both."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code


class Invalid(ServiceError):
    status = 422
    code = "invalid"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


def no_such_site(site_id: str) -> NotFound:
    """The refusal of a site id that names no site. The message names it (``No such site: sport.``): a command
    prints only the message, and an operator with several sites must see which one was mistyped; ``details`` carry
    it for machines. An id that would not read as itself in a line of text (empty, blank at an end, a line break or
    another control character) is quoted, as Python writes it, so that the error stays one line."""
    plain = site_id != "" and site_id.strip() == site_id and site_id.isprintable()
    return NotFound(f"No such site: {site_id if plain else repr(site_id)}.", {"site": site_id})


class Unauthenticated(ServiceError):
    status = 401
    code = "unauthenticated"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Sanctioned(Forbidden):
    """The account is suspended or banned; details carry the reason, the end and how to appeal."""

    code = "account_sanctioned"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class RuleRejected(ServiceError):
    """The house rules refused the comment; details carry the rule hits so the reader can edit."""

    status = 422
    code = "rejected_by_house_rules"


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, {"retry_after": retry_after})
        self.retry_after = retry_after


class Unavailable(ServiceError):
    status = 503
    code = "unavailable"
