"""Put an exported encoder's int8 matrix weights into a 7-bit range: ``python -m townhall.training.requantize
MODEL_ONNX`` (needs the ``onnx`` package, which Townhall itself does not use).

Why: see :func:`requantize`. The test ``tests/classifiers/test_encoder.py`` checks the shipped model's
logits against ``encoder/reference.json`` (written by ``--reference``), which holds only where the
products are exact, and the dev-split AUC test checks the figures measured on another CPU.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

WEIGHT_LIMIT = 63  # |int8 weight| of every matrix product in the shipped encoder (a 7-bit range)


def requantize(path: Path) -> int:
    """Put an exported encoder's int8 matrix weights into a 7-bit range, in place.

    ONNX Runtime multiplies uint8 activations by int8 weights. On x86 CPUs with AVX2 but no VNNI it adds
    pairs of those products in 16 bits with saturation (VPMADDUBSW): 2 x 255 x 127 overflows, 2 x 255 x 63
    does not. With full-range weights the shipped encoder's dev AUCs fell by up to 0.005 on such a CPU (an
    AMD EPYC Zen 3) against the figures measured on a VNNI CPU; with 7-bit weights they match to 0.001.
    This is what ``quantize_dynamic(reduce_range=True)`` does at export; this command applies it to a model
    exported without it, such as the one shipped before this was found: each weight w of a matrix becomes
    round(w x 63 / max|w|), each of its channels' scales x max|w| / 63. Returns the number of matrices."""
    import onnx  # training only: not a dependency of the package
    from onnx import numpy_helper

    model = onnx.load(str(path))
    inits = {i.name: i for i in model.graph.initializer}
    weights = {n.input[1] for n in model.graph.node if n.op_type in ("MatMulInteger", "QAttention")}
    for name in sorted(weights):
        base = name.removesuffix("_quantized")
        w, scale, zero = (numpy_helper.to_array(inits[n]) for n in (name, base + "_scale", base + "_zero_point"))
        if w.dtype != np.int8 or np.any(zero != 0):
            raise SystemExit(f"{name}: expected symmetric int8 weights")
        top = max(int(np.abs(w.astype(np.int32)).max()), 1)
        if top <= WEIGHT_LIMIT:
            continue
        w7 = np.clip(np.rint(w.astype(np.float64) * WEIGHT_LIMIT / top), -WEIGHT_LIMIT, WEIGHT_LIMIT).astype(np.int8)
        inits[name].CopyFrom(numpy_helper.from_array(w7, name))
        inits[base + "_scale"].CopyFrom(numpy_helper.from_array((scale * (top / WEIGHT_LIMIT)).astype(scale.dtype),
                                                                base + "_scale"))
    onnx.save(model, str(path))
    return len(weights)


REFERENCE_TEXTS = (
    "Thanks for the clear reporting on the council budget.",
    "I disagree with every word of this, and the minister should resign.",
    "You are a complete idiot and everyone here knows it.",
    "Go back to where you came from, you filthy animals.",
    "What a load of crap, this paper prints anything.",
    "She posted naked photos of herself, disgusting slut.",
    "The army's shelling of the city is a war crime and must stop.",
    "I will find where you live and make you pay for this.",
    "As a gay Muslim woman I found the article very moving.",
    "NATO expansion provoked this war; Ukraine should negotiate.",
    "Shut up, moron. Nobody asked for your stupid opinion!!!",
    "The F word has no place here, but the piece is fine.",
)


def write_reference(directory: Path) -> Path:
    """Logits of :data:`REFERENCE_TEXTS` as this machine computes them with the encoder in ``directory``."""
    from townhall.policy.classifiers.encoder import Encoder

    logits = Encoder(directory).logits(list(REFERENCE_TEXTS))
    out = directory / "reference.json"
    out.write_text(json.dumps({"texts": list(REFERENCE_TEXTS), "logits": np.round(logits, 5).tolist()}, indent=1) + "\n",
                   encoding="utf-8")
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path, help="the encoder's model.onnx (rewritten in place)")
    ap.add_argument("--reference", action="store_true", help="also write reference.json beside it")
    args = ap.parse_args(argv)
    n = requantize(args.model)
    print(f"{args.model}: {n} weight matrices within ±{WEIGHT_LIMIT}")
    if args.reference:
        print(f"wrote {write_reference(args.model.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
