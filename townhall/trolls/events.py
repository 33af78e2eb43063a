"""The events the coordination detector consumes. Pure data; no opinions, topics or stance in here.

``ip`` and ``device`` are already hashes (the service hashes the IP prefix and the device fingerprint
before they reach this package); the detector only compares them for equality.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, Mapping


class ReactionKind(StrEnum):
    """What a reader did to someone else's comment."""

    LIKE = "like"
    DISLIKE = "dislike"
    REPORT = "report"


@dataclass(frozen=True, slots=True)
class CommentEvent:
    """One posted comment."""

    id: str
    account: str
    thread: str
    created_at: datetime
    text: str
    parent: str | None = None  # id of the comment this one replies to
    ip: str | None = None  # hash of the IP prefix
    device: str | None = None  # hash of the device fingerprint
    account_created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReactionEvent:
    """A like, dislike or report on a comment; counts toward reply/reaction brigades."""

    account: str
    comment: str  # id of the comment reacted to
    kind: ReactionKind
    created_at: datetime


class EventFormatError(ValueError):
    """A JSON record that is not a valid comment event."""


# Times the detector can compare: from the Unix epoch to 2100 (its arrival keys hold 2**32 seconds, 136 years).
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


def _parse_time(value: Any, name: str) -> datetime:
    """An ISO 8601 time; one without a zone is read as UTC."""
    if not isinstance(value, str) or not value:
        raise EventFormatError(f"{name} must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EventFormatError(f"{name} is not ISO 8601: {value!r}") from exc
    parsed = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
    if not EARLIEST <= parsed < LATEST:
        raise EventFormatError(f"{name} is out of range (1970 to 2099): {value!r}")
    return parsed


def _clean(value: Any) -> str:
    """As text that can be written out again: a lone surrogate (valid in JSON, not in UTF-8) becomes "?"."""
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, (str, int)):
        raise EventFormatError(f"{key} must be a string")
    return _clean(value)


def comment_from_dict(data: Mapping[str, Any]) -> CommentEvent:
    """Build a :class:`CommentEvent` from a decoded JSON record; raises :class:`EventFormatError`."""
    if not isinstance(data, Mapping):
        raise EventFormatError("record must be a JSON object")
    for key in ("id", "account", "thread"):
        if not isinstance(data.get(key), (str, int)) or data.get(key) == "":
            raise EventFormatError(f"missing or invalid {key!r}")
    text = data.get("text")
    if not isinstance(text, str):
        raise EventFormatError("missing or invalid 'text'")
    created = data.get("account_created_at")
    return CommentEvent(
        id=_clean(data["id"]),
        account=_clean(data["account"]),
        thread=_clean(data["thread"]),
        created_at=_parse_time(data.get("created_at"), "created_at"),
        text=_clean(text),
        parent=_opt_str(data, "parent"),
        ip=_opt_str(data, "ip"),
        device=_opt_str(data, "device"),
        account_created_at=_parse_time(created, "account_created_at") if created else None,
    )


def comment_to_dict(event: CommentEvent) -> dict[str, Any]:
    """The JSON-lines form read by ``townhall trolls``."""
    out: dict[str, Any] = {
        "id": event.id,
        "account": event.account,
        "thread": event.thread,
        "created_at": event.created_at.isoformat(),
        "text": event.text,
    }
    if event.parent is not None:
        out["parent"] = event.parent
    if event.ip is not None:
        out["ip"] = event.ip
    if event.device is not None:
        out["device"] = event.device
    if event.account_created_at is not None:
        out["account_created_at"] = event.account_created_at.isoformat()
    return out
