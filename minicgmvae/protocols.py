"""Evaluation protocols: how a threshold is chosen before the metrics are reported.

Four protocols, all over the same metric definitions (:mod:`minicgmvae.metrics`):

* ``paper`` (:eq:`eq-paper-protocol`) - the authors' ``test.py``: EACH metric is maximised
  separately over the thresholds 0.1, ..., 0.9 ON THE TEST SET. Oracle numbers: the
  threshold is tuned on the data it is scored on, and different metrics may use different
  thresholds.
* ``honest`` (:eq:`eq-honest-protocol`) - ONE threshold chosen on the validation set (the
  one maximising ``select_by``), then applied to the test set for every metric. Test labels
  are used only to score.
* ``honest-per-metric`` (:eq:`eq-honest-per-metric`) - the paper's freedom without its
  oracle: each metric gets its own threshold, the one that maximises THAT metric on the
  validation set. Set against ``paper``, it measures what looking at the test labels adds;
  set against ``honest``, what one threshold per metric adds.
* ``t=0.5`` - one fixed threshold, no tuning at all.

precision@k ranks scores and has no threshold: it is the same under every protocol.

Tie rule (both tuned protocols): among thresholds whose value equals the maximum, the one
closest to 0.5 wins, and of two equally close (e.g. 0.4 and 0.6) the lower one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import DataValueError
from .metrics import (
    MAIN_METRICS,
    PAPER_THRESHOLDS,
    THRESHOLD_METRICS,
    ArrayLike,
    ScoreSweep,
    score_sweep,
)

__all__ = [
    "ProtocolResult",
    "paper_protocol",
    "honest_protocol",
    "honest_per_metric_protocol",
    "fixed_threshold",
    "evaluate_both",
    "choose_threshold",
    "format_table",
    "METRIC_LABELS",
    "markdown_table",
]

#: Short column names for tables.
METRIC_LABELS: dict[str, str] = {
    "example_f1": "ex-F1",
    "micro_f1": "mi-F1",
    "macro_f1": "ma-F1",
    "hamming_accuracy": "HA",
    "subset_accuracy": "subset",
    "precision_at_1": "P@1",
    "precision_at_3": "P@3",
    "precision_at_5": "P@5",
}

# Two metric values closer than this are a tie (they come from integer counts, so real
# differences are far larger).
_TIE_TOL = 1e-12


def _json_float(v: Any) -> float | None:
    """A float for JSON: nan/inf become None (JSON has no NaN)."""
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


@dataclass
class ProtocolResult:
    """The metrics of one protocol on one test set.

    Attributes:
        protocol: ``"paper"``, ``"honest"``, ``"honest-per-metric"`` or ``"t=<threshold>"``.
        metrics: metric name -> value (``nan`` where undefined).
        thresholds: metric name -> the threshold it was computed at; ``None`` for precision@k
            (no threshold) or for a metric undefined at every threshold.
        select_by: the validation metric that chose the threshold (``honest`` only).
        details: extra JSON-friendly facts, e.g. the validation curve of the honest protocol.
    """

    protocol: str
    metrics: dict[str, float]
    thresholds: dict[str, float | None]
    select_by: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (plain floats; nan becomes None)."""
        return {
            "protocol": self.protocol,
            "metrics": {k: _json_float(v) for k, v in self.metrics.items()},
            "thresholds": {k: _json_float(v) for k, v in self.thresholds.items()},
            "select_by": self.select_by,
            "details": self.details,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ProtocolResult:
        """Inverse of :meth:`to_dict` (None metrics come back as nan).

        Args:
            d: a dict as :meth:`to_dict` returns it (or its JSON round trip).

        Returns:
            The result.
        """
        return cls(
            protocol=d["protocol"],
            metrics={k: (float("nan") if v is None else float(v)) for k, v in d["metrics"].items()},
            thresholds=dict(d["thresholds"]),
            select_by=d.get("select_by"),
            details=dict(d.get("details", {})),
        )


def _best_index(values: np.ndarray, thresholds: np.ndarray) -> int | None:
    """Index of the best threshold: max value, ties -> closest to 0.5, then the lower one.

    ``values`` and ``thresholds`` have shape (T,). nan values never win; all nan -> None.
    """
    if np.isnan(values).all():
        return None
    best = np.nanmax(values)
    cand = np.flatnonzero(values >= best - _TIE_TOL)  # nan compares False: never a candidate
    # lexsort: last key is primary -> distance to 0.5 first, then the threshold itself.
    order = np.lexsort((thresholds[cand], np.abs(thresholds[cand] - 0.5)))
    return int(cand[order[0]])


def _check_select_by(select_by: str) -> None:
    if select_by not in THRESHOLD_METRICS:
        raise ValueError(
            f"select_by must be one of {THRESHOLD_METRICS} (threshold-dependent metrics); "
            f"got {select_by!r}."
        )


def choose_threshold(val: ScoreSweep, select_by: str = "macro_f1") -> float:
    """The threshold that maximises ``select_by`` on validation: the one rule that chooses a
    threshold, for the honest protocol, the estimator, the saved predictor and the command line.

    Implements the choice of :eq:`eq-honest-protocol`:
    ``t* = argmax_{t in thresholds} select_by(y_val, scores_val >= t)``; ties go to the
    threshold closest to 0.5, then to the lower one.

    Args:
        val: the validation sweep, ``score_sweep(y_val, scores_val, thresholds)``
            (:func:`~minicgmvae.metrics.score_sweep`).
        select_by: the metric to maximise, one of :data:`~minicgmvae.metrics.THRESHOLD_METRICS`.

    Returns:
        The chosen threshold, one of ``val.thresholds``.

    Raises:
        ValueError: ``select_by`` is not a threshold metric.
        ~minicgmvae.errors.DataValueError: ``select_by`` is undefined on validation at every
            threshold.
    """
    _check_select_by(select_by)
    i = _best_index(val.curves[select_by], val.thresholds)
    if i is None:
        raise DataValueError(
            f"Validation {select_by} is undefined at every threshold (e.g. example_f1 when no "
            "validation sample has a true or predicted label); choose another select_by."
        )
    return float(val.thresholds[i])


# ------------------------------------------------------------- the rules, read off the sweeps
def _per_metric_result(protocol: str, chooser: ScoreSweep, test: ScoreSweep,
                       details: dict[str, Any]) -> ProtocolResult:
    """Each threshold metric at its own best threshold on ``chooser``'s sweep, read off the
    ``test`` sweep (``chooser`` is the test sweep itself for the paper's protocol)."""
    metrics: dict[str, float] = {}
    chosen: dict[str, float | None] = {}
    for m in THRESHOLD_METRICS:
        i = _best_index(chooser.curves[m], chooser.thresholds)
        metrics[m] = float("nan") if i is None else float(test.curves[m][i])
        chosen[m] = None if i is None else float(test.thresholds[i])
    metrics.update(test.ranked)  # precision@k has no threshold
    chosen.update(dict.fromkeys(test.ranked))
    details = {**details, "candidate_thresholds": [float(x) for x in test.thresholds]}
    return ProtocolResult(protocol, metrics, chosen, details=details)


def _at_threshold(protocol: str, test: ScoreSweep, threshold: float,
                  **kw: Any) -> ProtocolResult:
    """Every metric at one threshold, read off the test sweep (which must hold it)."""
    i = int(np.flatnonzero(test.thresholds == threshold)[0])
    metrics = {**{m: float(c[i]) for m, c in test.curves.items()}, **test.ranked}
    chosen: dict[str, float | None] = {
        m: (None if m in test.ranked else float(threshold)) for m in metrics
    }
    return ProtocolResult(protocol, metrics, chosen, **kw)


def _honest(val: ScoreSweep, test: ScoreSweep, select_by: str) -> ProtocolResult:
    t = choose_threshold(val, select_by)  # validation only: the test labels just score
    details = {
        "selected_on": "validation",
        "candidate_thresholds": [float(x) for x in val.thresholds],
        f"val_{select_by}": [_json_float(v) for v in val.curves[select_by]],
    }
    return _at_threshold("honest", test, t, select_by=select_by, details=details)


def _sweeps(y_val: ArrayLike, scores_val: ArrayLike, y_test: ArrayLike, scores_test: ArrayLike,
            thresholds: Sequence[float]) -> tuple[ScoreSweep, ScoreSweep]:
    val = score_sweep(y_val, scores_val, thresholds, ranked=False)  # it only chooses
    test = score_sweep(y_test, scores_test, thresholds)
    if val.n_labels != test.n_labels:
        raise DataValueError(
            f"Validation scores have {val.n_labels} labels but test scores have "
            f"{test.n_labels}; they must match."
        )
    return val, test


# ------------------------------------------------------------------------- the protocols
def paper_protocol(
    y_test: ArrayLike, scores_test: ArrayLike, thresholds: Sequence[float] = PAPER_THRESHOLDS
) -> ProtocolResult:
    """The paper's numbers: each metric maximised separately over thresholds on the test set.

    Implements :eq:`eq-paper-protocol`:
    ``metric_paper = max_{t in thresholds} metric(y_test, scores_test >= t)``, one ``t`` per
    metric (recorded in ``thresholds``). These are oracle numbers; see :func:`honest_protocol`.

    Args:
        y_test: 0/1 test labels, (N, L).
        scores_test: test scores, (N, L).
        thresholds: (T,) candidate thresholds.

    Returns:
        A :class:`ProtocolResult` named ``"paper"``.

    Raises:
        ~minicgmvae.errors.DataValueError: bad labels, scores or thresholds.
    """
    test = score_sweep(y_test, scores_test, thresholds)
    return _per_metric_result("paper", test, test, {})


def honest_protocol(
    y_val: ArrayLike,
    scores_val: ArrayLike,
    y_test: ArrayLike,
    scores_test: ArrayLike,
    thresholds: Sequence[float] = PAPER_THRESHOLDS,
    select_by: str = "macro_f1",
) -> ProtocolResult:
    """One threshold chosen on validation, applied to the test set for every metric.

    Implements :eq:`eq-honest-protocol`: ``t*`` is :func:`choose_threshold` on the validation
    sweep (the best ``select_by``; ties: closest to 0.5, then the lower), then every metric is
    ``metric(y_test, scores_test >= t*)``. The choice of ``t*`` never sees the test labels.

    Args:
        y_val: 0/1 validation labels, (N_val, L).
        scores_val: validation scores, (N_val, L).
        y_test: 0/1 test labels, (N_test, L).
        scores_test: test scores, (N_test, L).
        thresholds: (T,) candidate thresholds.
        select_by: the metric maximised on validation, one of
            :data:`~minicgmvae.metrics.THRESHOLD_METRICS`.

    Returns:
        A :class:`ProtocolResult` named ``"honest"``; ``details`` holds the validation curve.

    Raises:
        ValueError: ``select_by`` is not a threshold metric.
        ~minicgmvae.errors.DataValueError: bad inputs, validation and test scores with different
            label counts, or a ``select_by`` undefined on validation at every threshold.
    """
    _check_select_by(select_by)
    return _honest(*_sweeps(y_val, scores_val, y_test, scores_test, thresholds), select_by)


def honest_per_metric_protocol(
    y_val: ArrayLike,
    scores_val: ArrayLike,
    y_test: ArrayLike,
    scores_test: ArrayLike,
    thresholds: Sequence[float] = PAPER_THRESHOLDS,
) -> ProtocolResult:
    """Each metric at its own threshold, chosen on validation: the paper's protocol, honestly.

    Implements :eq:`eq-honest-per-metric`:
    ``t*_m = argmax_{t in thresholds} m(y_val, scores_val >= t)`` for each threshold metric
    ``m`` (ties: closest to 0.5, then the lower), then ``m(y_test, scores_test >= t*_m)``.
    Like :func:`paper_protocol`, different metrics may use different thresholds; unlike it,
    the test labels only score. A metric undefined on validation at every threshold is
    reported as nan.

    Args:
        y_val: 0/1 validation labels, (N_val, L).
        scores_val: validation scores, (N_val, L).
        y_test: 0/1 test labels, (N_test, L).
        scores_test: test scores, (N_test, L).
        thresholds: (T,) candidate thresholds.

    Returns:
        A :class:`ProtocolResult` named ``"honest-per-metric"``.

    Raises:
        ~minicgmvae.errors.DataValueError: bad inputs, or validation and test scores with
            different label counts.
    """
    val, test = _sweeps(y_val, scores_val, y_test, scores_test, thresholds)
    return _per_metric_result("honest-per-metric", val, test, {"selected_on": "validation"})


def fixed_threshold(
    y_test: ArrayLike, scores_test: ArrayLike, threshold: float = 0.5
) -> ProtocolResult:
    """All metrics at one fixed threshold (protocol name ``"t=<threshold>"``, e.g. ``"t=0.5"``).

    Args:
        y_test: 0/1 labels, (N, L).
        scores_test: scores, (N, L).
        threshold: the decision threshold.

    Returns:
        A :class:`ProtocolResult`.

    Raises:
        ~minicgmvae.errors.DataValueError: bad labels, scores or threshold.
    """
    test = score_sweep(y_test, scores_test, [threshold])
    return _at_threshold(f"t={float(threshold):g}", test, float(test.thresholds[0]))


def evaluate_both(
    y_val: ArrayLike,
    scores_val: ArrayLike,
    y_test: ArrayLike,
    scores_test: ArrayLike,
    thresholds: Sequence[float] = PAPER_THRESHOLDS,
    select_by: str = "macro_f1",
) -> dict[str, ProtocolResult]:
    """Every protocol of this module, from one validation sweep and one test sweep.

    Each split's inputs are checked once and swept once over the thresholds (and 0.5, for
    ``t=0.5``), precision@k is computed once; each protocol is a rule that reads its
    threshold(s) off those sweeps.

    Args:
        y_val: 0/1 validation labels, (N_val, L).
        scores_val: validation scores, (N_val, L).
        y_test: 0/1 test labels, (N_test, L).
        scores_test: test scores, (N_test, L).
        thresholds: (T,) candidate thresholds of the tuned protocols.
        select_by: the validation metric of :func:`honest_protocol`.

    Returns:
        ``{"paper": ..., "honest": ..., "honest-per-metric": ..., "t=0.5": ...}``
        (:class:`ProtocolResult` each).

    Raises:
        ValueError: ``select_by`` is not a threshold metric.
        ~minicgmvae.errors.DataValueError: bad inputs (see :func:`honest_protocol`).
    """
    _check_select_by(select_by)
    t = [float(x) for x in np.atleast_1d(np.asarray(thresholds, dtype=np.float64))]
    extra = [] if 0.5 in t else [0.5]  # t=0.5 reads the same sweep
    val, test = _sweeps(y_val, scores_val, y_test, scores_test, t + extra)
    # the tuned protocols choose among the given thresholds only
    val, tuned = _restrict(val, len(t)), _restrict(test, len(t))
    return {
        "paper": _per_metric_result("paper", tuned, tuned, {}),
        "honest": _honest(val, tuned, select_by),
        "honest-per-metric": _per_metric_result(
            "honest-per-metric", val, tuned, {"selected_on": "validation"}
        ),
        "t=0.5": _at_threshold("t=0.5", test, 0.5),
    }


def _restrict(sweep: ScoreSweep, n: int) -> ScoreSweep:
    """The sweep's first ``n`` thresholds."""
    if n == len(sweep.thresholds):
        return sweep
    curves = {m: c[:n] for m, c in sweep.curves.items()}
    return ScoreSweep(sweep.thresholds[:n], curves, sweep.ranked, sweep.n_labels)


def format_table(
    rows: Iterable[tuple[str, Mapping[str, float | None] | ProtocolResult]],
    metrics: Sequence[str] = MAIN_METRICS,
    digits: int = 3,
) -> str:
    """An aligned plain-text table, one row per ``(name, metrics)`` pair.

    Args:
        rows: ``(row name, metric dict or ProtocolResult)``; a missing or undefined value
            prints as ``-``.
        metrics: the columns, by metric name (headers use :data:`METRIC_LABELS`).
        digits: decimals shown.

    Example::

        run               ex-F1  mi-F1  ma-F1     HA
        BR paper          0.632  0.644  0.469  0.788
    """
    rows = list(rows)
    header = ["run"] + [METRIC_LABELS.get(m, m) for m in metrics]
    body: list[list[str]] = []
    for name, vals in rows:
        d = vals.metrics if isinstance(vals, ProtocolResult) else vals
        cells = [str(name)]
        for m in metrics:
            v = d.get(m)
            ok = v is not None and math.isfinite(float(v))
            cells.append(f"{float(v):.{digits}f}" if ok else "-")
        body.append(cells)
    widths = [max(len(r[j]) for r in [header, *body]) for j in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "  ".join([first, *rest]).rstrip()

    return "\n".join(line(r) for r in [header, *body])


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table (for ``IPython.display.Markdown`` in the book); cells as given.

    Args:
        header: the column titles.
        rows: the rows, each a sequence of cells (formatted with ``str``).

    Returns:
        The table, one line per row, header and separator first.
    """
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
