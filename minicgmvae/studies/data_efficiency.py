"""Data efficiency: how each method scores as the training set grows.

The abstract claims that C-GMVAE "can often match other models' full performance with only
50% of the training data". :func:`run_data_efficiency` trains C-GMVAE, the MLP and binary
relevance on fractions of the training split (:func:`~minicgmvae.data.subsets.training_subset`;
validation and test stay whole) and records every protocol per run. For each seed s the
subset is drawn with seed s and the models are trained with seed s, so the seed spread
covers both which samples were kept and how training went. ``first_half=True`` adds the
authors' protocol for 50%: the first half of the training file, the same rows for every
seed. Command line: ``python -m minicgmvae efficiency --dataset yeast``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..baselines import run_baseline
from ..config import paper_settings
from ..data.subsets import training_subset
from .ablations import ABLATION_EPOCHS
from .experiments import study_record, summarise, train_seeds

#: The fractions of the training split that the study trains on.
FRACTIONS = (0.1, 0.25, 0.5, 0.75, 1.0)
#: The methods compared, C-GMVAE, the MLP baseline and binary relevance
#: (:mod:`minicgmvae.baselines`).
METHODS = ("cgmvae", "mlp", "br")


def _cell_key(method: str, fraction: float, mode: str) -> str:
    return f"{method}|{fraction:g}|{mode}"


def get_cell(record: dict[str, Any], method: str, fraction: float, mode: str = "random") -> Any:
    """One (method, fraction, mode) cell of a :func:`run_data_efficiency` record.

    Args:
        record: the record.
        method: one of :data:`METHODS`.
        fraction: the fraction of the training split.
        mode: ``"random"`` subsets, or ``"first"`` (the authors' first 50%, at fraction 0.5).

    Returns:
        The cell: ``{"method", "fraction", "mode", "n_train", "runs", "summary"}``.

    Raises:
        KeyError: the record has no such cell (the message lists the cells it has).
    """
    key = _cell_key(method, fraction, mode)
    if key not in record["cells"]:
        raise KeyError(f"No cell {key!r}; the record has {sorted(record['cells'])}.")
    return record["cells"][key]


def run_data_efficiency(
    data: Any,
    fractions: Sequence[float] = FRACTIONS,
    seeds: Sequence[int] = (1, 2, 3),
    methods: Sequence[str] = METHODS,
    epochs: int = ABLATION_EPOCHS,
    *,
    first_half: bool = True,
    device: str = "auto",
    progress: bool = True,
    previous: dict[str, Any] | None = None,
    on_cell: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train every method on every fraction for every seed; return one JSON-friendly record.

    Args:
        data: a loaded dataset.
        fractions: fractions of the training split, each in (0, 1].
        seeds: seeds of the subsets and of the training runs.
        methods: ``"cgmvae"`` (the reproduction settings with ``epochs`` epochs), ``"mlp"``
            and ``"br"`` (:mod:`minicgmvae.baselines`, default settings).
        epochs: C-GMVAE's epochs at every fraction (the MLP keeps its own 200).
        first_half: also run the authors' "first 50%" subset.
        device: where the torch models train.
        progress: progress bars.
        previous: an unfinished earlier record with the same dataset, epochs and seeds: its
            cells are kept, so an interrupted run resumes.
        on_cell: called with the record so far after each (method, fraction, mode) cell.

    Returns:
        ``{"dataset", "split", "epochs", "seeds", "cells": {"method|fraction|mode":
        {"method", "fraction", "mode", "n_train", "runs": [{"seed", "protocols", ...}],
        "summary"}}, "wall_seconds", "provenance"}`` (a cell: :func:`get_cell`). Baseline
        runs also keep their ``params`` (the MLP's epochs, width, ...; BR's ``C``).
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"Unknown methods {unknown}; choose from {list(METHODS)}.")
    record = study_record(data, epochs, seeds, device, "cells", previous)
    plan = [(f, "random") for f in fractions]
    if first_half:
        plan.append((0.5, "first"))
    for fraction, mode in plan:
        for method in methods:
            key = _cell_key(method, fraction, mode)
            if key in record["cells"]:
                continue
            t0 = time.perf_counter()
            record["cells"][key] = _run_cell(data, method, fraction, mode, seeds, epochs,
                                             device, progress)
            record["wall_seconds"] += time.perf_counter() - t0
            if on_cell is not None:
                on_cell(record)
    return record


def _run_cell(data: Any, method: str, fraction: float, mode: str, seeds: Sequence[int],
              epochs: int, device: str, progress: bool) -> dict[str, Any]:
    """One cell of the study: ``method`` on a ``fraction`` subset, once per seed."""
    runs = []
    for seed in seeds:
        sub = training_subset(data, fraction, seed=seed, mode=mode)
        runs.append(_train_one(sub, method, int(seed), epochs, device, progress))
    return {
        "method": method,
        "fraction": fraction,
        "mode": mode,
        "n_train": int(runs[0]["n_train"]),
        "runs": runs,
        "summary": summarise(runs),
    }


def _train_one(
    data: Any, method: str, seed: int, epochs: int, device: str, progress: bool
) -> dict[str, Any]:
    """One run of one method on one subset: its protocols and a few facts."""
    t0 = time.perf_counter()
    if method == "cgmvae":
        s = paper_settings(data.name, data.n_features, data.n_labels, epochs=epochs)
        r = train_seeds(data, [seed], s.model, s.train, device=device, progress=progress)
        run = r["runs"][0]
        out = {"protocols": run["protocols"], "best_epoch": run["best_epoch"]}
    else:
        kw: dict[str, Any] = {"progress": progress, "device": device} if method == "mlp" else {}
        r = run_baseline(data, method, seed, keep_scores=False, **kw)
        params = {k: v for k, v in r["params"].items() if k != "history"}
        out = {"protocols": r["protocols"], "params": params}
        if "best_epoch" in params:
            out["best_epoch"] = params["best_epoch"]
    return {"seed": seed, "n_train": len(data.x_train), "seconds": time.perf_counter() - t0, **out}


def learning_curve(
    record: dict[str, Any], method: str, metric: str, protocol: str = "paper"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fractions, mean, std) of one method's random-subset cells, sorted by fraction.

    Args:
        record: a :func:`run_data_efficiency` record.
        method: one of :data:`METHODS`.
        metric: the metric's name, e.g. ``"macro_f1"``.
        protocol: the protocol's name, e.g. ``"paper"`` or ``"honest"``.

    Returns:
        Three arrays of the same length: the fractions, the mean over seeds and the std.
    """
    cells = [c for c in record["cells"].values() if c["method"] == method and c["mode"] == "random"]
    cells.sort(key=lambda c: c["fraction"])
    f = np.array([c["fraction"] for c in cells])
    m = np.array([c["summary"][protocol][metric]["mean"] for c in cells])
    s = np.array([c["summary"][protocol][metric]["std"] for c in cells])
    return f, m, s


__all__ = ["FRACTIONS", "METHODS", "get_cell", "learning_curve", "run_data_efficiency"]
