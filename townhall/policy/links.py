"""Links in a comment: what the renderer makes clickable, and what ``[comments] premoderate_links`` holds.

One definition for both (Coral's per-site "Pre-moderate comments containing links"):

* :data:`WEB_URL` is what :func:`townhall.service.render.render` turns into a link: an ``http://`` or ``https://``
  address starting a word (``xhttp://`` is not one). The renderer applies it to the HTML-escaped text, where
  ``< > " '`` are entities, so it links exactly where the reader's own text has the scheme at a word start and
  any non-space character after it; :data:`SCHEME_LINK` is that, on the reader's text (a superset of the
  renderer's links: the sanitiser behind it may still drop one). Trailing punctuation (``.`` ``,`` ``)`` …)
  is not part of a link (:func:`split_trailing`, used by both).
* A link a reader pastes without its scheme is not clickable but is copied into an address bar just the same:
  ``www.`` and a host (``www.example.com``), or a domain followed by a path (``example.com/page``,
  ``bit.ly/x``, ``t.co/abc``). A link starts a word: ``Awwww.com`` is not ``www.com``. A bare domain without a
  path (``Amazon.com``) is not held, nor an e-mail address (``ann@example.com``), which the renderer does not
  link either. Dotted text is not a domain: the last label (the top-level domain) is at least two letters, so
  ``e.g.``, ``U.S.``, ``i.e./`` and ``3.5/10`` are not links; and in a domain without ``www.`` it is written
  in lower case, so ``Mr.Smith/Jones`` is a name (``Example.com/x``, capitalised at a sentence start, is a link).

Every pattern is linear in the text: starts are fenced by look-behinds (no two attempts scan one run), runs are
possessive or bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from townhall.policy.types import Action, Hit, RuleResult, Subject

__all__ = ["LINKS_HELD", "LINKS_RULE", "SCHEME_LINK", "TRAILING", "WEB_URL", "LinksPhase", "find_links",
           "split_trailing"]

LINKS_RULE = "links"  # the hit that holds a reader's comment with a link ([comments] premoderate_links)
LINKS_HELD = "Comments with links are reviewed by a moderator before they appear."
MAX_EVIDENCE = 200  # characters of a link quoted as evidence
MAX_LISTED = 10  # links named in a hit's reasons

_SCHEME = r"\bhttps?://"
# What the renderer links, in the escaped text (html.escape has turned < > " ' into entities by then).
WEB_URL = re.compile(_SCHEME + r"[^\s<>\"']{1,2000}", re.IGNORECASE)
# The same places in the reader's own text: a scheme at a word start and a character after it.
SCHEME_LINK = re.compile(_SCHEME + r"\S{1,2000}+", re.IGNORECASE)
TRAILING = ".,;:!?)]}'\""  # punctuation after a link ends the sentence, not the link

_LABEL = r"(?:[^\W_]|-)++"  # letters (any script), digits, hyphens
_TLD = r"[^\W\d_]{2,24}"  # letters only: not "3.5", "v2.0"; two or more: not "e.g.", "U.S."
_START = r"(?<![\w.@/\\\-])"  # a link starts a word: not inside "Awwww.", not after "ann@" (an e-mail address)
_PORT_PATH = r"(?::\d{1,5})?"
_WWW = re.compile(_START + r"www\.(?:" + _LABEL + r"\.)+" + _TLD + r"(?![\w\-])" + _PORT_PATH + r"(?:/\S{0,2000}+)?",
                  re.IGNORECASE)
_DOMAIN_PATH = re.compile(_START + r"(?:" + _LABEL + r"\.)+(?P<tld>" + _TLD + r")" + _PORT_PATH + r"/\S{0,2000}+")


def split_trailing(url: str) -> tuple[str, str]:
    """``url`` without the punctuation that ends the sentence around it, and that punctuation."""
    end = len(url)
    while end and url[end - 1] in TRAILING:
        end -= 1
    return url[:end], url[end:]


def find_links(text: str) -> Iterator[tuple[int, int]]:
    """Spans ``[start, end)`` of the links in ``text`` (the reader's own characters), in order, trailing
    punctuation left out."""
    spans: list[tuple[int, int]] = []
    for m in SCHEME_LINK.finditer(text):
        spans.append(_trimmed(m.start(), m.group()))
    if "." in text:
        spans.extend(_trimmed(m.start(), m.group()) for m in _WWW.finditer(text))
        spans.extend(_trimmed(m.start(), m.group()) for m in _DOMAIN_PATH.finditer(text) if m.group("tld").islower())
    spans.sort()
    reach = -1
    for start, end in spans:  # one link found twice (by two patterns) is one link
        if start >= reach:
            yield start, end
            reach = end


def _trimmed(start: int, link: str) -> tuple[int, int]:
    kept, _ = split_trailing(link)  # never empty: a link starts with a letter or digit
    return start, start + len(kept)


@dataclass(frozen=True, slots=True)
class LinksPhase:
    """Holds a comment that contains a link (``[comments] premoderate_links``): not a refusal, no strike. The
    service's :func:`townhall.service.comments.settle` leaves moderators' and administrators' own comments alone
    (``Subject.author_moderator``), as it does on a premoderated article."""

    name: str = LINKS_RULE
    description: str = LINKS_HELD

    def evaluate(self, subject: Subject) -> RuleResult:
        if subject.author_moderator:
            return RuleResult()
        spans = list(find_links(subject.text))
        if not spans:
            return RuleResult()
        start, end = spans[0]
        links = tuple(_quoted(subject.text[s:e]) for s, e in spans[:MAX_LISTED])
        hit = Hit(self.name, self.description, Action.HOLD, span=(start, end), evidence=links[0], reasons=links)
        return RuleResult(hits=(hit,))


def _quoted(link: str) -> str:
    return link if len(link) <= MAX_EVIDENCE else link[:MAX_EVIDENCE - 1] + "…"
