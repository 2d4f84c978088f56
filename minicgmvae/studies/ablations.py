"""Ablations: which parts of C-GMVAE matter.

Each :class:`Variant` is the reproduction setting (:func:`~minicgmvae.config.paper_settings`)
with a few fields changed. The set follows the paper's claims and the collapse the book found:

* the prior: the mixture (C-GMVAE), the standard normal (a plain VAE prior), one Gaussian
  built from the label set (MPVAE-like);
* the contrastive loss on or off;
* the KL weight: 0, 1, and the authors' 6;
* the decoder with and without x. Without x, the prediction has to pass through z, so the
  priors are compared again there: with x, the latent space can collapse and the prior then
  matters little. Without x and with the authors' KL weight 6 the latent space may still
  collapse; the last variant lowers the KL weight to 1 there.

:func:`run_ablation` trains every variant for the same seeds on the same split and records
both protocols and :func:`~minicgmvae.diagnostics.standard_diagnostics` per run.
:func:`seed_ranges_separate` is the book's rule for "larger than the seed spread": the
ranges (min to max over seeds) of two variants do not overlap.
Command line: ``python -m minicgmvae ablate --dataset yeast``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import paper_settings
from ..diagnostics import standard_diagnostics
from .experiments import study_record, train_seeds


@dataclass(frozen=True)
class Variant:
    """One ablation: a short key, what it is in words, and the settings it changes.

    Attributes:
        key: the short name (``"no_contrastive"``), used on the command line and in records.
        what: what the variant is, in words.
        overrides: the :class:`~minicgmvae.config.ModelConfig` fields it changes.
    """

    key: str
    what: str
    overrides: dict[str, Any] = field(default_factory=dict)


#: Every ablation of the book, the authors' model first.
#:
#: :meta hide-value:
VARIANTS: tuple[Variant, ...] = (
    Variant("cgmvae", "C-GMVAE: mixture prior, contrastive loss, KL weight 6, decoder sees x"),
    Variant("prior_standard_normal", "standard-normal prior", {"prior": "standard_normal"}),
    Variant(
        "prior_label_gaussian",
        "one Gaussian from the label set (MPVAE-like)",
        {"prior": "label_gaussian"},
    ),
    Variant("no_contrastive", "no contrastive loss", {"contrastive_weight": 0.0}),
    Variant("kl_0", "KL weight 0", {"kl_weight": 0.0}),
    Variant("kl_1", "KL weight 1", {"kl_weight": 1.0}),
    Variant("no_x", "decoder without x (mixture prior)", {"decoder_sees_x": False}),
    Variant(
        "no_x_prior_standard_normal",
        "decoder without x, standard-normal prior",
        {"decoder_sees_x": False, "prior": "standard_normal"},
    ),
    Variant(
        "no_x_prior_label_gaussian",
        "decoder without x, label-set Gaussian prior",
        {"decoder_sees_x": False, "prior": "label_gaussian"},
    ),
    Variant(
        "no_x_kl_1",
        "decoder without x, KL weight 1 (mixture prior)",
        {"decoder_sees_x": False, "kl_weight": 1.0},
    ),
)
#: The keys of :data:`VARIANTS`, in order.
VARIANT_KEYS = tuple(v.key for v in VARIANTS)

#: The epochs of every ablation run, the end of the second cosine cycle (restarts at 50 and
#: 150).
ABLATION_EPOCHS = 150


def get_variants(keys: Iterable[str] | None = None) -> list[Variant]:
    """The variants named by ``keys`` (all of them for None), in the order given.

    Args:
        keys: keys of :data:`VARIANTS`, or None.

    Returns:
        The :class:`Variant` objects.

    Raises:
        ValueError: an unknown key.
    """
    if keys is None:
        return list(VARIANTS)
    by_key = {v.key: v for v in VARIANTS}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise ValueError(f"Unknown variants {unknown}; choose from {list(VARIANT_KEYS)}.")
    return [by_key[k] for k in keys]


def run_ablation(
    data: Any,
    variants: Sequence[str] | None = None,
    seeds: Sequence[int] = (1, 2, 3),
    epochs: int = ABLATION_EPOCHS,
    *,
    device: str = "auto",
    progress: bool = True,
    previous: dict[str, Any] | None = None,
    on_variant: Callable[[dict[str, Any]], None] | None = None,
    diagnose: Callable[[Any, Any], dict[str, float]] = standard_diagnostics,
) -> dict[str, Any]:
    """Train each variant for each seed on ``data``; return one JSON-friendly record.

    Args:
        data: a loaded dataset (the split stays fixed; only the training seed changes).
        variants: keys of :data:`VARIANTS` (default: all).
        seeds: training seeds.
        epochs: epochs of every run (the other settings are the reproduction's).
        device: where to train.
        progress: show progress bars.
        previous: an earlier, unfinished record of the same dataset, epochs and seeds: its
            variants are kept and not re-run, so an interrupted run can resume.
        on_variant: called with the record so far after each variant (e.g. to save it).
        diagnose: ``diagnose(model, data) -> dict`` recorded per run; by default
            :func:`~minicgmvae.diagnostics.standard_diagnostics`. A notebook can wrap it to
            look at the trained models too.

    Returns:
        ``{"dataset", "split", "epochs", "seeds", "base_settings", "variants": {key: {"what",
        "overrides", "runs", "summary", "diagnostics"}}, "wall_seconds", "provenance"}``.
    """
    base = paper_settings(data.name, data.n_features, data.n_labels, epochs=epochs)
    record = study_record(data, epochs, seeds, device, "variants", previous)
    record["base_settings"] = {
        "model": base.model.to_dict(),
        "train": base.train.to_dict(),
        "note": base.note,
    }
    t0 = time.perf_counter()
    for v in get_variants(variants):
        if v.key in record["variants"]:
            continue
        record["variants"][v.key] = _run_variant(data, v, seeds, epochs, device, progress,
                                                 diagnose)
        record["wall_seconds"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        if on_variant is not None:
            on_variant(record)
    return record


def _run_variant(data: Any, variant: Variant, seeds: Sequence[int], epochs: int, device: str,
                 progress: bool, diagnose: Callable[[Any, Any], dict[str, float]]
                 ) -> dict[str, Any]:
    """Train one variant for every seed: its record entry (runs, summary, diagnostics)."""
    s = paper_settings(data.name, data.n_features, data.n_labels, epochs=epochs,
                       **variant.overrides)
    result = train_seeds(data, list(seeds), s.model, s.train, device=device,
                         progress=progress, note=variant.what, diagnose=diagnose)
    return {
        "what": variant.what,
        "overrides": variant.overrides,
        "runs": result["runs"],
        "summary": result["summary"],
        "diagnostics": summarise_diagnostics(result["runs"]),
        "device": result["provenance"]["device"],
    }


def summarise_diagnostics(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean and std over runs of each diagnostic.

    Args:
        runs: per-seed results, each with a ``"diagnostics"`` dict.

    Returns:
        ``{diagnostic: {"mean": ..., "std": ...}}``.
    """
    keys = runs[0].get("diagnostics", {}).keys()
    out = {}
    for k in keys:
        vals = np.array([r["diagnostics"][k] for r in runs], dtype=float)
        out[k] = {"mean": float(np.nanmean(vals)), "std": float(np.nanstd(vals))}
    return out


def seed_values(entry: dict[str, Any], metric: str, protocol: str = "paper") -> list[float]:
    """One metric of one variant (or any record with ``"runs"``), one value per seed.

    Args:
        entry: a variant's entry of a :func:`run_ablation` record, or any dict with ``"runs"``.
        metric: the metric's name, e.g. ``"macro_f1"``.
        protocol: the protocol's name, e.g. ``"paper"`` or ``"honest"``.

    Returns:
        The values, in the order of the runs.
    """
    return [float(r["protocols"][protocol]["metrics"][metric]) for r in entry["runs"]]


def seed_ranges_separate(a: Sequence[float], b: Sequence[float]) -> bool:
    """True if the seed ranges [min, max] of ``a`` and ``b`` do not overlap.

    That is, a difference larger than the seed spread (with 3 seeds, a plain and strict rule).

    Args:
        a: one value per seed of the first variant.
        b: one value per seed of the second variant.

    Returns:
        Whether ``max(a) < min(b)`` or ``max(b) < min(a)``.
    """
    return bool(max(a) < min(b) or max(b) < min(a))


__all__ = [
    "ABLATION_EPOCHS",
    "VARIANTS",
    "VARIANT_KEYS",
    "Variant",
    "get_variants",
    "run_ablation",
    "seed_ranges_separate",
    "seed_values",
    "summarise_diagnostics",
]
