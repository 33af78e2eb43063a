"""A realistic morning for the moderators, made through the services (and store functions for bulk):
readers, threads, published/held/rejected comments, reader reports, appeals and a troll cluster flag.
Used by the browser tests, the screenshots script and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from townhall.service import accounts as acct
from townhall.service import appeals, clusters, enforcement
from townhall.service import moderation as svc_mod
from townhall.service import comments as svc_comments
from townhall.service.core import Services
from townhall.service.errors import RuleRejected
from townhall.service.identity import Actor, Identity
from townhall.store.schema import ActorKind, FlagKind, Role


class MovableClock(Protocol):
    now: Any

    def advance(self, **delta: float) -> None: ...


BUDGET = ("budget-2027", "Budget 2027: what the chancellor announced")
BRIDGE = ("bridge-closure", "Old Town bridge to close for two years")
TROLL_TEXT = [
    "The chancellor's budget is the best thing that ever happened to this country. Critics are paid by the opposition.",
    "The chancellors budget is the best thing that ever happened to this country! Critics are paid by the opposition.",
    "Best budget this country ever had. The critics are all paid by the opposition.",
    "The chancellor's budget is the best thing that ever happened to this country. Critics are paid by the opposition!!",
]


@dataclass
class Seeded:
    readers: dict[str, Identity] = field(default_factory=dict)
    held: list[int] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)
    reported: int = 0
    appeals: list[int] = field(default_factory=list)
    trolls: list[int] = field(default_factory=list)
    flag: int = 0


def reader(svc: Services, sub: str, name: str, site: str | None = None) -> Identity:
    return acct.sign_in_sso(svc, site or svc.settings.default_site, {"sub": sub, "name": name})


def say(svc: Services, who: Identity, thread: tuple[str, str], text: str, parent: int | None = None,
        ip: str | None = None) -> dict[str, Any]:
    """Post through the service as the widget would; a refused comment is returned with its id too."""
    try:
        return svc_comments.post(svc, who, thread[0], text, parent, svc_comments.ClientSignals(ip=ip, user_agent="Mozilla/5.0"),
                                 url=f"https://news.example/{thread[0]}", title=thread[1]).comment
    except RuleRejected as exc:
        return {"id": exc.details["comment_id"], "status": "rejected"}


def moderator_actor(email: str = "editor@news.example") -> Actor:
    return Actor(ActorKind.MODERATOR, f"mod:{email}", Role.MODERATOR, None)


def seed_morning(svc: Services, clock: MovableClock) -> Seeded:
    out = Seeded()
    start = clock.now
    clock.now = start - timedelta(days=400)
    for sub, name in [("alice", "Alice Moreau"), ("bob", "Bob Lindqvist"), ("carl", "Carl Jensen"), ("dana", "Dana Okafor"),
                      ("erin", "Erin Walsh"), ("gina", "Gina Petrova"), ("hank", "Hank Müller")]:
        out.readers[sub] = reader(svc, sub, name)
        clock.advance(days=40)
    r = out.readers
    mod = moderator_actor()
    clock.now = start - timedelta(days=60)
    say(svc, r["carl"], BUDGET, "Fair point about the schools budget; the teachers' pay award is fully funded this time.")
    clock.now = start - timedelta(days=31)
    say(svc, r["carl"], BRIDGE, "This closure is fucking ridiculous, the council had ten years to fix it.")
    clock.advance(hours=3)
    enforcement.moderator_sanction(svc, mod, r["carl"].account_id, "warn", "Keep it civil: second heated comment this month.")
    clock.advance(minutes=5)
    svc_mod.add_note(svc, mod, r["carl"].account_id, "Often heated about transport; otherwise constructive. Warn before anything else.")
    clock.now = start - timedelta(days=2)
    twin = reader(svc, "cj-again", "C. Jensen")
    say(svc, twin, BRIDGE, "The council had ten years to fix this bridge and did nothing.")
    clusters.record_flag(svc, svc.settings.default_site, FlagKind.EVASION, [r["carl"].account_id, twin.account_id], 0.71,
                         {"signal": "shared_device", "strength": 0.9, "why": "the new account posted from the device Carl Jensen uses",
                          "device": "3f9c…e1", "first_seen": (start - timedelta(days=2)).isoformat()}, key=f"evasion-{twin.account_id}")
    out.readers["cj-again"] = twin
    clock.now = start - timedelta(hours=30)
    a1 = say(svc, r["alice"], BUDGET, "The fuel duty freeze helps rural families, but who pays for the bridge repairs?")
    clock.advance(minutes=7)
    say(svc, r["bob"], BUDGET, "Good question. The red book says the repairs come out of next year's capital budget.", a1["id"])
    clock.advance(minutes=20)
    out.held.append(say(svc, r["carl"], BUDGET, "Only an idiot would believe these numbers, Alice. Read page 40.", a1["id"])["id"])
    clock.advance(minutes=15)
    say(svc, r["dana"], BRIDGE, "Two years without the bridge means an extra forty minutes each way for my commute.")
    clock.advance(minutes=30)
    out.held.append(say(svc, r["dana"], BUDGET, "The minister is a moron and everyone in the chamber knows it.")["id"])
    clock.advance(minutes=12)
    out.rejected.append(say(svc, r["erin"], BUDGET, "This budget is fucking theft from the young.")["id"])
    clock.advance(minutes=25)
    d1 = say(svc, r["dana"], BRIDGE, "The ferry timetable has not been updated for the closure at all.")
    clock.advance(minutes=6)
    out.held.append(say(svc, r["hank"], BRIDGE, "Then take the early ferry like the rest of us, you moron.", d1["id"])["id"])
    clock.advance(minutes=14)
    out.held.append(say(svc, r["erin"], BUDGET, "Anyone who still defends this chancellor is an idiot, sorry.")["id"])
    clock.advance(minutes=40)
    gina_c = say(svc, r["gina"], BRIDGE, "Everyone who supports this closure is a sheep, plain and simple.")
    hank_c = say(svc, r["hank"], BRIDGE, "The council lied about the bridge inspection dates; the minutes prove it.")
    clock.advance(hours=1)
    g_action = enforcement.moderator_sanction(svc, mod, r["gina"].account_id, "suspend", "Repeated personal attacks on other readers.", 48)
    h_action = enforcement.moderator_sanction(svc, mod, r["hank"].account_id, "warn", "Accusing named officials of lying without a source.")
    clock.advance(hours=2)
    out.appeals.append(appeals.appeal(svc, r["gina"], g_action, "I was criticising an argument, not a person. Please look again.")["appeal_id"])
    out.appeals.append(appeals.appeal(svc, r["hank"], h_action, "The council minutes are public: item 7 of the March meeting.")["appeal_id"])
    _ = gina_c, hank_c

    clock.now = start - timedelta(days=9)
    frank = reader(svc, "frank", "Frank Deals")
    clock.now = start - timedelta(hours=20)
    spam = say(svc, frank, BRIDGE, "Cheap watches at cheap-watch-shop dot example, best prices this week only!!!")
    out.reported = int(spam["id"])
    for sub in ("alice", "bob", "carl"):
        clock.advance(minutes=9)
        svc_comments.report(svc, r[sub], out.reported, "spam", "Advert, not a comment." if sub == "alice" else None)

    clock.now = start - timedelta(hours=8)
    trolls = []
    for i, (sub, name) in enumerate([("t-marc", "Marc Steel"), ("t-patriot", "TruePatriot77"), ("t-lena", "Lena K"),
                                     ("t-oskar", "Oskar Brandt")]):
        clock.advance(minutes=3)
        trolls.append(reader(svc, sub, name))
    clock.advance(hours=2)
    for round_, thread in enumerate((BUDGET, BRIDGE, BUDGET)):
        for i, who in enumerate(trolls):
            clock.advance(minutes=1 + i)
            say(svc, who, thread, TROLL_TEXT[(i + round_) % len(TROLL_TEXT)], ip=f"203.0.113.{10 + i}")
        for who in (r["alice"], r["bob"]):
            clock.advance(minutes=25)
            say(svc, who, thread, f"Does anyone have the figures for {thread[1].split(':')[0].lower()}? Round {round_ + 1}.")
    out.trolls = [t.account_id for t in trolls]
    names = [str(t.account_id) for t in trolls]
    evidence = {
        "id": "c-" + "-".join(names), "members": names, "score": 0.93, "state": "flagged",
        "signals": {"text_reuse": 1.62, "synchronised_arrival": 1.21, "creation_burst": 0.88, "shared_ip_prefix": 0.64},
        "evidence": [
            {"signal": "text_reuse", "strength": 1.62, "observed": 12, "expected": 0.04,
             "why": "these accounts posted the same or nearly the same wording 12 times between them; chance predicts 0.04",
             "details": [{"accounts": 4, "comments": [{"account": names[0], "thread": BUDGET[0], "text": TROLL_TEXT[0][:80]},
                                                      {"account": names[1], "thread": BUDGET[0], "text": TROLL_TEXT[1][:80]}]}]},
            {"signal": "synchronised_arrival", "strength": 1.21, "observed": 3, "expected": 0.11,
             "why": "these accounts arrived on the same threads within minutes of each other 3 times; chance predicts 0.11",
             "details": [{"thread": BUDGET[0], "window_minutes": 10, "accounts": 4}, {"thread": BRIDGE[0], "window_minutes": 10, "accounts": 4}]},
            {"signal": "creation_burst", "strength": 0.88, "observed": 4, "expected": 0.2,
             "why": "4 of the accounts were created within the same window, where the site's sign-up rate predicts 0.2",
             "details": [{"window_minutes": 12, "accounts": 4}]},
            {"signal": "shared_ip_prefix", "strength": 0.64, "observed": 4, "expected": None,
             "why": "these accounts posted from one network prefix that few other accounts use", "details": []},
        ],
    }
    out.flag = clusters.record_flag(svc, svc.settings.default_site, FlagKind.COORDINATION, out.trolls, 0.93, evidence,
                                    key=str(evidence["id"]))
    clock.now = start
    return out
