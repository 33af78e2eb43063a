"""A publisher's automatic ban threshold must be one the coordination detector can reach."""

from __future__ import annotations

from pathlib import Path

import pytest

from townhall.policy import PolicyError, load_policy
from townhall.trolls.detector import MAX_SCORE, evidence_level, score_of
from townhall.trolls.report import Signal

POLICY = """\
[policy]
name = "Test"
summary = "Trolls wait."

[[rules]]
name = "paid_troll"
type = "coordination"
description = "Coordinated campaign."
action = "hold"
hold_at = 0.8
ban_at = {ban_at}
"""


def test_the_highest_score_is_what_the_strongest_evidence_gives() -> None:
    strongest = {kind: 2.0 for kind in Signal}
    assert score_of(evidence_level(strongest, 2.0)) == pytest.approx(MAX_SCORE)
    assert 0.96 < MAX_SCORE < 0.97


@pytest.mark.parametrize("ban_at", [0.98, 0.99, 1.0])
def test_a_ban_at_the_detector_never_reaches_is_refused_when_the_policy_is_loaded(tmp_path: Path, ban_at: float) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY.format(ban_at=ban_at), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    assert "ban_at" in message and "never" in message and f"{MAX_SCORE:.3f}"[:4] in message, message


def test_a_reachable_ban_at_loads(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY.format(ban_at=0.95), encoding="utf-8")
    assert load_policy(path).rules[0].ban_at == 0.95  # type: ignore[attr-defined]


def test_the_policy_knows_the_detectors_highest_score() -> None:
    from townhall.policy.rules.coordination import DETECTOR_MAX_SCORE

    assert DETECTOR_MAX_SCORE == MAX_SCORE
