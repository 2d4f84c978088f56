"""A split of own data that keeps every label in each part where the data allow.

:func:`~minicgmvae.data.datasets.from_arrays` with ``stratify=True`` draws its held-out
parts (test, validation) as usual, ``default_rng(seed).permutation(N)``, then corrects them
with :func:`cover_labels`: a simpler rule than iterative stratification (Sechidis et al.,
2011) that fixes the one thing a random draw gets wrong with rare labels, a label absent
from a part, and keeps each part's size.
"""

from __future__ import annotations

import numpy as np


def cover_labels(y: np.ndarray, perm: np.ndarray, k: int) -> np.ndarray:
    """The held-out mask of ``perm[:k]``, changed so that every label value (1, and 0) is
    kept at least once, and held out at least once if found in two rows or more.

    Rarest value first: where a part lacks it, the first row in ``perm`` order that has it
    (and whose leaving empties no other value of its part) moves in, and a row without it,
    on the same condition, moves the other way; the sizes stay the same.

    Args:
        y: the labels, (N, L) bool.
        perm: the permutation whose first ``k`` rows are held out.
        k: the held-out part's size.

    Returns:
        The held-out mask, (N,) bool.
    """
    held = np.zeros(len(y), dtype=bool)
    held[perm[:k]] = True
    rank = np.empty(len(y), dtype=np.int64)
    rank[perm] = np.arange(len(y))
    pos = y.sum(axis=0)
    pairs = [(int(c), j, v) for v, total in ((True, pos), (False, len(y) - pos))
             for j, c in enumerate(total) if c >= 1]
    for count, j, v in sorted(pairs):
        col = y[:, j] == v
        if not (col & ~held).any():
            _swap(y, held, rank, col, j, into_held=False)
        elif count >= 2 and not (col & held).any():
            _swap(y, held, rank, col, j, into_held=True)
    return held


def _swap(y: np.ndarray, held: np.ndarray, rank: np.ndarray, col: np.ndarray, j: int,
          into_held: bool) -> None:
    """Move a row with ``col`` into the part that lacks it, and one without it back."""
    source = ~held if into_held else held
    row = _pick(y, source, col & source, rank, j)
    if row is None:
        return  # the data do not allow it
    held[row] = into_held
    back = _pick(y, ~source, ~col & ~source, rank, j)
    if back is not None:
        held[back] = not into_held


def _pick(y: np.ndarray, part: np.ndarray, candidates: np.ndarray, rank: np.ndarray,
          j: int) -> int | None:
    """The first candidate in ``perm`` order whose leaving ``part`` empties no label value
    of it (label ``j`` aside), or None."""
    rows = np.flatnonzero(candidates)
    pos = y[part].sum(axis=0)
    left = np.where(y[rows], pos, part.sum() - pos) >= 2
    left[:, j] = True
    rows = rows[left.all(axis=1)]
    return int(rows[np.argmin(rank[rows])]) if len(rows) else None
