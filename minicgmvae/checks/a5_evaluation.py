"""Assignment 5, the evaluation protocols: :func:`check_example_f1`,
:func:`check_paper_protocol` and :func:`check_honest_protocol`, on numpy arrays."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from ..metrics import MAIN_METRICS, PAPER_THRESHOLDS, example_f1, threshold_sweep
from ..protocols import ProtocolResult, honest_protocol, paper_protocol
from .harness import DeviceLike, Report, StudentFn, call_student, format_number, run_check
from .results import CheckResult


def _as_number(f: str, name: str, got: Any, report: Report) -> float | None:
    if got is None:
        report.add("type", name, f"Your `{f}` returned None: did you forget the `return` "
                   "statement?")
        return None
    try:
        return float(got)
    except (TypeError, ValueError):
        report.add("type", name, f"Your `{f}` returned a {type(got).__name__}; expected one "
                   "number (a Python float).")
        return None


def _same_number(a: float, b: float, tol: float = 1e-9) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol


def _example_f1_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    y = (rng.random((20, 6)) < 0.35).astype(np.int64)
    y[np.arange(20), rng.integers(0, 6, 20)] = 1
    pred = np.where(rng.random((20, 6)) < 0.2, 1 - y, y)
    pred[np.arange(20), rng.integers(0, 6, 20)] = 1
    t4 = np.array([[1, 0, 1, 0], [0, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0]])
    p4 = np.array([[1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 0, 1], [1, 0, 0, 0]])
    p_none = p4.copy()
    p_none[2] = 0
    zeros = np.zeros((3, 4), dtype=np.int64)
    return [
        ("a random 20 x 6 problem", y, pred),
        ("a sample with no true and no predicted label (dropped from the mean)", t4, p4),
        ("a sample with true labels but no predicted label (it scores 0)", t4, p_none),
        ("no sample has a true or a predicted label (undefined: nan)", zeros, zeros),
        ("perfect predictions", y, y.copy()),
    ]


def _example_f1_body(fn: StudentFn, dev: torch.device, report: Report) -> None:
    f = "example_f1"
    for case, y_true, y_pred in _example_f1_cases():
        name = report.case(case)
        ok, got = call_student(f, name, fn, report, y_true.copy(), y_pred.copy())
        if not ok:
            continue
        value = _as_number(f, name, got, report)
        if value is None:
            continue
        expected = example_f1(y_true, y_pred)
        if _same_number(value, expected):
            continue
        hint = _example_f1_hint(value, expected, y_true, y_pred)
        if math.isnan(value) and not math.isnan(expected):
            report.add("NaN", name, f"Your `{f}` returned nan on case '{name}'; expected "
                       f"{format_number(expected)}. {hint}")
        else:
            report.add("value", name, f"Wrong value on case '{name}': got "
                       f"{format_number(value)}, expected {format_number(expected)}. {hint}")


def _example_f1_hint(value: float, expected: float, y_true: np.ndarray,
                     y_pred: np.ndarray) -> str:
    """How samples with no true and no predicted label were counted, else the formula."""
    tp = (y_true & y_pred).sum(1)
    denom = y_true.sum(1) + y_pred.sum(1)
    keep = denom > 0
    ratio = np.divide(2.0 * tp, denom, out=np.zeros(len(denom)), where=keep)
    if math.isnan(expected):
        return ("After dropping the samples with no true and no predicted label none is "
                "left, and the mean of nothing is undefined: return nan "
                "(`float('nan')`).")
    if not keep.all() and _same_number(value, float(np.where(keep, ratio, 1.0).mean())):
        return ("You counted a sample with no true and no predicted label as a perfect 1; "
                "the paper drops such samples from the mean.")
    if not keep.all() and _same_number(value, float(ratio.mean())):
        return ("You counted a sample with no true and no predicted label as 0; the paper "
                "drops such samples from the mean.")
    return ("Per sample: 2 |T & P| / (|T| + |P|); then the mean over the samples that have "
            "a true or a predicted label.")


def check_example_f1(student_fn: StudentFn, *, device: DeviceLike = None,
                     verbose: bool = True) -> CheckResult:
    """Check ``example_f1(y_true, y_pred) -> float`` on 0/1 numpy arrays against
    :func:`minicgmvae.metrics.example_f1`: a random problem, a sample with no true and no
    predicted label (dropped), one with labels but no prediction (scores 0), all samples
    empty (nan) and perfect predictions. ``device`` is accepted for uniformity and unused.

    Args:
        student_fn: the student's function.
        device: unused (the metric works on numpy arrays).
        verbose: show the report.
    """
    return run_check("example_f1", "check_example_f1", _example_f1_body, student_fn, "cpu",
                      verbose)


def _scores_problem(seed: int, n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """0/1 labels and scores of a noisy model: labels of different frequencies, so that the
    metrics peak at different thresholds; ``shift`` moves all scores up or down."""
    rng = np.random.default_rng(seed)
    freq = np.array([0.45, 0.3, 0.2, 0.12, 0.35, 0.06])
    y = (rng.random((n, freq.size)) < freq).astype(np.int64)
    logit = 1.5 * (2 * y - 1) + rng.normal(0.0, 2.2, y.shape) - 0.5 + shift
    return y, 1.0 / (1.0 + np.exp(-logit))


def _paper_cases() -> list[tuple[str, np.ndarray, np.ndarray, tuple[float, ...]]]:
    y, s = _scores_problem(11, 300, 0.0)
    y_missing = y.copy()
    y_missing[:, 5] = 0
    return [
        ("scores of a noisy model (300 samples, 6 labels)", y, s, PAPER_THRESHOLDS),
        ("a label that never occurs in the test set", y_missing, s, PAPER_THRESHOLDS),
        ("other candidate thresholds (0.05, 0.25, 0.5, 0.75, 0.95)", y, s,
         (0.05, 0.25, 0.5, 0.75, 0.95)),
    ]


def _honest_cases() -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    y_val, s_val = _scores_problem(14, 150, 1.2)
    y_test, s_test = _scores_problem(13, 300, 0.0)
    data = (y_val, s_val, y_test, s_test)
    return [
        ("validation and test prefer different thresholds", data, {}),
        ("choosing by example-F1 instead of macro-F1", data, {"select_by": "example_f1"}),
        ("other candidate thresholds (0.05, 0.25, 0.5, 0.75, 0.95)", data,
         {"thresholds": (0.05, 0.25, 0.5, 0.75, 0.95)}),
    ]


def _metric_dict(f: str, name: str, got: Any, report: Report) -> dict[str, float] | None:
    if isinstance(got, ProtocolResult):
        got = got.metrics
    if not isinstance(got, Mapping):
        report.add("type", name, f"Your `{f}` returned a {type(got).__name__}; expected a "
                   "dict from metric name to value: {'example_f1': ..., 'micro_f1': ..., "
                   "'macro_f1': ..., 'hamming_accuracy': ...}.")
        return None
    missing = [m for m in MAIN_METRICS if m not in got]
    if missing:
        report.add("keys", name, f"The dict your `{f}` returned has no {missing[0]!r} entry; "
                   f"it needs {', '.join(repr(m) for m in MAIN_METRICS)}.")
        return None
    try:
        return {m: float(got[m]) for m in MAIN_METRICS}
    except (TypeError, ValueError):
        report.add("type", name, f"Your `{f}` returned values that are not numbers.")
        return None


def _single_threshold_match(d: Mapping[str, float], y: np.ndarray, s: np.ndarray,
                            thresholds: Sequence[float]) -> float | None:
    """The threshold at which ALL of ``d``'s metrics are attained, if there is one."""
    sweep = threshold_sweep(y, s, thresholds)
    for i, t in enumerate(thresholds):
        if all(_same_number(d[m], float(sweep[m][i]), 1e-9) for m in MAIN_METRICS):
            return float(t)
    return None


def _first_wrong_metric(f: str, name: str, fn: StudentFn, report: Report,
                        args: tuple[Any, ...], kwargs: dict[str, Any],
                        ref: ProtocolResult) -> tuple[dict[str, float], str] | None:
    """Call a student's protocol function on one case and compare its four main metrics
    with the reference ``ref``: (their metrics, the first wrong metric), or None when the
    call failed (already reported) or every metric is right."""
    ok, got = call_student(f, name, fn, report, *args, **kwargs)
    if not ok:
        return None
    d = _metric_dict(f, name, got, report)
    if d is None:
        return None
    wrong = [m for m in MAIN_METRICS if not _same_number(d[m], ref.metrics[m])]
    return (d, wrong[0]) if wrong else None


def _same_metrics(d: Mapping[str, float], other: Mapping[str, float]) -> bool:
    return all(_same_number(d[k], other[k]) for k in MAIN_METRICS)


def _wrong_metric_message(name: str, m: str, d: Mapping[str, float], ref: ProtocolResult,
                          hint: str) -> str:
    return (f"Wrong {m} on case '{name}': got {format_number(d[m])}, expected "
            f"{format_number(ref.metrics[m])}. {hint}")


def _paper_protocol_body(fn: StudentFn, dev: torch.device, report: Report) -> None:
    f = "paper_protocol"
    for case, y, s, thresholds in _paper_cases():
        name = report.case(case)
        ref = paper_protocol(y, s, thresholds)
        found = _first_wrong_metric(f, name, fn, report, (y.copy(), s.copy(), thresholds), {},
                                    ref)
        if found is not None:
            d, m = found
            hint = _paper_protocol_hint(d, m, y, s, thresholds, ref)
            report.add("value", name, _wrong_metric_message(name, m, d, ref, hint))


def _paper_protocol_hint(d: Mapping[str, float], m: str, y: np.ndarray, s: np.ndarray,
                         thresholds: tuple[float, ...], ref: ProtocolResult) -> str:
    """Why the metric ``m`` of ``d`` is wrong: a fixed list of thresholds, one threshold for
    all metrics, the minimum, or the value at another threshold."""
    sweep = threshold_sweep(y, s, thresholds)
    one = _single_threshold_match(d, y, s, thresholds)
    if set(thresholds) != set(PAPER_THRESHOLDS) and _same_metrics(
        d, paper_protocol(y, s, PAPER_THRESHOLDS).metrics
    ):
        return "Use the `thresholds` argument, not a fixed list of thresholds."
    if one is not None:
        return (f"You used one threshold (t = {one:g}) for every metric; the paper takes "
                "EACH metric at its own best threshold on the test set.")
    if _same_number(d[m], float(np.min(sweep[m]))):
        return "You took the minimum over the thresholds; the paper takes the maximum."
    if any(_same_number(d[m], float(v)) for v in sweep[m]):
        at = [t for t, v in zip(thresholds, sweep[m]) if _same_number(d[m], float(v))][0]
        return (f"That is {m} at t = {at:g}, but its maximum over the thresholds is at "
                f"t = {ref.thresholds[m]:g}.")
    return ("For each metric: its value at every threshold (predictions are scores >= "
            "t), then the maximum.")


def check_paper_protocol(student_fn: StudentFn, *, device: DeviceLike = None,
                         verbose: bool = True) -> CheckResult:
    """Check ``paper_protocol(y_test, scores_test, thresholds) -> dict`` (each of the four
    main metrics maximised separately over the thresholds on the test set) against
    :func:`minicgmvae.protocols.paper_protocol`: a noisy model whose metrics peak at different
    thresholds, a label absent from the test set, and other candidate thresholds. A
    :class:`~minicgmvae.protocols.ProtocolResult` is accepted in place of the dict.

    Args:
        student_fn: the student's function.
        device: unused (the metrics work on numpy arrays).
        verbose: show the report.
    """
    return run_check("paper_protocol", "check_paper_protocol", _paper_protocol_body,
                      student_fn, "cpu", verbose)


def _honest_protocol_body(fn: StudentFn, dev: torch.device, report: Report) -> None:
    f = "honest_protocol"
    for case, data, kwargs in _honest_cases():
        name = report.case(case)
        ref = honest_protocol(*data, **kwargs)
        found = _first_wrong_metric(f, name, fn, report, tuple(a.copy() for a in data), kwargs,
                                    ref)
        if found is not None:
            d, m = found
            hint = _honest_protocol_hint(d, m, data, kwargs, ref)
            report.add("value", name, _wrong_metric_message(name, m, d, ref, hint))


def _honest_protocol_hint(d: Mapping[str, float], m: str, data: tuple[np.ndarray, ...],
                          kwargs: Mapping[str, Any], ref: ProtocolResult) -> str:
    """Why the metric ``m`` of ``d`` is wrong: a fixed list of thresholds, the paper's
    protocol, the threshold chosen on the test set or by the wrong metric, or t = 0.5."""
    y_val, s_val, y_test, s_test = data
    thresholds = kwargs.get("thresholds", PAPER_THRESHOLDS)
    select_by = kwargs.get("select_by", "macro_f1")
    t_star = ref.thresholds[m]
    on_test = honest_protocol(y_test, s_test, y_test, s_test, thresholds, select_by)
    one = _single_threshold_match(d, y_test, s_test, thresholds)
    if thresholds != PAPER_THRESHOLDS and _same_metrics(
        d, honest_protocol(*data, select_by=select_by).metrics
    ):
        return "Use the `thresholds` argument, not a fixed list of thresholds."
    if _same_metrics(d, paper_protocol(y_test, s_test, thresholds).metrics):
        return ("You maximised each metric on the test set: that is the paper's protocol. "
                "Choose ONE threshold on the validation set, then apply it to the test set.")
    if _same_metrics(d, on_test.metrics):
        return ("You chose the threshold on the TEST set; choose it on the validation set "
                "(`y_val`, `scores_val`), then score the test set with it.")
    if select_by != "macro_f1" and _same_metrics(
        d, honest_protocol(*data, thresholds=thresholds).metrics
    ):
        return "You chose by macro-F1; choose by the metric named in `select_by`."
    if one is not None and one == 0.5 and t_star != 0.5:
        return (f"You used t = 0.5; the validation set's best {select_by} is at "
                f"t = {t_star:g}.")
    if one is not None:
        return (f"You used t = {one:g} for every metric; the validation set's best "
                f"{select_by} is at t = {t_star:g}.")
    return ("Use ONE threshold for all four metrics: the one that maximises "
            "`select_by` on the validation set.")


def check_honest_protocol(student_fn: StudentFn, *, device: DeviceLike = None,
                          verbose: bool = True) -> CheckResult:
    """Check ``honest_protocol(y_val, scores_val, y_test, scores_test, thresholds,
    select_by="macro_f1") -> dict``: one threshold chosen on validation, applied to the test
    set, against :func:`minicgmvae.protocols.honest_protocol`. The cases make validation and
    test prefer different thresholds, change ``select_by`` and the candidate thresholds, and
    the messages recognise choosing on the test set, the paper's protocol and t = 0.5.

    Args:
        student_fn: the student's function.
        device: unused (the metrics work on numpy arrays).
        verbose: show the report.
    """
    return run_check("honest_protocol", "check_honest_protocol", _honest_protocol_body,
                      student_fn, "cpu", verbose)
