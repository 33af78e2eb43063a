"""Text classifiers for the house rules' judgement calls: ``abusive`` and ``obscene``.

``load_model()`` reads the artifacts shipped in ``artifacts/`` (trained by ``townhall train``) and returns a
:class:`ToxicityModel`. Scoring is numpy only; nothing here touches the clock, randomness or the network.
"""

from __future__ import annotations

from townhall.policy.classifiers.model import (
    ARTIFACTS,
    FORMAT_VERSION,
    LABELS,
    ModelFormatError,
    ToxicityModel,
    load_model,
    read_format_version,
)

__all__ = ["ARTIFACTS", "FORMAT_VERSION", "LABELS", "ModelFormatError", "ToxicityModel", "load_model",
           "read_format_version"]
