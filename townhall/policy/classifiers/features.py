"""Text normalisation and n-gram extraction shared by training and scoring.

One function, :func:`extract`, turns a comment into two bags of features: word features (unigrams and
bigrams, prefixed ``w|`` and ``b|``) and character features (3- to 5-grams inside each word, prefixed
``c|``). Training builds its vocabulary with the same function, so the shipped model and the trainer can
never disagree about what a feature is.

Two deliberate blind spots:

* **Identity terms** (``gay``, ``muslim``, ``black``, ``immigrant``, country and party names …) produce no
  features at all, and neither does any bigram that contains one. The training sets pair these words with
  hate far more often than with ordinary speech, and a model that learns them punishes readers for naming
  who they are. The model judges the words *around* them instead (``… are vermin``).
* **The F word** is reduced to one token, ``<f>``, with no character n-grams; the obscene model is trained
  without any feature containing it, because the F word has its own rule (rejected, no strike).

Pure functions; no state.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import chain, filterfalse
from types import MappingProxyType
from typing import Mapping, MutableMapping

F_TOKEN = "<f>"
ID_TOKEN = "\x00"  # placeholder for an identity term: every feature containing it is dropped

_URL = re.compile(r"(?:https?://|www\.)\S+")
_MENTION = re.compile(r"@\w+")
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#\d+);")
_REPEAT = re.compile(r"(.)\1{2,}")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9*$@!']*[a-z0-9*]|[a-z0-9]")
_HAS_LETTER = re.compile(r"[a-z]")
# The F word and its disguises: anywhere in a token for the full spelling ("motherfucker"), whole-token only
# for the short ones, so that "Fukushima" or "Fukuyama" stay words.
_FWORD = re.compile(
    r"f+[u*@v]+c+k|f\*+c?k|fcuk|phuck|fvck|^f+u+k+(?:s|ed|er|ers|in|ing|king)?$|^fck(?:s|ed|er|in|ing)?$"
)
_LEET = str.maketrans({"@": "a", "$": "s", "!": "i", "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})

# Groups of people (and the places and parties people belong to) that readers name about themselves and
# others. Not slurs: slurs stay visible to the model.
IDENTITY_TERMS: frozenset[str] = frozenset(
    """
    gay gays lesbian lesbians bisexual homosexual homosexuals heterosexual queer lgbt lgbtq lgbtqia
    trans transgender transgenders transsexual nonbinary intersex
    muslim muslims islam islamic moslem moslems jew jews jewish judaism christian christians christianity
    catholic catholics protestant protestants evangelical evangelicals mormon mormons hindu hindus sikh sikhs
    buddhist buddhists atheist atheists religious
    black blacks white whites brown asian asians african africans hispanic hispanics latino latinos latina
    latinas latinx caucasian caucasians indigenous native natives aboriginal
    arab arabs arabic mexican mexicans chinese japanese korean koreans indian indians pakistani pakistanis
    somali somalis syrian syrians iranian iranians iraqi iraqis afghan afghans turkish turks kurd kurds
    russian russians ukrainian ukrainians israeli israelis palestinian palestinians american americans
    european europeans british french german germans irish italian italians polish canadian canadians
    immigrant immigrants migrant migrants refugee refugees asylum foreigner foreigners
    nigerian nigerians vietnamese filipino filipinos filipina kurdish roma romani jamaican jamaicans haitian
    haitians cuban cubans rican ricans dominican colombian venezuelan brazilian peruvian ethiopian eritrean
    sudanese egyptian egyptians moroccan moroccans algerian tunisian libyan lebanese jordanian saudi saudis
    yemeni armenian armenians greek albanian albanians serbian bosnian croatian romanian romanians bulgarian
    hungarian czech slovak belarusian lithuanian latvian estonian finnish swedish norwegian danish dutch
    belgian swiss austrian spanish portuguese scottish welsh english australian australians thai cambodian
    burmese rohingya malaysian indonesian bangladeshi lankan nepali tibetan uyghur uighur mongolian kazakh
    uzbek chechen chechens hmong hawaiian samoan maori inuit metis punjabi tamil bengali hebrew sunni shia
    shiite druze coptic orthodox baptist methodist lutheran quaker amish pagan wiccan agnostic asexual
    pansexual cisgender transwoman transman
    disabled disability disabilities handicapped deaf blind autistic autism wheelchair paraplegic amputee
    dyslexic
    woman women female females girl girls lady ladies man men male males boy boys feminist feminists
    elderly
    russia ukraine nato israel palestine gaza america usa uk china iran syria assad putin zelensky
    netanyahu hamas hezbollah mexico europe eu
    democrat democrats republican republicans liberal liberals conservative conservatives progressive
    progressives leftist leftists rightwing leftwing libertarian socialist socialists
    communist communists trump biden obama clinton harris
    """.split()
)


def normalise(text: str) -> str:
    """Lower-case, fold accents and compatibility characters, drop links and @mentions, squeeze repeats."""
    if text.isascii():
        t = text.lower()
    else:
        t = unicodedata.normalize("NFKD", text)
        t = "".join(filterfalse(unicodedata.combining, t)).lower()  # drop the combining marks
    if "&" in t:
        t = _ENTITY.sub(" ", t)
    if "http" in t or "www." in t:
        t = _URL.sub(" ", t)
    if "@" in t:
        t = _MENTION.sub(" ", t)
    return _REPEAT.sub(r"\1\1", t)


def _canonical(tok: str) -> str:
    if tok.endswith("'s"):
        tok = tok[:-2]
    if tok in IDENTITY_TERMS:
        return ID_TOKEN
    if not tok.isalpha() and _HAS_LETTER.search(tok):
        tok = tok.translate(_LEET)
        if tok in IDENTITY_TERMS:
            return ID_TOKEN
    if "f" in tok and _FWORD.search(tok):
        return F_TOKEN
    if "ph" in tok and _FWORD.search(tok):
        return F_TOKEN
    return tok


# Contractions whose parts carry the pattern of a personal attack ("you're a …" = "you are a …").
_CONTRACTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "you're": ("you", "are"), "youre": ("you", "are"), "you've": ("you", "have"),
    "they're": ("they", "are"), "we're": ("we", "are"), "i'm": ("i", "am"), "he's": ("he", "is"),
    "she's": ("she", "is"), "it's": ("it", "is"), "that's": ("that", "is"), "you'll": ("you", "will"),
})


def canonical_tokens(raw: str) -> tuple[str, ...]:
    """The canonical token(s) of one raw token: a contraction gives two ("you're" → "you", "are")."""
    parts = _CONTRACTIONS.get(raw)
    return parts if parts is not None else (_canonical(raw),)


def tokens(text: str, known: MutableMapping[str, tuple[str, ...]] | None = None) -> list[str]:
    """Normalised tokens; identity terms become :data:`ID_TOKEN` and F-word forms become ``<f>``.

    ``known`` (raw token → its :func:`canonical_tokens`), where the caller keeps one, saves working out again
    the canonical form of a token seen before; the result is the same."""
    raw = _TOKEN.findall(normalise(text))
    if known is None:
        return [tok for r in raw for tok in canonical_tokens(r)]
    try:  # every token seen before: one pass in C
        return list(chain.from_iterable(map(known.__getitem__, raw)))
    except KeyError:  # read back from what is worked out here: another thread may empty ``known`` meanwhile
        found = {r: known.get(r) or canonical_tokens(r) for r in raw}
        known.update(found)
        return [tok for r in raw for tok in found[r]]


def word_grams(toks: list[str]) -> list[str]:
    """Unigrams and bigrams (space-joined); nothing that contains an identity placeholder."""
    out: list[str] = []
    prev = ""
    for tok in toks:
        if tok == ID_TOKEN:
            prev = ""
            continue
        out.append(tok)
        if prev:
            out.append(prev + " " + tok)
        prev = tok
    return out


def char_grams(tok: str) -> list[str]:
    """Character 3- to 5-grams of one token padded with spaces; none for placeholders."""
    if tok == ID_TOKEN or tok == F_TOKEN:
        return []
    p = " " + tok + " "
    size = len(p)
    return [p[i : i + n] for n in (3, 4, 5) for i in range(size - n + 1)]


def extract(text: str) -> tuple[list[str], list[str]]:
    """(word features, character features) of one text, with repetitions."""
    toks = tokens(text)
    chars: list[str] = []
    for tok in toks:
        chars.extend(char_grams(tok))
    return word_grams(toks), chars


_CHUNK = re.compile(r"\S+")
_LEAD = re.compile(r"[^\w*@$]*")
_TRAIL = re.compile(r"[^\w*]*$")


Chunk = tuple[int, int, tuple[str, ...]]  # where a chunk's word starts and ends in it, and its canonical tokens


def word_spans(text: str, known: MutableMapping[str, Chunk] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, canonical token) for each token of the ORIGINAL text (punctuation at a word's edges
    excluded), to locate evidence.

    ``known`` (whitespace-separated chunk → what it holds), where the caller keeps one, saves reading a chunk
    seen before (in this text or an earlier one) again; the result is the same."""
    out: list[tuple[int, int, str]] = []
    seen: MutableMapping[str, Chunk] = {} if known is None else known  # a long comment repeats its words
    for m in _CHUNK.finditer(text):
        chunk = m.group()
        found = seen.get(chunk)
        if found is None:
            lead = _LEAD.match(chunk)
            start = lead.end() if lead else 0
            trail = _TRAIL.search(chunk, start)
            end = trail.start() if trail else len(chunk)
            found = seen[chunk] = (start, max(end, start + 1), tuple(map(_canonical, _TOKEN.findall(normalise(chunk)))))
        start, end, toks = found
        for tok in toks:
            out.append((m.start() + start, m.start() + end, tok))
    return out


_IN_WORD = frozenset("*@$!'")  # characters a token may hold besides letters and digits (see _TOKEN)


def _pieces(chunk: str) -> list[tuple[int, int]]:
    """Runs of ``chunk`` that may be one word: letters, digits (any script), their combining marks and the
    characters a token may hold; anything else (a comma, a slash, an emoji) separates them."""
    runs: list[tuple[int, int]] = []
    start = -1
    for i, ch in enumerate(chunk):
        inside = ch.isalnum() or ch in _IN_WORD or (start >= 0 and unicodedata.combining(ch) > 0)
        if inside and start < 0:
            start = i
        elif not inside and start >= 0:
            runs.append((start, i))
            start = -1
    if start >= 0:
        runs.append((start, len(chunk)))
    return runs


def _trimmed(chunk: str, start: int, end: int) -> tuple[int, int]:
    lead = _LEAD.match(chunk, start, end)
    s = lead.end() if lead else start
    trail = _TRAIL.search(chunk[:end], s)
    e = trail.start() if trail else end
    return s, max(e, s + 1)


def _chunk_tokens(chunk: str) -> tuple[str, ...]:
    return tuple(chain.from_iterable(map(canonical_tokens, _TOKEN.findall(normalise(chunk)))))


def reader_words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical token) for each token of ``text`` as :func:`tokens` reads it (contractions give
    two tokens, both at the reader's "you're"), located on the reader's own word: in "idiot,stupid" each token
    has its own span, not the whole chunk's. Where the words of a chunk cannot be told apart by their edges
    (an entity, a link), its tokens share the chunk's span, as in :func:`word_spans`."""
    out: list[tuple[int, int, str]] = []
    for m in _CHUNK.finditer(text):
        chunk = m.group()
        toks = _chunk_tokens(chunk)
        if not toks:
            continue
        base = m.start()
        if len(toks) > 1:
            pieces = [(s, e, _chunk_tokens(chunk[s:e])) for s, e in _pieces(chunk)]
            if tuple(chain.from_iterable(p[2] for p in pieces)) == toks:
                for s, e, ptoks in pieces:
                    if ptoks:
                        s, e = _trimmed(chunk, s, e)
                        out.extend((base + s, base + e, tok) for tok in ptoks)
                continue
        s, e = _trimmed(chunk, 0, len(chunk))
        out.extend((base + s, base + e, tok) for tok in toks)
    return out


def identity_form(token: str) -> bool:
    """A canonical token that names a group of people: an identity term, or its plural where the list holds
    only the singular ("bisexuals", "heterosexuals", "transwomen")."""
    if token == ID_TOKEN or token in IDENTITY_TERMS:
        return True
    if token.endswith("men") and token[:-3] + "man" in IDENTITY_TERMS:
        return True
    if not token.endswith("s"):
        return False
    return token[:-1] in IDENTITY_TERMS or (token.endswith("es") and token[:-2] in IDENTITY_TERMS)


def mentions_fword(feature: str) -> bool:
    """True for a word feature that contains the F word (excluded from the obscene model)."""
    return F_TOKEN in feature
