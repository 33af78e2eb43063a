"""Fixtures for the classifier tests: the shipped model (loaded once) and the default policy's thresholds."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from townhall.policy.classifiers import ToxicityModel, load_model

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "townhall" / "policy" / "default.policy.toml"


@pytest.fixture(scope="session")
def model() -> ToxicityModel:
    return load_model()


@pytest.fixture(scope="session")
def linear() -> ToxicityModel:
    """The shipped model's first stage alone."""
    return load_model(encoder=False)


@pytest.fixture(scope="session")
def thresholds() -> dict[str, dict[str, float]]:
    """{label: {"hold_at": .., "reject_at": ..}} of the default policy's classifier rules."""
    doc = tomllib.loads(DEFAULT_POLICY.read_text(encoding="utf-8"))
    return {r["label"]: {"hold_at": float(r["hold_at"]), "reject_at": float(r["reject_at"])}
            for r in doc["rules"] if r.get("type") == "classifier"}
