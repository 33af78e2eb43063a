"""Which class implements each rule ``type`` of the policy file.

The registry is an immutable mapping from type name to an import path (``"module:Class"``), resolved
lazily: a rule type's module is imported only when a policy uses it, so loading a policy without
classifier rules never loads the classifier. To add a rule type, write one class with
``type_name``, ``from_spec(spec, resources)`` and ``evaluate(subject)``, then add one line below — or pass
``rule_types={"mytype": MyRule}`` (a class or an import path) to :func:`townhall.policy.load_policy`.
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import Mapping, Union, cast

from townhall.policy.rules.base import RuleType

__all__ = ["BUILTIN_RULE_TYPES", "RuleTypeRef", "UnknownRuleType", "known_rule_types", "resolve_rule_type"]

RuleTypeRef = Union[type, str]  # a class, or "package.module:ClassName"

BUILTIN_RULE_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "wordlist": "townhall.policy.rules.wordlist:WordListRule",
        "classifier": "townhall.policy.rules.classifier:ClassifierRule",
        "coordination": "townhall.policy.rules.coordination:CoordinationRule",
    }
)


class UnknownRuleType(LookupError):
    """The type is not registered, or its class cannot be imported."""


def known_rule_types(extra: Mapping[str, RuleTypeRef] | None = None) -> tuple[str, ...]:
    return tuple(sorted({*BUILTIN_RULE_TYPES, *(extra or {})}))


def resolve_rule_type(name: str, extra: Mapping[str, RuleTypeRef] | None = None) -> type[RuleType]:
    """The class for rule type ``name``; ``extra`` entries take precedence over the built-in ones."""
    ref: RuleTypeRef | None = (extra or {}).get(name, BUILTIN_RULE_TYPES.get(name))
    if ref is None:
        raise UnknownRuleType(f"unknown rule type {name!r}; known types: {', '.join(known_rule_types(extra))}")
    if isinstance(ref, type):
        return cast("type[RuleType]", ref)
    module_name, _, class_name = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name)
    except (ImportError, AttributeError) as exc:
        raise UnknownRuleType(f"rule type {name!r} is not available ({ref}: {exc})") from exc
    if not isinstance(cls, type):
        raise UnknownRuleType(f"rule type {name!r}: {ref} is not a class")
    return cast("type[RuleType]", cls)
