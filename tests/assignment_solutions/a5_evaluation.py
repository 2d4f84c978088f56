"""Reference solutions of book/assignments/a5_evaluation.ipynb (bodies only are used)."""

from __future__ import annotations

import numpy as np

import minicgmvae
from minicgmvae.metrics import MAIN_METRICS, PAPER_THRESHOLDS


def example_f1(y_true, y_pred):
    """Mean per-sample F1 over the samples with a true or a predicted label."""
    t, p = np.asarray(y_true) == 1, np.asarray(y_pred) == 1
    both = (t & p).sum(1)
    size = t.sum(1) + p.sum(1)
    kept = size > 0
    if not kept.any():
        return float("nan")
    return float(np.mean(2.0 * both[kept] / size[kept]))


def paper_protocol(y_test, scores_test, thresholds=PAPER_THRESHOLDS):
    """Each main metric at its own best threshold on the test set."""
    sweep = minicgmvae.metrics.threshold_sweep(y_test, scores_test, thresholds)
    return {m: float(np.max(sweep[m])) for m in MAIN_METRICS}


def honest_protocol(y_val, scores_val, y_test, scores_test, thresholds=PAPER_THRESHOLDS,
                    select_by="macro_f1"):
    """One threshold chosen on validation, every metric on the test set."""
    curve = minicgmvae.metrics.threshold_sweep(y_val, scores_val, thresholds)[select_by]
    best = float(thresholds[int(np.argmax(curve))])
    metrics = minicgmvae.metrics.all_metrics(y_test, scores_test, best)
    return {m: metrics[m] for m in MAIN_METRICS}
