"""Typed sections of the policy file other than the rules: enforcement ladder, reports, trust, evasion, history.

The loader (``townhall.policy.policyfile``) validates the TOML and builds these. They are plain data;
``townhall.policy.enforcement`` decides what a ladder means for an account's strike history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


# Upper bounds the loader enforces on the settings (docs/policy.md, "Numbers"): far beyond any house rule, and
# small enough that no date or duration computed from them can overflow (``now + 100 years`` is fine).
MAX_DAYS = 36_500.0  # 100 years: strike_expiry_days, new_account_days, min_age_days, clean_days
MAX_HOURS = MAX_DAYS * 24  # 876,000: a suspension of 100 years (a ban is the sanction for "for ever")
MAX_EDIT_MINUTES = 525_600.0  # one year
MAX_IP_WINDOW_HOURS = 8_760.0  # one year
MAX_CLOSE_DAYS = 36_500  # close_after_days (whole days): 100 years
MAX_COUNT = 1_000_000  # max_length (characters), min_published (comments)
MAX_LADDER_STRIKES = 1_000
MAX_REPORT_THRESHOLD = 1_000
MAX_NETWORK_ACCOUNTS = 10_000
MAX_HISTORY_DAYS = 365.0  # [history] days: a reader's *recent* comments; a year at most
MAX_HISTORY_COMMENTS = 100  # [history] min_comments (the service reads at most HISTORY_READ of them, below)
# Bounds on the file and its texts: a hand-written policy is a few kilobytes. A description goes with every hit it
# makes (stored with the decision, sent to the reader); a rule option's text (a listed word) is compiled at load.
MAX_POLICY_BYTES = 1_048_576  # 1 MiB
MAX_NAME_CHARS = 200  # [policy] name
MAX_SUMMARY_CHARS = 2_000  # [policy] summary
MAX_DESCRIPTION_CHARS = 1_000  # a rule's description
MAX_OPTION_CHARS = 1_000  # a text in a rule's own options (a word, an allowed phrase)


class Sanction(StrEnum):
    """Account actions the ladder (or a moderator) can take."""

    WARN = "warn"
    SUSPEND = "suspend"
    BAN = "ban"
    PREMODERATE = "premoderate"


@dataclass(frozen=True, slots=True)
class LadderStep:
    """At ``strikes`` active strikes, take ``sanction`` (for ``hours`` when it is a suspension)."""

    strikes: int
    sanction: Sanction
    hours: float | None = None


@dataclass(frozen=True, slots=True)
class EnforcementConfig:
    strike_expiry_days: float = 90.0
    ladder: tuple[LadderStep, ...] = (
        LadderStep(1, Sanction.WARN),
        LadderStep(2, Sanction.SUSPEND, 24.0),
        LadderStep(3, Sanction.BAN),
    )
    troll_confirmed: Sanction = Sanction.BAN
    ban_scope: str = "site"  # "site" or "installation"


@dataclass(frozen=True, slots=True)
class ReportsConfig:
    threshold: int = 3  # distinct reporters (weighted) before a comment enters the reports queue
    new_account_days: float = 7.0  # reporters younger than this count for less (brigade discount)
    new_account_weight: float = 0.25


@dataclass(frozen=True, slots=True)
class TrustConfig:
    min_age_days: float = 30.0
    min_published: int = 20
    clean_days: float = 90.0  # no strikes or sanctions in this many days


class EvasionAction(StrEnum):
    FLAG = "flag"  # tell moderators
    PREMODERATE = "premoderate"  # hold every comment of the suspect account


@dataclass(frozen=True, slots=True)
class EvasionConfig:
    action: EvasionAction = EvasionAction.FLAG
    ip_window_hours: float = 72.0
    # A network prefix from which at least this many distinct accounts posted within ``ip_window_hours`` is a
    # shared network (office, university, carrier NAT): weak evidence, named in a flag, never acted on alone.
    shared_network_accounts: int = 5


@dataclass(frozen=True, slots=True)
class CommentsConfig:
    max_length: int = 5000
    edit_window_minutes: float = 15.0
    premoderate_new_accounts: bool = False
    # A reader's comment with a link waits for a moderator (townhall.policy.links; Coral's per-site option).
    premoderate_links: bool = False
    # A thread closes to new comments this many whole days after it started (townhall.policy.closing); 0: never.
    close_after_days: int = 0


@dataclass(frozen=True, slots=True)
class HistoryConfig:
    """``[history]``: a reader whose recent comments were mostly rejected has their next ones held for a moderator
    (Coral's "recent history"; townhall.policy.history). ``hold_rejected_share`` 0: off."""

    hold_rejected_share: float = 0.0  # 0 = off; else hold at this share of rejected comments or more (0 < x <= 1)
    days: float = 7.0  # the comments written within this many days before now
    min_comments: int = 3  # never judged on fewer judged (published or rejected) comments than this

    @property
    def on(self) -> bool:
        return self.hold_rejected_share > 0


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """Everything in the policy file except the rules themselves."""

    comments: CommentsConfig = field(default_factory=CommentsConfig)
    enforcement: EnforcementConfig = field(default_factory=EnforcementConfig)
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    trust: TrustConfig = field(default_factory=TrustConfig)
    evasion: EvasionConfig = field(default_factory=EvasionConfig)
    history: HistoryConfig = field(default_factory=HistoryConfig)
