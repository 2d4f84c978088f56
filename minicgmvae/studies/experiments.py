"""Runs that produce the book's numbers: several seeds, every protocol, with provenance.

``train_seeds`` trains C-GMVAE once per seed on a fixed data split, evaluates each run under
the protocols of :mod:`minicgmvae.protocols` (the paper's, each metric maximised over
thresholds on the test set; the honest ones, thresholds chosen on validation; t = 0.5), and
summarises mean and std over seeds. The result is a JSON-friendly dict;
``python -m minicgmvae train`` writes it to ``metrics.json``. ``rescore_runs`` scores the
saved checkpoints of such a record again, so that a protocol added later can join the
record without training anew.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..checkpoint import load_checkpoint, model_from_checkpoint
from ..config import ModelConfig, TrainConfig, paper_settings
from ..device import get_device
from ..errors import CheckpointError, DataValueError
from ..protocols import evaluate_both
from ..provenance import provenance
from ..training import FitResult, fit, predict_proba


def evaluate_model(
    model: torch.nn.Module, data: Any, select_by: str = "macro_f1"
) -> dict[str, dict[str, Any]]:
    """Every protocol for a trained model on ``data``'s validation and test splits.

    Args:
        model: a trained :class:`~minicgmvae.model.CGMVAE`.
        data: the dataset (:class:`~minicgmvae.data.datasets.SplitData`).
        select_by: the validation metric that chooses the honest protocol's threshold (the
            run's ``TrainConfig.select_by``).

    Returns:
        ``{protocol name: ProtocolResult.to_dict()}`` for the protocols of
        :func:`~minicgmvae.protocols.evaluate_both`, from one validation and one test sweep.
    """
    p_val = predict_proba(model, data.x_val)
    p_test = predict_proba(model, data.x_test)
    results = evaluate_both(data.y_val, p_val, data.y_test, p_test, select_by=select_by)
    return {name: r.to_dict() for name, r in results.items()}


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float | None]]]:
    """Mean and (population) std over runs of every metric of every protocol.

    Args:
        runs: per-seed results, each with ``"protocols"`` as :func:`evaluate_model` gives them.

    Returns:
        ``{protocol: {metric: {"mean": ..., "std": ...}}}``; None where a metric is undefined
        in every run.
    """
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for proto in runs[0]["protocols"]:
        out[proto] = {}
        for metric in runs[0]["protocols"][proto]["metrics"]:
            vals = [r["protocols"][proto]["metrics"][metric] for r in runs]
            vals = [v for v in vals if v is not None]
            out[proto][metric] = {
                "mean": float(np.mean(vals)) if vals else None,
                "std": float(np.std(vals)) if vals else None,
                "n": len(vals),
            }
    return out


# Over 60 lines only because its docstring documents thirteen arguments; the body is 30.
def train_seeds(
    data: Any,
    seeds: list[int] | tuple[int, ...] = (1, 2, 3),
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
    *,
    device: str = "auto",
    out_dir: str | Path | None = None,
    progress: bool = True,
    note: str = "",
    diagnose: Callable[[torch.nn.Module, Any], dict[str, float]] | None = None,
    checkpoint_every: int = 0,
    resume: bool = False,
    checkpoint_seconds: float = 0.0,
    keep_best: bool = False,
) -> dict[str, Any]:
    """Train and evaluate once per seed; return per-seed results, a summary and provenance.

    ``model_config``/``train_config`` default to :func:`~minicgmvae.config.paper_settings` for
    ``data.name``; the training seed is replaced by each of ``seeds`` (the data split stays
    fixed).

    Args:
        data: the dataset (:class:`~minicgmvae.data.datasets.SplitData`).
        seeds: the training seeds, one run each.
        model_config: the model settings; by default the reproduction's.
        train_config: the training settings; by default the reproduction's.
        device: where to train (see :func:`~minicgmvae.device.get_device`).
        out_dir: if given, each run's checkpoint is saved there as ``seed-<s>.pt``.
        progress: show progress bars.
        note: a line kept in the record (what the run is for).
        diagnose: ``diagnose(model, data) -> dict``, recorded per run under ``"diagnostics"``
            (e.g. :func:`minicgmvae.diagnostics.standard_diagnostics`).
        checkpoint_every: with ``out_dir``, also save each run's checkpoint every this many
            epochs (0: not by count; see :func:`~minicgmvae.training.fit`).
        resume: with ``out_dir``, continue each run from its checkpoint there if it exists.
        checkpoint_seconds: with ``out_dir``, also save each run's checkpoint when this much
            wall time has passed since its last save (0: not by time).
        keep_best: also return the fit of the seed with the best validation score, in memory.

    Returns:
        A JSON-friendly record: the dataset and split, the settings, ``"runs"`` (per seed: best
        epoch, times, history, every protocol), ``"summary"`` (:func:`summarise`), the wall
        time and :func:`~minicgmvae.provenance.provenance`. With ``keep_best``, also
        ``"best_fit"``: that seed's :class:`~minicgmvae.trainer.FitResult` (not JSON: take
        it out before writing the record), with ``extra["threshold"]``, the threshold the
        honest protocol chose for it on validation.
    """
    if model_config is None or train_config is None:
        s = paper_settings(data.name, data.n_features, data.n_labels)
        model_config, train_config = model_config or s.model, train_config or s.train
        note = note or s.note
    runs: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    origin = provenance()  # at the start: the code that is imported and run
    last: FitResult | None = None
    best: FitResult | None = None
    for seed in seeds:
        last = _fit_seed(data, model_config, train_config, int(seed), out_dir, device=device,
                         progress=progress, checkpoint_every=checkpoint_every, resume=resume,
                         checkpoint_seconds=checkpoint_seconds)
        runs.append(_run_entry(last, data, diagnose))
        if keep_best and (best is None or last.best_score > best.best_score):
            honest = runs[-1]["protocols"]["honest"]
            last.extra["threshold"] = honest["thresholds"][honest["select_by"]]
            best = last  # only the best seed's model stays in memory
    kept = {"best_fit": best} if keep_best else {}
    return {
        "dataset": data.name,
        "split": split_description(data),
        "model_config": model_config.to_dict(),
        "train_config": {**train_config.to_dict(), "seed": list(map(int, seeds))},
        "settings_note": note,
        "select_by": train_config.select_by,
        "runs": runs,
        "summary": summarise(runs),
        "wall_seconds": time.perf_counter() - t0,
        "provenance": {**origin, "device": last.device if last else None},
        **kept,
    }


def _fit_seed(
    data: Any,
    model_config: ModelConfig,
    train_config: TrainConfig,
    seed: int,
    out_dir: str | Path | None,
    **fit_options: Any,
) -> FitResult:
    """One run of :func:`train_seeds`: ``train_config`` with ``seed``, its checkpoint (and
    resume, snapshots) only when there is an ``out_dir``."""
    tc = dataclasses.replace(train_config, seed=seed)
    ckpt = Path(out_dir) / f"seed-{seed}.pt" if out_dir is not None else None
    if ckpt is None:
        fit_options.update(checkpoint_every=0, resume=False, checkpoint_seconds=0.0)
    return fit(data, model_config, tc, checkpoint_path=ckpt, **fit_options)


def _run_entry(
    res: FitResult, data: Any, diagnose: Callable[[torch.nn.Module, Any], dict[str, float]] | None
) -> dict[str, Any]:
    """One seed's entry in a :func:`train_seeds` record: how training went, every protocol
    (and the diagnostics, if ``diagnose`` is given)."""
    entry = {
        "seed": int(res.train_config.seed),
        "best_epoch": res.best_epoch,
        "best_val_score": res.best_score,
        "seconds": res.seconds,
        "seconds_per_epoch": float(np.mean(res.history["seconds"])),
        "protocols": evaluate_model(res.model, data, res.train_config.select_by),
        "history": {k: res.history[k] for k in ("loss", "val_score")},
    }
    if diagnose is not None:  # after the protocols, as the stored records were made
        entry["diagnostics"] = diagnose(res.model, data)
    return entry


def merge_seed_records(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One record from several :func:`train_seeds` records of the same experiment.

    Seeds trained by separate commands (``train --first-seed ...``, e.g. in parallel) become
    one record: the runs in the order given, the summary over all of them, the seeds listed
    in ``train_config``, the wall time summed. The first record's provenance stays at the top;
    the others' are kept, in order, under ``"merged_provenance"``.

    Args:
        records: the records to merge, in order.

    Returns:
        The merged record.

    Raises:
        ValueError: the records differ in dataset, split, model settings or training
            settings other than the seed, or share a seed.
    """
    if not records:
        raise ValueError("merge_seed_records needs at least one record.")
    first = records[0]

    def key(rec: dict[str, Any]) -> Any:
        tc = {k: v for k, v in rec["train_config"].items() if k != "seed"}
        return _as_json([rec["dataset"], rec["split"], rec["model_config"], tc])

    for rec in records[1:]:
        if key(rec) != key(first):
            raise ValueError(
                f"Cannot merge: the record of seeds {[r['seed'] for r in rec['runs']]} has "
                "another dataset, split, model or training settings than the first."
            )
    runs = [run for rec in records for run in rec["runs"]]
    seeds = [run["seed"] for run in runs]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"Cannot merge: a seed appears twice in {seeds}.")
    return {
        **first,
        "train_config": {**first["train_config"], "seed": seeds},
        "runs": runs,
        "summary": summarise(runs),
        "wall_seconds": float(sum(rec["wall_seconds"] for rec in records)),
        "merged_provenance": [rec["provenance"] for rec in records[1:]],
    }


def _as_json(obj: Any) -> Any:
    """``obj`` as it reads back from JSON (tuples become lists), for comparisons."""
    return json.loads(json.dumps(obj))


def _same_value(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9  # metrics are ratios of counts: a real change is far larger


def _rescore_run(record: dict[str, Any], run: dict[str, Any], data: Any, checkpoint_dir: Path,
                 dev: torch.device) -> dict[str, Any]:
    """One seed of :func:`rescore_runs`: its checkpoint, checked to be that run's, scored
    under every protocol; the protocols the run already holds must come out the same."""
    path = checkpoint_dir / f"seed-{run['seed']}.pt"
    ckpt = load_checkpoint(path)
    if (
        _as_json(ckpt["model_config"]) != _as_json(record["model_config"])
        or ckpt.get("train_config", {}).get("seed") != run["seed"]
        or ckpt.get("best_epoch") != run["best_epoch"]
    ):
        raise CheckpointError(
            f"{path} is not the checkpoint of this record's seed {run['seed']} (its model "
            "settings, seed or best epoch differ)."
        )
    model = model_from_checkpoint(ckpt, str(path)).to(dev).eval()
    scored = evaluate_model(model, data, record.get("select_by", "macro_f1"))
    for proto, old in run["protocols"].items():
        new = scored.get(proto)
        same = new is not None and all(
            _same_value(old[part][m], new[part].get(m))
            for part in ("metrics", "thresholds")
            for m in old[part]
        )
        if not same:
            raise CheckpointError(
                f"{path} does not reproduce the stored {proto!r} numbers of seed "
                f"{run['seed']}; the checkpoint, the data or the metric code changed."
            )
    return scored


def rescore_runs(
    record: dict[str, Any], data: Any, checkpoint_dir: str | Path, *, device: str = "cpu"
) -> dict[str, Any]:
    """Score the checkpoints of a :func:`train_seeds` record again, under every protocol.

    Each run's checkpoint ``<checkpoint_dir>/seed-<s>.pt`` is loaded and evaluated on
    ``data``. The protocols the record already holds must come out the same, metric for
    metric and threshold for threshold: that proves the checkpoints, the split and the metric
    code are the ones that made the record. Protocols the record lacks (added to the package
    after it was written) are added. Training fields (epochs, times, histories) are kept.

    Args:
        record: a :func:`train_seeds` record.
        data: the dataset it was trained on, split the same way.
        checkpoint_dir: the folder with the runs' ``seed-<s>.pt`` checkpoints.
        device: where to evaluate.

    Returns:
        A new record: runs with every protocol, the summary recomputed, and an entry in
        ``"rescored"`` naming the protocols added and the provenance of this step.

    Raises:
        ~minicgmvae.errors.DataValueError: ``data``'s split is not the record's.
        ~minicgmvae.errors.CheckpointError: a checkpoint is missing, belongs to another run,
            or does not reproduce the stored numbers.
    """
    if split_description(data) != record["split"]:
        raise DataValueError(
            f"The data split {split_description(data)} is not the record's {record['split']}; "
            "load the dataset with the record's validation fraction, split seed and scaling."
        )
    dev = get_device(device)
    runs, added = [], set()
    for run in record["runs"]:
        scored = _rescore_run(record, run, data, Path(checkpoint_dir), dev)
        added |= set(scored) - set(run["protocols"])
        runs.append({**run, "protocols": scored})
    return {
        **record,
        "runs": runs,
        "summary": summarise(runs),
        "rescored": [
            *record.get("rescored", []),
            {"added": sorted(added), "provenance": provenance(str(dev))},
        ],
    }


def split_description(data: Any) -> dict[str, Any]:
    """Sizes and settings of the data split, for the record.

    Args:
        data: the dataset.

    Returns:
        The dataset's name, the sizes of its splits and how they were made (seed, fractions).
    """
    return {
        "n_train": int(len(data.x_train)),
        "n_val": int(len(data.x_val)),
        "n_test": int(len(data.x_test)),
        "split_seed": getattr(data, "seed", None),
        "val_fraction": getattr(data, "val_fraction", None),
        "standardized": getattr(data, "standardized", None),
        "source": "MULAN train/test files; validation carved from train",
    }


def study_record(
    data: Any,
    epochs: int,
    seeds: Sequence[int],
    device: str,
    parts: str,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The common head of a study's JSON record (``ablations``, ``data_efficiency``).

    Args:
        data: the dataset of the study.
        epochs: the epochs of every run.
        seeds: the seeds of the study.
        device: where the study trains.
        parts: the name of the dict of finished parts (``"variants"``, ``"cells"``).
        previous: an unfinished record of the same dataset, epochs and seeds: its parts and
            wall time are kept, and its provenance moves to ``earlier_provenance``, so a
            resumed study still says what made each part.

    Returns:
        The record's head, with an empty (or the previous) dict of parts.

    Raises:
        ValueError: ``previous`` is of another dataset, split, epochs or seeds.
    """
    seeds = [int(s) for s in seeds]
    if previous is not None and (
        previous.get("dataset"),
        previous.get("epochs"),
        previous.get("seeds"),
    ) != (data.name, epochs, seeds):
        raise ValueError(
            "Cannot resume: the earlier record has another dataset, epochs or seeds "
            f"({previous.get('dataset')}, {previous.get('epochs')}, {previous.get('seeds')})."
        )
    record: dict[str, Any] = {
        "dataset": data.name,
        "split": split_description(data),
        "epochs": epochs,
        "seeds": seeds,
        parts: dict(previous[parts]) if previous else {},
        "wall_seconds": float(previous["wall_seconds"]) if previous else 0.0,
        "provenance": provenance(str(get_device(device))),
    }
    if previous:
        record["earlier_provenance"] = [
            *previous.get("earlier_provenance", []),
            previous["provenance"],
        ]
    return record
