"""The latent-space study's stored results, read: tables, the decision rule, the verdict.

:mod:`minicgmvae.studies.latent` runs the study and stores one record per data set; the
functions here read such a record for the book's chapter "A living latent space" and its
findings page. Every score is the honest protocol's test score; "apart" is the book's rule
(:func:`~minicgmvae.studies.ablations.seed_ranges_separate`: the seed ranges do not overlap).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .ablations import seed_ranges_separate
from .latent import BR_GRID, MLP_GRID, PARTS, mean_of, remedy_configs, tuned_comparison


def paired_test(a: Sequence[float], b: Sequence[float]) -> dict[str, float]:
    """Paired t-test over seeds of two settings: the mean difference a - b and its p-value.

    Args:
        a: one value per seed.
        b: one value per seed, the same seeds in the same order.

    Returns:
        ``{"mean_difference", "p_value"}``; the p-value is NaN when the difference is the
        same for every seed.
    """
    from scipy.stats import ttest_rel

    diff = np.asarray(a, float) - np.asarray(b, float)
    p = float(ttest_rel(a, b).pvalue) if np.any(diff != diff[0]) else float("nan")
    return {"mean_difference": float(diff.mean()), "p_value": p}


def seed_values(entry: dict[str, Any], metric: str) -> list[float]:
    """One honest test metric of a configuration, one value per seed.

    Args:
        entry: a configuration's entry of a record.
        metric: e.g. ``"macro_f1"``.

    Returns:
        The values, in the order of the runs.
    """
    return [float(r["honest"][metric]) for r in entry["runs"]]


def spread(values: Sequence[float]) -> str:
    """``mean [min, max]`` with three decimals.

    Args:
        values: one value per seed.

    Returns:
        The text.
    """
    return f"{np.mean(values):.3f} [{min(values):.3f}, {max(values):.3f}]"


def remedy_rows(record: dict[str, Any]) -> list[list[str]]:
    """Part 1 as table rows: configuration, active units, I(x; z), z effect, validation
    score, and the honest macro- and micro-F1 (mean [min, max] over seeds).

    Args:
        record: a study record.

    Returns:
        One row (a list of texts) per configuration of part 1 that has runs.
    """
    rows = []
    for c in remedy_configs():
        e = record["configs"].get(c.key)
        if not e or not e["runs"]:
            continue
        diag = {k: mean_of(e, lambda r, k=k: r["diagnostics"][k])
                for k in ("active_units", "mutual_information", "z_effect")}
        rows.append([f"`{c.key}`", f"{diag['active_units']:.1f}",
                     f"{diag['mutual_information']:.2f}", f"{diag['z_effect']:.3f}",
                     f"{mean_of(e, lambda r: r['val_score']):.3f}",
                     spread(seed_values(e, "macro_f1")), spread(seed_values(e, "micro_f1"))])
    return rows


def part_effects(record: dict[str, Any], metric: str = "macro_f1") -> dict[str, dict[str, Any]]:
    """Part 2: each part's configuration against the regime's C-GMVAE (mixture prior with
    the contrastive loss), by the decision rule (seed ranges apart) and a paired t-test.

    Args:
        record: a study record with part 2's runs.
        metric: the honest test metric compared.

    Returns:
        ``{part key: {"what", "values", "apart", "mean_difference", "p_value"}}``.
    """
    regime = record["regime"]["key"]
    base = seed_values(record["configs"][regime], metric)
    out = {}
    for p in PARTS[1:]:
        e = record["configs"].get(f"{regime}/{p.key}")
        if not e or len(e["runs"]) != len(base):
            continue
        vals = seed_values(e, metric)
        out[p.key] = {"what": p.what, "values": vals, "apart": seed_ranges_separate(vals, base),
                      **paired_test(vals, base)}
    return out


def tuned_rows(record: dict[str, Any]) -> list[list[str]]:
    """The tuned comparison as table rows: method, configurations tried, the chosen one,
    its validation score and its honest test scores (mean [min, max] over seeds).

    Args:
        record: a study record with parts 1 and 3.

    Returns:
        One row per method.
    """
    chosen = tuned_comparison(record)
    budget = {"cgmvae": len(remedy_configs()), "mlp": len(MLP_GRID), "br": len(BR_GRID)}
    names = {"cgmvae": "C-GMVAE", "mlp": "MLP", "br": "binary relevance"}
    rows = []
    for m, key in chosen.items():
        e = record["configs"][key]
        rows.append([names[m], str(budget[m]), f"`{key}`",
                     f"{mean_of(e, lambda r: r['val_score']):.3f}",
                     *(spread(seed_values(e, k)) for k in ("macro_f1", "micro_f1",
                                                           "hamming_accuracy"))])
    return rows


def verdict(record: dict[str, Any], metric: str = "macro_f1") -> dict[str, Any]:
    """The study's answer on one data set, in numbers (the book's findings page reads it).

    Args:
        record: a complete study record.
        metric: the honest test metric compared.

    Returns:
        ``{"live": the live regime's mean, "with_x": the authors' setting with x (mean),
        "live_vs_x_apart": the decision rule between the two, "parts_apart": how many of
        the five part comparisons pass the rule, "parts_better": how many of those are
        better than C-GMVAE, "tuned": {method: mean of its tuned configuration},
        "tuned_apart": {"mlp" or "br": the rule between tuned C-GMVAE and it}}``, all
        on the honest protocol's test ``metric``.
    """
    live = seed_values(record["configs"][record["regime"]["key"]], metric)
    with_x = seed_values(record["configs"]["x/authors"], metric)
    parts = part_effects(record, metric)
    tuned = {m: seed_values(record["configs"][k], metric)
             for m, k in tuned_comparison(record).items()}
    return {
        "live": float(np.mean(live)), "with_x": float(np.mean(with_x)),
        "live_vs_x_apart": seed_ranges_separate(live, with_x),
        "parts_apart": sum(p["apart"] for p in parts.values()),
        "parts_better": sum(p["apart"] and p["mean_difference"] > 0 for p in parts.values()),
        "tuned": {m: float(np.mean(tuned[m])) for m in tuned},
        "tuned_apart": {m: seed_ranges_separate(tuned["cgmvae"], tuned[m])
                        for m in ("mlp", "br")},
    }


__all__ = ["paired_test", "part_effects", "remedy_rows", "seed_values", "spread",
           "tuned_rows", "verdict"]
