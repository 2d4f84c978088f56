"""Running a baseline by name: fit it (optionally over a grid of ``C``), evaluate it under
every protocol, and return a JSON-friendly record (``python -m minicgmvae baseline``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..metrics import PAPER_THRESHOLDS, threshold_sweep
from ..protocols import evaluate_both
from ..provenance import provenance
from .common import BaselineScores, SplitData
from .linear import binary_relevance, classifier_chain
from .mlknn import ml_knn
from .mlp import asl_mlp_baseline, mlp_baseline

__all__ = ["BASELINES", "run_baseline"]


#: The baselines by the name :func:`run_baseline` takes, ``"br"`` (:func:`binary_relevance`),
#: ``"cc"`` (:func:`classifier_chain`), ``"mlp"`` (:func:`mlp_baseline`), ``"mlknn"``
#: (:func:`ml_knn`) and ``"asl"`` (:func:`asl_mlp_baseline`); each is called as
#: ``fn(data, seed=..., **kw)`` and returns :class:`BaselineScores`.
BASELINES = {
    "br": binary_relevance,
    "cc": classifier_chain,
    "mlp": mlp_baseline,
    "mlknn": ml_knn,
    "asl": asl_mlp_baseline,
}

#: The baselines with a logistic regression's ``C`` (the ones ``C_grid`` applies to).
_C_METHODS = ("br", "cc")


def _val_score(data: SplitData, scores_val: np.ndarray, select_by: str) -> float:
    """What a C grid is judged by: the best validation ``select_by`` over the paper thresholds
    (the honest protocol will pick that threshold, so this is the value it would act on)."""
    return float(np.nanmax(threshold_sweep(data.y_val, scores_val, PAPER_THRESHOLDS)[select_by]))


def _search_C(data: SplitData, method: str, C_grid: Sequence[float], seed: int,
              select_by: str, kw: dict[str, Any]) -> tuple[BaselineScores, list[dict[str, Any]]]:
    """Fit ``method`` for each ``C`` and keep the best validation ``select_by`` (ties: the
    smaller, more regularised ``C``). Returns the kept fit and the search's rows."""
    search = []
    for C in sorted(float(c) for c in C_grid):
        out = BASELINES[method](data, C=C, seed=seed, **kw)
        score = _val_score(data, out.val, select_by)
        search.append({"C": C, f"val_{select_by}": score, "out": out})
    # max over validation score; sorted ascending, so max() keeps the smallest C on ties
    best = max(search, key=lambda r: r[f"val_{select_by}"])
    return best["out"], [{k: v for k, v in r.items() if k != "out"} for r in search]


def run_baseline(
    data: SplitData,
    method: str,
    seed: int = 0,
    *,
    C_grid: Sequence[float] | None = None,
    select_by: str = "macro_f1",
    keep_scores: bool = True,
    **kw: Any,
) -> dict[str, Any]:
    """Fit one baseline, evaluate it under every protocol, and return a JSON-friendly record.

    Args:
        data: the splits (with a ``name``).
        method: a key of :data:`BASELINES`: ``"br"``, ``"cc"``, ``"mlp"``, ``"mlknn"`` or
            ``"asl"``.
        seed: the run's seed.
        C_grid: for ``"br"``/``"cc"`` only: try each ``C`` and keep the one with the best
            validation ``select_by`` (maximised over the paper thresholds; ties -> the smaller,
            more regularised ``C``). The test set is never looked at for this choice.
        select_by: the validation metric of the honest protocol (and of the ``C`` grid).
        keep_scores: include the val/test scores as nested lists (set False for big sets).
        **kw: passed to the baseline function (e.g. ``C=0.1``, ``epochs=50``, ``progress=False``,
            ``k=10``).

    Returns:
        ``{"dataset", "method", "seed", "params", "protocols": {"paper", "honest", ...},
        "wall_time_s", "provenance", ["C_search"], ["scores_val", "scores_test"]}``.
    """
    if method not in BASELINES:
        raise ValueError(f"method must be one of {sorted(BASELINES)}; got {method!r}.")
    fn = BASELINES[method]
    t0 = time.perf_counter()
    record: dict[str, Any] = {
        "dataset": getattr(data, "name", None),
        "method": method,
        "seed": seed,
    }
    if C_grid is not None:
        if method not in _C_METHODS:
            raise ValueError("C_grid applies to the logistic-regression baselines 'br' and 'cc'.")
        if "C" in kw:
            raise ValueError("Pass either C or C_grid, not both.")
        result, record["C_search"] = _search_C(data, method, C_grid, seed, select_by, kw)
    else:
        result = fn(data, seed=seed, **kw)
    protocols = evaluate_both(data.y_val, result.val, data.y_test, result.test, select_by=select_by)
    record["params"] = result.info
    record["protocols"] = {name: r.to_dict() for name, r in protocols.items()}
    record["wall_time_s"] = time.perf_counter() - t0
    device = result.info.get("device", "cpu")  # the torch baselines say where they ran
    record["provenance"] = provenance(str(device))  # package versions, commit, device, date
    if keep_scores:
        record["scores_val"] = result.val.tolist()
        record["scores_test"] = result.test.tolist()
    return record
