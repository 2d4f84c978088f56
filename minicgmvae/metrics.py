"""Multi-label metrics, with the exact definitions the C-GMVAE paper reports.

Notation (book/notation.md): ``N`` samples, ``L`` labels. For sample ``n`` let ``T_n`` be its set
of true labels and ``T^_n`` (the book's :math:`\\hat T_n`) its set of predicted labels; for
label ``l`` let ``tp_l, fp_l, fn_l`` count true positives, false positives and false negatives
over the samples. A score becomes a prediction by
``score >= threshold`` (as the authors' ``evals.py`` does).

* example-F1  = mean over samples with ``|T_n| + |T^_n| > 0`` of
  ``2 |T_n & T^_n| / (|T_n| + |T^_n|)``.
  Samples where both sets are empty are DROPPED from the mean; if every sample is dropped the
  metric is undefined and is returned as ``nan``
  (= ``sklearn.metrics.f1_score(average='samples', zero_division=np.nan)``).
* micro-F1    = ``2 sum_l tp_l / (2 sum_l tp_l + sum_l fp_l + sum_l fn_l)``; ``0`` when the
  denominator is 0 (= ``f1_score(average='micro', zero_division=0)``).
* macro-F1    = ``(1/L) sum_l 2 tp_l / (2 tp_l + fp_l + fn_l)``; a label absent from both truth and
  prediction scores 0 and STAYS in the mean (= ``f1_score(average='macro', zero_division=0)``).
* Hamming accuracy = ``1 - hamming_loss`` = fraction of the ``N * L`` entries predicted right.
* subset accuracy  = fraction of samples whose whole label vector is right.
* precision@k = mean over ALL samples of (number of true labels among the ``k`` highest scores)/k;
  no threshold; ties are broken towards the lower label index.

All functions accept numpy arrays, nested sequences or torch tensors (any device); they return
Python floats. Bad inputs raise :class:`~minicgmvae.errors.DataValueError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .errors import DataValueError

__all__ = [
    "PAPER_THRESHOLDS",
    "MAIN_METRICS",
    "THRESHOLD_METRICS",
    "example_f1",
    "micro_f1",
    "macro_f1",
    "hamming_accuracy",
    "subset_accuracy",
    "precision_at_k",
    "all_metrics",
    "threshold_sweep",
    "ScoreSweep",
    "score_sweep",
    "torch_f1_sweep",
    "torch_macro_f1",
]

#: The thresholds the authors sweep (``utils.THRESHOLDS``), 0.1, 0.2, ..., 0.9 as exact decimals.
PAPER_THRESHOLDS: tuple[float, ...] = tuple(float(t) for t in np.round(np.arange(1, 10) / 10, 1))

#: The four metrics of the paper's main table, in its order.
MAIN_METRICS: tuple[str, ...] = ("example_f1", "micro_f1", "macro_f1", "hamming_accuracy")

#: The metrics that depend on the threshold (all but precision@k).
THRESHOLD_METRICS: tuple[str, ...] = MAIN_METRICS + ("subset_accuracy",)

# Above this many (threshold, sample, label) cells, threshold_sweep works on chunks of
# thresholds so that the boolean cube stays small (16 Mi cells = 16 MiB per temporary).
_MAX_CELLS = 1 << 24

ArrayLike = np.ndarray | torch.Tensor | Sequence[Any]


# ------------------------------------------------------------------------------ input checks
def _to_numpy(a: ArrayLike, name: str) -> np.ndarray:
    """Convert ``a`` (array, tensor on any device, nested list) to a numpy array."""
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy()
    try:
        return np.asarray(a)
    except (ValueError, TypeError) as exc:  # ragged lists and the like
        raise DataValueError(f"{name} could not be read as an array: {exc}") from exc


def _check_2d(a: np.ndarray, name: str) -> None:
    if a.ndim != 2:
        raise DataValueError(
            f"{name} must be 2-D with shape (N samples, L labels); got shape {a.shape}."
        )
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise DataValueError(
            f"{name} is empty (shape {a.shape}); need at least 1 sample and 1 label."
        )


def _check_labels(y: ArrayLike, name: str = "y_true") -> np.ndarray:
    """Return ``y`` as a bool array of shape (N, L), checking that every entry is 0 or 1."""
    arr = _to_numpy(y, name)
    _check_2d(arr, name)
    if arr.dtype == np.bool_:
        return arr
    if not (np.issubdtype(arr.dtype, np.number)):
        raise DataValueError(f"{name} must be numeric 0/1 labels; got dtype {arr.dtype}.")
    ok = (arr == 0) | (arr == 1)
    if not ok.all():
        bad = arr[~ok]
        raise DataValueError(
            f"{name} must contain only 0 and 1; found {bad.size} other value(s), e.g. {bad[:3]!r}."
            " Binarise labels (and use scores, not labels, where scores are expected)."
        )
    return arr == 1


def _check_scores(s: ArrayLike, name: str = "scores") -> np.ndarray:
    """Return ``s`` as a float64 array of shape (N, L), checking that it is finite.

    Scores are compared in float64 so that ``threshold_sweep`` (array thresholds) and the
    single-threshold functions (Python float thresholds) binarise identically.
    """
    arr = _to_numpy(s, name)
    _check_2d(arr, name)
    if arr.dtype != np.bool_ and not np.issubdtype(arr.dtype, np.number):
        raise DataValueError(f"{name} must be real-valued scores; got dtype {arr.dtype}.")
    arr = arr.astype(np.float64, copy=False)
    if not np.isfinite(arr).all():
        n_bad = int((~np.isfinite(arr)).sum())
        raise DataValueError(
            f"{name} contains {n_bad} non-finite value(s) (NaN or inf); a diverged model? "
            "Scores must be finite."
        )
    return arr


def _check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise DataValueError(
            f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they must match "
            "(N samples, L labels)."
        )


def _check_scored(y_true: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y, s = _check_labels(y_true, "y_true"), _check_scores(scores, "scores")
    _check_same_shape(y, s, "y_true", "scores")
    return y, s


def _check_thresholds(thresholds: ArrayLike) -> np.ndarray:
    t = _to_numpy(thresholds, "thresholds")
    t = np.atleast_1d(t)
    if t.ndim != 1 or t.size == 0:
        raise DataValueError(f"thresholds must be a non-empty 1-D sequence; got shape {t.shape}.")
    if not np.issubdtype(t.dtype, np.number) or not np.isfinite(t.astype(np.float64)).all():
        raise DataValueError(f"thresholds must be finite numbers; got {t!r}.")
    return t.astype(np.float64)


def _check_threshold(threshold: float) -> float:
    try:
        t = float(threshold)
    except (TypeError, ValueError) as exc:
        raise DataValueError(f"threshold must be a number; got {threshold!r}.") from exc
    if not np.isfinite(t):
        raise DataValueError(f"threshold must be finite; got {threshold!r}.")
    return t


# ---------------------- metrics from counts; every array may carry leading axes (thresholds)
def _metrics_from_predictions(y: np.ndarray, pred: np.ndarray) -> dict[str, np.ndarray]:
    """All threshold-dependent metrics for predictions of shape (..., N, L); y is (N, L).

    Returns arrays of shape ``pred.shape[:-2]``.
    """
    n, n_labels = y.shape
    hit = pred & y  # true positives, (..., N, L)
    # Per sample: |T & P|, |P|; |T| does not depend on the prediction.
    tp_n = hit.sum(axis=-1)  # (..., N)
    p_n = pred.sum(axis=-1)  # (..., N)
    t_n = y.sum(axis=-1)  # (N,)
    # Per label: tp_l, |P|_l (= tp + fp), |T|_l (= tp + fn).
    tp_l = hit.sum(axis=-2)  # (..., L)
    p_l = pred.sum(axis=-2)  # (..., L)
    t_l = y.sum(axis=-2)  # (L,)

    out: dict[str, np.ndarray] = {}
    # example-F1: 2|T&P| / (|T|+|P|) over samples with |T|+|P| > 0; nan if there are none.
    denom_n = t_n + p_n
    valid = denom_n > 0
    n_valid = valid.sum(axis=-1)
    ratio = np.divide(2.0 * tp_n, denom_n, out=np.zeros(denom_n.shape), where=valid)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["example_f1"] = np.where(n_valid > 0, ratio.sum(axis=-1) / n_valid, np.nan)
    # micro-F1: 2 sum tp / (2 sum tp + sum fp + sum fn) = 2 sum tp / (sum |P| + sum |T|).
    tp_all = tp_l.sum(axis=-1)
    denom_all = p_l.sum(axis=-1) + t_l.sum()
    out["micro_f1"] = np.divide(
        2.0 * tp_all, denom_all, out=np.zeros(np.shape(denom_all)), where=denom_all > 0
    )
    # macro-F1: per label 2 tp / (2 tp + fp + fn) = 2 tp / (|P|_l + |T|_l); 0 when undefined.
    denom_l = p_l + t_l
    f1_l = np.divide(2.0 * tp_l, denom_l, out=np.zeros(denom_l.shape), where=denom_l > 0)
    out["macro_f1"] = f1_l.mean(axis=-1)
    # Hamming accuracy: fraction of entries right. Wrong entries = fp + fn = |P| + |T| - 2 tp.
    wrong_n = p_n + t_n - 2 * tp_n  # (..., N)
    out["hamming_accuracy"] = 1.0 - wrong_n.sum(axis=-1) / (n * n_labels)
    # Subset accuracy: fraction of samples with no wrong entry.
    out["subset_accuracy"] = (wrong_n == 0).mean(axis=-1)
    return out


def _prepare(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = _check_labels(y_true, "y_true")
    p = _check_labels(y_pred, "y_pred")
    _check_same_shape(y, p, "y_true", "y_pred")
    return y, p


def example_f1(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Example-based F1 of 0/1 predictions (:eq:`eq-example-f1`).

    ``mean_{n : |T_n|+|T^_n|>0} 2|T_n & T^_n| / (|T_n| + |T^_n|)``: samples with no true and no
    predicted label are dropped; ``nan`` if all are dropped
    (= ``f1_score(average='samples', zero_division=np.nan)``).

    Args:
        y_true: 0/1 labels, (N, L).
        y_pred: 0/1 predictions, (N, L).

    Returns:
        The metric, a Python float; ``nan`` when every sample is dropped.

    Raises:
        ~minicgmvae.errors.DataValueError: entries other than 0/1, or arrays that are not
            (N, L) or differ in shape.
    """
    y, p = _prepare(y_true, y_pred)
    return float(_metrics_from_predictions(y, p)["example_f1"])


def micro_f1(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Micro-averaged F1 (:eq:`eq-micro-f1`): ``2 sum tp / (2 sum tp + sum fp + sum fn)``.

    0 when undefined (no true and no predicted positive at all).

    Args:
        y_true: 0/1 labels, (N, L).
        y_pred: 0/1 predictions, (N, L).

    Returns:
        The metric, a Python float.

    Raises:
        ~minicgmvae.errors.DataValueError: entries other than 0/1, or arrays that are not
            (N, L) or differ in shape.
    """
    y, p = _prepare(y_true, y_pred)
    return float(_metrics_from_predictions(y, p)["micro_f1"])


def macro_f1(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Macro-averaged F1 (:eq:`eq-macro-f1`): ``(1/L) sum_l 2 tp_l / (2 tp_l + fp_l + fn_l)``.

    A label with no true and no predicted positive has F1 0 and stays in the mean
    (= ``f1_score(average='macro', zero_division=0)``).

    Args:
        y_true: 0/1 labels, (N, L).
        y_pred: 0/1 predictions, (N, L).

    Returns:
        The metric, a Python float.

    Raises:
        ~minicgmvae.errors.DataValueError: entries other than 0/1, or arrays that are not
            (N, L) or differ in shape.
    """
    y, p = _prepare(y_true, y_pred)
    return float(_metrics_from_predictions(y, p)["macro_f1"])


def hamming_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Hamming accuracy (:eq:`eq-hamming`): the fraction of the N L entries predicted right.

    ``1 - hamming_loss = (1/(N L)) sum_{n,l} [y_nl == p_nl]``.

    Args:
        y_true: 0/1 labels, (N, L).
        y_pred: 0/1 predictions, (N, L).

    Returns:
        The metric, a Python float.

    Raises:
        ~minicgmvae.errors.DataValueError: entries other than 0/1, or arrays that are not
            (N, L) or differ in shape.
    """
    y, p = _prepare(y_true, y_pred)
    return float(_metrics_from_predictions(y, p)["hamming_accuracy"])


def subset_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Subset accuracy, or exact match (:eq:`eq-subset`): ``(1/N) sum_n [y_n == p_n]``.

    A sample counts only when its whole label vector is right.

    Args:
        y_true: 0/1 labels, (N, L).
        y_pred: 0/1 predictions, (N, L).

    Returns:
        The metric, a Python float.

    Raises:
        ~minicgmvae.errors.DataValueError: entries other than 0/1, or arrays that are not
            (N, L) or differ in shape.
    """
    y, p = _prepare(y_true, y_pred)
    return float(_metrics_from_predictions(y, p)["subset_accuracy"])


def _precision_at_k(y: np.ndarray, s: np.ndarray, k: int) -> float:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= y.shape[1]:
        raise DataValueError(f"k must be an integer in [1, L={y.shape[1]}]; got {k!r}.")
    # Stable sort of -s: among equal scores the lower label index comes first.
    top = np.argsort(-s, axis=1, kind="stable")[:, :k]  # (N, k)
    hits = np.take_along_axis(y, top, axis=1).sum(axis=1)  # (N,)
    return float(hits.mean() / k)


def precision_at_k(y_true: ArrayLike, scores: ArrayLike, k: int = 1) -> float:
    """Precision@k (:eq:`eq-precision-at-k`): ``(1/N) sum_n |top_k(s_n) & T_n| / k``.

    Over ALL samples, with no threshold. ``top_k(s_n)`` is the set of the ``k`` labels with the
    highest scores; among equal scores the lower label index wins (deterministic; the authors'
    ``np.argsort(...)[:, ::-1]`` leans the other way on exact ties, which real-valued scores
    almost never have). Samples with no true label count as 0.

    Args:
        y_true: 0/1 labels, (N, L).
        scores: real scores, (N, L) (probabilities or logits: only the order matters).
        k: how many top-scored labels, 1 <= k <= L.

    Returns:
        The metric, a Python float.

    Raises:
        ~minicgmvae.errors.DataValueError: bad labels or scores (not finite, wrong shape), or
            ``k`` outside [1, L].
    """
    y, s = _check_scored(y_true, scores)
    return _precision_at_k(y, s, k)


def _ks_for(n_labels: int) -> tuple[int, ...]:
    """precision@1 always; @3 and @5 too when there are at least 5 labels."""
    return (1, 3, 5) if n_labels >= 5 else (1,)


def all_metrics(y_true: ArrayLike, scores: ArrayLike, threshold: float = 0.5) -> dict[str, float]:
    """Every metric of the paper for scores binarised at one threshold.

    Args:
        y_true: 0/1 labels, (N, L).
        scores: finite scores, (N, L); the predictions are ``scores >= threshold``.
        threshold: the decision threshold.

    Returns:
        ``{"example_f1", "micro_f1", "macro_f1", "hamming_accuracy", "subset_accuracy",
        "precision_at_1"}`` plus ``"precision_at_3"``, ``"precision_at_5"`` when L >= 5;
        values are Python floats.

    Raises:
        ~minicgmvae.errors.DataValueError: bad labels, scores or threshold.
    """
    y, s = _check_scored(y_true, scores)
    t = _check_threshold(threshold)
    out = {m: float(v) for m, v in _metrics_from_predictions(y, s >= t).items()}
    for k in _ks_for(y.shape[1]):
        out[f"precision_at_{k}"] = _precision_at_k(y, s, k)
    return out


def threshold_sweep(
    y_true: ArrayLike, scores: ArrayLike, thresholds: ArrayLike = PAPER_THRESHOLDS
) -> dict[str, np.ndarray]:
    """The threshold-dependent metrics at every threshold at once, by broadcasting.

    Builds the prediction cube ``scores[None] >= thresholds[:, None, None]`` of shape (T, N, L)
    and reduces it; thresholds are processed in chunks only when the cube would exceed 16 Mi
    cells, so there is never a Python loop over samples or labels.

    Args:
        y_true: 0/1 labels, (N, L).
        scores: finite scores, (N, L).
        thresholds: (T,) thresholds, any order.

    Returns:
        ``{metric: array of shape (T,)}`` for the metrics of :data:`THRESHOLD_METRICS`, entry
        ``i`` being the metric at ``thresholds[i]``.

    Raises:
        ~minicgmvae.errors.DataValueError: bad labels, scores or thresholds.
    """
    y, s = _check_scored(y_true, scores)
    return _sweep(y, s, _check_thresholds(thresholds))


def _sweep(y: np.ndarray, s: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`threshold_sweep` on checked inputs."""
    chunk = max(1, _MAX_CELLS // y.size)
    parts = [
        _metrics_from_predictions(y, s[None, :, :] >= t[i : i + chunk, None, None])
        for i in range(0, t.size, chunk)
    ]
    return {m: np.concatenate([p[m] for p in parts]) for m in THRESHOLD_METRICS}


@dataclass(frozen=True)
class ScoreSweep:
    """Every metric of one split's scores: each threshold metric at every candidate threshold,
    and precision@k (which has no threshold), from inputs checked once.

    Attributes:
        thresholds: the candidate thresholds, (T,) float64, in the order given.
        curves: ``{metric: (T,) array}`` for the metrics of :data:`THRESHOLD_METRICS`.
        ranked: ``{"precision_at_k": value}`` for the ``k`` of :func:`all_metrics`.
        n_labels: L, the number of labels.
    """

    thresholds: np.ndarray
    curves: dict[str, np.ndarray]
    ranked: dict[str, float]
    n_labels: int


def score_sweep(
    y_true: ArrayLike, scores: ArrayLike, thresholds: ArrayLike = PAPER_THRESHOLDS,
    ranked: bool = True,
) -> ScoreSweep:
    """One pass over a split: the inputs checked once, every threshold metric at every
    threshold (:func:`threshold_sweep`) and precision@k once; every protocol of
    :mod:`minicgmvae.protocols` reads its numbers from such sweeps.

    Args:
        y_true: 0/1 labels, (N, L).
        scores: finite scores, (N, L).
        thresholds: (T,) candidate thresholds, any order.
        ranked: compute precision@k too (a split that only chooses thresholds needs none).

    Returns:
        The :class:`ScoreSweep`: at threshold ``i`` its curves and ``ranked`` are
        ``all_metrics(y_true, scores, thresholds[i])``.

    Raises:
        ~minicgmvae.errors.DataValueError: bad labels, scores or thresholds.
    """
    y, s = _check_scored(y_true, scores)
    t, ks = _check_thresholds(thresholds), (_ks_for(y.shape[1]) if ranked else ())
    at_k = {f"precision_at_{k}": _precision_at_k(y, s, k) for k in ks}
    return ScoreSweep(t, _sweep(y, s, t), at_k, int(y.shape[1]))


def torch_f1_sweep(
    y_true: torch.Tensor, scores: torch.Tensor, thresholds: torch.Tensor, kind: str = "macro_f1"
) -> torch.Tensor:
    """F1 at every threshold at once, on the tensors' device, for validation in training loops.

    Same definitions as :func:`macro_f1`, :func:`micro_f1` and :func:`example_f1`, with
    ``pred = scores >= threshold``. No input checks: this sits in training loops.

    Args:
        y_true: 0/1 labels, (N, L).
        scores: probabilities, (N, L).
        thresholds: (T,) thresholds.
        kind: ``"macro_f1"``, ``"micro_f1"`` or ``"example_f1"``.

    Returns:
        (T,) tensor on the inputs' device.

    Raises:
        ValueError: an unknown ``kind``.
    """
    pred = scores.unsqueeze(0) >= thresholds.view(-1, 1, 1)  # (T, N, L)
    truth = y_true.unsqueeze(0) > 0.5
    tp = (pred & truth).float()
    n_pred = pred.float()
    n_true = truth.float().expand_as(n_pred)
    if kind == "macro_f1":
        num, den = 2 * tp.sum(1), n_pred.sum(1) + n_true.sum(1)  # (T, L)
        return torch.where(den > 0, num / den.clamp(min=1), torch.zeros_like(num)).mean(1)
    if kind == "micro_f1":
        num, den = 2 * tp.sum((1, 2)), n_pred.sum((1, 2)) + n_true.sum((1, 2))
        return torch.where(den > 0, num / den.clamp(min=1), torch.zeros_like(num))
    if kind == "example_f1":
        num, den = 2 * tp.sum(2), n_pred.sum(2) + n_true.sum(2)  # (T, N)
        kept = (den > 0).float()
        f1 = torch.where(den > 0, num / den.clamp(min=1), torch.zeros_like(num))
        return (f1 * kept).sum(1) / kept.sum(1).clamp(min=1)
    raise ValueError(f"Unknown F1 kind {kind!r}.")


def torch_macro_f1(
    y_true: torch.Tensor, scores: torch.Tensor, threshold: float = 0.5
) -> torch.Tensor:
    """Macro-F1 on tensors, on their own device, for cheap validation during training.

    Same definition as :func:`macro_f1` (labels with no true and no predicted positive count 0),
    with ``pred = scores >= threshold``. No input checks: this sits in training loops.

    Args:
        y_true: (N, L) tensor of 0/1 labels (any dtype).
        scores: (N, L) tensor of scores (probabilities, or logits with ``threshold=0``).
        threshold: decision threshold.

    Returns:
        A 0-dim float tensor on the inputs' device.
    """
    t = torch.tensor([threshold], device=scores.device, dtype=scores.dtype)
    return torch_f1_sweep(y_true, scores, t, "macro_f1")[0]
