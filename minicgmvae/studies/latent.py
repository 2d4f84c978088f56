"""The latent-space study: kept alive, do the mixture prior and the contrastive loss help?

Three parts, on one dataset, the same split and the same seeds (:data:`SEEDS`):

1. **Remedies** (:data:`REMEDIES`): the authors' KL weight and five remedies for posterior
   collapse (:mod:`minicgmvae.collapse`), each with the decoder seeing x and without x, so
   12 configurations of C-GMVAE. Each run records the honest protocol's test metrics, its
   validation score and the diagnostics of :func:`~minicgmvae.diagnostics.collapse_report`.
2. **Parts** (:data:`PARTS`): in the best *live* regime without x (:func:`live_regime`:
   at least one active unit on average, then the best mean validation score; chosen before
   any test number is looked at), the three priors with the contrastive loss on and off.
3. **Tuned baselines** (:data:`MLP_GRID`, :data:`BR_GRID`): the MLP and binary relevance
   each get as many configurations as C-GMVAE got in part 1, chosen by the same validation
   score. :func:`tuned_comparison` puts the three winners side by side.

The rule that decides whether a part "matters" is fixed here, before the results: the seed
ranges (min to max over the seeds) of the two settings do not overlap
(:func:`~minicgmvae.studies.ablations.seed_ranges_separate`); a paired t-test over seeds is
reported beside it (:func:`paired_test`).

Every run is stored as soon as it ends (:func:`run_study` with ``save``), so a killed study
resumes where it stopped. Command line::

    python -m minicgmvae.studies.latent --dataset emotions \
        --out minicgmvae/results/latent/emotions.json [--resume]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_write
from ..baselines import binary_relevance, mlp_baseline
from ..config import paper_settings
from ..diagnostics import collapse_report
from ..protocols import honest_protocol
from ..provenance import provenance
from ..training import fit, predict_proba
from .experiments import split_description

#: The seeds of every configuration.
SEEDS = (1, 2, 3, 4, 5)
#: Epochs of every C-GMVAE run, one cosine cycle (t0 = EPOCHS) ending at the smallest rate.
EPOCHS = 40
#: Epochs of every MLP run (its best validation epoch is kept, as for C-GMVAE).
MLP_EPOCHS = 100
#: A regime is live when its posterior has at least this many active units on average.
LIVE_UNITS = 1.0


@dataclass(frozen=True)
class Config:
    """One configuration of the study: a key, what it is, and the settings it changes.

    Attributes:
        key: the short name, e.g. ``"nox/free_bits"``.
        what: in words.
        overrides: fields of the configs (C-GMVAE), or of the baseline's call.
        method: ``"cgmvae"``, ``"mlp"`` or ``"br"``.
    """

    key: str
    what: str
    overrides: dict[str, Any] = field(default_factory=dict)
    method: str = "cgmvae"


#: The remedies of part 1, each applied with and without x in the decoder.
REMEDIES: tuple[Config, ...] = (
    Config("authors", "the authors' KL weight 6"),
    Config("kl_small", "KL weight 0.1", {"kl_weight": 0.1}),
    Config("warmup", "linear KL warm-up over 15 epochs",
           {"kl_annealing": "linear", "kl_anneal_epochs": 15}),
    Config("cyclical", "cyclical KL annealing, cycles of 20 epochs",
           {"kl_annealing": "cyclical", "kl_anneal_epochs": 20}),
    Config("free_bits", "free bits, 0.25 nats per dimension", {"free_bits": 0.25}),
    Config("min_rate", "minimum rate, 0.1 nats per dimension", {"min_rate": 0.1}),
)

#: The parts of part 2, applied on top of the live regime.
PARTS: tuple[Config, ...] = (
    Config("mixture", "mixture prior, contrastive loss (C-GMVAE)"),
    Config("mixture_no_cl", "mixture prior, no contrastive loss", {"contrastive_weight": 0.0}),
    Config("standard_normal", "standard-normal prior, contrastive loss",
           {"prior": "standard_normal"}),
    Config("standard_normal_no_cl", "standard-normal prior, no contrastive loss",
           {"prior": "standard_normal", "contrastive_weight": 0.0}),
    Config("label_gaussian", "label-set Gaussian prior, contrastive loss",
           {"prior": "label_gaussian"}),
    Config("label_gaussian_no_cl", "label-set Gaussian prior, no contrastive loss",
           {"prior": "label_gaussian", "contrastive_weight": 0.0}),
)

#: The MLP's 12 configurations (as many as C-GMVAE's part 1).
MLP_GRID: tuple[Config, ...] = tuple(
    Config(f"mlp/h{'-'.join(map(str, h))}_lr{lr:g}_p{p:g}", f"MLP {h}, lr {lr:g}, dropout {p:g}",
           {"hidden": h, "lr": lr, "dropout": p}, "mlp")
    for h in ((256,), (512,), (512, 256)) for lr in (1e-3, 3e-3) for p in (0.2, 0.5)
)

#: Binary relevance's 12 configurations, the inverse regularisation C on a log grid.
BR_GRID: tuple[Config, ...] = tuple(
    Config(f"br/C{c:g}", f"binary relevance, C = {c:g}", {"C": c}, "br")
    for c in np.logspace(-3, 2.5, 12).round(4)
)


def remedy_configs() -> list[Config]:
    """Part 1's 12 configurations: every remedy with x (``x/...``) and without (``nox/...``)."""
    out = []
    for sees_x, tag in ((False, "nox"), (True, "x")):
        for r in REMEDIES:
            where = "decoder sees x" if sees_x else "decoder without x"
            out.append(Config(f"{tag}/{r.key}", f"{r.what}; {where}",
                              {**r.overrides, "decoder_sees_x": sees_x}))
    return out


def part_configs(regime: Config) -> list[Config]:
    """Part 2's configurations on top of ``regime`` (its key prefixes theirs).

    Args:
        regime: the live regime (:func:`live_regime`).

    Returns:
        One configuration per entry of :data:`PARTS`, the regime's own first.
    """
    return [Config(f"{regime.key}/{p.key}", f"{p.what}; {regime.what}",
                   {**regime.overrides, **p.overrides}) for p in PARTS]


def _scores(y_val: np.ndarray, p_val: np.ndarray, y_test: np.ndarray,
            p_test: np.ndarray) -> dict[str, Any]:
    """The honest protocol's test metrics and the validation score that selects configs:
    the best validation macro-F1 over the thresholds (the authors' checkpoint rule)."""
    honest = honest_protocol(y_val, p_val, y_test, p_test)
    # the protocol's own validation sweep (undefined thresholds stored as None)
    val = [v for v in honest.details["val_macro_f1"] if v is not None]
    return {"val_score": float(max(val)), "threshold": honest.thresholds["macro_f1"],
            "honest": {k: float(v) for k, v in honest.metrics.items()}}


def fit_config(data: Any, config: Config, seed: int, epochs: int = EPOCHS,
               device: str = "cpu") -> Any:
    """Train C-GMVAE in one configuration of the study: the reproduction's settings for
    ``epochs`` epochs (one cosine cycle), changed by ``config.overrides``.

    Args:
        data: the dataset.
        config: the configuration (its ``overrides`` are fields of the two configs).
        seed: the training seed.
        epochs: the number of epochs (also the cosine cycle's length).
        device: where to train.

    Returns:
        The :class:`~minicgmvae.training.FitResult`.
    """
    s = paper_settings(data.name, data.n_features, data.n_labels, epochs=epochs, t0=epochs,
                       seed=seed, **config.overrides)
    return fit(data, s.model, s.train, device=device, progress=False)


def record_fit(data: Any, result: Any) -> dict[str, Any]:
    """The record of one trained run: honest scores, diagnostics on the test set, seconds.

    Args:
        data: the dataset it was trained on.
        result: the :class:`~minicgmvae.training.FitResult`.

    Returns:
        ``{"val_score", "threshold", "honest", "diagnostics", "seed", "best_epoch",
        "seconds"}``.
    """
    import torch

    model = result.model
    out = _scores(data.y_val, predict_proba(model, data.x_val), data.y_test,
                  predict_proba(model, data.x_test))
    dev = next(model.parameters()).device
    out["diagnostics"] = collapse_report(model, torch.as_tensor(data.x_test, device=dev))
    out.update(seed=result.train_config.seed, best_epoch=result.best_epoch,
               seconds=result.seconds)
    return out


def run_cgmvae(data: Any, config: Config, seed: int, epochs: int = EPOCHS,
               device: str = "cpu") -> dict[str, Any]:
    """Train C-GMVAE once (:func:`fit_config`): the record of that seed (:func:`record_fit`).

    Args:
        data: the dataset.
        config: the configuration.
        seed: the training seed.
        epochs: the number of epochs.
        device: where to train.

    Returns:
        The run's record.
    """
    return record_fit(data, fit_config(data, config, seed, epochs, device))


def config_by_key(key: str) -> Config:
    """The study's configuration called ``key`` (a remedy, a part, or a baseline's).

    Args:
        key: e.g. ``"nox/kl_small"`` or ``"nox/kl_small/standard_normal"``.

    Returns:
        The :class:`Config`.

    Raises:
        ValueError: no configuration has that key.
    """
    regimes = [c for c in remedy_configs() if c.key.startswith("nox/")]
    every = [*remedy_configs(), *(p for r in regimes for p in part_configs(r)),
             *MLP_GRID, *BR_GRID]
    for c in every:
        if c.key == key:
            return c
    raise ValueError(f"No configuration {key!r} in the study.")


def run_baseline_config(data: Any, config: Config, seed: int, device: str = "cpu"
                        ) -> dict[str, Any]:
    """Fit the MLP or binary relevance once: the record of one seed."""
    t0 = time.perf_counter()
    if config.method == "mlp":
        b = mlp_baseline(data, epochs=MLP_EPOCHS, seed=seed, device=device, progress=False,
                         **config.overrides)
    else:
        b = binary_relevance(data, seed=seed, **config.overrides)
    out = _scores(data.y_val, b.val, data.y_test, b.test)
    out.update(seed=seed, seconds=time.perf_counter() - t0)
    return out


def _run_config(data: Any, config: Config, record: dict[str, Any], seeds: Sequence[int],
                save: Callable[[dict[str, Any]], None], device: str) -> None:
    """Run the seeds of ``config`` not yet in ``record``, saving after each."""
    entry = record["configs"].setdefault(
        config.key, {"what": config.what, "method": config.method,
                     "overrides": _jsonable(config.overrides), "runs": []})
    done = {r["seed"] for r in entry["runs"]}
    # BR's solver is deterministic: one fit stands for every seed
    todo = [s for s in seeds if s not in done][: 1 if config.method == "br" else None]
    for seed in todo:
        t0 = time.perf_counter()
        run = (run_cgmvae(data, config, seed, record["epochs"], device)
               if config.method == "cgmvae" else run_baseline_config(data, config, seed, device))
        entry["runs"].append(run)
        record["wall_seconds"] += time.perf_counter() - t0
        save(record)
        print(f"{data.name} {config.key} seed {seed}: val {run['val_score']:.3f} "
              f"test macro-F1 {run['honest']['macro_f1']:.3f}", flush=True)


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def mean_of(entry: dict[str, Any], key: Callable[[dict[str, Any]], float]) -> float:
    """The mean over an entry's runs of ``key(run)``.

    Args:
        entry: a configuration's entry of a record (with ``"runs"``).
        key: what to read from a run.

    Returns:
        The mean, as a float.
    """
    return float(np.mean([key(r) for r in entry["runs"]]))


def live_regime(record: dict[str, Any]) -> tuple[Config, bool]:
    """The regime of part 2: among the remedies without x, those with at least
    :data:`LIVE_UNITS` active units on average; of these, the best mean validation score.

    Args:
        record: a study record with part 1's runs.

    Returns:
        The regime's configuration, and whether it is live (if no remedy keeps a unit alive,
        the best by validation is returned with ``False``).
    """
    nox = [c for c in remedy_configs() if c.key.startswith("nox/")]
    entries = {c.key: record["configs"][c.key] for c in nox}
    units = {k: mean_of(e, lambda r: r["diagnostics"]["active_units"]) for k, e in entries.items()}
    live = [c for c in nox if units[c.key] >= LIVE_UNITS]
    pool = live or nox
    best = max(pool, key=lambda c: mean_of(entries[c.key], lambda r: r["val_score"]))
    return best, bool(live)


def best_by_validation(record: dict[str, Any], keys: Iterable[str]) -> str:
    """Of the configurations ``keys``, the one with the best mean validation score.

    Args:
        record: a study record.
        keys: keys of its configurations.

    Returns:
        The chosen key.
    """
    return max(keys, key=lambda k: mean_of(record["configs"][k], lambda r: r["val_score"]))




def tuned_comparison(record: dict[str, Any]) -> dict[str, str]:
    """The configuration each method's tuning chose (by mean validation score).

    C-GMVAE's budget is part 1's 12 configurations; the MLP's and BR's, their 12 each.

    Args:
        record: a study record with parts 1 and 3.

    Returns:
        ``{"cgmvae": key, "mlp": key, "br": key}``.
    """
    keys = {"cgmvae": [c.key for c in remedy_configs()],
            "mlp": [c.key for c in MLP_GRID], "br": [c.key for c in BR_GRID]}
    return {m: best_by_validation(record, ks) for m, ks in keys.items()}














def _new_record(data: Any, epochs: int, seeds: Sequence[int], device: str) -> dict[str, Any]:
    return {"dataset": data.name, "split": split_description(data), "epochs": epochs,
            "mlp_epochs": MLP_EPOCHS, "seeds": [int(s) for s in seeds], "device": device,
            "protocol": "honest: threshold chosen on validation (macro-F1), applied to test",
            "configs": {}, "wall_seconds": 0.0, "provenance": provenance(device)}


def run_study(data: Any, seeds: Sequence[int] = SEEDS, epochs: int = EPOCHS, *,
              device: str = "cpu", previous: dict[str, Any] | None = None,
              save: Callable[[dict[str, Any]], None] = lambda r: None,
              parts: Sequence[str] = ("remedies", "parts", "baselines")) -> dict[str, Any]:
    """Run the study's ``parts`` on ``data``, skipping the runs already in ``previous``.

    Args:
        data: the dataset (its split stays fixed; the seeds vary training).
        seeds: training seeds of every configuration.
        epochs: epochs of every C-GMVAE run.
        device: where to train.
        previous: an unfinished record of the same dataset, epochs and seeds.
        save: called with the record after every run (e.g. to write it atomically).
        parts: which of ``"remedies"``, ``"parts"`` and ``"baselines"`` to run, in that
            order (``"parts"`` needs the remedies' runs).

    Returns:
        The record: ``{"dataset", "split", "epochs", "seeds", "configs": {key: {"what",
        "method", "overrides", "runs"}}, "regime", "wall_seconds", "provenance", ...}``.
    """
    record = previous or _new_record(data, epochs, seeds, device)
    if (record["dataset"], record["epochs"], record["seeds"]) != (data.name, epochs, list(seeds)):
        raise ValueError("Cannot resume: the stored record has another dataset, epochs or seeds.")
    if "remedies" in parts:
        for c in remedy_configs():
            _run_config(data, c, record, seeds, save, device)
    if "parts" in parts:
        regime, live = live_regime(record)
        record["regime"] = {"key": regime.key, "live": live}
        for c in part_configs(regime)[1:]:  # the first is the regime itself, already run
            _run_config(data, c, record, seeds, save, device)
    if "baselines" in parts:
        for c in (*MLP_GRID, *BR_GRID):
            _run_config(data, c, record, seeds, save, device)
    return record


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m minicgmvae.studies.latent``: run (or resume) the study on one dataset."""
    from ..data.datasets import load_dataset

    ap = argparse.ArgumentParser(prog="python -m minicgmvae.studies.latent",
                                 description="The latent-space study on one dataset.")
    ap.add_argument("--dataset", required=True, choices=("yeast", "scene", "emotions"))
    ap.add_argument("--out", required=True, type=Path, help="the JSON record to write")
    ap.add_argument("--resume", action="store_true", help="continue the record in --out")
    ap.add_argument("--parts", nargs="+", default=["remedies", "parts", "baselines"],
                    choices=("remedies", "parts", "baselines"))
    ap.add_argument("--seeds", type=int, default=len(SEEDS), help="seeds 1..N")
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    args = ap.parse_args(argv)
    if args.out.exists() and not args.resume:
        ap.error(f"{args.out} exists: pass --resume to continue it, or choose another --out")
    previous = json.loads(args.out.read_text()) if args.resume and args.out.exists() else None
    args.out.parent.mkdir(parents=True, exist_ok=True)

    def save(record: dict[str, Any]) -> None:
        text = json.dumps(record, indent=1)
        atomic_write(args.out, lambda f: f.write(text), binary=False)

    data = load_dataset(args.dataset)
    try:
        run_study(data, tuple(range(1, args.seeds + 1)), args.epochs, previous=previous,
                  save=save, parts=args.parts)
    except ValueError as e:
        ap.error(str(e))
    return 0


__all__ = [
    "BR_GRID", "Config", "EPOCHS", "LIVE_UNITS", "MLP_GRID", "PARTS", "REMEDIES", "SEEDS",
    "best_by_validation", "config_by_key", "fit_config", "live_regime", "mean_of",
    "part_configs", "record_fit", "remedy_configs", "run_cgmvae", "run_study",
    "tuned_comparison",
]

if __name__ == "__main__":
    raise SystemExit(main())
