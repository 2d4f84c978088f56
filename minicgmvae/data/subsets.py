"""Smaller versions of a dataset: fewer training samples, or fewer labels.

* :func:`training_subset` keeps a fraction of the TRAINING split (validation and test stay
  whole, so every fraction is scored on the same samples). ``mode="random"`` draws a seeded
  random subset; the subsets of one seed are nested (the 10% subset lies inside the 25% one,
  and so on), so a learning curve measures more data, not different data. ``mode="first"``
  keeps the first rows of the training file, the authors' "first half" protocol for 50%.
* :func:`most_frequent_labels` keeps the k most frequent labels (by training count), for
  measuring how time and memory grow with the number of labels. Samples may lose all their
  labels; the model and metrics handle such rows.

Both return a new :class:`~minicgmvae.data.datasets.MultiLabelData`; the input is not changed.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import DataValueError
from .datasets import MultiLabelData


def training_subset(
    data: MultiLabelData, fraction: float, seed: int = 0, mode: str = "random"
) -> MultiLabelData:
    """Keep ``fraction`` of the training samples (at least one); see the module docstring.

    Args:
        data: the full dataset.
        fraction: in (0, 1].
        seed: seeds the random subset (ignored by ``mode="first"``).
        mode: ``"random"`` (nested, seeded) or ``"first"`` (the first rows, in file order).
    """
    if not 0.0 < fraction <= 1.0:
        raise DataValueError(f"fraction must be in (0, 1], got {fraction}.")
    if mode not in ("random", "first"):
        raise DataValueError(f"mode must be 'random' or 'first', got {mode!r}.")
    n = len(data.x_train)
    keep = max(1, int(round(fraction * n)))
    if mode == "first":
        rows = np.arange(keep)
    else:
        # one permutation per seed, cut at different lengths: nested subsets
        rows = np.sort(np.random.default_rng(seed).permutation(n)[:keep])
    info = {
        **data.info,
        "train_subset": {
            "fraction": fraction,
            "mode": mode,
            "seed": seed,
            "n_train": keep,
            "n_train_full": n,
        },
    }
    return dataclasses.replace(
        data, x_train=data.x_train[rows], y_train=data.y_train[rows], info=info
    )


def most_frequent_labels(data: MultiLabelData, k: int) -> MultiLabelData:
    """Keep the ``k`` labels with the most positive training samples (ties: lower index).

    Args:
        data: the dataset.
        k: how many labels to keep, 1 <= k <= L.

    Returns:
        A copy of ``data`` with only those label columns, in their original order; ``info``
        records the subset.

    Raises:
        ~minicgmvae.errors.DataValueError: ``k`` outside [1, L].
    """
    n_labels = data.y_train.shape[1]
    if not 1 <= k <= n_labels:
        raise DataValueError(f"k must be between 1 and {n_labels} labels, got {k}.")
    counts = data.y_train.sum(0)
    cols = np.sort(np.argsort(-counts, kind="stable")[:k])
    info = {**data.info, "label_subset": {"k": k, "n_labels_full": n_labels}}
    return dataclasses.replace(
        data,
        y_train=data.y_train[:, cols],
        y_val=data.y_val[:, cols],
        y_test=data.y_test[:, cols],
        label_names=[data.label_names[i] for i in cols],
        info=info,
    )


__all__ = ["most_frequent_labels", "training_subset"]
