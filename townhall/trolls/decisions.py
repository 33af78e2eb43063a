"""Whether a moderator's earlier decision covers a cluster found now. Pure: the service passes the stored
flags in; nothing here reads a database.

A decision (confirmed or dismissed) sticks to the cluster it was made on: matched by the cluster's id, or
by its members (a strict majority of the smaller of the two member sets, so a cluster whose oldest member
left is still recognised). A decided cluster is flagged again only on materially new evidence:

* a flagged member no decision covered (a new account joined the group), or
* a family of evidence (wording, timing, infrastructure: see :class:`~townhall.trolls.report.Family`) that is
  significant now (>= 0.5) and was absent (< 0.25) at every decision.

Stronger numbers on the same evidence are not new: a family on one tablet stays dismissed however often it
posts. The members of a cluster whose latest decision is a dismissal, with no new evidence, are cleared.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Mapping, Sequence

from townhall.trolls.report import COUNTED, FAMILY, Cluster, Family, Signal

SIGNIFICANT = 0.5
ABSENT = 0.25


class Outcome(StrEnum):
    """A moderator flag's state (the same words as the service's flag states)."""

    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True)
class PastFlag:
    id: int
    state: Outcome
    key: str | None
    accounts: tuple[int, ...]  # the accounts the flag named (proposed for sanction)
    members: frozenset[str]  # every member of the cluster when it was flagged (named or not)
    families: Mapping[Family, float]  # the strongest kind of each family at that time

    @staticmethod
    def of(flag_id: int, state: str, key: str | None, accounts: Sequence[Any], evidence: Any) -> PastFlag:
        named = tuple(int(a) for a in accounts if str(a).isdecimal())
        ev = evidence if isinstance(evidence, Mapping) else {}
        members = frozenset(str(m) for m in ev.get("members", ()) or ()) | {str(a) for a in named}
        signals = ev.get("signals", {}) if isinstance(ev.get("signals"), Mapping) else {}
        return PastFlag(flag_id, Outcome(state), key, named, members, _families({k: v for k, v in signals.items()}))

    def matches(self, cluster: Cluster) -> bool:
        if self.key is not None and self.key == cluster.id:
            return True
        shared = len(self.members & set(cluster.members))
        return shared * 2 > min(len(self.members), len(cluster.members)) and shared > 0


def _families(strengths: Mapping[str, float]) -> dict[Family, float]:
    out: dict[Family, float] = {}
    for kind in COUNTED:
        value = float(strengths.get(kind.value, strengths.get(kind, 0.0)) or 0.0)  # type: ignore[call-overload]
        out[FAMILY[kind]] = max(out.get(FAMILY[kind], 0.0), value)
    return out


@dataclass(frozen=True, slots=True)
class PriorDecisions:
    """What the earlier decisions on a cluster mean for it now."""

    decided: tuple[PastFlag, ...]  # matching decided flags, newest first
    new_members: tuple[str, ...]
    new_families: tuple[Family, ...]

    @staticmethod
    def of(cluster: Cluster, matches: Sequence[PastFlag]) -> PriorDecisions:
        decided = tuple(sorted((m for m in matches if m.state is not Outcome.OPEN), key=lambda m: -m.id))
        if not decided:
            return PriorDecisions((), (), ())
        covered = frozenset().union(*(d.members for d in decided))
        new_members = tuple(m for m in cluster.flagged_members if m not in covered)
        now = _families({k.value: v for k, v in cluster.strengths.items() if isinstance(k, Signal)})
        new_families = tuple(f for f, v in now.items()
                             if v >= SIGNIFICANT and all(d.families.get(f, 0.0) < ABSENT for d in decided))
        return PriorDecisions(decided, new_members, new_families)

    @property
    def has_news(self) -> bool:
        return bool(self.new_members or self.new_families)

    @property
    def reopens(self) -> bool:
        """Whether a new flag may be opened: nothing was decided, or there is new evidence since."""
        return not self.decided or self.has_news

    @property
    def dismissed_without_news(self) -> bool:
        return bool(self.decided) and self.decided[0].state is Outcome.DISMISSED and not self.has_news

    def news(self) -> dict[str, list[str]]:
        return {"new_members": list(self.new_members), "new_families": [f.value for f in self.new_families]}
