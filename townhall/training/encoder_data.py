"""Rows for fine-tuning the encoder on a GPU machine (see :mod:`townhall.training.finetune_encoder`).

The same rows and splits as the linear model (:func:`townhall.training.splits.training_splits`: the public sets
and the counterfactual templates, which join the fit split), written as gzipped JSON lines
``{"t": encoder text, "s": data set, "a": abusive, "o": obscene, "sp": split}`` so that the GPU machine needs
neither ``../shared/data`` nor Townhall's dependencies.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from townhall.policy.classifiers.encoder import encoder_text
from townhall.training.data import Example
from townhall.training.splits import training_splits


def encoder_rows(data: Path, seed: int, limit: int | None = None,
                 exclude: frozenset[str] = frozenset()) -> list[tuple[Example, dict[str, object]]]:
    """Every row; ``exclude``: sets whose fit and calib rows are left out (a source the encoder never sees:
    ``bench/crossset_encoder.py``)."""
    s = training_splits(data, seed, limit, exclude)
    return [(e, {"t": encoder_text(e.text), "s": e.source, "a": e.abusive, "o": e.obscene, "sp": e.split})
            for e in s.fit + s.calib + s.dev]


def write_encoder_rows(data: Path, out: Path, seed: int, limit: int | None = None,
                       exclude: frozenset[str] = frozenset()) -> int:
    rows = encoder_rows(data, seed, limit, exclude)
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as fh:
        for _, r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return len(rows)


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description="Write the encoder's fine-tuning rows (see finetune_encoder.py).")
    ap.add_argument("--data", type=Path, required=True, help="the public data sets (../shared/data)")
    ap.add_argument("--out", type=Path, required=True, help="a .jsonl.gz file")
    ap.add_argument("--seed", type=int, default=13, help="the split seed (the linear model's)")
    ap.add_argument("--limit", type=int, default=None, help="rows per set (a smoke test)")
    ap.add_argument("--exclude", action="append", default=[], help="a set whose fit and calib rows are left out")
    args = ap.parse_args(argv)
    n = write_encoder_rows(args.data, args.out, args.seed, args.limit, frozenset(args.exclude))
    print(f"wrote {n} rows to {args.out}")


if __name__ == "__main__":
    main()
