"""The two value checks every reader of multi-label data makes: labels 0/1, features finite.

The readers (:mod:`~minicgmvae.data.arffio`, :func:`~minicgmvae.data.datasets.validate_arrays`)
word their own messages (an ARFF file names the line and the attribute; arrays name the row
and column); what counts as a bad value is decided here, once.
"""

from __future__ import annotations

import numpy as np

#: (number of bad entries, (row, column) of the first), or None if there is none.
BadEntries = tuple[int, tuple[int, int]] | None


def _first(bad: np.ndarray) -> BadEntries:
    if not bad.any():
        return None
    r, c = np.argwhere(bad)[0]
    return int(bad.sum()), (int(r), int(c))


def non_binary(labels: np.ndarray) -> BadEntries:
    """Entries of a label matrix (N, L) that are neither 0 nor 1.

    Args:
        labels: the label matrix, (N, L).

    Returns:
        ``(count, (row, column))`` of the bad entries and the first one (row-major), or
        ``None`` if every entry is 0 or 1.
    """
    return _first((labels != 0) & (labels != 1))


def non_finite(features: np.ndarray) -> BadEntries:
    """Entries of a feature matrix (N, d) that are NaN or infinite as float32 (a float64
    value beyond float32's range counts: training would see inf).

    Args:
        features: the feature matrix, (N, d).

    Returns:
        ``(count, (row, column))`` of the bad entries and the first one (row-major), or
        ``None`` if every entry is finite.
    """
    with np.errstate(over="ignore"):
        return _first(~np.isfinite(features.astype(np.float32, copy=False)))
