"""The moderation core: policy file, normaliser, rules, classifiers and decisions.

Pure: no database, no HTTP, no clock or randomness except what callers pass in.
"""

from townhall.policy.policyfile import Policy, PolicyError, load_policy

__all__ = ["Policy", "PolicyError", "load_policy"]
