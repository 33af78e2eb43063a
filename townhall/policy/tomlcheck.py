"""Reading a policy file's TOML for :mod:`townhall.policy.policyfile`: decoding, where each key is written, and
checks of one value at a time that raise :class:`PolicyError` naming the file and line.

Errors read ``policy.toml:12: rules[2].action: must be one of reject, hold, flag``; entries of ``[[tables]]`` count
from 1 in file order.
"""

from __future__ import annotations

import codecs
import math
import re
from typing import AbstractSet, Any, Mapping

from townhall.policy.config import MAX_NAME_CHARS, MAX_POLICY_BYTES

__all__ = ["Checker", "Lines", "PolicyError", "Path_", "TOP_KEYS", "decode", "fmt", "syntax_error"]

# Control characters: none in a name; in a summary or description only tab and line breaks. (A NUL in a
# description would be stored with every hit of the rule, and PostgreSQL refuses it: every such comment would fail.)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MAX_MESSAGE = 300  # characters of an error message: a value quoted from the file is cut short
TOP_KEYS = frozenset({"policy", "comments", "rules", "enforcement", "reports", "trust", "evasion", "history"})  # a file's tables

Path_ = tuple[str | int, ...]


class PolicyError(Exception):
    """A policy file is wrong. ``str()`` reads ``file:line: message``."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        super().__init__(file, line, message)
        self.file = file
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


def fmt(number: float) -> str:
    """A bound as a publisher writes it: 36500, 0.25 (never 3.65e+04)."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _path_str(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class Lines:
    """Where each table and key of a TOML file is written, by path, for error messages."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*[=.]")  # (a dotted key: its first part)

    def __init__(self, text: str) -> None:
        self.where: dict[Path_, int] = {}
        counts: dict[tuple[str, ...], int] = {}
        table: Path_ = ()
        in_multiline = False
        for number, line in enumerate(text.splitlines(), start=1):
            toggles = (line.count('"""') + line.count("'''")) % 2 == 1
            if in_multiline:
                in_multiline = not toggles
                continue
            in_multiline = toggles
            header = self._HEADER.match(line)
            if header:
                names = tuple(p.strip().strip('"') for p in header.group(2).split("."))
                if header.group(1) == "[[":
                    index = counts.get(names, 0)
                    counts[names] = index + 1
                    prefix: Path_ = ()
                    for name in names[:-1]:  # [[enforcement.ladder]] nests under [enforcement]
                        prefix += (name,)
                    table = prefix + (names[-1], index)
                else:
                    table = names
                self.where.setdefault(table, number)
                continue
            key = self._KEY.match(line)
            if key:
                self.where.setdefault(table + (key.group(1).strip('"'),), number)

    def line(self, path: Path_) -> int | None:
        while path:
            for candidate in (path, path + (0,)):  # (0,): a [[table]] written where a [table] belongs
                if candidate in self.where:
                    return self.where[candidate]
            path = path[:-1]
        return None


class Checker:
    """Reads one parsed file section by section, raising :class:`PolicyError` at the offending line."""

    def __init__(self, file: str, lines: Lines) -> None:
        self.file = file
        self.lines = lines

    def fail(self, path: Path_, message: str) -> PolicyError:
        if len(message) > _MAX_MESSAGE:  # a value quoted from the file (a list of 5,000 words) stays one short line
            message = message[:_MAX_MESSAGE - 1] + "…"
        return PolicyError(self.file, self.lines.line(path), f"{_path_str(path)}: {message}" if path else message)

    def table(self, data: Mapping[str, Any], key: str, allowed: AbstractSet[str], path: Path_ = ()) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(path + (key,), "must be a table")
        self.known_keys(value, allowed, path + (key,))
        return value

    def known_keys(self, value: Mapping[str, Any], allowed: AbstractSet[str], path: Path_) -> None:
        for k in value:
            if k not in allowed:
                hint = ""
                if path and k in TOP_KEYS:  # `rules = …` or `comments.max_length = …` written below [policy]
                    header = "[[rules]] tables" if k == "rules" else f"a [{k}] table"
                    hint = f"; a key below a [table] header belongs to that table: write {header} instead"
                raise self.fail(path + (k,), f"unknown key (expected one of: {', '.join(sorted(allowed))}){hint}")

    def number(self, data: Mapping[str, Any], key: str, default: float, path: Path_, *, lo: float = 0.0,
               hi: float, integer: bool = False, positive: bool = False, unit: str = "") -> Any:
        """A finite number in ``lo..hi`` (above 0 when ``positive``). TOML also reads ``inf``, ``nan`` and
        numbers like ``1e300``: each is refused here, naming the key, so no setting can overflow a date or
        a duration later (``unit`` names what the number counts, for the message)."""
        value = data.get(key, default)
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise self.fail(path + (key,), f"must be {'a whole number' if integer else 'a number'}, not {value!r}")
        if isinstance(value, float) and not math.isfinite(value):  # a huge int is finite, and compares exactly
            raise self.fail(path + (key,), f"must be a finite number, not {value}")
        low = "greater than 0" if positive else None
        if (positive and value <= 0) or value < lo or value > hi:
            units = f" {unit}" if unit else ""
            bound = f"{low} and at most {fmt(hi)}{units}" if low else f"between {fmt(lo)} and {fmt(hi)}{units}"
            raise self.fail(path + (key,), f"must be {bound}, not {value}")
        return value if integer else float(value)

    def boolean(self, data: Mapping[str, Any], key: str, default: bool, path: Path_) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(path + (key,), f"must be true or false, not {value!r}")
        return value

    def text(self, data: Mapping[str, Any], key: str, path: Path_, default: str | None = None, *,
             limit: int = MAX_NAME_CHARS, lines: bool = False) -> str:
        """A non-empty string of at most ``limit`` characters, without control characters (tab and line breaks
        are allowed when ``lines``)."""
        value = data.get(key, default)
        if value is None:
            raise self.fail(path + (key,), "is required")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path + (key,), f"must be a non-empty string, not {value!r}")
        return self.plain(value, path + (key,), limit=limit, lines=lines)

    def plain(self, value: str, path: Path_, *, limit: int, lines: bool) -> str:
        bad = (_CONTROL_IN_TEXT if lines else _CONTROL).search(value)
        if bad:
            allowed = "; tab and line breaks are allowed" if lines else ""
            raise self.fail(path, f"must not contain control characters (U+{ord(bad.group()):04X} at character "
                                  f"{bad.start() + 1}){allowed}")
        if len(value) > limit:
            raise self.fail(path, f"must be at most {limit:,} characters, not {len(value):,}")
        return value

    def choice(self, data: Mapping[str, Any], key: str, enum: Any, default: Any, path: Path_) -> Any:
        value = data.get(key, default.value if default is not None else None)
        if value is None:
            raise self.fail(path + (key,), f"is required (one of {', '.join(e.value for e in enum)})")
        try:
            return enum(value)
        except ValueError:
            raise self.fail(path + (key,), f"must be one of {', '.join(e.value for e in enum)}") from None



def decode(raw: bytes, file: str) -> str:
    """The text of the file: UTF-8, a leading byte order mark (Notepad writes one) skipped."""
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(file, None, f"the file is {len(raw):,} bytes; a policy file may be at most "
                                      f"{MAX_POLICY_BYTES:,} bytes (1 MiB)")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)):  # (UTF-32 LE: as 16 LE)
        raise PolicyError(file, 1, "not UTF-8 text (the file is saved as UTF-16 or UTF-32); save it as UTF-8")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise PolicyError(file, line, f"not UTF-8 text ({exc.reason} at byte {exc.start}: 0x{raw[exc.start]:02x}); "
                                      "save the file as UTF-8") from None


def syntax_error(file: str, text: str, message: str) -> PolicyError:
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if m:
        return PolicyError(file, int(m.group(1)), f"TOML syntax: {message[:m.start()]} (column {m.group(2)})")
    if "end of document" in message:
        cleaned = re.sub(r"\s*[(]at end of document[)]", "", message)
        return PolicyError(file, text.count("\n") + 1, f"TOML syntax: {cleaned} (at the end of the file)")
    return PolicyError(file, None, f"TOML syntax: {message}")
