"""End to end: ``townhall train --limit`` on a slice of the public data writes a model that loads and scores,
and a report; ``townhall eval`` measures a labelled file at a policy's thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from townhall.cli import build_cli
from townhall.policy.classifiers import ARTIFACTS, FORMAT_VERSION, LABELS, load_model, read_format_version
from townhall.policy.classifiers.encoder import ENCODER_FORMAT_VERSION, CascadeModel, read_encoder_format_version

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def slice_run(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``townhall train --seed 5 --limit 400``, run once for the two tests that read it (a training is ~6 s of CPU):
    its run folder, which the tests only read."""
    out = tmp_path_factory.mktemp("slice") / "run"
    result = CliRunner().invoke(build_cli(), ["train", "--data", str(shared_data), "--out", str(out),
                                              "--seed", "5", "--limit", "400"])
    assert result.exit_code == 0, result.output
    return out


def test_train_small_slice_end_to_end(shared_data: Path, slice_run: Path, tmp_path: Path) -> None:
    out = slice_run
    assert read_format_version(out / "model") == FORMAT_VERSION
    model = load_model(out / "model")
    scores = model.score(["You are a worthless idiot.", "Thank you for the article."])
    assert set(scores) == set(LABELS)
    assert all(np.all((v >= 0) & (v < 1)) for v in scores.values())
    report = json.loads((out / "report.json").read_text())
    assert set(report["thresholds"]) == set(LABELS)
    for th in report["thresholds"].values():
        assert 0 <= th["hold_at"] <= th["reject_at"] <= 1
    assert {t["set"] for t in report["tasks"]} >= {"civil_comments_spans", "olid", "jigsaw2018_sample"}
    assert (out / "report.md").read_text().startswith("# Classifier training report")
    assert (out / "pr_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the same seed and data give the same model
    again = tmp_path / "again"
    assert CliRunner().invoke(build_cli(), ["train", "--data", str(shared_data), "--out", str(again),
                                            "--seed", "5", "--limit", "400"]).exit_code == 0
    with np.load(out / "model" / "weights.npz") as a, np.load(again / "model" / "weights.npz") as b:
        assert all(np.array_equal(a[k], b[k]) for k in a.files)


def test_training_can_leave_a_source_out(shared_data: Path, slice_run: Path, tmp_path: Path) -> None:
    """``TrainConfig.exclude`` (bench/crossset.py) drops the source's fit and calibration rows and keeps its
    dev rows, so that the model is scored on a source it never saw. Compared with the slice trained on every
    source (``slice_run``: the same seed and limit, nothing excluded)."""
    from townhall.training.data import load_all, partition
    from townhall.training.train import TrainConfig, train

    fit, calib, _ = partition(load_all(shared_data, 5, 400))
    n_fit = sum(e.source == "stormfront" for e in fit)
    n_calib = sum(e.source == "stormfront" for e in calib)
    assert n_fit and n_calib
    every = json.loads((slice_run / "report.json").read_text(encoding="utf-8"))
    assert any(t["set"] == "stormfront" for t in every["tasks"])
    meta = {"all": json.loads((slice_run / "model" / "model.json").read_text(encoding="utf-8"))["meta"]}
    results = train(TrainConfig(data=shared_data, out=tmp_path / "without", seed=5, limit=400,
                                exclude=frozenset({"stormfront"})), log=lambda _: None)
    meta["without"] = json.loads((tmp_path / "without" / "model" / "model.json").read_text(encoding="utf-8"))["meta"]
    assert any(t["set"] == "stormfront" for t in results["tasks"])  # type: ignore[union-attr]
    assert meta["all"]["rows_fit"] - meta["without"]["rows_fit"] == n_fit
    assert meta["all"]["rows_calib"] - meta["without"]["rows_calib"] == n_calib


def test_train_attaches_the_encoder_as_second_stage(shared_data: Path, tmp_path: Path) -> None:
    """The CPU half of the encoder's pipeline: fit the blends on a slice with the shipped encoder, write
    ``encoder/``, and load the result as a cascade that scores; the report compares the stages."""
    out = tmp_path / "run"
    result = CliRunner().invoke(build_cli(), ["train", "--data", str(shared_data), "--out", str(out), "--seed", "5",
                                              "--limit", "150", "--encoder", str(ARTIFACTS / "encoder")])
    assert result.exit_code == 0, result.output
    assert "the encoder reads" in result.output
    assert read_encoder_format_version(out / "model" / "encoder") == ENCODER_FORMAT_VERSION
    # retraining against an installed encoder keeps what is tied to its weights: the reference logits and the
    # notes on how it was fine-tuned, quantised and rewritten
    written = out / "model" / "encoder"
    assert (written / "reference.json").read_bytes() == (ARTIFACTS / "encoder" / "reference.json").read_bytes()
    shipped_meta = json.loads((ARTIFACTS / "encoder" / "encoder.json").read_text())["meta"]
    written_meta = json.loads((written / "encoder.json").read_text())["meta"]
    for note in ("finetune", "quantisation", "graph"):
        assert written_meta[note] == shipped_meta[note]
    model = load_model(out / "model")
    assert isinstance(model, CascadeModel)
    scores = model.score(["You are a worthless idiot.", "Thank you for the article."])
    assert scores["abusive"][0] > scores["abusive"][1]
    report = json.loads((out / "report.json").read_text())
    assert report["route_at"] == model.settings.route_at
    assert all("linear_auc" in t and "encoder_all_auc" in t for t in report["tasks"])
    assert "encoder-on-all AUC" in (out / "report.md").read_text()
    # training again without --encoder leaves no stale second stage behind
    assert CliRunner().invoke(build_cli(), ["train", "--data", str(shared_data), "--out", str(out), "--seed", "5",
                                            "--limit", "150"]).exit_code == 0
    assert not (out / "model" / "encoder").exists()


def test_eval_command_on_csv_and_jsonl(tmp_path: Path) -> None:
    rows = [("You are a pathetic idiot and a liar.", 1, 0), ("Thanks, a very useful article.", 0, 0),
            ("What a stupid moron you are.", 1, 0), ("I disagree with the council's budget.", 0, 0),
            ("This is crap, shit and filth.", 0, 1)]
    csv_file = tmp_path / "labels.csv"
    csv_file.write_text("text,y,abusive,obscene\n" + "".join(f'"{t}",{a or o},{a},{o}\n' for t, a, o in rows))
    result = CliRunner().invoke(build_cli(), ["eval", str(csv_file), "--label-column", "y"])
    assert result.exit_code == 0, result.output
    assert "either rule" in result.output and "abusive" in result.output
    jsonl = tmp_path / "labels.jsonl"
    jsonl.write_text("".join(json.dumps({"body": t, "a": a, "o": o}) + "\n" for t, a, o in rows))
    result = CliRunner().invoke(build_cli(), ["eval", str(jsonl), "--text-column", "body",
                                              "--label-column", "abusive=a", "--label-column", "obscene=o"])
    assert result.exit_code == 0, result.output
    abusive_line = next(line for line in result.output.splitlines() if line.startswith("abusive"))
    assert float(abusive_line.split()[3]) == 1.0  # AUC: both insults outrank the three others
    bad = CliRunner().invoke(build_cli(), ["eval", str(csv_file), "--label-column", "missing"])
    assert bad.exit_code != 0 and "missing" in bad.output
    linear_only = CliRunner().invoke(build_cli(), ["eval", str(csv_file), "--label-column", "y", "--route-at", "1"])
    assert linear_only.exit_code == 0, linear_only.output
    assert "the encoder re-read 0.0% of them (route_at 1.0)" in linear_only.output
    everything = CliRunner().invoke(build_cli(), ["eval", str(csv_file), "--label-column", "y", "--route-at", "0"])
    assert "the encoder re-read 100.0% of them (route_at 0.0)" in everything.output


def test_encoder_rows_carry_the_counterfactual_templates(shared_data: Path) -> None:
    """The rows written for fine-tuning the encoder on a GPU hold the training templates in the fit split, and
    none of the held-out ones."""
    from townhall.training.counterfactual import SOURCE, counterfactual_examples
    from townhall.training.encoder_data import encoder_rows

    rows = encoder_rows(shared_data, 13, limit=50)
    templates = [r for _, r in rows if r["s"] == SOURCE]
    train, held = counterfactual_examples(13)
    assert len(templates) == len(train) and {r["sp"] for r in templates} == {"fit"}
    assert {r["o"] for r in templates} == {None} and {r["a"] for r in templates} == {0.0, 1.0}
    assert not {r["t"] for r in templates} & {e.text for e in held}
    assert len(rows) > len(templates)  # the public sets are there too


def test_training_splits_keep_dev_texts_out_of_training(shared_data: Path) -> None:
    """The splits every model reads: the templates join the fit split only, no fit or calib row repeats a dev
    text, and the rows partitioning drops are counted (``townhall train`` logs them)."""
    from townhall.training.data import _key
    from townhall.training.splits import training_splits

    s = training_splits(shared_data, 13, limit=100)
    dev_keys = {_key(e.text) for e in s.dev}
    assert not [e for e in s.fit + s.calib if _key(e.text) in dev_keys]
    assert {e.split for e in s.fit} == {"fit"} and {e.split for e in s.calib} == {"calib"}
    templates = [e for e in s.fit + s.calib + s.dev if e.source == "counterfactual"]
    assert {e.split for e in templates} == {"fit"} and 0 < len(templates) <= s.template_rows
    assert s.held_templates and not {e.text for e in templates} & {e.text for e in s.held_templates}
    assert s.dropped == s.public_rows + s.template_rows - len(s.fit) - len(s.calib) - len(s.dev) > 0


def test_encoder_rows_can_leave_a_source_out(shared_data: Path) -> None:
    """``encoder_data --exclude`` (bench/crossset_encoder.py): no fit or calib row of the set, its dev rows kept."""
    from townhall.training.encoder_data import encoder_rows

    every = [r for _, r in encoder_rows(shared_data, 13, limit=100)]
    without = [r for _, r in encoder_rows(shared_data, 13, limit=100, exclude=frozenset({"stormfront"}))]
    assert {r["sp"] for r in every if r["s"] == "stormfront"} == {"fit", "calib", "dev"}
    assert {r["sp"] for r in without if r["s"] == "stormfront"} == {"dev"}
    assert [r for r in every if r["s"] != "stormfront" or r["sp"] == "dev"] == without
