"""Own data's splits keep every label where the data allow (``from_arrays(stratify=True)``),
and :func:`~minicgmvae.data.values.label_coverage` names the labels a part lacks."""

from __future__ import annotations

import numpy as np

from minicgmvae.data.datasets import _split_off, from_arrays
from minicgmvae.data.values import label_coverage


def _rare_labels(n: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 12)) < np.linspace(0.01, 0.6, 12)).astype(np.uint8)
    y[:, 0] = 0
    y[[3, 150], 0] = 1  # two positives: one for training, one held out
    y[:, 11] = 1
    y[77, 11] = 0  # one negative: it stays in training
    return y


def test_stratified_validation_split_keeps_every_label_present_where_the_data_allow():
    """A validation split that keeps every label present: each label value found in two rows
    or more is held out at least once and kept at least once; the sizes stay the same."""
    y = _rare_labels()
    for seed in range(20):
        keep, held = _split_off(len(y), 0.1, seed, "validation", y)
        assert len(held) == 20 and len(keep) == 180
        assert sorted(np.concatenate([keep, held]).tolist()) == list(range(200))
        for j in range(11):  # every label with two positives or more
            assert y[held, j].any() and y[keep, j].any(), (seed, j)
        assert 77 in keep  # the only negative of label 11 is kept for training
    # without labels, the split is the plain permutation (the registered datasets' split)
    keep, held = _split_off(200, 0.1, 3, "validation")
    perm = np.random.default_rng(3).permutation(200)
    assert held.tolist() == sorted(perm[:20].tolist())


def test_from_arrays_stratify_covers_the_test_and_validation_parts():
    y = _rare_labels(400, seed=1)
    y[[10, 20, 30], 0] = 1  # four positives: test, validation and training
    x = np.random.default_rng(1).normal(size=(400, 3))
    data = from_arrays(x, y, stratify=True, seed=5)
    for part in (data.y_train, data.y_val, data.y_test):
        assert part[:, 0].any()


def test_label_with_no_positive_or_no_negative_example_is_named():
    """The warning's text: each label with no positive (or no negative) example, by name."""
    y = np.array([[0, 1, 1], [0, 1, 0], [0, 1, 1]])
    text = label_coverage(y, ["sad", "happy", "calm"], "training")
    assert text.startswith("in the training part (3 rows), no positive example for 1 label(s): "
                           "'sad'; no negative example for 1 label(s): 'happy'.")
    assert "\n" not in text
    assert label_coverage(np.array([[0, 1], [1, 0]]), ["a", "b"], "validation") is None
    assert label_coverage(np.zeros((0, 2)), ["a", "b"], "validation") is None
