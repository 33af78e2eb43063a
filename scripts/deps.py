"""Townhall's locked dependencies: write the lock, and audit it for known vulnerabilities.

    python scripts/deps.py lock > requirements.lock     # pin what .venv has: townhall[test,bench,train]
    python scripts/deps.py audit requirements.lock      # exit 1 on a known vulnerability or an unchecked pin

``audit`` asks PyPI's JSON API, the same source pip-audit's default service reads (advisories from the
Python Packaging Advisory Database, GitHub and OSV, as PyPI publishes them): first the release's own
document (``/pypi/NAME/VERSION/json``, what pip-audit asks for), and where that is not served, the
project's document (``/pypi/NAME/json``), whose ``vulnerabilities`` are those of the project's latest
release — so it can vouch for a pin only when the pin *is* the latest release. A pin that neither can
check fails the audit unless it is in ``UNCHECKABLE`` below with the reason (kept in step with
SECURITY.md); a known vulnerability fails it unless its id is in ``ACCEPTED`` with the reason.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from concurrent.futures import ThreadPoolExecutor
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, distribution
from typing import Any, Callable

from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

EXTRAS = ("test", "bench", "train")

# Known vulnerabilities accepted, by advisory id: why each does not apply. (None at present.)
ACCEPTED: dict[str, str] = {}

# Pins the audit cannot check on a network that serves only the project documents, and why they are pinned
# below the latest release. Each still fails the audit the day PyPI serves its release document with an
# advisory, or the day its latest release lists one that the pin shares. NEWER_PYTHON: the audit checks
# that every newer release indeed refuses this Python, and fails (upgrade!) when one does not.
NEWER_PYTHON = "every newer release needs a newer Python than 3.11"
UNCHECKABLE: dict[str, str] = {
    "contourpy": NEWER_PYTHON,  # matplotlib's; training only
    "networkx": NEWER_PYTHON,
    "numpy": NEWER_PYTHON,
    "scipy": NEWER_PYTHON,
    "jsonschema-rs": "schemathesis (tests only) caps it below the latest release",
}


def closure(root: str = "townhall", extras: tuple[str, ...] = EXTRAS) -> dict[str, str]:
    """Installed versions of ``root``'s requirements with ``extras``, transitively (``root`` left out)."""
    seen: dict[tuple[str, tuple[str, ...]], str] = {}
    todo = [(Requirement(root), extras)]
    while todo:
        req, with_extras = todo.pop()
        key = (canonicalize_name(req.name), tuple(sorted(with_extras)))
        if key in seen:
            continue
        try:
            dist = distribution(req.name)
        except PackageNotFoundError:
            continue  # a requirement whose marker excluded it on this platform
        seen[key] = dist.version
        for raw in dist.requires or []:
            sub = Requirement(raw)
            if sub.marker is not None and not any(sub.marker.evaluate({"extra": e}) for e in (*with_extras, "")):
                continue
            todo.append((sub, tuple(sub.extras)))
    pins = {name: version for (name, _), version in seen.items()}
    pins.pop(canonicalize_name(root), None)
    return dict(sorted(pins.items()))


def read_lock(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep:
            raise ValueError(f"not a pin: {line!r}")
        pins[canonicalize_name(name)] = version.strip()
    return pins


@dataclass
class Audit:
    checked: dict[str, str] = field(default_factory=dict)  # name -> how
    vulnerable: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, version, id, fixed in
    accepted: list[tuple[str, str]] = field(default_factory=list)  # name, id
    unchecked: list[tuple[str, str, str]] = field(default_factory=list)  # name, version, why
    stale: list[tuple[str, str]] = field(default_factory=list)  # name, a newer release this Python could use

    @property
    def failed(self) -> bool:
        return bool(self.vulnerable or self.stale) or any(name not in UNCHECKABLE for name, _, _ in self.unchecked)


def newer_for_this_python(project: dict[str, Any], pinned: str, python: str) -> str | None:
    """The newest release after ``pinned`` whose files all accept ``python``, if any."""
    try:
        pin = Version(pinned)
    except InvalidVersion:
        return None
    best = None
    for raw, files in (project.get("releases") or {}).items():
        try:
            version = Version(raw)
        except InvalidVersion:
            continue
        if version <= pin or version.is_prerelease or not files or all(f.get("yanked") for f in files):
            continue
        try:
            ok = all(SpecifierSet(f.get("requires_python") or "").contains(python) for f in files)
        except InvalidSpecifier:
            continue
        if ok and (best is None or version > best):
            best = version
    return str(best) if best is not None else None


Fetch = Callable[[str], "dict[str, Any] | None"]


def http_fetch(url: str) -> dict[str, Any] | None:
    """The JSON document at ``url``; None when the server answers 404."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - a fixed https base
            return json.load(response)  # type: ignore[no-any-return]
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def audit(pins: dict[str, str], fetch: Fetch = http_fetch, base: str = "https://pypi.org/pypi",
          python: str = platform.python_version()) -> Audit:
    out = Audit()
    with ThreadPoolExecutor(8) as pool:
        for name, version, doc, how, why, newer in pool.map(lambda p: _check(*p, fetch, base, python), pins.items()):
            if why:
                out.unchecked.append((name, version, why))
            if newer and UNCHECKABLE.get(name) == NEWER_PYTHON:
                out.stale.append((name, newer))
            if doc is None:
                continue
            out.checked[name] = how
            for vuln in doc.get("vulnerabilities") or []:
                if vuln.get("withdrawn"):
                    continue
                vid = str(vuln.get("id"))
                if vid in ACCEPTED or any(alias in ACCEPTED for alias in vuln.get("aliases") or []):
                    out.accepted.append((name, vid))
                else:
                    out.vulnerable.append((name, version, vid, ", ".join(vuln.get("fixed_in") or []) or "no fix"))
    return out


def _check(name: str, version: str, fetch: Fetch, base: str,
           python: str) -> tuple[str, str, dict[str, Any] | None, str, str | None, str | None]:
    """(name, version, the document with its advisories, which document, why unchecked, newer usable)."""
    doc = fetch(f"{base}/{name}/{version}/json")
    if doc is not None:
        return name, version, doc, "release document", None, None
    project = fetch(f"{base}/{name}/json")
    if project is None:
        return name, version, None, "", "not on PyPI", None
    latest = project.get("info", {}).get("version")
    if latest == version:
        return name, version, project, "project document (the pin is the latest release)", None, None
    # Only the latest release's advisories are served. What it still has, a pin below it likely shares.
    return (name, version, project, f"advisories of the latest release ({latest}) only",
            f"latest is {latest}; only the latest release's advisories are served",
            newer_for_this_python(project, version, python))


def report(result: Audit, pins: dict[str, str], write: Callable[[str], Any] = print) -> None:
    write(f"audited {len(pins)} locked packages against PyPI's advisories")
    for name, version, vid, fixed in result.vulnerable:
        write(f"VULNERABLE {name}=={version}: {vid} (fixed in {fixed})")
    for name, vid in result.accepted:
        write(f"accepted   {name}: {vid} - {ACCEPTED.get(vid, 'see ACCEPTED')}")
    for name, version, why in result.unchecked:
        if name in UNCHECKABLE:
            write(f"unchecked  {name}=={version} (documented exception: {UNCHECKABLE[name]}; {why})")
        else:
            write(f"UNCHECKED  {name}=={version}: {why}")
    for name, newer in result.stale:
        write(f"STALE      {name}: {newer} accepts this Python; upgrade the pin (and check it) instead of excusing it")
    write("FAILED" if result.failed else "no known vulnerability")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("lock", help="print the pins of townhall[test,bench,train] as installed here")
    a = sub.add_parser("audit", help="audit a lock file")
    a.add_argument("lock")
    a.add_argument("--index", default="https://pypi.org/pypi", help="base of PyPI's JSON API")
    args = ap.parse_args(argv)
    if args.command == "lock":
        print(f"# townhall[{','.join(EXTRAS)}] as installed for Python {sys.version_info.major}.{sys.version_info.minor};"
              " written by `python scripts/deps.py lock`, installed as constraints by scripts/_env")
        for name, version in closure().items():
            print(f"{name}=={version}")
        return 0
    with open(args.lock, encoding="utf-8") as fh:
        pins = read_lock(fh.read())
    result = audit(pins, base=args.index.rstrip("/"))
    report(result, pins)
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
