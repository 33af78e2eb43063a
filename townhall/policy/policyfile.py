"""Load and validate a policy file (TOML) into a :class:`Policy`.

Errors are :class:`PolicyError` and name the file and line: ``policy.toml:12: rules[2].action: must be
one of reject, hold, flag``. Rule entries are counted from 1 in file order (``rules[2]`` is the second
``[[rules]]`` table); ladder steps likewise. Decoding the file and checking one value at a time (the line
of each key, :class:`PolicyError`) are in :mod:`townhall.policy.tomlcheck`.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, cast

from townhall.policy.config import CommentsConfig, EnforcementConfig, EvasionAction, EvasionConfig, HistoryConfig, LadderStep
from townhall.policy.config import MAX_CLOSE_DAYS, MAX_COUNT, MAX_DAYS, MAX_EDIT_MINUTES, MAX_HOURS, MAX_IP_WINDOW_HOURS
from townhall.policy.config import MAX_DESCRIPTION_CHARS, MAX_HISTORY_COMMENTS, MAX_HISTORY_DAYS, MAX_OPTION_CHARS
from townhall.policy.config import MAX_LADDER_STRIKES, MAX_NETWORK_ACCOUNTS, MAX_REPORT_THRESHOLD, MAX_SUMMARY_CHARS
from townhall.policy.config import PolicySettings, ReportsConfig, Sanction, TrustConfig
from townhall.policy.history import RECENT_HISTORY_RULE, RecentHistory
from townhall.policy.links import LINKS_RULE, LinksPhase
from townhall.policy.pipeline import ClosedThreadPhase, LengthPhase, run_pipeline
from townhall.policy.rules.base import Resources, RuleConfigError, RuleSpec, TrustSoftened, plain_words
from townhall.policy.rules.registry import RuleTypeRef, UnknownRuleType, resolve_rule_type
from townhall.policy.tomlcheck import TOP_KEYS, Checker, Lines, Path_, PolicyError, decode, syntax_error
from townhall.policy.types import Action, Decision, Phase, Subject

__all__ = ["Policy", "PolicyError", "load_policy", "DEFAULT_POLICY_NAME", "TRUST_SOFTENED_TYPES", "NEW_ACCOUNT_RULE", "ARTICLE_RULE",
           "LINKS_RULE", "RECENT_HISTORY_RULE"]

DEFAULT_POLICY_NAME = "default.policy.toml"
# Rule types whose HOLD hits are borderline scores: for trusted accounts they become FLAG. A rule class
# can say so itself with a ``trust_softens`` class attribute (True/False), which takes precedence.
TRUST_SOFTENED_TYPES: frozenset[str] = frozenset({"classifier", "coordination"})
MAX_RULE_NAME_CHARS = 64
_NAME = re.compile(rf"^[a-z][a-z0-9_]{{0,{MAX_RULE_NAME_CHARS - 1}}}$")
NEW_ACCOUNT_RULE = "new_account"  # the hit that holds a new account's comment ([comments] premoderate_new_accounts)
ARTICLE_RULE = "article_premoderated"  # the hit that holds a comment on a premoderated thread (a moderator's choice)
# LINKS_RULE ("links", townhall.policy.links): the hit that holds a reader's comment with a link ([comments] premoderate_links)
# RECENT_HISTORY_RULE ("recent_history", townhall.policy.history): the hit that holds a reader's comment when most of
# their recent comments were rejected ([history] hold_rejected_share)


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated policy: the house rules as phases, plus the settings of the other sections."""

    name: str
    summary: str
    version: str
    source: str
    rules: tuple[Phase, ...]
    settings: PolicySettings
    rule_type_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    trust_softened: frozenset[str] = frozenset()  # names of rules whose holds become flags when trusted

    def phases(self) -> tuple[Phase, ...]:
        # (cast: the built-in phases are frozen dataclasses, whose read-only fields satisfy Phase at run time)
        builtin = cast(tuple[Phase, ...], (LengthPhase(self.settings.comments.max_length), ClosedThreadPhase()))
        # [comments] premoderate_links: last, so that a house rule's own reason is the first the reader reads
        links = cast(tuple[Phase, ...], (LinksPhase(),) if self.settings.comments.premoderate_links else ())
        return (*builtin, *self.rules, *links)

    def evaluate(self, subject: Subject) -> Decision:
        phases = self.phases()
        if subject.account_trusted and self.trust_softened:
            phases = tuple(
                cast(Phase, TrustSoftened(p, p.name, p.description)) if p.name in self.trust_softened else p
                for p in phases
            )
        return run_pipeline(phases, subject, self.version)

    def rule(self, name: str) -> Phase:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(f"policy {self.name!r} has no rule named {name!r}")

    def describe(self) -> list[str]:
        """The policy in plain words, one line per rule and per setting that readers feel."""
        s = self.settings
        lines = [f"{self.name}: {self.summary}" if self.summary else self.name]
        lines.append(f"length: comments need some text and at most {s.comments.max_length} characters.")
        lines.append("closed_thread: comments are refused on articles whose thread is closed.")
        for rule in self.rules:
            explain = getattr(rule, "explain", None)
            if callable(explain):
                lines.append(str(explain()))
            else:
                lines.append(plain_words(rule, self.rule_type_names.get(rule.name, "rule")))
        ladder = ", ".join(
            f"{step.strikes} strike{'s' if step.strikes != 1 else ''}: {step.sanction.value}"
            + (f" for {step.hours:g} hours" if step.hours else "")
            for step in s.enforcement.ladder
        )
        lines.append(f"enforcement: {ladder}; a strike counts for {s.enforcement.strike_expiry_days:g} days; "
                     f"a confirmed paid troll gets: {s.enforcement.troll_confirmed.value} ({s.enforcement.ban_scope}).")
        if self.trust_softened:
            lines.append(f"trust: accounts older than {s.trust.min_age_days:g} days with {s.trust.min_published} "
                         f"published comments and no strike for {s.trust.clean_days:g} days skip borderline holds "
                         f"({', '.join(sorted(self.trust_softened))}); they are flagged instead.")
        lines.append(f"edits: a comment may be edited for {s.comments.edit_window_minutes:g} minutes and is "
                     "moderated again.")
        if s.comments.premoderate_new_accounts:
            lines.append("new accounts: premoderated. A reader's comments are held for a moderator until one of them "
                         "has been published (approved); moderators' own comments are not held.")
        if s.comments.premoderate_links:
            lines.append("links: premoderated. A reader's comment, reply or edit with a link (http:// or https://, www., "
                         "or a domain with a path such as example.com/page) is held for a moderator; no strike; "
                         "moderators' own comments are not held.")
        if days := s.comments.close_after_days:
            lines.append(f"closing: threads are closed automatically after {days} day{'s' * (days != 1)} (from the "
                         "article's publication date if known, else the thread's start); a moderator may open one again.")
        if s.history.on:
            lines.append(RecentHistory(s.history).explain())
        return lines


_RULE_COMMON = frozenset({"name", "type", "description", "action", "strike"})
# Names the service's own checks give their hits: a rule may not take one (a moderator's rejection of a comment
# held by one of them must never be read as confirming a strike-bearing rule of the same name).
_BUILTIN_NAMES = frozenset({"length", "closed_thread", "premoderation", NEW_ACCOUNT_RULE, ARTICLE_RULE, LINKS_RULE,
                            RECENT_HISTORY_RULE})


def _settings(c: Checker, data: Mapping[str, Any]) -> PolicySettings:
    d = PolicySettings()
    com = c.table(data, "comments", {"max_length", "edit_window_minutes", "premoderate_new_accounts", "premoderate_links",
                                     "close_after_days"})
    p: Path_ = ("comments",)
    comments = CommentsConfig(
        max_length=c.number(com, "max_length", d.comments.max_length, p, lo=1, hi=MAX_COUNT, integer=True),
        edit_window_minutes=c.number(com, "edit_window_minutes", d.comments.edit_window_minutes, p,
                                     hi=MAX_EDIT_MINUTES, unit="minutes"),
        premoderate_new_accounts=c.boolean(com, "premoderate_new_accounts", d.comments.premoderate_new_accounts, p),
        premoderate_links=c.boolean(com, "premoderate_links", d.comments.premoderate_links, p),
        close_after_days=c.number(com, "close_after_days", d.comments.close_after_days, p, hi=MAX_CLOSE_DAYS,
                                  integer=True, unit="days"),
    )
    enf = c.table(data, "enforcement", {"strike_expiry_days", "troll_confirmed", "ban_scope", "ladder"})
    p = ("enforcement",)
    scope = c.text(enf, "ban_scope", p, d.enforcement.ban_scope)
    if scope not in ("site", "installation"):
        raise c.fail(p + ("ban_scope",), "must be one of site, installation")
    enforcement = EnforcementConfig(
        strike_expiry_days=c.number(enf, "strike_expiry_days", d.enforcement.strike_expiry_days, p,
                                    positive=True, hi=MAX_DAYS, unit="days"),
        ladder=_ladder(c, enf) if "ladder" in enf else d.enforcement.ladder,
        troll_confirmed=c.choice(enf, "troll_confirmed", Sanction, d.enforcement.troll_confirmed, p),
        ban_scope=scope,
    )
    rep = c.table(data, "reports", {"threshold", "new_account_days", "new_account_weight"})
    p = ("reports",)
    reports = ReportsConfig(
        threshold=c.number(rep, "threshold", d.reports.threshold, p, lo=1, hi=MAX_REPORT_THRESHOLD, integer=True),
        new_account_days=c.number(rep, "new_account_days", d.reports.new_account_days, p, hi=MAX_DAYS, unit="days"),
        new_account_weight=c.number(rep, "new_account_weight", d.reports.new_account_weight, p, hi=1.0),
    )
    tru = c.table(data, "trust", {"min_age_days", "min_published", "clean_days"})
    p = ("trust",)
    trust = TrustConfig(
        min_age_days=c.number(tru, "min_age_days", d.trust.min_age_days, p, hi=MAX_DAYS, unit="days"),
        min_published=c.number(tru, "min_published", d.trust.min_published, p, hi=MAX_COUNT, integer=True),
        clean_days=c.number(tru, "clean_days", d.trust.clean_days, p, hi=MAX_DAYS, unit="days"),
    )
    eva = c.table(data, "evasion", {"action", "ip_window_hours", "shared_network_accounts"})
    p = ("evasion",)
    evasion = EvasionConfig(
        action=c.choice(eva, "action", EvasionAction, d.evasion.action, p),
        ip_window_hours=c.number(eva, "ip_window_hours", d.evasion.ip_window_hours, p, positive=True,
                                 hi=MAX_IP_WINDOW_HOURS, unit="hours"),
        shared_network_accounts=c.number(eva, "shared_network_accounts", d.evasion.shared_network_accounts, p,
                                         lo=3, hi=MAX_NETWORK_ACCOUNTS, integer=True),
    )
    return PolicySettings(comments, enforcement, reports, trust, evasion, _history(c, data))


def _history(c: Checker, data: Mapping[str, Any]) -> HistoryConfig:
    """``[history]``: every key is checked whether the hold is on or off (``hold_rejected_share = 0``)."""
    d = HistoryConfig()
    his = c.table(data, "history", {"hold_rejected_share", "days", "min_comments"})
    p: Path_ = ("history",)
    return HistoryConfig(
        hold_rejected_share=c.number(his, "hold_rejected_share", d.hold_rejected_share, p, hi=1.0,
                                     unit="(a share; 0 = off)"),
        days=c.number(his, "days", d.days, p, positive=True, hi=MAX_HISTORY_DAYS, unit="days"),
        min_comments=c.number(his, "min_comments", d.min_comments, p, lo=1, hi=MAX_HISTORY_COMMENTS, integer=True,
                              unit="comments"),
    )


def _ladder(c: Checker, enf: Mapping[str, Any]) -> tuple[LadderStep, ...]:
    steps = enf["ladder"]
    if not isinstance(steps, list) or not steps or not all(isinstance(s, dict) for s in steps):
        raise c.fail(("enforcement", "ladder"), "must be one or more [[enforcement.ladder]] tables")
    out: list[LadderStep] = []
    for i, step in enumerate(steps):
        p: Path_ = ("enforcement", "ladder", i)
        c.known_keys(step, {"strikes", "sanction", "hours"}, p)
        if "strikes" not in step:
            raise c.fail(p + ("strikes",), "is required")
        strikes = c.number(step, "strikes", 0, p, lo=1, hi=MAX_LADDER_STRIKES, integer=True)
        if out and strikes <= out[-1].strikes:
            raise c.fail(p + ("strikes",), f"must be greater than the previous step's ({out[-1].strikes})")
        sanction = c.choice(step, "sanction", Sanction, None, p)
        hours = c.number(step, "hours", 0, p, positive=True, hi=MAX_HOURS, unit="hours") if "hours" in step else None
        if sanction is Sanction.SUSPEND and hours is None:
            raise c.fail(p + ("hours",), "is required for a suspension")
        if sanction is not Sanction.SUSPEND and hours is not None:
            raise c.fail(p + ("hours",), f"only applies to a suspension, not {sanction.value}")
        out.append(LadderStep(strikes, sanction, hours))
    return tuple(out)


def _thresholds(c: Checker, options: Mapping[str, Any], path: Path_) -> None:
    """Checks common to every rule type: any ``*_at`` option is a score in 0..1, and hold_at <= reject_at."""
    for key, value in options.items():
        if key.endswith("_at"):
            c.number(options, key, 0.0, path, hi=1.0)
    if "hold_at" in options and "reject_at" in options and options["hold_at"] > options["reject_at"]:
        raise c.fail(path + ("hold_at",), f"must not exceed reject_at ({options['reject_at']}), is {options['hold_at']}")


def _rules(c: Checker, data: Mapping[str, Any], resources: Resources,
           rule_types: Mapping[str, RuleTypeRef] | None) -> tuple[tuple[Phase, ...], dict[str, str], set[str]]:
    entries = data.get("rules", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise c.fail(("rules",), "must be [[rules]] tables")
    phases: list[Phase] = []
    types: dict[str, str] = {}
    softened: set[str] = set()
    for i, entry in enumerate(entries):
        p: Path_ = ("rules", i)
        name = c.text(entry, "name", p)
        if len(name) > MAX_RULE_NAME_CHARS:
            raise c.fail(p + ("name",), f"must be at most {MAX_RULE_NAME_CHARS} characters, not {len(name)}")
        if not _NAME.fullmatch(name):
            raise c.fail(p + ("name",), "must be lower-case letters, digits and _ (starting with a letter)")
        if name in types or name in _BUILTIN_NAMES:
            builtin = " (the name of a built-in check)" if name in _BUILTIN_NAMES else ""
            raise c.fail(p + ("name",), f"duplicate rule name {name!r}{builtin}")
        type_name = c.text(entry, "type", p)
        try:
            cls = resolve_rule_type(type_name, rule_types)
        except UnknownRuleType as exc:
            raise c.fail(p + ("type",), str(exc)) from None
        options = {k: v for k, v in entry.items() if k not in _RULE_COMMON}
        _thresholds(c, options, p)
        _option_texts(c, options, p)
        spec = RuleSpec(
            name=name, type=type_name,
            description=c.text(entry, "description", p, limit=MAX_DESCRIPTION_CHARS, lines=True),
            action=c.choice(entry, "action", Action, None, p), strike=c.boolean(entry, "strike", False, p),
            options=MappingProxyType(options),
        )
        if spec.strike and spec.action is Action.FLAG:
            # A strike is a refusal (reject) or a moderator's rejection of a held comment (hold); a flagged
            # comment is published, so nothing would ever count it: say so rather than promise a strike.
            raise c.fail(p + ("strike",), 'cannot be true for action = "flag": a flagged comment is published and '
                                          'never counts as a strike (use action = "hold", whose comments count one '
                                          'when a moderator rejects them, or "reject")')
        try:
            phase = cls.from_spec(spec, resources)
        except RuleConfigError as exc:
            raise c.fail(p + ((exc.key,) if exc.key else ()), exc.message) from None
        except (ValueError, TypeError, LookupError, OSError, RuntimeError) as exc:
            # e.g. the classifier model is missing: name the rule whose construction failed
            raise c.fail(p, f"cannot build {type_name} rule {name!r}: {exc}") from None
        phases.append(phase)
        types[name] = type_name
        if getattr(cls, "trust_softens", type_name in TRUST_SOFTENED_TYPES):
            softened.add(name)
    _score_clashes(c, phases)
    return tuple(phases), types, softened


def _option_texts(c: Checker, options: Mapping[str, Any], path: Path_) -> None:
    """Every text in a rule's own options (a word, an allowed phrase), alone or in a list, is short: a listed word
    is compiled into patterns when the policy loads, and a word of megabytes would stall the start for hours."""
    for key, value in options.items():
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, str) and len(item) > MAX_OPTION_CHARS:
                raise c.fail(path + (key,), f"a text of {len(item):,} characters; at most {MAX_OPTION_CHARS:,} "
                                            f"are allowed ({item[:20]!r}…)")


def _score_clashes(c: Checker, phases: list[Phase]) -> None:
    """A rule records its score under its name, except one that says otherwise (``score_names``: a classifier
    rule records its label's). Two rules writing one score would store one rule's number as the other's."""
    shared: dict[str, str] = {}  # score name -> a rule that records it through score_names
    for phase in phases:
        for score in getattr(phase, "score_names", ()):
            shared.setdefault(score, phase.name)
    for i, phase in enumerate(phases):
        owner = shared.get(phase.name)
        if owner is not None and owner != phase.name and not getattr(phase, "score_names", None):
            raise c.fail(("rules", i, "name"), f"{phase.name!r} is also the score that rule {owner!r} records (its "
                                               "label): both scores would be stored under one name; rename this rule")


def parse_policy(raw: bytes, file: str, *, source: str | None = None, resources: Resources | None = None,
                 rule_types: Mapping[str, RuleTypeRef] | None = None) -> Policy:
    """Validate the bytes of a policy file; ``file`` is the name used in error messages. The version is the hash
    of these bytes, whatever they say (a comment or a byte order mark included)."""
    text = decode(raw, file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise syntax_error(file, text, str(exc)) from None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables: `x = [[[[…]]]]`
        raise PolicyError(file, None, "TOML syntax: arrays or inline tables nested too deeply") from None
    c = Checker(file, Lines(text))
    c.known_keys(data, TOP_KEYS, ())
    meta = c.table(data, "policy", {"name", "summary"})
    if "policy" not in data:
        raise PolicyError(file, 1, "policy: a [policy] table with a name is required")
    name = c.text(meta, "name", ("policy",))
    summary = meta.get("summary", "")
    if not isinstance(summary, str):
        raise c.fail(("policy", "summary"), f"must be a string, not {summary!r}")
    c.plain(summary, ("policy", "summary"), limit=MAX_SUMMARY_CHARS, lines=True)
    settings = _settings(c, data)
    rules, types, softened = _rules(c, data, resources or Resources(), rule_types)
    return Policy(
        name=name, summary=summary, version=hashlib.sha256(raw).hexdigest()[:12], source=source or file,
        rules=rules, settings=settings, rule_type_names=MappingProxyType(types), trust_softened=frozenset(softened),
    )


def load_policy(path: str | Path | None = None, *, resources: Resources | None = None,
                rule_types: Mapping[str, RuleTypeRef] | None = None) -> Policy:
    """Load a policy file; ``None`` loads the packaged default house rules.

    ``rule_types`` adds or replaces rule types for this load (a class or a ``"module:Class"`` path).
    """
    if path is None:
        raw = importlib_resources.files("townhall.policy").joinpath(DEFAULT_POLICY_NAME).read_bytes()
        return parse_policy(raw, DEFAULT_POLICY_NAME, source="default", resources=resources, rule_types=rule_types)
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PolicyError(str(p), None, f"cannot read the policy file: {exc.strerror or exc}") from None
    return parse_policy(raw, str(p), source=str(p), resources=resources, rule_types=rule_types)
