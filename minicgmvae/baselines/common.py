"""What every baseline shares: the scores it returns and the checks on the data it gets."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..data.datasets import SplitData
from ..errors import DataValueError


class BaselineScores(NamedTuple):
    """Probabilities of a fitted baseline.

    Attributes:
        val: (N_val, L) float32 scores in [0, 1].
        test: (N_test, L) float32 scores in [0, 1].
        info: JSON-friendly facts about the fit (hyper-parameters, best epoch, ...).
    """

    val: np.ndarray
    test: np.ndarray
    info: dict[str, Any]


def check_splits(data: SplitData) -> None:
    """Check the splits a baseline is given: shapes agree and labels are 0/1 (features finite).

    Args:
        data: the splits: ``x_train, y_train, x_val, y_val, x_test, y_test`` (features
            (N, d), labels (N, L) for each split) and, for messages, ``name``.

    Raises:
        DataValueError: a split that is not 2-D or whose features and labels have different
            numbers of rows; a NaN or infinite feature; a label other than 0/1; an empty
            validation split; feature or label counts that differ between splits.
    """
    for split in ("train", "val", "test"):
        x = np.asarray(getattr(data, f"x_{split}"))
        y = np.asarray(getattr(data, f"y_{split}"))
        if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
            raise DataValueError(
                f"{getattr(data, 'name', 'data')}: x_{split} {x.shape} and y_{split} {y.shape} "
                "must be 2-D with the same number of rows."
            )
        if not np.isfinite(x).all():
            raise DataValueError(f"{getattr(data, 'name', 'data')}: x_{split} has NaN or inf.")
        if not ((y == 0) | (y == 1)).all():
            raise DataValueError(f"{getattr(data, 'name', 'data')}: y_{split} is not 0/1.")
    if len(data.y_val) == 0:
        raise DataValueError(
            f"{getattr(data, 'name', 'data')}: the validation split is empty; baselines choose "
            "C, the MLP checkpoint and the honest threshold on it (load with val_fraction > 0)."
        )
    if not (data.x_train.shape[1] == data.x_val.shape[1] == data.x_test.shape[1]) or not (
        data.y_train.shape[1] == data.y_val.shape[1] == data.y_test.shape[1]
    ):
        raise DataValueError(
            f"{getattr(data, 'name', 'data')}: feature or label counts differ between splits."
        )

