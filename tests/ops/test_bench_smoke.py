"""The benchmark harness itself works: ``bench/api.py`` starts a real server, drives it with its load client
(bench/loadclient.py) and reports every request it sent, none failed. Figures are not checked here: they
belong to the README, measured by the scripts, not to a timed test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_api_bench_runs_and_counts_every_request() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "api.py"), "--seconds", "0.5", "--concurrency", "2", "--json"],
                         capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = {r["workload"]: r for r in json.loads(out.stdout)["rows"]}
    assert set(rows) == {"post", "read100"}
    for row in rows.values():
        assert row["ok"] > 0 and row["errors"] == 0, row
    assert set(rows["post"]["statuses"]) <= {"published", "held", "rejected"}
    assert rows["read100"]["statuses"] == {"200": rows["read100"]["ok"]}


def test_soak_bench_runs_with_live_readers_and_reports_no_error() -> None:
    """A miniature of ``bench/load.py``: live streams open, writes and page reads are answered, events are
    delivered to the streams, nothing fails (the README's soak figures come from the full-size run)."""
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), "--seconds", "3", "--readers", "20",
                          "--writers", "4", "--read-every", "1", "--json"],
                         capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout)
    assert report["sse_opened"] == 20 and report["sse_failed"] == 0 and report["sse_dropped"] == 0, report
    assert report["writes"] > 0 and report["write_errors"] == 0, report
    assert report["reads"] > 0 and report["read_errors"] == 0, report
    assert report["sse_events_delivered"] > 0, report


def test_civil_agreement_bench_scores_annotators_and_the_cascade_on_the_same_labels(shared_data: Path) -> None:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "civil_agreement.py"), "--data", str(shared_data),
                          "--draws", "3", "--json"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = {r["label"]: r for r in json.loads(out.stdout)}
    assert set(rows) == {"abusive", "obscene"}
    for row in rows.values():
        assert row["posts"] > 500 and 0 < row["positives"] < 1, row
        assert 0.5 < row["annotator_auc"] < 1 and 0.5 < row["cascade_auc"] < 1, row


def test_viewpoint_bench_scores_every_opinion_with_each_model() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "viewpoint.py"), "--json"],
                         capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = {r["model"]: r for r in json.loads(out.stdout)}
    assert set(rows) == {"cascade", "linear", "encoder_all"}
    for row in rows.values():
        assert row["comments"] >= 100 and row["held"] == len(row["held_comments"]), row


def test_startup_bench_sees_the_server_answer_and_read_its_index_back() -> None:
    """``bench/startup.py`` in small: the server answers, then logs (at the default level, on its own
    logger) that it read the paid-troll index back in the background."""
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "startup.py"), "--comments", "2000"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    assert "answered /healthz" in out.stdout and "read back 2,000 comments" in out.stdout, out.stdout


def test_encoder_ops_bench_times_both_graphs_and_the_served_one_stays_unfused() -> None:
    """``bench/encoder_ops.py`` in miniature. Its profile also shows what no other test can: the session
    Townhall opens keeps the layer norms unfused (ONNX Runtime would fuse them back), and the fused one has them."""
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "encoder_ops.py"), "--runs", "3", "--json"],
                         capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout)
    assert [t["tokens"] for t in report["timings"]] == [16, 32, 48, 64, 128]
    assert all(t["fused_ms"] > 0 and t["unfused_ms"] > 0 for t in report["timings"])
    assert report["largest_logit_difference"] < 0.05
    fused, unfused = report["profile_us"]["fused"], report["profile_us"]["unfused"]
    assert "SkipLayerNormalization" in fused and "LayerNormalization" not in fused
    assert "SkipLayerNormalization" not in unfused and "LayerNormalization" in unfused


def test_classifier_bench_times_every_model_in_a_steady_state(shared_data: Path, tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "classifiers.py"), "--data", str(shared_data),
                          "--speed-only", "--sample", "60", "--json", str(tmp_path / "bench.json")],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))
    assert "auc" not in report
    for sample in ("civil_dev", "traffic_like"):
        assert report["samples"][sample]["n"] == 60 and report["samples"][sample]["warm_up"] == 60
        figures = report["speed"][sample]
        assert set(figures) == {"cascade", "linear", "encoder_all", "alt_profanity_check"}
        assert all(f["cpu"] > 0 and f["wall_p99"] >= f["wall_p50"] > 0 for f in figures.values())
        assert figures["linear"]["encoder_share"] == 0 and figures["encoder_all"]["encoder_share"] == 1


def test_crossset_bench_trains_without_the_left_out_source(shared_data: Path, tmp_path: Path) -> None:
    """A miniature of ``bench/crossset.py``: the model trained without a source is scored on that source's
    dev rows only, beside the published figures."""
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "crossset.py"), "--data", str(shared_data),
                          "--limit", "300", "--only", "olid", "--json", str(tmp_path / "crossset.json")],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = json.loads((tmp_path / "crossset.json").read_text(encoding="utf-8"))["rows"]
    assert {(r["set"], r["task"]) for r in rows} == {("olid", "offensive"), ("olid", "targeted_insult"),
                                                     ("tweeteval_offensive", "offensive")}
    for r in rows:
        assert r["left_out"] == "olid" and r["n"] > 0 and 0.0 <= r["unseen_auc"] <= 1.0
        assert r["shipped_linear_auc"] is not None and r["alt_profanity_check_auc"] is not None


def test_crossset_encoder_bench_reads_each_run_for_its_column(shared_data: Path, tmp_path: Path) -> None:
    """A miniature of ``bench/crossset_encoder.py``. Fine-tuning needs PyTorch, so each run folder's
    ``scores.npz`` here holds the shipped linear stage's logits for the run's dev rows, and the run without
    OLID holds them negated: on a one-label task the script must report 1 - AUC of the first run in its
    "unseen" column (on an "any" task, the larger of two negated scores is not the negated larger one)."""
    import gzip

    import numpy as np

    from townhall.policy.classifiers import load_model

    linear = load_model(encoder=False)
    files = {}
    for name, extra in (("all", []), ("olid", ["--exclude", "olid"])):
        rows_file = tmp_path / f"{name}.jsonl.gz"
        made = subprocess.run([sys.executable, "-m", "townhall.training.encoder_data", "--data", str(shared_data),
                               "--out", str(rows_file), "--limit", "150", *extra],
                              capture_output=True, text=True, timeout=180, cwd=ROOT)
        assert made.returncode == 0, made.stderr[-3000:]
        with gzip.open(rows_file, "rt", encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh]
        held = [i for i, r in enumerate(rows) if r["sp"] in ("calib", "dev")]
        p = linear.score([rows[i]["t"] for i in held])
        probs = np.clip(np.stack([p["abusive"], p["obscene"]], 1), 1e-6, 1 - 1e-6)
        logits = np.log(probs / (1 - probs))
        (tmp_path / name).mkdir()
        np.savez_compressed(tmp_path / name / "scores.npz", rows=np.array(held),
                            logits=logits if name == "all" else -logits)
        files[name] = (str(rows_file), str(tmp_path / name))
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "crossset_encoder.py"), "--data", str(shared_data),
                          "--limit", "150", "--all", *files["all"], "--left-out", "olid", *files["olid"],
                          "--json", str(tmp_path / "out.json")], capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["rows"]
    assert {(r["set"], r["task"]) for r in rows} == {("olid", "offensive"), ("olid", "targeted_insult"),
                                                     ("tweeteval_offensive", "offensive")}
    for r in rows:
        assert r["left_out"] == "olid" and 0.0 < r["encoder_all_sources_auc"] < 1.0
        if r["task"] == "targeted_insult":  # the abusive score alone
            assert abs(r["encoder_unseen_auc"] - (1 - r["encoder_all_sources_auc"])) < 2e-4, r
        else:
            assert r["encoder_unseen_auc"] < 0.5 < r["encoder_all_sources_auc"], r
        assert r["linear_unseen_auc"] is not None  # beside docs/training/crossset.json's figures



@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_rerender_bench_renders_every_comment(database: str, request: pytest.FixtureRequest) -> None:
    """``bench/rerender.py`` in small, on SQLite and on a temporary PostgreSQL database it drops after."""
    if database == "postgres":
        request.getfixturevalue("postgres")  # reachable (or the suite says why not)
    extra = ["--postgres"] if database == "postgres" else []
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "rerender.py"), "--n", "1200", *extra],
                         capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "1,200 comments rendered again in" in out.stdout, out.stdout
