"""What every baseline promises: float32 scores in [0, 1] and better than a predictor that
ignores x."""

from __future__ import annotations

import json

import numpy as np
import pytest

from minicgmvae.protocols import evaluate_both


def trivial_scores(data, n: int) -> np.ndarray:
    """Every sample gets the training label frequencies: no use of x at all."""
    return np.tile(data.y_train.mean(axis=0), (n, 1))


@pytest.mark.parametrize("method", ["br", "cc", "mlp", "mlknn", "asl"])
def test_shapes_and_range(data, fitted, method):
    out = fitted[method]
    assert out.val.shape == data.y_val.shape and out.test.shape == data.y_test.shape
    assert out.val.dtype == np.float32 and out.test.dtype == np.float32
    for s in (out.val, out.test):
        assert np.isfinite(s).all() and s.min() >= 0 and s.max() <= 1
    json.dumps(out.info, allow_nan=False)


@pytest.mark.parametrize("method", ["br", "cc", "mlp", "mlknn", "asl"])
def test_beats_trivial_predictor(data, fitted, method):
    out = fitted[method]
    triv = evaluate_both(
        data.y_val, trivial_scores(data, len(data.y_val)),
        data.y_test, trivial_scores(data, len(data.y_test)),
    )["honest"].metrics  # fmt: skip
    got = evaluate_both(data.y_val, out.val, data.y_test, out.test)["honest"].metrics
    for m in ("example_f1", "micro_f1", "macro_f1", "precision_at_1"):
        assert got[m] > triv[m] + 0.1, (method, m, got[m], triv[m])
