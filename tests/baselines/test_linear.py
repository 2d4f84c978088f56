"""The logistic-regression baselines: binary relevance and the classifier chain."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from minicgmvae.baselines.linear import binary_relevance, classifier_chain
from minicgmvae.metrics import all_metrics


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
