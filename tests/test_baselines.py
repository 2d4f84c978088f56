"""Baselines on a small synthetic multi-label set with a learnable signal."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from minicgmvae.baselines import (
    BaselineScores,
    binary_relevance,
    classifier_chain,
    mlp_baseline,
    run_baseline,
)
from minicgmvae.errors import DataValueError
from minicgmvae.metrics import all_metrics
from minicgmvae.protocols import evaluate_both

MLP_KW = dict(epochs=25, hidden=(64,), progress=False, device="cpu")


def make_data(seed: int = 0, n: int = 500, d: int = 12, n_labels: int = 5) -> SimpleNamespace:
    """Labels from a noisy linear function of standard normal features; 60/10/30 split."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    w = rng.normal(size=(d, n_labels))
    y = ((x @ w + 0.7 * rng.normal(size=(n, n_labels))) > 1.0).astype(np.float32)
    a, b = int(0.6 * n), int(0.7 * n)
    return SimpleNamespace(
        name="synthetic",
        x_train=x[:a], y_train=y[:a],
        x_val=x[a:b], y_val=y[a:b],
        x_test=x[b:], y_test=y[b:],
    )  # fmt: skip


@pytest.fixture(scope="module")
def data() -> SimpleNamespace:
    return make_data()


@pytest.fixture(scope="module")
def fitted(data) -> dict[str, BaselineScores]:
    return {
        "br": binary_relevance(data),
        "cc": classifier_chain(data),
        "mlp": mlp_baseline(data, **MLP_KW),
    }


def trivial_scores(data, n: int) -> np.ndarray:
    """Every sample gets the training label frequencies: no use of x at all."""
    return np.tile(data.y_train.mean(axis=0), (n, 1))


@pytest.mark.parametrize("method", ["br", "cc", "mlp"])
def test_shapes_and_range(data, fitted, method):
    out = fitted[method]
    assert out.val.shape == data.y_val.shape and out.test.shape == data.y_test.shape
    assert out.val.dtype == np.float32 and out.test.dtype == np.float32
    for s in (out.val, out.test):
        assert np.isfinite(s).all() and s.min() >= 0 and s.max() <= 1
    json.dumps(out.info, allow_nan=False)


@pytest.mark.parametrize("method", ["br", "cc", "mlp"])
def test_beats_trivial_predictor(data, fitted, method):
    out = fitted[method]
    triv = evaluate_both(
        data.y_val, trivial_scores(data, len(data.y_val)),
        data.y_test, trivial_scores(data, len(data.y_test)),
    )["honest"].metrics  # fmt: skip
    got = evaluate_both(data.y_val, out.val, data.y_test, out.test)["honest"].metrics
    for m in ("example_f1", "micro_f1", "macro_f1", "precision_at_1"):
        assert got[m] > triv[m] + 0.1, (method, m, got[m], triv[m])


def test_lr_baselines_are_reasonable(data, fitted):
    # a linear signal: logistic regression should do well at t=0.5 already
    for method in ("br", "cc"):
        assert all_metrics(data.y_test, fitted[method].test)["micro_f1"] > 0.7


def test_classifier_chain_order(data):
    assert classifier_chain(data, order=None).info["order"] == list(range(5))
    out = classifier_chain(data, order=[4, 3, 2, 1, 0])
    assert out.info["order"] == [4, 3, 2, 1, 0]
    r1 = classifier_chain(data, seed=1).info["order"]
    assert sorted(r1) == list(range(5))


def test_mlp_is_deterministic_and_leaves_global_rng_alone(data, fitted):
    state = torch.get_rng_state()
    again = mlp_baseline(data, **MLP_KW)
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(again.val, fitted["mlp"].val)
    np.testing.assert_array_equal(again.test, fitted["mlp"].test)
    other = mlp_baseline(data, **{**MLP_KW, "seed": 1})
    assert not np.array_equal(other.test, fitted["mlp"].test)


def test_mlp_keeps_best_validation_epoch(data, fitted):
    info = fitted["mlp"].info
    hist = [h["val_macro_f1"] for h in info["history"]]
    assert len(hist) == MLP_KW["epochs"]
    assert info["best_val_macro_f1"] == max(hist)
    assert info["best_epoch"] == 1 + hist.index(max(hist))  # earliest best
    # the returned scores are those of the best epoch
    val_f1 = all_metrics(data.y_val, fitted["mlp"].val)["macro_f1"]
    assert val_f1 == pytest.approx(info["best_val_macro_f1"], abs=1e-6)


def test_constant_label_in_train(data):
    d = SimpleNamespace(**vars(data))
    d.y_train = data.y_train.copy()
    d.y_train[:, 1] = 0  # never positive in train
    d.y_train[:, 3] = 1  # always positive in train
    for fn in (binary_relevance, classifier_chain):
        out = fn(d)
        assert np.isfinite(out.test).all()
        np.testing.assert_array_equal(out.test[:, 1], 0.0)
        np.testing.assert_array_equal(out.test[:, 3], 1.0)


def test_run_baseline_record_is_json(data):
    rec = run_baseline(data, "br", seed=0, C_grid=(0.01, 1.0))
    text = json.dumps(rec, allow_nan=False)
    assert json.loads(text)["method"] == "br"
    assert set(rec["protocols"]) == {"paper", "honest", "t=0.5"}
    assert rec["dataset"] == "synthetic" and rec["seed"] == 0
    assert [r["C"] for r in rec["C_search"]] == [0.01, 1.0]
    best = max(rec["C_search"], key=lambda r: r["val_macro_f1"])
    assert rec["params"]["C"] == best["C"]
    assert np.asarray(rec["scores_test"]).shape == data.y_test.shape
    assert {"numpy", "torch", "sklearn", "minicgmvae"} <= set(rec["versions"])
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
