"""Replace the encoder's fused layer norms with standard operators: ``python -m townhall.training.unfuse
MODEL_ONNX`` (needs the ``onnx`` package, which Townhall itself does not use).

Why: ONNX Runtime's transformer optimiser fuses each residual add and layer norm into one
``SkipLayerNormalization`` node and each bias add and GELU into one ``BiasGelu``. In ONNX Runtime 1.32 on
x86 the fused layer norm is the slower one: for one 48-token comment the encoder's 12
``SkipLayerNormalization`` nodes took 1,159 µs of its 4,496, where unfused its ``LayerNormalization`` and
``Add`` nodes take 182 and 114 µs (``bench/encoder_ops.py`` prints these from ONNX Runtime's profiler).
Unfused, a comment takes about a fifth less time. The arithmetic is the same (sums in another order), and
:class:`~townhall.policy.classifiers.encoder.Encoder` opens the model with the two runtime fusions that
would put the nodes back (:data:`~townhall.policy.classifiers.encoder.UNFUSED`) turned off.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def unfuse_nodes(model: Any) -> dict[str, int]:
    """Rewrite ``SkipLayerNormalization`` and ``BiasGelu`` nodes of an ONNX ``model`` in place; returns how
    many of each were replaced."""
    from onnx import helper  # training only: not a dependency of the package

    counts = {"SkipLayerNormalization": 0, "BiasGelu": 0}
    nodes = []
    for node in model.graph.node:
        if node.op_type == "SkipLayerNormalization" and node.domain == "com.microsoft":
            if len(node.output) != 1 or len(node.input) != 5:
                raise SystemExit(f"{node.name}: expected SkipLayerNormalization(x, skip, gamma, beta, bias) -> y")
            x, skip, gamma, beta, bias = node.input
            epsilon = next(helper.get_attribute_value(a) for a in node.attribute if a.name == "epsilon")
            biased, summed = f"{node.name}_biased", f"{node.name}_summed"
            nodes += [helper.make_node("Add", [x, bias], [biased], name=f"{node.name}_bias"),
                      helper.make_node("Add", [biased, skip], [summed], name=f"{node.name}_skip"),
                      helper.make_node("LayerNormalization", [summed, gamma, beta], list(node.output),
                                       name=f"{node.name}_norm", axis=-1, epsilon=epsilon)]
        elif node.op_type == "BiasGelu" and node.domain == "com.microsoft":
            biased = f"{node.name}_biased"
            nodes += [helper.make_node("Add", list(node.input), [biased], name=f"{node.name}_bias"),
                      helper.make_node("Gelu", [biased], list(node.output), name=f"{node.name}_gelu",
                                       domain="com.microsoft")]
        else:
            nodes.append(node)
            continue
        counts[node.op_type] += 1
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return counts


def unfuse(path: Path) -> dict[str, int]:
    """:func:`unfuse_nodes` on the model file at ``path``, rewritten in place."""
    import onnx

    model = onnx.load(str(path))
    counts = unfuse_nodes(model)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return counts


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path, help="the encoder's model.onnx (rewritten in place)")
    args = ap.parse_args(argv)
    counts = unfuse(args.model)
    print(f"{args.model}: replaced " + ", ".join(f"{n} {op}" for op, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
