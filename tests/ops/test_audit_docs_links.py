"""Every relative link in README.md, SECURITY.md and docs/*.md reaches a file of the repository, and every
`#anchor` (on the same page or another Markdown page) names a heading there, as GitHub makes its ids."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PAGES = sorted([ROOT / "README.md", ROOT / "SECURITY.md", *(ROOT / "docs").glob("*.md")])
_FENCE = re.compile(r"^(```|~~~)")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_ID = re.compile(r"""<a\s+(?:name|id)=["']([^"']+)["']""")


def _prose(text: str) -> list[tuple[int, str]]:
    """The page's lines outside fenced code blocks, numbered from 1, with inline code blanked out."""
    lines: list[tuple[int, str]] = []
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, re.sub(r"`[^`]*`", lambda m: "`" + "x" * (len(m.group()) - 2) + "`", line)))
    return lines


def _slug(heading: str) -> str:
    """GitHub's id for a heading: its text without markup, lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    raw = dict(enumerate(page.read_text(encoding="utf-8").splitlines(), 1))
    for number, _ in _prose(page.read_text(encoding="utf-8")):
        line = raw[number]
        found.update(_HTML_ID.findall(line))
        heading = _HEADING.match(line)
        if heading is None:
            continue
        slug = _slug(heading.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def links(page: Path) -> list[tuple[int, str]]:
    return [(number, m.group(1)) for number, line in _prose(page.read_text(encoding="utf-8"))
            for m in _LINK.finditer(line)]


def broken(page: Path, root: Path = ROOT) -> list[str]:
    """Each relative link of ``page`` that names no file under ``root``, or no heading of the Markdown page it names."""
    problems: list[str] = []
    for number, target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / unquote(path)).resolve() if path else page.resolve()
        where = f"{page.relative_to(root)}:{number}: {target}"
        if not dest.is_relative_to(root.resolve()) or not dest.exists():
            problems.append(f"{where}: no such file")
        elif anchor and dest.suffix == ".md" and unquote(anchor) not in anchors(dest):
            problems.append(f"{where}: no heading #{anchor} in {dest.relative_to(root.resolve())}")
    return problems


def test_the_slugs_follow_github() -> None:
    assert _slug("Comment counts (`count.js`)") == "comment-counts-countjs"
    assert _slug('"We will ban you"') == "we-will-ban-you"
    assert _slug("Figures (2026-11-26, seed 13, dev splits never seen in training)") == \
        "figures-2026-11-26-seed-13-dev-splits-never-seen-in-training"
    assert _slug("Fairness tests (`tests/classifiers/test_fairness.py`, run on the shipped cascade)") == \
        "fairness-tests-testsclassifierstest_fairnesspy-run-on-the-shipped-cascade"


def test_a_broken_link_or_anchor_is_found(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## Comment counts (`count.js`)\n", encoding="utf-8")
    page = tmp_path / "README.md"
    page.write_text("# Top\n\n## Same heading\n\n## Same heading\n\n"
                    "[ok](#same-heading-1) [ok](docs/other.md#comment-counts-countjs) [ok](docs/other.md)\n"
                    "[gone](docs/missing.md) [no anchor](#nope) [no anchor](docs/other.md#other)\n"
                    "```sh\n[in code](#not-checked)\n```\n`[inline](#not-checked)` [out](../outside.md)\n",
                    encoding="utf-8")
    assert broken(page, tmp_path) == [
        "README.md:8: docs/missing.md: no such file",
        "README.md:8: #nope: no heading #nope in README.md",
        "README.md:8: docs/other.md#other: no heading #other in docs/other.md",
        "README.md:12: ../outside.md: no such file",
    ]


def test_the_pages_have_links_to_check() -> None:
    assert len(PAGES) >= 9
    assert sum(len(links(page)) for page in PAGES) > 50


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    assert broken(page) == []
