"""What the enforcement ladder means, as pure functions of an account's history."""

from __future__ import annotations

from datetime import datetime, timedelta

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
