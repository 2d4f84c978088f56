"""The two value checks every reader of multi-label data makes: labels 0/1, features finite;
and the coverage check of a split's parts (every label present and absent somewhere).

The readers (:mod:`~minicgmvae.data.arffio`, :func:`~minicgmvae.data.datasets.validate_arrays`)
word their own messages (an ARFF file names the line and the attribute; arrays name the row
and column); what counts as a bad value is decided here, once.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def label_coverage(labels: np.ndarray, names: Sequence[str], part: str) -> str | None:
    """One line naming the labels with no positive or no negative example in ``part``.

    A label the model never sees present (or never absent) in training is learnt as
    constant, and macro-F1 counts it as 0; in validation, the best epoch and the threshold
    are chosen without a fair score for it.

    Args:
        labels: the part's label matrix, (N, L), 0/1.
        names: the L label names.
        part: what the rows are, for the message (``"training"``, ``"validation"``).

    Returns:
        The message, or ``None`` if every label has both a positive and a negative example.
    """
    if len(labels) == 0:
        return None
    pos = np.asarray(labels).astype(bool).sum(axis=0)
    groups = [
        (what, [str(names[j]) for j in np.flatnonzero(bad)])
        for what, bad in (("no positive", pos == 0), ("no negative", pos == len(labels)))
    ]
    found = [f"{what} example for {_names(which)}" for what, which in groups if which]
    if not found:
        return None
    return (
        f"in the {part} part ({len(labels)} rows), {'; '.join(found)}. The model cannot "
        f"learn or score such a label from this part (macro-F1 counts it as 0): add rows "
        "that have it and rows that lack it, or drop the column."
    )


def _names(names: list[str], k: int = 8) -> str:
    shown = ", ".join(repr(n) for n in names[:k])
    return f"{len(names)} label(s): {shown}" + (", ..." if len(names) > k else "")
