"""The command line, run as a user would: ``python -m minicgmvae ...`` in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "minicgmvae"


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
        "predict",
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
    # a pickle of arbitrary objects: refused in one line, without advice to load it unsafely
    __import__("torch").save({"format": "x", "obj": ValueError("x")}, tmp_path / "pickle.pt")
    out = run(["evaluate", str(tmp_path / "pickle.pt"), "--dataset", "emotions"], env)
    assert out.returncode == 2 and "could run code" in out.stderr
    assert "weights_only" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


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


# --- --help and --version stay light -----------------------------------------------------------
LIGHT = """
import sys, types
package = types.ModuleType("minicgmvae")  # the CLI module alone, without the package root
package.__path__ = [{package!r}]
sys.modules["minicgmvae"] = package
from minicgmvae.cli import main
for argv in (["--help"], ["--version"], ["train", "--help"], ["predict", "--help"]):
    try:
        main(argv)
    except SystemExit as exit:
        assert exit.code == 0, (argv, exit.code)
    heavy = sorted({{"torch", "sklearn"}} & set(sys.modules))
    assert not heavy, (argv, heavy)
"""


def test_help_and_version_import_neither_torch_nor_sklearn():
    code = LIGHT.format(package=str(PACKAGE))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "usage: python -m minicgmvae" in out.stdout and "minicgmvae 0." in out.stdout


def test_python_dash_m_help_is_light_end_to_end():
    code = (
        "import runpy, sys; sys.argv = ['minicgmvae', '--help']\n"
        "try:\n    runpy.run_module('minicgmvae', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "assert not {'torch', 'sklearn'} & set(sys.modules), sorted(sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


# --- every value checked before any work -------------------------------------------------------
def call(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``python -m minicgmvae ARGS`` in this process: (status, stdout, stderr)."""
    from minicgmvae.cli import main

    try:
        status = main(args)
    except SystemExit as exit:  # argparse's own errors
        status = exit.code
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--dataset", "emotions", "--epochs", "0"], "--epochs: must be an integer >= 1"),
        (["train", "--dataset", "emotions", "--epochs", "-2"], "integer >= 1, got '-2'"),
        (["train", "--dataset", "emotions", "--seeds", "0"], "--seeds: must be an integer >= 1"),
        (["train", "--dataset", "emotions", "--first-seed", "-1"], "integer >= 0"),
        (["train", "--dataset", "emotions", "--threads", "0"], "--threads: must be an integer"),
        (["train", "--dataset", "emotions", "--val-fraction", "1"], "a number in [0, 1)"),
        (["train", "--dataset", "emotions", "--val-fraction", "nan"], "a number in [0, 1)"),
        (["train", "--dataset", "emotions", "--set", "nosuchkey=3"], "unknown key 'nosuchkey'"),
        (["train", "--dataset", "emotions", "--set", "lr=abc"], "lr must be a number"),
        (["train", "--dataset", "emotions", "--set", "epochs=2.5"], "epochs must be an integer"),
        (["train", "--dataset", "emotions", "--set", "lr"], "expects KEY=VALUE"),
        (["train", "--dataset", "emotions", "--set", "n_labels=3"], "set by the data"),
        (["train", "--dataset", "emotions", "--set", "dropout=1.5"], "dropout must be in [0, 1)"),
        (["train", "--dataset", "emotions", "--set", "prior=gmm"], "Unknown prior 'gmm'"),
        (["train", "--dataset", "emotions", "--set", "decoder_sees_x=2"], "true or false"),
        (["train", "--dataset", "emotions", "--set", "epochs=3", "--epochs", "3"], "once"),
        (["train", "--dataset", "emotions", "--resume"], "give --out"),
        (["train", "--dataset", "yaest"], "Did you mean 'yeast'?"),
        (["train", "--dataset", "sider"], "cannot be loaded"),
        (["train"], "Give --dataset NAME"),
        (["train", "--dataset", "emotions", "--n-labels", "3"], "go with --data"),
        (["train", "--data", "nothere.csv", "--n-labels", "2"], "nothere.csv: no such file"),
        (["predict", "--model", "m.pt", "--input", "x.csv", "--threshold", "1"], "in (0, 1)"),
        (
            ["predict", "--model", "m.pt", "--input", "x.csv", "--threshold", "0.5", "--proba"],
            "drop --proba",
        ),
        (["predict", "--model", "nothere.pt", "--input", "x.csv"], "nothere.pt: no such file"),
        (["baseline", "--dataset", "emotions", "--method", "svm"], "invalid choice: 'svm'"),
        (["baseline", "--dataset", "emotions", "--method", "br", "--seed", "-3"], ">= 0"),
        (["ablate", "--dataset", "emotions", "--variants", "nope"], "invalid choice: 'nope'"),
        (["ablate", "--dataset", "emotions", "--resume"], "give --out"),
        (["efficiency", "--dataset", "emotions", "--fractions", "0"], "a number in (0, 1]"),
        (["efficiency", "--dataset", "emotions", "--fractions", "1.5"], "a number in (0, 1]"),
        (["efficiency", "--dataset", "emotions", "--methods", "svm"], "invalid choice"),
        (["evaluate", "x.pt", "--dataset", "yaest"], "Did you mean 'yeast'?"),
        (["benchmark", "--datasets", "yaest"], "Did you mean 'yeast'?"),
        (["benchmark", "--datasets", "emotions", "--labels", "9"], "emotions has only 6 labels"),
        (["benchmark", "--epochs", "0"], "--epochs: must be an integer >= 1"),
        (["benchmark", "--repeat", "0"], "--repeat: must be an integer >= 1"),
    ],
)
def test_a_bad_value_stops_the_command_with_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MINICGMVAE_DATA_DIR", str(tmp_path / "cache"))
    status, out, err = call(args, capsys)
    assert status == 2, (out, err)
    assert message in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith(("error: ", "python -m minicgmvae"))
    assert not (tmp_path / "cache").exists()  # nothing was downloaded


def test_the_valid_set_keys_are_listed(capsys):
    status, _, err = call(["train", "--dataset", "emotions", "--set", "nosuchkey=3"], capsys)
    assert status == 2
    for key in ("lr", "epochs", "embed_dim", "prior", "kl_weight", "batch_size"):
        assert key in err.split("Valid keys:")[1]
    assert "n_features" not in err.split("Valid keys:")[1]


def test_set_values_are_parsed_to_the_fields_type():
    from minicgmvae.cli import parse_settings

    got = parse_settings(
        ["lr=2e-3", "epochs=7", "feature_hidden=64,32", "decoder_sees_x=false", "prior=mixture"]
    )
    assert got == {
        "lr": 0.002,
        "epochs": 7,
        "feature_hidden": (64, 32),
        "decoder_sees_x": False,
        "prior": "mixture",
    }


def test_a_checkpoint_of_another_size_is_refused_before_any_download(capsys, tmp_path, monkeypatch):
    from minicgmvae.checkpoint import save_checkpoint
    from minicgmvae.config import ModelConfig

    monkeypatch.setenv("MINICGMVAE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MINICGMVAE_DATA_MIRROR", str(tmp_path / "no-mirror"))
    ckpt = tmp_path / "seed-1.pt"
    config = ModelConfig(n_features=72, n_labels=6).to_dict()
    save_checkpoint(ckpt, {"model_config": config, "state_dict": {}, "dataset": "emotions"})
    status, _, err = call(["evaluate", str(ckpt), "--dataset", "yeast"], capsys)
    assert status == 2 and "72 features and 6 labels; 'yeast' has 103 and 14" in err
    assert not (tmp_path / "cache").exists()


def test_a_benchmark_child_error_is_relayed_in_one_line():
    from minicgmvae.studies.benchmark import ChildError, _run_child

    fail = "import sys; print('Traceback (noise)', file=sys.stderr); "
    fail += "print('error: boom in the child', file=sys.stderr); sys.exit(2)"
    with pytest.raises(ChildError, match="^boom in the child$"):
        _run_child([sys.executable, "-c", fail])


# --- your own data: train --data, predict ------------------------------------------------------
def write_csv(path: Path, names: list[str], x: np.ndarray, y: np.ndarray | None = None) -> Path:
    cols = [x] if y is None else [x, y]
    rows = np.hstack(cols)
    fmt = ["%.7g"] * x.shape[1] + ([] if y is None else ["%d"] * y.shape[1])
    np.savetxt(path, rows, fmt=fmt, delimiter=",", header=",".join(names), comments="")
    return path


@pytest.fixture
def emotions_csv(data_env: Path, tmp_path: Path) -> tuple[Path, Path, list[str], list[str]]:
    """emotions' MULAN train and test files as CSV (raw features, then the 6 label columns)."""
    import minicgmvae as mc

    d = mc.load_dataset("emotions", standardize=False, val_fraction=0.0, progress=False)
    names = d.feature_names + d.label_names
    train = write_csv(tmp_path / "emotions-train.csv", names, d.x_train, d.y_train)
    test = write_csv(tmp_path / "emotions-test.csv", names, d.x_test, d.y_test)
    return train, test, d.feature_names, d.label_names


SMALL = ["--set", "embed_dim=32", "--set", "feature_hidden=64,64", "--set", "label_hidden=64"]


def test_train_on_a_csv_then_predict(env, emotions_csv, tmp_path):
    import minicgmvae as mc

    train, test, features, labels = emotions_csv
    out_dir = tmp_path / "run"
    args = ["train", "--data", str(train), "--test-data", str(test), "--n-labels", "6"]
    res = run(
        [*args, "--epochs", "4", "--seeds", "2", *SMALL, "--quiet", "--out", str(out_dir)], env
    )
    assert res.returncode == 0, res.stderr
    assert f"wrote {out_dir / 'predictor.pt'}" in res.stdout
    record = json.loads((out_dir / "metrics.json").read_text())
    assert record["dataset"] == "emotions" and record["split"]["n_test"] == 202
    assert "--data" in record["split"]["source"]
    chosen = record["predictor"]
    run_of = {r["seed"]: r for r in record["runs"]}[chosen["seed"]]
    assert chosen["seed"] == max(record["runs"], key=lambda r: r["best_val_score"])["seed"]
    honest = run_of["protocols"]["honest"]
    assert chosen["threshold"] == honest["thresholds"]["macro_f1"]

    # predict on the test CSV (its label columns are left out): the honest protocol's numbers
    preds = tmp_path / "preds.csv"
    res = run(
        [
            "predict",
            "--model",
            str(out_dir / "predictor.pt"),
            "--input",
            str(test),
            "--out",
            str(preds),
        ],
        env,
    )
    assert res.returncode == 0, res.stderr
    assert "columns not read by the model: " + ", ".join(labels) in res.stderr
    lines = preds.read_text().splitlines()
    assert lines[0] == ",".join(labels) and len(lines) == 1 + 202
    y_pred = np.loadtxt(preds, delimiter=",", skiprows=1, dtype=int)
    y_test = np.loadtxt(test, delimiter=",", skiprows=1)[:, -6:]
    for metric in ("example_f1", "micro_f1", "macro_f1", "hamming_accuracy"):
        assert getattr(mc, metric)(y_test, y_pred) == pytest.approx(
            honest["metrics"][metric], abs=1e-12
        )
    # probabilities to stdout, from a file of the features alone, without a header
    bare = tmp_path / "bare.csv"
    np.savetxt(
        bare, np.loadtxt(test, delimiter=",", skiprows=1)[:5, :-6], delimiter=",", fmt="%.7g"
    )
    res = run(
        ["predict", "--model", str(out_dir / "predictor.pt"), "--input", str(bare), "--proba"], env
    )
    assert res.returncode == 0, res.stderr
    proba = np.loadtxt(res.stdout.splitlines()[1:], delimiter=",", dtype=np.float32)
    expected = mc.load_predictor(out_dir / "predictor.pt").predict_proba(
        np.loadtxt(bare, delimiter=",", dtype=np.float32)
    )
    np.testing.assert_array_equal(proba, expected)


def test_predict_reports_a_bad_input_file_in_one_line(capsys, tmp_path):
    import minicgmvae as mc

    est = mc.CGMVAEClassifier(
        embed_dim=8,
        latent_dim=4,
        feature_hidden=(8,),
        label_hidden=(8,),
        decoder_hidden=8,
        epochs=1,
        device="cpu",
        random_state=0,
    )
    rng = np.random.default_rng(0)
    est.fit(rng.normal(size=(30, 3)), (rng.random((30, 2)) < 0.5).astype(int))
    model = est.save(tmp_path / "predictor.pt")
    cases = {
        "f0,f1,f2\n1,2,3\n4,,6\n": r"line 3, column 2 ('f1'): missing value",
        "f0,f1,f2\n1,2,3\n4,five,6\n": "line 3, column 2 ('f1'): 'five' is not a number",
        "f0,f1,x\n1,2,3\n": "lacks 1 of the model's 3 features: 'f2'",
        "1,2\n": "has 2 columns and no header row; the model reads 3 features",
        "": "is empty",
    }
    for i, (text, message) in enumerate(cases.items()):
        path = tmp_path / f"in{i}.csv"
        path.write_text(text)
        status, _, err = call(["predict", "--model", str(model), "--input", str(path)], capsys)
        assert status == 2 and message in err and str(path) in err, err
        assert len(err.strip().splitlines()) == 1


def test_train_on_arff_files_of_your_own(env, data_env, tmp_path):
    from minicgmvae.data.download import fetch

    files = {
        f: fetch("emotions", f, progress=False)
        for f in ("emotions-train.arff", "emotions-test.arff", "emotions.xml")
    }
    res = run(
        [
            "train",
            "--data",
            str(files["emotions-train.arff"]),
            "--test-data",
            str(files["emotions-test.arff"]),
            "--xml",
            str(files["emotions.xml"]),
            "--epochs",
            "1",
            "--seeds",
            "1",
            *SMALL,
            "--quiet",
            "--out",
            str(tmp_path),
        ],
        env,
    )
    assert res.returncode == 0, res.stderr
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["split"]["n_test"] == 202 and (tmp_path / "predictor.pt").is_file()


def test_train_resume_after_a_kill_ends_like_an_uninterrupted_run(env, emotions_csv, tmp_path):
    train, _, _, _ = emotions_csv
    base = [
        "train",
        "--data",
        str(train),
        "--n-labels",
        "6",
        "--epochs",
        "40",
        "--seeds",
        "1",
        *SMALL,
        "--set",
        "decoder_hidden=64",
        "--device",
        "cpu",
        "--quiet",
        "--threads",
        "1",
        "--checkpoint-every",
        "1",
    ]
    whole = run([*base, "--out", str(tmp_path / "whole")], env)
    assert whole.returncode == 0, whole.stderr

    # the same run, killed (SIGKILL: no clean-up) once its first checkpoint is on disk
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "minicgmvae", *base, "--out", str(killed)],
        cwd=REPO,
        env={**os.environ, "OMP_NUM_THREADS": "1", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while not (killed / "seed-1.pt").exists() and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    import torch

    stopped_at = torch.load(killed / "seed-1.pt", weights_only=True)["epoch"]
    assert 1 <= stopped_at < 40 and not (killed / "metrics.json").exists()

    resumed = run([*base, "--out", str(killed), "--resume"], env)
    assert resumed.returncode == 0, resumed.stderr
    a = json.loads((tmp_path / "whole" / "metrics.json").read_text())
    b = json.loads((killed / "metrics.json").read_text())
    for r_a, r_b in zip(a["runs"], b["runs"]):
        assert r_a["protocols"] == r_b["protocols"] and r_a["history"] == r_b["history"]
        assert (r_a["best_epoch"], r_a["best_val_score"]) == (
            r_b["best_epoch"],
            r_b["best_val_score"],
        )
    assert a["summary"] == b["summary"]
    assert a["predictor"]["threshold"] == b["predictor"]["threshold"]


def test_train_data_checks_before_training(capsys, tmp_path):
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("a,b,sad\n1,2,0\n3,4,1\n")
    status, _, err = call(["train", "--data", str(tiny), "--n-labels", "1"], capsys)
    assert status == 2 and "The validation part of 'tiny' is empty" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,sad\n1,2,0\n3,x,1\n")
    status, _, err = call(["train", "--data", str(bad), "--n-labels", "1"], capsys)
    assert status == 2 and f"{bad}, line 3, column 2 ('b'): 'x' is not a number" in err
    status, _, err = call(["train", "--data", str(bad)], capsys)
    assert status == 2 and "--label-columns NAME ... or --n-labels K" in err
    status, _, err = call(["train", "--data", str(bad), "--xml", str(bad)], capsys)
    assert status == 2 and "--xml names the labels of ARFF files" in err


# ------------------------------------------------------------------ own data, as it comes
TINY_NET = ["--set", "embed_dim=8", "--set", "latent_dim=4", "--set", "feature_hidden=8",
            "--set", "label_hidden=8", "--set", "decoder_hidden=8"]


def _tiny_predictor(tmp_path: Path, n_features: int = 3, n_labels: int = 2,
                    x: np.ndarray | None = None, y: np.ndarray | None = None) -> Path:
    import minicgmvae as mc

    rng = np.random.default_rng(0)
    if x is None:
        x = rng.normal(size=(30, n_features))
        y = (rng.random((30, n_labels)) < 0.5).astype(int)
    est = mc.CGMVAEClassifier(embed_dim=8, latent_dim=4, feature_hidden=(8,), label_hidden=(8,),
                              decoder_hidden=8, epochs=1, device="cpu", random_state=0)
    return est.fit(x, y).save(tmp_path / "predictor.pt")


def test_train_out_naming_an_existing_file_is_one_line_not_a_traceback(capsys, tmp_path):
    """``train --out`` naming an existing file: one line, status 2 (was FileExistsError)."""
    data = tmp_path / "mine.csv"
    data.write_text("a,b,sad\n1,2,0\n3,4,1\n")
    taken = tmp_path / "taken"
    taken.write_text("")
    status, _, err = call(["train", "--data", str(data), "--n-labels", "1", "--out", str(taken)],
                          capsys)
    assert status == 2 and err.strip() == (
        f"error: --out {taken} is a file; give a folder (train writes metrics.json, the "
        "checkpoints and predictor.pt into it).")


def test_predict_out_naming_a_folder_is_one_line_not_a_traceback(capsys, tmp_path):
    """``predict --out`` naming a folder: one line, status 2 (was IsADirectoryError); a
    path under a file (an OSError) is one line too."""
    model = _tiny_predictor(tmp_path)
    rows = tmp_path / "rows.csv"
    rows.write_text("f0,f1,f2\n1,2,3\n")
    args = ["predict", "--model", str(model), "--input", str(rows), "--out"]
    status, _, err = call([*args, str(tmp_path)], capsys)
    assert status == 2 and err.strip() == (
        f"error: --out {tmp_path} is a folder; give the CSV file to write, e.g. --out "
        f"{tmp_path / 'labels.csv'}.")
    status, _, err = call([*args, str(rows / "under-a-file.csv")], capsys)  # an OSError
    assert status == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_train_on_a_pandas_file_without_out_says_so_warns_and_prints_honest_first(
    capsys, tmp_path
):
    """Own data as pandas writes it (index column, True/False labels, one label never
    present): the index is left out, the empty label is warned by name, ``train`` without
    ``--out`` says nothing will be saved, the new-data settings are used, and the honest
    protocol is printed first (the paper's marked as tuned on test)."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(80, 4)), columns=list("abcd"))
    frame["sad"] = frame["a"] > 0
    frame["never"] = False
    frame.to_csv(tmp_path / "mine.csv")  # with pandas' index, the default
    args = ["train", "--data", str(tmp_path / "mine.csv"), "--label-columns", "sad", "never",
            "--epochs", "2", "--seeds", "1", "--quiet", "--device", "cpu", *TINY_NET]
    status, out, err = call(args, capsys)
    assert status == 0, err
    assert f"read {tmp_path / 'mine.csv'}: ','-separated; its first column, pandas' index, " \
           "left out" in err
    assert "warning: in the training part" in err and "no positive example for 1 label(s): " \
           "'never'" in err
    assert "note: no --out, so nothing will be saved" in err
    assert "the settings for new data" in err and "embedding 8" in err
    rows = [line for line in out.splitlines() if line.startswith("minicgmvae, ")]
    assert rows[0].startswith("minicgmvae, honest")
    assert any(r.startswith("minicgmvae, paper (thresholds tuned on test)") for r in rows)


def test_evaluate_accepts_a_predictor_file(capsys, tmp_path, data_env):
    """``evaluate predictor.pt`` scores the predictor (it used to say the file "may be a
    bare state_dict or another project's file"); one of another size gets one line."""
    import minicgmvae as mc

    d = mc.load_dataset("emotions", standardize=False)
    model = _tiny_predictor(tmp_path, x=d.x_train, y=d.y_train.astype(int))
    status, out, err = call(["evaluate", str(model), "--dataset", "emotions"], capsys)
    assert status == 0, err
    assert "predictor from CGMVAEClassifier" in out and "honest" in out
    (tmp_path / "small").mkdir()
    small = _tiny_predictor(tmp_path / "small")
    status, _, err = call(["evaluate", str(small), "--dataset", "emotions"], capsys)
    assert status == 2 and "is a predictor of 3 features and 2 labels; 'emotions' has 72" in err
    # a file of pickled objects: one line, and no advice to load it with weights_only=False
    import torch

    torch.save({"format": "x", "code": mc.CGMVAEClassifier}, tmp_path / "pickle.pt")
    status, _, err = call(["evaluate", str(tmp_path / "pickle.pt"), "--dataset", "emotions"],
                          capsys)
    assert status == 2 and "does not load (unpickling them could run code" in err
    assert "weights_only" not in err and len(err.strip().splitlines()) == 1


def test_patience_on_the_command_line(capsys):
    """Early stopping from the command line: --patience N or --set patience=N (none: off)."""
    from minicgmvae.cli import parse_settings

    assert parse_settings(["patience=3"]) == {"patience": 3}
    assert parse_settings(["patience=none"]) == {"patience": None}
    status, _, err = call(["train", "--dataset", "emotions", "--patience", "0"], capsys)
    assert status == 2 and "--patience: must be an integer >= 1" in err
    status, _, err = call(["train", "--dataset", "emotions", "--set", "patience=0"], capsys)
    assert status == 2 and "patience must be None or >= 1" in err
    status, _, err = call(["train", "--dataset", "emotions", "--patience", "2", "--set",
                           "patience=3"], capsys)
    assert status == 2 and "Give the patience once" in err
