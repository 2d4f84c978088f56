"""The book's findings, computed from its stored results (``minicgmvae/results/``, package data).

Each function reads the JSON files that the chapters read (through
:func:`minicgmvae.studies.book_results.load_book_result`) and returns plain numbers, so that
the page *What this book finds* states every claim with a number that code computed, and the
chapters that show the evidence compute the same numbers the same way:

- :func:`reproduction`: C-GMVAE over nine seeds against the authors' code on the same split and
  the paper's table (chapter 6);
- :func:`versus_mlp`: C-GMVAE against a plain MLP trained on the same split (chapters 6, 9);
- :func:`collapse`: how much the latent space is used (chapters 7, 8);
- :func:`ablation_effects`: what each ablation changes, against the seed spread (chapter 8);
- :func:`half_data_verdict`: the abstract's 50% claim, by the rule of chapter 9;
- :func:`delicious_macro_f1`: the 983-label data set against the paper (chapter 10).

Metric names are those of :data:`minicgmvae.metrics.MAIN_METRICS`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .book_results import load_book_result
from .experiments import merge_seed_records
from .paper_table import AUTHORS_CODE_ON_MULAN, PAPER

#: The four metrics the findings report.
MAIN = ("example_f1", "micro_f1", "macro_f1", "hamming_accuracy")
#: The stored records of a dataset's nine full-settings seeds (1-3, 4-6, 7-9).
SEED_FILES = ("{}/metrics.json", "{}-seeds-4-6/metrics.json", "{}-seeds-7-9/metrics.json")


def per_seed(record: dict[str, Any], metric: str, protocol: str = "paper") -> np.ndarray:
    """One value per run of a record (anything with ``"runs"``).

    Args:
        record: a record with ``"runs"``, each with ``"protocols"``
            (:func:`~minicgmvae.studies.experiments.train_seeds`'s, a baseline cell, ...).
        metric: a metric name, e.g. ``"macro_f1"``.
        protocol: the protocol whose metrics are read: ``"paper"``, ``"honest"``, ...
            (a key of a run's ``"protocols"``).

    Returns:
        The metric of each run, in the record's order, (R,).
    """
    return np.array([r["protocols"][protocol]["metrics"][metric] for r in record["runs"]])


def nine_seeds(dataset: str) -> dict[str, Any]:
    """The full-settings runs of ``dataset`` (yeast or scene), seeds 1-9, as one record.

    Args:
        dataset: ``"yeast"`` or ``"scene"``.

    Returns:
        The three stored records merged
        (:func:`~minicgmvae.studies.experiments.merge_seed_records`).
    """
    return merge_seed_records([load_book_result(f.format(dataset)) for f in SEED_FILES])


def reproduction(dataset: str, protocol: str = "paper") -> dict[str, dict[str, float]]:
    """Per metric: our mean and std over nine seeds, the authors' code on this split (one
    seed), and the paper's table (another split).

    Args:
        dataset: ``"yeast"`` or ``"scene"``.
        protocol: the protocol of our runs' metrics (the authors' and the paper's numbers
            are the paper protocol's).

    Returns:
        ``{metric: {"ours", "std", "authors", "paper"}}`` for the four main metrics
        (``example_f1``, ``micro_f1``, ``macro_f1``, ``hamming_accuracy``).
    """
    rec = nine_seeds(dataset)
    out = {}
    for m in MAIN:
        v = per_seed(rec, m, protocol)
        out[m] = {
            "ours": float(v.mean()),
            "std": float(v.std()),
            "authors": AUTHORS_CODE_ON_MULAN[dataset]["paper"][m],
            "paper": PAPER["C-GMVAE"][dataset][m],
        }
    return out


def versus_mlp(dataset: str, protocol: str = "paper") -> dict[str, dict[str, float]]:
    """Per metric: C-GMVAE at the full settings (nine seeds) minus the MLP trained on all the
    training data (three seeds, stored by the data-efficiency study of chapter 9), with the
    std over seeds of each. Same split, same protocol.

    Args:
        dataset: ``"yeast"`` or ``"scene"``.
        protocol: the protocol whose metrics are read: ``"paper"``, ``"honest"``, ...
            (a key of a run's ``"protocols"``).

    Returns:
        ``{metric: {"diff", "cgmvae", "mlp", "std_cgmvae", "std_mlp"}}`` for the four main
        metrics (``example_f1``, ``micro_f1``, ``macro_f1``, ``hamming_accuracy``).
    """
    ours = nine_seeds(dataset)
    mlp = load_book_result(f"efficiency/{dataset}.json")["cells"]["mlp|1|random"]
    out = {}
    for m in MAIN:
        a, b = per_seed(ours, m, protocol), per_seed(mlp, m, protocol)
        out[m] = {"diff": float(a.mean() - b.mean()), "cgmvae": float(a.mean()),
                  "mlp": float(b.mean()), "std_cgmvae": float(a.std()),
                  "std_mlp": float(b.std())}
    return out


def collapse(dataset: str, variant: str = "cgmvae") -> dict[str, float]:
    """Latent-space diagnostics of an ablation variant (mean over its seeds): active units
    (of 64), KL of the posteriors to N(0, I) in nats, and the z effect as the stored
    ablations measured it, against z = 0 (``z_effect_vs_zero``: how much the predicted
    probabilities move when mu_x is replaced by 0; it also counts a constant offset of
    mu_x, see :func:`minicgmvae.diagnostics.collapse_report`).

    Args:
        dataset: a dataset of the stored ablation study (``"yeast"``, ``"scene"``,
            ``"emotions"``).
        variant: the ablation variant (a key of the stored ablation record's
            ``"variants"``); ``"cgmvae"`` is the full model.

    Returns:
        ``{"active_units", "kl_to_standard_normal", "z_effect_vs_zero"}``.
    """
    d = load_book_result(f"ablations/{dataset}.json")["variants"][variant]["diagnostics"]
    return {k: float(d[k]["mean"]) for k in ("active_units", "kl_to_standard_normal",
                                             "z_effect_vs_zero")}


def kept_alive(dataset: str) -> dict[str, Any]:
    """The latent-space study's answer on ``dataset``
    (:func:`minicgmvae.studies.latent_results.verdict` of the stored record
    ``latent/<dataset>.json``): the live regime against the authors' setting, the parts that
    pass the decision rule, and the tuned methods' macro-F1.

    Args:
        dataset: ``"yeast"``, ``"scene"`` or ``"emotions"``.

    Returns:
        The verdict's dict.
    """
    from .latent_results import verdict

    return verdict(load_book_result(f"latent/{dataset}.json"))


def ablation_effects(dataset: str, metric: str = "macro_f1",
                     protocol: str = "paper") -> dict[str, dict[str, Any]]:
    """Per variant: mean minus the full model's mean, and whether the two seed ranges
    [min, max] are apart (a difference larger than the seed spread).

    Args:
        dataset: a dataset of the stored ablation study (``"yeast"``, ``"scene"``,
            ``"emotions"``).
        metric: the metric compared, e.g. ``"macro_f1"``.
        protocol: the protocol whose metrics are read: ``"paper"``, ``"honest"``, ...
            (a key of a run's ``"protocols"``).

    Returns:
        ``{variant: {"diff", "apart", "decoder_sees_x", "what"}}`` for every stored variant
        (the full model's own entry included, with ``diff`` 0).
    """
    rec = load_book_result(f"ablations/{dataset}.json")["variants"]
    base = per_seed(rec["cgmvae"], metric, protocol)
    out = {}
    for key, entry in rec.items():
        v = per_seed(entry, metric, protocol)
        apart = bool(v.max() < base.min() or base.max() < v.min())
        out[key] = {"diff": float(v.mean() - base.mean()), "apart": apart,
                    "decoder_sees_x": not key.startswith("no_x"), "what": entry["what"]}
    return out


def half_data_verdict(dataset: str, protocol: str = "paper",
                      mode: str = "random") -> dict[str, int | bool]:
    """Chapter 9's rule (:eq:`eq-match`): C-GMVAE's mean on 50% of the training data against
    the MLP's and BR's means on 100%, four metrics each; "often" is more than half of the 8.
    ``matches_mlp`` and ``matches_br`` count the metrics matched per reference.

    Args:
        dataset: a dataset of the stored data-efficiency study (``"yeast"``, ``"scene"``,
            ``"emotions"``).
        protocol: the protocol whose metrics are read: ``"paper"``, ``"honest"``, ...
            (a key of a run's ``"protocols"``).
        mode: how the 50% subset was drawn, as the data-efficiency study stores it
            (``"random"`` subsets, or ``"first"``: the authors' first 50%).

    Returns:
        ``{"matches", "of", "often", "matches_mlp", "matches_br"}``: a metric is matched
        when C-GMVAE's mean is at least the reference's.
    """
    cells = load_book_result(f"efficiency/{dataset}.json")["cells"]
    ours = cells[f"cgmvae|0.5|{mode}"]
    count = {other: int(sum(per_seed(ours, m, protocol).mean()
                            >= per_seed(cells[f"{other}|1|random"], m, protocol).mean()
                            for m in MAIN)) for other in ("mlp", "br")}
    matches = count["mlp"] + count["br"]
    return {"matches": matches, "of": 8, "often": bool(matches > 4),
            "matches_mlp": count["mlp"], "matches_br": count["br"]}


def delicious_macro_f1() -> dict[str, float]:
    """Macro-F1 (paper protocol) on delicious: mean over the three full-settings seeds, and
    the paper's value."""
    rec = merge_seed_records([load_book_result(f) for f in (
        "delicious/metrics.json", "delicious-seed-2/metrics.json",
        "delicious-seed-3/metrics.json")])
    return {"ours": float(per_seed(rec, "macro_f1").mean()),
            "paper": PAPER["C-GMVAE"]["delicious"]["macro_f1"], "seeds": len(rec["runs"])}


__all__ = [
    "ablation_effects",
    "collapse",
    "delicious_macro_f1",
    "half_data_verdict",
    "kept_alive",
    "nine_seeds",
    "per_seed",
    "reproduction",
    "versus_mlp",
]
