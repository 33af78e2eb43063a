"""Test doubles that never produce moderation results.

``NoModelResources`` lets the real ``ClassifierRule`` validate and build its entries from a policy file
without a trained model; any attempt to score a comment fails the test loudly, so no test can pass on a
faked classifier result.
"""

from __future__ import annotations

from typing import Any

from townhall.policy.rules.base import Resources


class _NoModel:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"this test has no classifier model (called model.{name})")


class NoModelResources(Resources):
    def classifier_model(self) -> Any:
        return _NoModel()
