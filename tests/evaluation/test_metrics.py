"""Metrics: agreement with scikit-learn, pinned edge cases, the threshold sweeps, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, f1_score, hamming_loss

from minicgmvae import metrics as M
from minicgmvae.errors import DataValueError
from minicgmvae.metrics import (
    MAIN_METRICS,
    PAPER_THRESHOLDS,
    THRESHOLD_METRICS,
    all_metrics,
    example_f1,
    hamming_accuracy,
    macro_f1,
    micro_f1,
    precision_at_k,
    subset_accuracy,
    threshold_sweep,
    torch_f1_sweep,
    torch_macro_f1,
)


def random_labels(seed: int, n: int = 60, n_labels: int = 7, empty: bool = True):
    """Random y, pred; with ``empty``, some rows and a column are all-zero in both."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, n_labels)) < 0.3).astype(np.float32)
    p = (rng.random((n, n_labels)) < 0.3).astype(np.float32)
    if empty:
        y[:5] = 0
        p[:5] = 0  # rows empty in truth AND prediction (dropped by example-F1)
        y[5:8] = 0  # rows empty in truth only
        p[8:10] = 0  # rows empty in prediction only
        y[:, 2] = 0
        p[:, 2] = 0  # a label absent from truth and prediction
        y[:, 4] = 0  # a label never true but predicted
    return y, p


# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------
def test_constants():
    assert PAPER_THRESHOLDS == (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    assert all(type(t) is float for t in PAPER_THRESHOLDS)
    assert MAIN_METRICS == ("example_f1", "micro_f1", "macro_f1", "hamming_accuracy")
    assert set(MAIN_METRICS) < set(THRESHOLD_METRICS)


# --------------------------------------------------------------------------------------------
# Agreement with scikit-learn where the definitions coincide
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("empty", [False, True])
def test_agrees_with_sklearn(seed, empty):
    y, p = random_labels(seed, empty=empty)
    assert example_f1(y, p) == pytest.approx(
        f1_score(y, p, average="samples", zero_division=np.nan), abs=1e-12
    )
    for ours, average in ((micro_f1, "micro"), (macro_f1, "macro")):
        assert ours(y, p) == pytest.approx(
            f1_score(y, p, average=average, zero_division=0), abs=1e-12
        )
    assert hamming_accuracy(y, p) == pytest.approx(1 - hamming_loss(y, p), abs=1e-12)
    assert subset_accuracy(y, p) == pytest.approx(accuracy_score(y, p), abs=1e-12)


def test_accepts_torch_lists_and_bools():
    y, p = random_labels(0)
    ref = macro_f1(y, p)
    assert macro_f1(torch.from_numpy(y), torch.from_numpy(p)) == pytest.approx(ref)
    assert macro_f1(y.astype(bool), p.astype(int)) == pytest.approx(ref)
    assert macro_f1(y.tolist(), p.tolist()) == pytest.approx(ref)
    s = np.random.default_rng(0).random(y.shape)
    assert all_metrics(torch.from_numpy(y), torch.from_numpy(s)) == all_metrics(y, s)


# --------------------------------------------------------------------------------------------
# Pinned edge cases, hand-computed
# --------------------------------------------------------------------------------------------
def test_example_f1_drops_rows_empty_in_both():
    y = np.array([[1, 0, 0], [0, 0, 0], [1, 1, 0]])
    p = np.array([[1, 1, 0], [0, 0, 0], [1, 1, 1]])
    # row 0: 2*1/(1+2) = 2/3; row 1 dropped; row 2: 2*2/(2+3) = 4/5
    assert example_f1(y, p) == pytest.approx((2 / 3 + 4 / 5) / 2)


def test_example_f1_keeps_rows_empty_in_one_side():
    y = np.array([[1, 0], [0, 0]])
    p = np.array([[1, 0], [1, 0]])
    # row 1 has |T| = 0 but |P| = 1: F1 = 0 and it stays in the mean
    assert example_f1(y, p) == pytest.approx(0.5)


def test_macro_f1_counts_absent_label_as_zero():
    y = np.array([[1, 0, 0], [0, 1, 0]])
    p = np.array([[1, 0, 0], [1, 1, 0]])
    # label 0: 2*1/(2*1+1+0) = 2/3; label 1: 1; label 2: absent in both -> 0, kept in the mean
    assert macro_f1(y, p) == pytest.approx((2 / 3 + 1 + 0) / 3)
    # micro: tp=2, fp=1, fn=0 -> 4/5; Hamming: 1 wrong of 6; subset: 1 of 2 rows exact
    assert micro_f1(y, p) == pytest.approx(4 / 5)
    assert hamming_accuracy(y, p) == pytest.approx(5 / 6)
    assert subset_accuracy(y, p) == pytest.approx(1 / 2)


def test_all_empty_input():
    z = np.zeros((4, 3))
    assert math.isnan(example_f1(z, z))  # every row dropped: undefined
    assert micro_f1(z, z) == 0.0
    assert macro_f1(z, z) == 0.0
    assert hamming_accuracy(z, z) == 1.0
    assert subset_accuracy(z, z) == 1.0
    assert math.isnan(f1_score(z, z, average="samples", zero_division=np.nan))  # same as sklearn


def test_precision_at_k_hand_example_with_ties():
    y = np.array([[0, 1, 0], [0, 1, 0], [0, 0, 0]])
    s = np.array([[0.9, 0.9, 0.1], [0.2, 0.5, 0.5], [0.3, 0.2, 0.1]])
    # ties go to the lower label index: row 0 picks label 0 (miss), row 1 picks label 1 (hit);
    # row 2 has no true label and still counts (0)
    assert precision_at_k(y, s, k=1) == pytest.approx(1 / 3)
    # k=2: row 0 {0,1} -> 1/2, row 1 {1,2} -> 1/2, row 2 -> 0
    assert precision_at_k(y, s, k=2) == pytest.approx(1 / 3)
    assert precision_at_k(y, s, k=3) == pytest.approx(2 / 9)


def test_precision_at_k_matches_a_loop():
    rng = np.random.default_rng(3)
    y = (rng.random((40, 8)) < 0.3).astype(int)
    s = rng.random((40, 8))
    for k in (1, 3, 5):
        expected = np.mean([y[i, np.argsort(-s[i])[:k]].sum() / k for i in range(40)])
        assert precision_at_k(y, s, k) == pytest.approx(expected)


def test_all_metrics_keys_and_threshold_rule():
    y = np.array([[1, 0, 1, 0, 1], [0, 1, 0, 0, 1]])
    s = np.array([[0.5, 0.49, 0.7, 0.1, 0.2], [0.3, 0.5, 0.1, 0.1, 0.9]])
    out = all_metrics(y, s, 0.5)
    assert list(out) == [
        "example_f1", "micro_f1", "macro_f1", "hamming_accuracy", "subset_accuracy",
        "precision_at_1", "precision_at_3", "precision_at_5",
    ]  # fmt: skip
    # score == threshold counts as positive (scores >= t, as the authors' evals.py)
    assert out["micro_f1"] == pytest.approx(micro_f1(y, s >= 0.5))
    assert set(all_metrics(y[:, :4], s[:, :4])) == set(THRESHOLD_METRICS) | {"precision_at_1"}


# --------------------------------------------------------------------------------------------
# threshold_sweep, and the sweeps on the device
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(3))
def test_threshold_sweep_equals_loop(seed):
    rng = np.random.default_rng(seed)
    y = (rng.random((50, 6)) < 0.3).astype(np.float32)
    y[:3] = 0
    s = rng.random((50, 6)).astype(np.float32)
    s[:3] = 0.05  # rows with no label and no prediction for t > 0.05
    s[10, 2] = 0.3  # exactly on a threshold
    thresholds = (0.9, 0.1, 0.3, 0.5, 0.05)
    sweep = threshold_sweep(y, s, thresholds)
    for i, t in enumerate(thresholds):
        ref = all_metrics(y, s, t)
        for m in THRESHOLD_METRICS:
            assert sweep[m].shape == (len(thresholds),)
            assert sweep[m][i] == pytest.approx(ref[m], abs=1e-12), (m, t)


def test_threshold_sweep_chunked_equals_unchunked(monkeypatch):
    rng = np.random.default_rng(0)
    y = (rng.random((30, 5)) < 0.4).astype(int)
    s = rng.random((30, 5))
    whole = threshold_sweep(y, s)
    monkeypatch.setattr(M, "_MAX_CELLS", 2 * y.size)  # two thresholds per chunk
    chunked = threshold_sweep(y, s)
    for m in THRESHOLD_METRICS:
        np.testing.assert_allclose(chunked[m], whole[m], rtol=0, atol=1e-15)


def test_torch_macro_f1_matches_numpy():
    rng = np.random.default_rng(1)
    y = (rng.random((40, 6)) < 0.3).astype(np.float32)
    y[:, 1] = 0
    s = rng.random((40, 6)).astype(np.float32)
    s[:, 1] = 0.0  # label 1 absent from truth and prediction: counts 0
    got = torch_macro_f1(torch.from_numpy(y), torch.from_numpy(s), 0.5)
    assert got.ndim == 0
    assert float(got) == pytest.approx(macro_f1(y, s >= 0.5), abs=1e-6)


def test_f1_sweep_matches_a_loop():
    rng = np.random.default_rng(0)
    y = (rng.random((50, 5)) < 0.3).astype(np.float32)
    y[:, 4] = 0  # a label absent from the truth
    p = rng.random((50, 5)).astype(np.float32)
    th = torch.tensor(PAPER_THRESHOLDS, dtype=torch.float64)
    got = {
        k: torch_f1_sweep(torch.tensor(y), torch.tensor(p), th, k).numpy()
        for k in ("macro_f1", "micro_f1", "example_f1")
    }
    for ti, t in enumerate(PAPER_THRESHOLDS):
        pred = p >= t
        tp, fp, fn = (pred & (y > 0)).sum(0), (pred & (y == 0)).sum(0), (~pred & (y > 0)).sum(0)
        den = 2 * tp + fp + fn
        macro = np.mean(np.where(den > 0, 2 * tp / np.maximum(den, 1), 0.0))
        micro = 2 * tp.sum() / (2 * tp.sum() + fp.sum() + fn.sum())
        ex = [
            2 * (pr & tr).sum() / (pr.sum() + tr.sum())
            for pr, tr in zip(pred, y > 0)
            if pr.sum() + tr.sum() > 0
        ]
        assert got["macro_f1"][ti] == pytest.approx(macro, abs=1e-6)
        assert got["micro_f1"][ti] == pytest.approx(micro, abs=1e-6)
        assert got["example_f1"][ti] == pytest.approx(np.mean(ex), abs=1e-6)


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda: macro_f1(np.zeros((3, 2)), np.zeros((3, 3))),  # shapes differ
        lambda: macro_f1(np.array([[0, 2]]), np.array([[0, 1]])),  # label 2
        lambda: macro_f1(np.array([[0, 1]]), np.array([[0.3, 0.7]])),  # scores as predictions
        lambda: macro_f1(np.zeros(3), np.zeros(3)),  # 1-D
        lambda: macro_f1(np.zeros((0, 3)), np.zeros((0, 3))),  # empty
        lambda: all_metrics(np.zeros((2, 2)), np.array([[0.1, np.nan], [0.2, 0.3]])),
        lambda: all_metrics(np.zeros((2, 2)), np.array([[0.1, np.inf], [0.2, 0.3]])),
        lambda: all_metrics(np.zeros((2, 2)), np.zeros((2, 2)), threshold=float("nan")),
        lambda: precision_at_k(np.zeros((2, 3)), np.zeros((2, 3)), k=4),
        lambda: precision_at_k(np.zeros((2, 3)), np.zeros((2, 3)), k=0),
        lambda: threshold_sweep(np.zeros((2, 2)), np.zeros((2, 2)), []),
        lambda: threshold_sweep(np.zeros((2, 2)), np.zeros((2, 2)), [0.5, np.nan]),
    ],
)
def test_bad_input_raises_data_value_error(call):
    with pytest.raises(DataValueError):
        call()


def test_error_messages_are_clear():
    with pytest.raises(DataValueError, match=r"shape \(3, 2\).*shape \(3, 3\)"):
        macro_f1(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(DataValueError, match="only 0 and 1"):
        example_f1(np.array([[0, 2]]), np.array([[0, 1]]))
    with pytest.raises(DataValueError, match="non-finite"):
        threshold_sweep(np.zeros((1, 2)), np.array([[np.nan, 0.1]]))
