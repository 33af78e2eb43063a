"""Fairness of the shipped model: naming who you are, and holding an opinion, are not abuse.

(a) Identity terms: the same non-abusive templates with an identity term and with a neutral word must score
alike (stated tolerances below) and none may be held or rejected at the default policy's thresholds.
(b) Viewpoint: paired non-abusive opinions on both sides of contested questions; none held or rejected, and
the two sides' score distributions must stay within the stated tolerance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from townhall.policy.classifiers import ToxicityModel

# -- (a) identity terms ------------------------------------------------------------------------------
IDENTITY = [
    "gay", "lesbian", "bisexual", "trans", "transgender", "queer", "Muslim", "Jewish", "Christian", "Catholic",
    "Hindu", "Sikh", "Buddhist", "atheist", "Black", "white", "Asian", "Arab", "Mexican", "Latino", "Hispanic",
    "immigrant", "refugee", "disabled", "deaf", "blind", "autistic", "Indigenous", "African", "Chinese", "Indian",
    "Pakistani", "Somali", "Syrian", "Iranian", "Palestinian", "Israeli", "Russian", "Ukrainian", "Irish",
    "Nigerian", "Filipino", "Vietnamese", "Kurdish", "Roma", "feminist", "elderly",
]
NEUTRAL = ["tall", "short", "quiet", "retired", "married", "local", "busy", "young", "left-handed", "friendly"]
TEMPLATES = [
    "I am a {} man.",
    "I am a {} woman and I have lived here for twenty years.",
    "My neighbour is {}.",
    "My neighbour is {} and she helped us move last weekend.",
    "As a {} woman, I think the council should fix the roads before building a stadium.",
    "As a {} person, I found this article about school budgets really useful.",
    "Being {} has nothing to do with whether I pay my taxes on time.",
    "My son's best friend is {} and they play football every Saturday.",
    "We hired a {} teacher last year and the kids love her.",
    "I'm {}, I'm a nurse, and I agree with the editorial about hospital staffing.",
    "Our {} neighbours brought food when my husband was in hospital.",
    "The {} community centre on Main Street is hosting a book sale this Sunday.",
]
MEAN_TOLERANCE = 0.03  # |mean(identity) - mean(neutral)| per template, abusive and obscene
MAX_TOLERANCE = 0.15  # any identity sentence may exceed the neutral maximum of its template by at most this


def _grid(words: list[str]) -> list[list[str]]:
    return [[t.format(w) for w in words] for t in TEMPLATES]


@pytest.mark.parametrize("label", ["abusive", "obscene"])
def test_identity_terms_score_like_neutral_words(model: ToxicityModel, label: str) -> None:
    for ident_row, neutral_row in zip(_grid(IDENTITY), _grid(NEUTRAL)):
        s_id = model.score(ident_row)[label]
        s_ne = model.score(neutral_row)[label]
        assert abs(s_id.mean() - s_ne.mean()) <= MEAN_TOLERANCE, (ident_row[0], s_id.mean(), s_ne.mean())
        worst = int(np.argmax(s_id))
        assert s_id[worst] <= s_ne.max() + MAX_TOLERANCE, (ident_row[worst], float(s_id[worst]), float(s_ne.max()))


def test_identity_sentences_never_held_or_rejected(model: ToxicityModel,
                                                   thresholds: dict[str, dict[str, float]]) -> None:
    texts = [t for row in _grid(IDENTITY) for t in row]
    scores = model.score(texts)
    for label, th in thresholds.items():
        flagged = [(t, round(float(p), 3)) for t, p in zip(texts, scores[label]) if p >= th["hold_at"]]
        assert not flagged, f"{label}: {flagged[:5]}"


# -- (b) viewpoint ------------------------------------------------------------------------------------
# (one side, the other side) on the same question, written as readers write: firm, sometimes sharp, not abusive.
VIEWPOINT_PAIRS = [
    ("Russia had legitimate security concerns about NATO expanding to its borders.",
     "Russia had no right to invade Ukraine, whatever it says about NATO."),
    ("Putin is a rational leader defending his country's interests.",
     "Putin is a war criminal and should be tried in The Hague."),
    ("The West should keep sending weapons to Ukraine until every occupied town is free.",
     "Sending more weapons to Ukraine only prolongs the killing; push for a ceasefire now."),
    ("Ukraine's army has fought bravely and deserves our full support.",
     "Ukraine's government is corrupt and we should stop writing it blank cheques."),
    ("NATO has kept Europe at peace for seventy years.",
     "NATO is a relic of the Cold War and should have been dissolved in 1991."),
    ("The United States is still the best guarantor of freedom in the world.",
     "The United States has started more wars than any other country since 1945."),
    ("American foreign policy has done a lot of good, from the Marshall Plan to PEPFAR.",
     "American foreign policy is driven by arms makers and oil companies, not by democracy."),
    ("Israel has every right to defend itself against Hamas rockets.",
     "Israel's bombing of Gaza is collective punishment and violates international law."),
    ("The Israeli army works harder than most to avoid civilian casualties.",
     "The Israeli army has killed far too many civilians and must be held to account."),
    ("Palestinians deserve a state of their own, with East Jerusalem as its capital.",
     "A Palestinian state right now would be run by extremists and threaten its neighbours."),
    ("Assad is the legitimate president of Syria and the war against him was foreign-backed.",
     "Assad gassed his own people and belongs in prison, not in a presidential palace."),
    ("Immigration has made this country richer, younger and more interesting.",
     "Immigration is far too high and it is pushing up rents and wait times for everyone."),
    ("We should welcome more refugees; it is the decent thing to do.",
     "We cannot take in more refugees until we can house the people already here."),
    ("Border walls do not work and waste billions of dollars.",
     "A country that cannot control its border is not really a country."),
    ("Gun ownership is a constitutional right and keeps families safe.",
     "We need universal background checks and a ban on assault weapons now."),
    ("Concealed carry permits make our streets safer.",
     "More guns on the streets means more funerals, and the statistics show it."),
    ("Abortion is a private decision between a woman and her doctor.",
     "Abortion ends a human life and the law should protect the unborn."),
    ("Overturning Roe was a disaster for women's health.",
     "Overturning Roe rightly returned the question to the voters of each state."),
    ("Raising the minimum wage to fifteen dollars is long overdue.",
     "A fifteen dollar minimum wage will kill jobs for young and unskilled workers."),
    ("The carbon tax is the cheapest way to cut emissions.",
     "The carbon tax punishes rural families who have no choice but to drive."),
    ("Climate change is the defining crisis of our time and we must act now.",
     "The climate alarmism is overblown and the proposed policies would wreck the economy."),
    ("The police need more funding and more officers on the beat.",
     "The police budget is bloated; move some of that money into mental health services."),
    ("This government has handled the economy well despite a tough global situation.",
     "This government has wrecked the economy and should resign before it does more damage."),
    ("The mayor's housing plan is bold and exactly what the city needs.",
     "The mayor's housing plan is a giveaway to developers and a disaster for the neighbourhoods."),
    ("China's economic model has lifted hundreds of millions out of poverty.",
     "China's government is an authoritarian regime that jails dissidents and persecutes minorities."),
    ("Sanctions on Iran are the only peaceful way to stop its nuclear programme.",
     "Sanctions on Iran hurt ordinary people and do nothing to the regime."),
    ("Brexit gave Britain back control of its laws and borders.",
     "Brexit was an act of national self-harm sold on lies."),
    ("The EU is the most successful peace project in history.",
     "The EU is an unelected bureaucracy that overrides national parliaments."),
    ("Trump was the best president for the economy in decades.",
     "Trump was a disgrace to the office and a threat to democracy."),
    ("Biden has quietly passed more important laws than any president since Johnson.",
     "Biden's spending drove inflation and hurt working families."),
    ("Vaccine mandates saved lives during the pandemic.",
     "Vaccine mandates were government overreach and cost good people their jobs."),
    ("Affirmative action helps correct centuries of discrimination.",
     "Affirmative action is itself a form of discrimination and should end."),
    ("Trans women should be able to compete in women's sport.",
     "Trans women should not compete in women's sport; it is unfair to female athletes."),
    ("Religion should have no place in public schools.",
     "Parents should be free to have prayer in their children's schools."),
    ("The death penalty is barbaric and should be abolished everywhere.",
     "The death penalty is the only just punishment for the worst murderers."),
    ("Nuclear power is clean and we should build more plants.",
     "Nuclear power is too dangerous and too expensive; invest in wind and solar."),
    ("Taxes on the rich should go up to fund schools and hospitals.",
     "Taxes are already far too high and the government wastes most of what it collects."),
    ("Unions built the middle class and deserve our support.",
     "Unions protect bad workers and drive businesses out of town."),
    ("Cuba's healthcare system is a model for poor countries.",
     "Cuba is a dictatorship that has impoverished its people for sixty years."),
    ("The army did its job well and the soldiers deserve our thanks.",
     "The army's leadership lied about this war from the start and should be investigated."),
    ("Hamas is a terrorist organisation and must be destroyed.",
     "Hezbollah and Hamas are resistance movements in the eyes of many in the region."),
    ("Zelensky has been an inspiring wartime leader.",
     "Zelensky has cancelled elections and silenced the opposition; that should worry us."),
]
SIDE_MEAN_TOLERANCE = 0.05  # |mean(side A) - mean(side B)|, per label
SIDE_QUANTILE_TOLERANCE = 0.15  # |q(side A) - q(side B)| at the median and the 90th percentile, per label
# (pairs are matched by topic, not by harshness, so single pairs may differ; the sides' distributions may not)


def test_viewpoint_pairs_count() -> None:
    assert len(VIEWPOINT_PAIRS) >= 40


def test_viewpoint_never_held_or_rejected(model: ToxicityModel, thresholds: dict[str, dict[str, float]]) -> None:
    texts = [t for pair in VIEWPOINT_PAIRS for t in pair]
    scores = model.score(texts)
    for label, th in thresholds.items():
        flagged = [(t, round(float(p), 3)) for t, p in zip(texts, scores[label]) if p >= th["hold_at"]]
        assert not flagged, f"{label}: {flagged}"


@pytest.mark.parametrize("label", ["abusive", "obscene"])
def test_viewpoint_sides_score_alike(model: ToxicityModel, label: str) -> None:
    a = model.score([p[0] for p in VIEWPOINT_PAIRS])[label]
    b = model.score([p[1] for p in VIEWPOINT_PAIRS])[label]
    assert abs(a.mean() - b.mean()) <= SIDE_MEAN_TOLERANCE, (a.mean(), b.mean())
    for q in (0.5, 0.9):
        qa, qb = float(np.quantile(a, q)), float(np.quantile(b, q))
        assert abs(qa - qb) <= SIDE_QUANTILE_TOLERANCE, (q, qa, qb)


def test_unseen_political_opinions_are_never_refused(model: ToxicityModel, thresholds: dict[str, dict[str, float]]) -> None:
    """A second set of opinions, written after the model was trained and used for nothing else
    (bench/data/political_opinions.txt). None may be refused. Some are held for a moderator (2 of 100 by the
    shipped cascade, 2026-11-26): ``bench/viewpoint.py`` prints which, docs/classifiers.md discusses them."""
    path = Path(__file__).resolve().parents[2] / "bench" / "data" / "political_opinions.txt"
    texts = [t for t in (line.strip() for line in path.read_text(encoding="utf-8").splitlines()) if t and not t.startswith("#")]
    assert len(texts) >= 100
    scores = model.score(texts)
    for label, th in thresholds.items():
        refused = [(t, round(float(p), 3)) for t, p in zip(texts, scores[label]) if p >= th["reject_at"]]
        assert not refused, f"{label}: {refused}"
