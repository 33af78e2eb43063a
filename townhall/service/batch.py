"""Moderate comments in bulk: JSON Lines in, one JSON line out per comment, in order (no database).

Input lines are objects ``{"id": ..., "text": "..."}``; optional context fields are ``thread_closed``,
``account_trusted``, ``author_moderator`` (true/false), ``coordination_score`` and ``coordination_cluster``
(see :class:`townhall.policy.types.Subject`). Blank lines are skipped. Each other line produces exactly one
output line, so output line *k* answers the *k*-th non-blank input line:

* ``{"id": ..., "verdict": "publish"|"hold"|"reject", "scores": {...}, "hits": [...]}``, where scores are
  the decision's rule scores (``f_word`` is 0 or 1; ``abusive``/``obscene`` appear when the policy has
  those classifier rules) and each hit is ``{"rule", "action", "description", "span", "evidence"}``;
* ``{"line": N, "error": "..."}`` for a line that is not a valid record (N counts all input lines from
  1). The caller is also told through ``on_error`` (the CLI prints it on stderr) and processing goes on.

Memory is constant: one line is read, judged and written at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Protocol

from townhall.policy.types import Decision, Subject
from townhall.service.core import storable

__all__ = ["BatchStats", "Judge", "decision_record", "moderate_lines", "moderate_text", "subject_from_record"]

_CONTEXT_FIELDS = ("thread_closed", "account_trusted", "author_moderator")  # true/false fields of Subject


class Judge(Protocol):
    def evaluate(self, subject: Subject) -> Decision: ...


class RecordError(ValueError):
    """An input line is not a valid record."""


@dataclass(slots=True)
class BatchStats:
    lines: int = 0  # input lines read, blank ones included
    judged: int = 0
    errors: int = 0


def subject_from_record(record: Any) -> Subject:
    if not isinstance(record, dict):
        raise RecordError(f"expected a JSON object, got {type(record).__name__}")
    text = record.get("text")
    if not isinstance(text, str):
        raise RecordError('"text" must be a string' if "text" in record else 'missing "text"')
    text = text.replace("\x00", "")  # as the HTTP API judges it (townhall/service/comments.py _comment_text)
    if not storable(text):  # a lone surrogate (a \ud800 escape): the HTTP API refuses it, no classifier takes it
        raise RecordError('"text" contains characters that are not valid Unicode')
    kwargs: dict[str, Any] = {}
    for key in _CONTEXT_FIELDS:
        if key in record:
            if not isinstance(record[key], bool):
                raise RecordError(f'"{key}" must be true or false')
            kwargs[key] = record[key]
    score = record.get("coordination_score")
    if score is not None:
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise RecordError('"coordination_score" must be a number between 0 and 1')
        kwargs["coordination_score"] = float(score)
    cluster = record.get("coordination_cluster")
    if cluster is not None:
        kwargs["coordination_cluster"] = str(cluster)
    return Subject(text=text, **kwargs)


def _score(value: float) -> float | int:
    value = round(float(value), 4)
    return int(value) if value.is_integer() else value


def decision_record(record_id: Any, decision: Decision) -> dict[str, Any]:
    return {
        "id": record_id,
        "verdict": decision.verdict.value,
        "scores": {name: _score(v) for name, v in decision.scores.items()},
        "hits": [
            {
                "rule": h.rule,
                "action": h.action.value,
                "description": h.description,
                "span": list(h.span) if h.span is not None else None,
                "evidence": h.evidence,
            }
            for h in decision.hits
        ],
    }


def moderate_text(judge: Judge, text: str, record_id: Any = None) -> dict[str, Any]:
    return decision_record(record_id, judge.evaluate(Subject(text=text)))


def _judge_line(judge: Judge, line: str, number: int) -> tuple[Mapping[str, Any], str | None]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"line": number, "error": f"not JSON: {exc.msg} (column {exc.colno})"}, "not JSON"
    try:
        subject = subject_from_record(record)
    except RecordError as exc:
        return {"line": number, "error": str(exc)}, str(exc)
    out = decision_record(record.get("id"), judge.evaluate(subject))
    try:  # every output line strict UTF-8 JSON: no NaN/Infinity id, no lone surrogate in the id or evidence
        json.dumps(out, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return {"line": number, "error": '"id" must be text or a finite number, in valid Unicode'}, "bad id"
    return out, None


def moderate_lines(
    judge: Judge,
    lines: Iterable[str],
    write: Callable[[str], Any],
    *,
    on_error: Callable[[int, str], Any] | None = None,
    on_line: Callable[[str], Any] | None = None,
) -> BatchStats:
    """Judge each JSON line of ``lines`` and ``write`` one output line (with its newline) per record."""
    stats = BatchStats()
    for number, line in enumerate(lines, start=1):
        stats.lines = number
        if on_line is not None:
            on_line(line)
        if not line.strip():
            continue
        out, error = _judge_line(judge, line, number)
        if error is None:
            stats.judged += 1
        else:
            stats.errors += 1
            if on_error is not None:
                on_error(number, str(out["error"]))
        write(json.dumps(out, ensure_ascii=False, allow_nan=False) + "\n")
    return stats
