"""ML-kNN (Zhang & Zhou 2007): k nearest neighbours plus a per-label Bayes rule."""

from __future__ import annotations

import math

import numpy as np
from sklearn.neighbors import NearestNeighbors

from .common import BaselineScores, SplitData, check_splits


def _neighbours_excluding_self(nn_index: NearestNeighbors, x: np.ndarray, k: int) -> np.ndarray:
    """(n, k) indices of each indexed sample's ``k`` nearest *other* samples.

    Asks for ``k + 1`` neighbours and drops the sample's own index wherever it appears. With
    exact duplicates the sample itself need not come first (its twins are at distance 0 too),
    and with ``k + 1`` or more twins it may be missing altogether: then the last column goes
    (all ``k + 1`` are at distance 0, so any ``k`` of them are the ``k`` nearest). This is what
    ``NearestNeighbors.kneighbors()`` does when called without ``X``.
    """
    idx = nn_index.kneighbors(x, n_neighbors=k + 1, return_distance=False)  # (n, k+1)
    drop = idx == np.arange(len(x))[:, None]
    drop[~drop.any(axis=1), -1] = True
    return idx[~drop].reshape(len(x), k)  # a boolean mask keeps row-major order


def _label_counts(y: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """``c[i, l]`` = how many of sample i's neighbours carry label l; (n, L) int."""
    counts = np.zeros((neighbours.shape[0], y.shape[1]), dtype=np.int64)
    for j in range(neighbours.shape[1]):  # a loop over the k neighbour ranks, not the samples
        counts += y[neighbours[:, j]]
    return counts


def _check_knn_args(k: int, smoothing: float, n: int) -> tuple[int, float]:
    """``k`` an integer in ``[1, n)`` and ``smoothing`` positive, as int and float."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k < n:
        raise ValueError(
            f"ml_knn: k must be an integer with 1 <= k < n_train = {n} (each training sample "
            f"needs k other training samples as neighbours); got k={k!r}."
        )
    s = float(smoothing)
    if not (math.isfinite(s) and s > 0):
        raise ValueError(f"ml_knn: smoothing must be a positive number; got {smoothing!r}.")
    return int(k), s


def _bayes_tables(y_tr: np.ndarray, counts: np.ndarray, k: int,
                  s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ML-kNN's prior ``P(H_l = 1)`` (L,) and likelihoods ``P(C_l = c | H_l = 1)`` and
    ``P(C_l = c | H_l = 0)`` (L, k + 1), counted on the training set with smoothing ``s``."""
    n, n_labels = y_tr.shape
    prior1 = (s + y_tr.sum(axis=0)) / (2 * s + n)  # (L,)
    kj = np.zeros((n_labels, k + 1))
    kjn = np.zeros((n_labels, k + 1))
    for c in range(k + 1):  # a loop over the k + 1 possible counts
        at_c = counts == c
        kj[:, c] = (at_c & (y_tr == 1)).sum(axis=0)
        kjn[:, c] = (at_c & (y_tr == 0)).sum(axis=0)
    like1 = (s + kj) / (s * (k + 1) + kj.sum(axis=1, keepdims=True))  # P(C_l = c | H_l = 1)
    like0 = (s + kjn) / (s * (k + 1) + kjn.sum(axis=1, keepdims=True))  # P(C_l = c | H_l = 0)
    return prior1, like1, like0


def ml_knn(data: SplitData, k: int = 10, smoothing: float = 1.0, seed: int = 0) -> BaselineScores:
    """ML-kNN (Zhang & Zhou, *Pattern Recognition* 40(7), 2007), on euclidean neighbours.

    For label ``l`` let ``H_l`` be "the sample has label l" and ``C_l`` the number of its ``k``
    nearest training samples that have label ``l``. With smoothing ``s`` and ``n`` training
    samples, everything is counted on the training set (each training sample's neighbours are
    its ``k`` nearest *other* training samples):

    * prior: ``P(H_l = 1) = (s + sum_i y_il) / (2 s + n)``, ``P(H_l = 0) = 1 - P(H_l = 1)``;
    * ``kj[l, c]`` = number of training samples with ``y_il = 1`` and ``c_il = c``, ``kjn[l, c]``
      the same with ``y_il = 0``, for ``c = 0..k``;
    * likelihoods: ``P(C_l = c | H_l = 1) = (s + kj[l, c]) / (s (k + 1) + sum_c' kj[l, c'])``,
      and ``P(C_l = c | H_l = 0)`` likewise from ``kjn``.

    A query's score for label ``l``, with ``c`` counted among its ``k`` nearest training
    samples, is ML-kNN's posterior probability::

        P(H_l=1 | C_l=c) = P(H_l=1) P(c|H_l=1) / (P(H_l=1) P(c|H_l=1) + P(H_l=0) P(c|H_l=0))

    ML-kNN predicts the label where this exceeds 1/2; here it is thresholded like any other
    score (the paper protocol, the honest protocol, t = 0.5).

    Written on :class:`sklearn.neighbors.NearestNeighbors` and numpy (vectorised over samples)
    because scikit-multilearn's ``MLkNN`` (0.2.0) is broken with current scikit-learn: it
    passes ``n_neighbors`` positionally, which scikit-learn >= 1.0 rejects with a TypeError.

    Args:
        data: the splits (features standardised: the distance treats them all alike).
        k: number of neighbours, ``1 <= k < n_train``.
        smoothing: the Laplace smoothing ``s > 0`` (1 gives Laplace smoothing, as in the paper).
        seed: recorded only; ML-kNN is deterministic (ties in distance are broken by
            scikit-learn's search, the same way every run).

    Returns:
        :class:`BaselineScores`; ``info`` has ``k``, ``smoothing``, ``metric`` and ``seed``.

    Raises:
        ValueError: ``k`` not an integer in ``[1, n_train)``, or ``smoothing`` not positive.
    """
    check_splits(data)
    x_tr = np.asarray(data.x_train, dtype=np.float64)
    y_tr = np.asarray(data.y_train).astype(np.int64)
    k, s = _check_knn_args(k, smoothing, n=len(y_tr))
    index = NearestNeighbors(n_neighbors=k, metric="euclidean").fit(x_tr)
    counts = _label_counts(y_tr, _neighbours_excluding_self(index, x_tr, k))  # (n, L) in 0..k
    prior1, like1, like0 = _bayes_tables(y_tr, counts, k, s)
    n_labels = y_tr.shape[1]

    def posterior(x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros((0, n_labels), dtype=np.float32)
        neighbours = index.kneighbors(np.asarray(x, dtype=np.float64), return_distance=False)
        c = _label_counts(y_tr, neighbours)  # (m, L)
        rows = np.arange(n_labels)[None, :]
        joint1 = prior1 * like1[rows, c]
        joint0 = (1 - prior1) * like0[rows, c]
        return (joint1 / (joint1 + joint0)).astype(np.float32)

    info = {"k": k, "smoothing": s, "metric": "euclidean", "seed": int(seed)}
    return BaselineScores(posterior(data.x_val), posterior(data.x_test), info)


