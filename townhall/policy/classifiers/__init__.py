"""Text classifiers for the house rules' judgement calls: ``abusive`` and ``obscene``.

``load_model()`` reads the artifacts shipped in ``artifacts/`` (trained by ``townhall train``) and returns a
:class:`CascadeModel`: the linear :class:`ToxicityModel` for every comment, and a fine-tuned MiniLM encoder
(int8 ONNX, run by ONNX Runtime on the CPU) for the comments it doubts. Nothing here touches the clock,
randomness or the network.
"""

from __future__ import annotations

from townhall.policy.classifiers.encoder import CascadeModel, EncoderFormatError
from townhall.policy.classifiers.model import (
    ARTIFACTS,
    FORMAT_VERSION,
    LABELS,
    ModelFormatError,
    ToxicityModel,
    load_model,
    read_format_version,
)

__all__ = ["ARTIFACTS", "FORMAT_VERSION", "LABELS", "CascadeModel", "EncoderFormatError", "ModelFormatError",
           "ToxicityModel", "load_model", "read_format_version"]
