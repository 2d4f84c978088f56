"""Training subsets (nested, seeded or the first rows) and the most frequent labels."""

from __future__ import annotations

import numpy as np
import pytest

from minicgmvae.data.datasets import from_arrays
from minicgmvae.data.subsets import most_frequent_labels, training_subset
from minicgmvae.errors import DataValueError

from helpers.datasets import toy


def test_random_training_subsets_are_nested_and_leave_val_and_test_alone():
    data = toy()
    n = len(data.x_train)
    small, big = training_subset(data, 0.25, seed=3), training_subset(data, 0.75, seed=3)
    assert len(small.x_train) == round(0.25 * n) and len(big.x_train) == round(0.75 * n)
    rows = {tuple(r) for r in big.x_train.tolist()}
    assert all(tuple(r) in rows for r in small.x_train.tolist())  # nested
    assert small.x_val is data.x_val and small.y_test is data.y_test
    assert not np.array_equal(training_subset(data, 0.25, seed=4).x_train, small.x_train)
    assert len(data.x_train) == n  # the input is unchanged


def test_first_half_is_the_first_rows_whatever_the_seed():
    data = toy()
    a = training_subset(data, 0.5, seed=1, mode="first")
    b = training_subset(data, 0.5, seed=2, mode="first")
    np.testing.assert_array_equal(a.x_train, data.x_train[: len(a.x_train)])
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert a.info["train_subset"]["mode"] == "first"


@pytest.mark.parametrize("fraction", [0.0, -0.1, 1.5])
def test_bad_fraction_is_refused(fraction):
    with pytest.raises(DataValueError, match="fraction"):
        training_subset(toy(), fraction)
    with pytest.raises(DataValueError, match="mode"):
        training_subset(toy(), 0.5, mode="last")


def test_most_frequent_labels_keeps_the_top_k_in_order():
    x = np.zeros((6, 2), np.float32)
    y = np.array([[1, 0, 1], [1, 0, 1], [0, 0, 1], [0, 1, 1], [1, 0, 0], [0, 0, 0]], np.float32)
    data = from_arrays(x, y, x_test=x, y_test=y, name="t", val_fraction=0.0, standardize=False)
    two = most_frequent_labels(data, 2)  # counts 3, 1, 4 -> labels 0 and 2, in that order
    np.testing.assert_array_equal(two.y_train, y[:, [0, 2]])
    assert two.label_names == [data.label_names[0], data.label_names[2]]
    with pytest.raises(DataValueError, match="between 1 and 3"):
        most_frequent_labels(data, 4)
