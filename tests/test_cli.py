"""The command line, run as a user would: ``python -m minicgmvae ...`` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "minicgmvae", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def env(data_env: Path) -> dict[str, str]:
    return {
        k: os.environ[k]
        for k in ("MINICGMVAE_DATA_MIRROR", "MINICGMVAE_DATA_DIR")
        if k in os.environ
    }


def test_help_lists_the_commands(env):
    out = run(["--help"], env)
    assert out.returncode == 0
    for command in (
        "datasets",
        "baseline",
        "train",
        "evaluate",
        "ablate",
        "efficiency",
        "benchmark",
    ):
        assert command in out.stdout


def test_datasets_table(env):
    out = run(["datasets"], env)
    assert out.returncode == 0, out.stderr
    lines = {line.split()[0]: line for line in out.stdout.splitlines() if line.strip()}
    assert "yeast" in lines and "2417" in lines["yeast"] and "14" in lines["yeast"]
    assert "delicious" in lines and "983" in lines["delicious"]


def test_baseline_prints_and_writes_both_protocols(env, tmp_path):
    out = run(["baseline", "--dataset", "emotions", "--method", "br", "--out", str(tmp_path)], env)
    assert out.returncode == 0, out.stderr
    assert "br paper" in out.stdout and "br honest" in out.stdout
    record = json.loads((tmp_path / "baseline-emotions-br.json").read_text())
    assert {"paper", "honest", "honest-per-metric", "t=0.5"} <= set(record["protocols"])
    assert 0 < record["protocols"]["paper"]["metrics"]["example_f1"] <= 1


def test_train_then_evaluate(env, tmp_path):
    out = run(
        [
            "train",
            "--dataset",
            "emotions",
            "--seeds",
            "2",
            "--epochs",
            "2",
            "--quiet",
            "--device",
            "cpu",
            "--set",
            "embed_dim=64",
            "--out",
            str(tmp_path),
        ],
        env,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "metrics.json").read_text())
    assert [r["seed"] for r in result["runs"]] == [1, 2]
    assert result["model_config"]["embed_dim"] == 64
    stats = result["summary"]["paper"]["example_f1"]
    assert stats["n"] == 2 and 0 < stats["mean"] <= 1
    assert result["provenance"]["torch"]
    out = run(
        ["evaluate", str(tmp_path / "seed-1.pt"), "--dataset", "emotions", "--device", "cpu"], env
    )
    assert out.returncode == 0, out.stderr
    assert "paper" in out.stdout and "honest" in out.stdout
    # the evaluation of the saved checkpoint reproduces the recorded numbers
    line = next(x for x in out.stdout.splitlines() if x.startswith("paper"))
    recorded = result["runs"][0]["protocols"]["paper"]["metrics"]["example_f1"]
    assert f"{recorded:.3f}" in line
    # a checkpoint evaluated on a dataset with another label count: a clear error
    out = run(
        ["evaluate", str(tmp_path / "seed-1.pt"), "--dataset", "yeast", "--device", "cpu"], env
    )
    assert out.returncode == 2 and "labels" in out.stderr and "Traceback" not in out.stderr

    # A record written before a protocol existed: re-scoring the folder adds it back, and the
    # protocols it kept must be reproduced by the checkpoints.
    older = json.loads((tmp_path / "metrics.json").read_text())
    for r in older["runs"]:
        del r["protocols"]["honest-per-metric"]
    del older["summary"]["honest-per-metric"]
    (tmp_path / "metrics.json").write_text(json.dumps(older))
    rescore = ["evaluate", str(tmp_path), "--dataset", "emotions", "--device", "cpu"]
    out = run([*rescore, "--update"], env)
    assert out.returncode == 0, out.stderr
    assert "seeds [1, 2] reproduce" in out.stdout and "added: honest-per-metric" in out.stdout
    again = json.loads((tmp_path / "metrics.json").read_text())
    for r_new, r_old in zip(again["runs"], result["runs"]):
        assert r_new["protocols"] == r_old["protocols"]
        assert r_new["history"] == r_old["history"]
    assert again["summary"] == result["summary"]
    assert again["rescored"][-1]["added"] == ["honest-per-metric"]
    # a stored number the checkpoint does not give: refused, nothing rewritten
    again["runs"][1]["protocols"]["paper"]["metrics"]["micro_f1"] += 0.01
    (tmp_path / "metrics.json").write_text(json.dumps(again))
    out = run([*rescore, "--update"], env)
    assert out.returncode == 2 and "does not reproduce" in out.stderr and "seed 2" in out.stderr
    assert json.loads((tmp_path / "metrics.json").read_text()) == again
    # another dataset's folder
    out = run(["evaluate", str(tmp_path), "--dataset", "yeast", "--device", "cpu"], env)
    assert out.returncode == 2 and "'emotions' run" in out.stderr
    # a run scored on a GPU, re-scored by default where there is none: told how to go on
    if not __import__("torch").cuda.is_available():
        again["provenance"]["device"] = "cuda"
        (tmp_path / "metrics.json").write_text(json.dumps(again))
        out = run(["evaluate", str(tmp_path), "--dataset", "emotions", "--update"], env)
        assert out.returncode == 2 and "was scored on 'cuda'" in out.stderr
        assert "--device cpu" in out.stderr and "Traceback" not in out.stderr
        assert json.loads((tmp_path / "metrics.json").read_text()) == again


def test_bad_input_gives_one_clear_line(env, tmp_path):
    out = run(["baseline", "--dataset", "yaest", "--method", "br"], env)
    assert out.returncode == 2
    assert "yeast" in out.stderr and "Traceback" not in out.stderr
    if not __import__("torch").cuda.is_available():
        out = run(["train", "--dataset", "emotions", "--epochs", "1", "--device", "cuda"], env)
        assert out.returncode == 2 and "no CUDA GPU" in out.stderr
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    out = run(["evaluate", str(tmp_path / "junk.pt"), "--dataset", "emotions"], env)
    assert out.returncode == 2 and "corrupt" in out.stderr


def test_ablate_and_efficiency_write_json_and_resume(env, tmp_path):
    out = tmp_path / "ablation.json"
    args = ["ablate", "--dataset", "emotions", "--seeds", "1", "--epochs", "1", "--quiet"]
    first = run([*args, "--variants", "cgmvae", "--out", str(out)], env)
    assert first.returncode == 0, first.stderr
    assert "cgmvae" in first.stdout and "z_effect" in first.stdout
    again = run([*args, "--variants", "cgmvae", "kl_0", "--out", str(out), "--resume"], env)
    assert again.returncode == 0, again.stderr
    record = json.loads(out.read_text())
    assert list(record["variants"]) == ["cgmvae", "kl_0"]
    assert record["epochs"] == 1 and record["seeds"] == [1]

    eff = tmp_path / "efficiency.json"
    res = run(
        [
            "efficiency",
            "--dataset",
            "emotions",
            "--seeds",
            "1",
            "--epochs",
            "1",
            "--quiet",
            "--fractions",
            "0.5",
            "--methods",
            "br",
            "--out",
            str(eff),
        ],
        env,
    )
    assert res.returncode == 0, res.stderr
    cells = json.loads(eff.read_text())["cells"]
    assert set(cells) == {"br|0.5|random", "br|0.5|first"}


def test_benchmark_times_label_subsets_and_records_provenance(env, tmp_path):
    out = tmp_path / "bench.json"
    res = run(
        [
            "benchmark",
            "--datasets",
            "emotions",
            "--labels",
            "3",
            "6",
            "--epochs",
            "1",
            "--threads",
            "1",
            "--embed-dim",
            "64",
            "--repeat",
            "2",
            "--out",
            str(out),
        ],
        env,
    )
    assert res.returncode == 0, res.stderr
    record = json.loads(out.read_text())
    # the label counts take turns, and each pair of runs is summarised in one line
    assert [r["n_labels"] for r in record["rows"]] == [3, 6, 3, 6]
    assert all(r["epoch_seconds"] > 0 and r["peak_memory_mib"] > 0 for r in record["rows"])
    assert all(r["epoch_seconds_min"] <= r["epoch_seconds"] for r in record["rows"])
    assert all(r["page_faults_per_epoch"] >= 0 for r in record["rows"])
    summary = res.stdout.split("over 2 runs each")[1]
    assert "emotions        3 labels:" in summary and "emotions        6 labels:" in summary
    assert record["provenance"]["torch_threads"] == 1 and "--labels 3 6" in record["command"]
