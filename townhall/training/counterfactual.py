"""Counterfactual templates: the same harsh words aimed at a thing (not abuse) or at a person (abuse).

The issue's definition draws the line by *target*: "this decision is idiotic" criticises a decision and stays
up; "you are idiotic" attacks a person. The public sets rarely show the first kind, so a model trained on them
alone learns the harsh word, and holds readers' harsh opinions about policies. These sentences show it both
sides of the line, and the same people with kind words (so that naming a person is no sign of abuse).

They were written from the definition, before any model scored them, and they join the *fit* split only
(never calibration or dev). A fifth of the harsh adjectives and nouns (chosen by the seed) is held out of
training: :func:`counterfactual_examples` returns those sentences apart, and training reports how the model
scores them, which shows whether it learnt the target rather than the words.
"""

from __future__ import annotations

import random

from townhall.training.data import Example

SOURCE = "counterfactual"
HELD_SHARE = 0.2

THINGS = (
    "this decision", "the new policy", "this law", "the council's plan", "the budget", "the government's strategy",
    "this tax", "the ruling", "the reform", "the ministry's response", "the army's strategy", "this bill",
    "the trade deal", "the party's platform", "the mandate", "this ideology", "the proposal", "the sanctions regime",
    "the zoning change", "the pension reform", "the new curriculum", "the city's housing plan", "the peace deal",
    "the bailout", "the court's decision", "this war", "the invasion", "the occupation", "the regime's propaganda",
    "the tariff", "the ban", "the merger", "this editorial's argument", "the official line", "the spending cut",
    "the stimulus package", "this treaty", "the lockdown", "the new rule", "the spending plan",
)
PEOPLE = (
    "you", "the author", "the previous commenter", "this poster", "the guy above", "the mayor", "the minister",
    "the senator", "the editor", "your friend", "the president", "this reporter", "the councillor", "the governor",
    "the prime minister", "the chairman", "the moderator", "the columnist", "the spokesman", "the ambassador",
)
HARSH = (
    "idiotic", "stupid", "insane", "moronic", "pathetic", "absurd", "dumb", "shameful", "disgusting", "ridiculous",
    "crazy", "cruel", "evil", "brainless", "asinine", "deranged", "sick", "vile", "despicable", "worthless",
    "incompetent", "dishonest", "corrupt", "criminal", "a disgrace", "a joke", "a disaster", "garbage", "trash",
    "a farce", "rubbish", "nonsense", "lunacy", "madness", "a scam",
)
# said of a person these are criticism or make no sense, not name-calling: used for things only
NOT_FOR_PEOPLE = frozenset({
    "nonsense", "lunacy", "madness", "a scam", "a farce", "incompetent", "dishonest", "corrupt", "criminal",
    "a disaster", "absurd", "ridiculous", "crazy", "insane", "rubbish",
})
INSULTS = (
    "idiot", "moron", "clown", "loser", "imbecile", "scumbag", "fool", "halfwit", "jerk", "cretin", "dimwit",
    "lowlife", "creep", "buffoon", "parasite", "pig", "rat", "snake", "coward", "sleazebag",
)
KIND = (
    "right", "correct", "wise", "brave", "honest", "kind", "thoughtful", "smart", "helpful", "fair", "well informed",
    "a good writer", "a decent person", "careful", "patient", "clear", "sensible", "generous", "reasonable",
    "hard-working",
)
THING_FRAMES = (
    "{T} is {A}.", "Honestly, {T} is {A}.", "I think {T} is {A} and should be scrapped.",
    "{T} is {A}, and the numbers prove it.", "Frankly {T} is {A}.", "Whoever wrote it, {T} is {A}.",
    "{T} is {A} and will hurt ordinary people.", "Let's be clear: {T} is {A}.",
)
HARM_FRAMES = (
    "{T} will kill jobs.", "{T} will destroy the economy.", "{T} is killing small businesses.",
    "{T} will wreck the health service.", "{T} is strangling growth.", "{T} will bankrupt the city.",
)
PERSON_FRAMES = ("{P} is {A}.", "Honestly, {P} is {A}.", "{P} is {A} and should shut up.", "Face it, {P} is {A}.")
INSULT_FRAMES = (
    "{P} is a {N}.", "{P} is a complete {N}.", "Only a {N} like {P} would say that.",
    "{P} is a total {N} and everyone knows it.",
)


def _sentence(frame: str, **parts: str) -> str:
    s = frame.format(**parts)
    s = s.replace("you is", "you are").replace("a a ", "an ").replace("a i", "an i")
    return s[0].upper() + s[1:]


def counterfactual_examples(seed: int, held_share: float = HELD_SHARE) -> tuple[list[Example], list[Example]]:
    """(training sentences, held-out sentences), each an :class:`Example` with an abusive label of 0 or 1
    and no obscene label, in the *fit* split. Deterministic for a seed."""
    rng = random.Random(seed)
    harsh, insults = list(HARSH), list(INSULTS)
    rng.shuffle(harsh)
    rng.shuffle(insults)
    held = set(harsh[: int(len(harsh) * held_share)]) | set(insults[: int(len(insults) * held_share)])
    rows: list[tuple[str, float, bool]] = []
    for a in HARSH:
        for t in THINGS:
            rows += [(_sentence(f, T=t, A=a), 0.0, a in held) for f in rng.sample(THING_FRAMES, 2)]
        if a not in NOT_FOR_PEOPLE:
            rows += [(_sentence(rng.choice(PERSON_FRAMES), P=p, A=a), 1.0, a in held) for p in PEOPLE]
    for n in INSULTS:
        for p in PEOPLE:
            rows += [(_sentence(f, P=p, N=n), 1.0, n in held) for f in rng.sample(INSULT_FRAMES, 2)]
    kind_frames = [f for f in PERSON_FRAMES if "shut up" not in f]
    for k in KIND:
        rows += [(_sentence(rng.choice(kind_frames), P=p, A=k), 0.0, False) for p in PEOPLE]
    rows += [(_sentence(f, T=t), 0.0, False) for t in THINGS for f in HARM_FRAMES]
    train = [Example(text, SOURCE, label, None, {}, "fit") for text, label, out in rows if not out]
    held_out = [Example(text, SOURCE, label, None, {}, "fit") for text, label, out in rows if out]
    return train, held_out
