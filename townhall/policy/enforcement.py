"""What the enforcement ladder means, as pure functions of an account's history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, NamedTuple

from townhall.policy.config import EnforcementConfig, LadderStep, TrustConfig


def step_for(config: EnforcementConfig, active_strikes: int) -> LadderStep | None:
    """The ladder step that applies at this many active strikes: the highest one reached."""
    reached = [s for s in config.ladder if s.strikes <= active_strikes]
    return max(reached, key=lambda s: s.strikes) if reached else None


def strike_expiry(config: EnforcementConfig, now: datetime) -> datetime:
    return now + timedelta(days=config.strike_expiry_days)


def is_trusted(
    config: TrustConfig,
    *,
    now: datetime,
    created_at: datetime,
    published: int,
    last_sanction_at: datetime | None,
) -> bool:
    """A long clean history: old enough, enough published comments, no strike or sanction lately."""
    if now - created_at < timedelta(days=config.min_age_days):
        return False
    if published < config.min_published:
        return False
    return last_sanction_at is None or now - last_sanction_at >= timedelta(days=config.clean_days)


class Standing(NamedTuple):
    """One action on an account, as far as its standing goes (times aware, in UTC)."""

    id: int
    kind: str  # an ActionKind value: "warn", "premoderate", "suspend", "ban", "strike", "restore"…
    created_at: datetime
    ends_at: datetime | None
    revoked: bool
    by_policy: bool  # taken by the house rules (the ladder), not by a moderator
    comment_id: int | None


# Weakest first: the strongest sanction in force decides the account's state, whatever order they came in.
SANCTION_RANK = ("warn", "premoderate", "suspend", "ban")


def live(action: Standing, now: datetime) -> bool:
    """Neither revoked nor run out: a strike that still counts, a sanction in force."""
    return not action.revoked and (action.ends_at is None or action.ends_at > now)


def in_force(actions: Iterable[Standing], now: datetime, kinds: Iterable[str] = SANCTION_RANK) -> Standing | None:
    """The action that decides an account's standing now: of the sanctions neither revoked nor run out, the
    strongest (ban, then suspension, then premoderation, then warning); of two suspensions, the one that ends
    last. A later, lighter sanction therefore never shortens or softens one in force. ``kinds``: only those
    sanctions (``("warn",)``: the warning in force, whether or not a stronger sanction decides)."""
    wanted = set(kinds) & set(SANCTION_RANK)
    alive = [a for a in actions if a.kind in wanted and live(a, now)]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return max(alive, key=lambda a: (SANCTION_RANK.index(a.kind), a.ends_at or far, a.created_at, a.id), default=None)


def still_weighs(actions: Iterable[Standing], action: Standing, now: datetime, *, clean_days: float) -> bool:
    """Whether an action still bears on the account, so that reversing it (an appeal granted) would change
    something. It does until it is lifted, while it has not run out (a strike still counts toward the ladder,
    a sanction is in force); after that, while it was taken within the trust's ``clean_days`` (it still keeps
    the reader from a trusted standing: :func:`is_trusted`), or while something its reversal would lift is
    still in force (:func:`reversal`): the ban that a strike, since run out, helped to bring, or the strike of
    the comment a ladder warning was for."""
    if action.revoked:
        return False
    if live(action, now) or now - action.created_at <= timedelta(days=clean_days):
        return True
    actions = list(actions)
    by_id = {a.id: a for a in actions}
    return any(live(by_id[i], now) for i in reversal(actions, action) if i != action.id and i in by_id)


def reversal(actions: Iterable[Standing], appealed: Standing) -> list[int]:
    """What a reversed action takes with it (an appeal granted, or a moderator approving a comment the rules
    rejected): the action itself; the strikes for the same comment; and, once a strike goes, the sanctions
    the ladder took while that strike was in force, which counted it. Later strikes (other comments), the
    ladder's sanctions after the strike ran out, and moderators' own sanctions stay: they are decisions of
    their own."""
    actions = [a for a in actions if not a.revoked]
    out = {appealed.id}
    if appealed.comment_id is not None:
        out |= {a.id for a in actions if a.kind == "strike" and a.comment_id == appealed.comment_id}
    strikes = [a for a in actions if a.id in out and a.kind == "strike"]

    def counted(sanction: Standing) -> bool:
        return any(s.created_at <= sanction.created_at and (s.ends_at is None or sanction.created_at < s.ends_at)
                   for s in strikes)

    out |= {a.id for a in actions
            if a.kind in SANCTION_RANK and a.by_policy and a.comment_id is not None and counted(a)}
    return sorted(out)
