"""run_baseline: its JSON record, the choice of C on validation only, the new methods, bad
arguments."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from minicgmvae.baselines import binary_relevance, mlp_baseline, run_baseline
from minicgmvae.errors import DataValueError

from helpers.baselines import MLP_KW


def test_run_baseline_record_is_json(data):
    rec = run_baseline(data, "br", seed=0, C_grid=(0.01, 1.0))
    text = json.dumps(rec, allow_nan=False)
    assert json.loads(text)["method"] == "br"
    assert set(rec["protocols"]) == {"paper", "honest", "honest-per-metric", "t=0.5"}
    assert rec["dataset"] == "synthetic" and rec["seed"] == 0
    assert [r["C"] for r in rec["C_search"]] == [0.01, 1.0]
    best = max(rec["C_search"], key=lambda r: r["val_macro_f1"])
    assert rec["params"]["C"] == best["C"]
    assert np.asarray(rec["scores_test"]).shape == data.y_test.shape
    assert {"numpy", "torch", "sklearn", "minicgmvae", "device"} <= set(rec["provenance"])
    assert rec["provenance"]["device"] == "cpu"
    assert rec["wall_time_s"] > 0

    mlp = run_baseline(data, "mlp", seed=0, keep_scores=False, epochs=2, progress=False)
    json.dumps(mlp, allow_nan=False)
    assert "scores_test" not in mlp


def test_c_choice_ignores_test_labels(data):
    d = SimpleNamespace(**vars(data))
    d.y_test = 1 - data.y_test  # different test labels
    a = run_baseline(data, "br", C_grid=(0.01, 0.1, 1.0), keep_scores=False)
    b = run_baseline(d, "br", C_grid=(0.01, 0.1, 1.0), keep_scores=False)
    assert a["params"]["C"] == b["params"]["C"]
    assert a["C_search"] == b["C_search"]


def test_run_baseline_new_methods(data):
    knn = run_baseline(data, "mlknn", seed=0, k=7)
    asl = run_baseline(data, "asl", seed=0, keep_scores=False, epochs=2, progress=False)
    for rec, method in ((knn, "mlknn"), (asl, "asl")):
        json.dumps(rec, allow_nan=False)
        assert rec["method"] == method
        assert set(rec["protocols"]) == {"paper", "honest", "honest-per-metric", "t=0.5"}
    assert knn["params"]["k"] == 7
    assert np.asarray(knn["scores_test"]).shape == data.y_test.shape
    assert asl["params"]["loss"] == "asl" and asl["params"]["epochs"] == 2
    for method in ("mlknn", "asl"):
        with pytest.raises(ValueError, match="C_grid"):
            run_baseline(data, method, C_grid=(1.0,))


def test_bad_arguments(data):
    with pytest.raises(ValueError, match="method"):
        run_baseline(data, "svm")
    with pytest.raises(ValueError, match="C_grid"):
        run_baseline(data, "mlp", C_grid=(1.0,))
    bad = SimpleNamespace(**vars(data))
    bad.y_train = data.y_train * 2
    with pytest.raises(DataValueError, match="y_train"):
        binary_relevance(bad)
    bad = SimpleNamespace(**vars(data))
    bad.x_val = data.x_val[:, :3]
    with pytest.raises(DataValueError):
        mlp_baseline(bad, **MLP_KW)
