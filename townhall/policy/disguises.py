"""The reviewed disguise test set: how readers disguise the F word, and innocent text that must pass.

Shared by the tests (``tests/policy``) and the benchmark (``bench/rules.py``). Pure data; each case is
``(text, kind)``, where ``kind`` names the disguise or innocence class. Texts are short comments.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Case", "F_WORD_DISGUISED", "F_WORD_INNOCENT", "F_WORD_MENTIONS", "GENERIC_DISGUISED",
           "GENERIC_INNOCENT"]


class Case(NamedTuple):
    text: str
    kind: str


def _cases(kind: str, *texts: str) -> tuple[Case, ...]:
    return tuple(Case(t, kind) for t in texts)


# Every one of these must be caught by the F-word rule.
F_WORD_DISGUISED: tuple[Case, ...] = (
    *_cases("plain", "fuck this", "FUCK YOU", "Fuck off", "what the fuck is this", "fucking idiots",
            "you fucked it up", "he fucks around", "get fucked"),
    *_cases("compatibility forms", "ｆｕｃｋ this", "𝐟𝐮𝐜𝐤 off", "𝖋𝖚𝖈𝖐 off", "ⓕⓤⓒⓚ you", "🅵🆄🅲🅺 you",
            "🄵🅄🄲🄺 you", "𝒻𝓊𝒸𝓀 that", "ᶠᵘᶜᵏ that", "🇫🇺🇨🇰 them"),
    *_cases("confusables", "fuсk you", "fυck you", "fuсĸ you", "ƒuck you", "fuᴄᴋ you", "ꜰᴜᴄᴋ you",
            "ФUCK you", "FUСК you", "fμck this"),
    *_cases("accents and combining marks", "fück you", "fúck this", "fǔçk this", "f\u0301u\u0308c\u0327k this",
            "f\u0336u\u0336c\u0336k\u0336 this", "fu\u0363ck"),
    *_cases("invisible characters", "f\u200buck you", "fu\u200cck you", "fuc\u200dk you", "f\u2060uck",
            "f\ufeffu\ufeffc\ufeffk", "fu\u00adck you", "f\u200e\u200fuck"),
    *_cases("leetspeak and symbols", "fu(k you", "fu<k you", "f|_|ck you", "f(_)ck you", "fvck you",
            "fu|<", "FV<K"),
    *_cases("masking", "f*ck you", "f**k you", "f#@k you", "f_ck you", "f-ck this", "fu*k this", "f*cking hell",
            "f**king hell", "f.ck it", "f%ck", "f@#k off", "F$CK", "f!ck", "motherf*cker", "f💩ck", "f♥ck off",
            "f●●k"),
    *_cases("separated letters", "f u c k you", "f.u.c.k", "f-u-c-k off", "f_u_c_k", "f/u/c/k", "F U C K",
            "f  u  c  k", "f. u. c. k.", "f•u•c•k", "f\nu\nc\nk", "f🙂u🙂c🙂k", "fu ck you", "f uck you",
            "fuc k you", "f u c king", "f u k", "f.u.k"),
    *_cases("repeated letters", "fuuuuck", "fuckkkk", "ffffuck", "fuuuccckkk", "FUUUUUUCK", "fuckkk offff"),
    *_cases("phonetic spellings", "fuk off", "fukk you", "phuck you", "phuk you", "fvck off", "fck this",
            "fcking hell", "fucc this", "fuccin", "fuq you", "fcuk", "fuking", "fuker", "phucking",
            "dafuq", "phhhuck"),
    *_cases("compounds", "motherfucker", "fuckwit", "clusterfuck", "#fuckthis", "unfuckingbelievable",
            "fuckface", "mindfuck", "absofuckinglutely", "#FuckTrump", "@fuckyou", "dumbfuck"),
    *_cases("combinations", "ｆ*ｃｋ", "f\u200b*\u200bck", "𝐟 𝐮 𝐜 𝐤", "f.v.c.k", "ph*ck", "FUUU(K",
            "fu\u0308\u0308ck", "f\u00ad*\u00adck", "mother𝐟𝐮𝐜𝐤er", "Fυυυck", "f-u-c-k-i-n-g"),
    # found by the second F-word audit (2026-11-27)
    *_cases("second audit", "fking hell", "what a fkn moron", "fk off", "fxck you", "fuxk this", "f`ck this",
            "f\u00b4ck this", "muthafukka", "fukboi", "FU\u13dfK you", "\ua4dd\ua4f4\ua4da\ua4d7", "f u  c k you"),
    # found by the third F-word audit (2026-11-27)
    *_cases("third audit", "\u017fuck you", "f\u1959ck", "fuc\u1d84", "f\u0443ck you", "fu\x01ck", "fookin hell",
            "fuhk you", "fuc off", "f\\/ck", "f          u          c          k", "f\u2588ck", "f\u00a7ck", "f\u00a8ck"),
)

# None of these may be caught: real words and names that share letters with the F word.
F_WORD_INNOCENT: tuple[Case, ...] = (
    *_cases("Japanese names", "The Fukushima plant", "Francis Fukuyama argued", "flights to Fukuoka",
            "Mr Fukuda resigned", "Fukui prefecture", "Mount Fuji at dawn", "Fujifilm cameras"),
    *_cases("other names", "Klaus Fuchs spied", "the Fuqua School of Business", "Fuquay-Varina, NC",
            "beaches of Phuket", "Nguyen Xuan Phuc said", "the Fucino basin", "Fuchsberger"),
    *_cases("words", "a fuchsia dress", "fucus seaweed", "shiitake mushrooms", "a firetruck", "fun cake",
            "f u n", "flock of sheep", "fickle", "feckless", "funky", "fluke", "frock", "fleck", "folk music",
            "fork", "fuel tank", "refuge", "kerfuffle", "snafu", "fungus", "fudge",
            "fuchsine", "Frick and Frack", "Buck Fever", "of UK origin", "if U can keep",
            "chief UK economist", "Grade F. UK schools", "Plan F, UK-wide", "FC Köln", "half cake",
            "fructose", "Fokker aircraft", "Phuong"),
    *_cases("spacing", "of u c k", "if u c kids", "f k", "a f k", "tf u k"),
    *_cases("punctuation between words", "unpredictable like air itself...KAHLILI", "enough stuff!!Kids",
            "@jeff__kent said", "kung fu((", "f*k", "F-K", "the al-Tawafuq list",
            "love this stuff😂😂kids are great", "off🙂🙂kids"),
    *_cases("links", "see http://t.co/7FcCkRhxJI", "pic https://t.co/cJS7PmfVVk", "http://t.co/dnb0q5phVk",
            "pic.twitter.com/iujIsNkFUk"),
    *_cases("second audit", "to by\u0142 fuks", "Marian Fuks", "FCK 2-1 Br\u00f8ndby", "Jamaat ul-Fuqra", "FK Vardar",
            "F  U K"),
    *_cases("third audit", "WP:FUC states", "Johann Joseph Fux", "Mr Fooks", "Fook Lam Moon", "Fuyang", "32\u00b0F, cold",
            "\u017fome \u017fuch \u017ftuff"),
)

# Mentions of the word, not the word: allowed by design (see docs/policy.md).
F_WORD_MENTIONS: tuple[Case, ...] = _cases(
    "mention", "the F word", "the f-word", "the F-word", "an F-bomb", "dropped the f bomb", "f***", "F***!",
    "f-ing", "f'ing", "wtf", "stfu", "gtfo", "eff off", "feck off", "frick", "freaking",
)

# The generic word-list handling, shown with a word a publisher might add ("shit").
GENERIC_DISGUISED: tuple[Case, ...] = _cases(
    "generic", "shit", "SHIT happens", "sh1t", "sh!t", "$hit", "5hit", "sh*t", "s**t", "sh#t", "s h i t",
    "s.h.i.t", "shiiiit", "shhhit", "ｓｈｉｔ", "ѕhit", "shіt", "sh\u200bit", "shít", "shits", "shitty",
    "shitting", "sh|t", "$h!7",
)
GENERIC_INNOCENT: tuple[Case, ...] = _cases(
    "generic innocent", "shiitake", "shift", "shirt", "Shinto", "Shih Tzu", "English itinerary", "push it",
    "this hit", "sh", "s***", "whitish", "fish it", "the shiitake risotto", "she hit it",
)
