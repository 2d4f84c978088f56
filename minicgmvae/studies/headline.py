"""The book's headline comparison, computed once from the stored results.

C-GMVAE at the authors' settings (nine seeds, the three stored records of
:func:`~minicgmvae.studies.findings.nine_seeds`) against two baselines trained on the same
split with the same checkpoint rule: a plain MLP (one hidden layer of 256, BCE, default
settings, not tuned) and binary relevance (BR), three seeds each, both on all the training
data as stored by the data-efficiency study (``efficiency/<dataset>.json``, cells
``mlp|1|random`` and ``br|1|random``). Every page that compares C-GMVAE with the MLP reads
:func:`headline`, so the book states one set of numbers.
"""

from __future__ import annotations

from typing import Any

from .book_results import load_book_result
from .findings import MAIN, nine_seeds, per_seed

#: The datasets with nine stored C-GMVAE seeds and a stored MLP and BR at 100%.
HEADLINE_DATASETS = ("yeast", "scene")
#: The protocols of the headline table (each metric's best test threshold; one threshold
#: chosen on validation).
HEADLINE_PROTOCOLS = ("paper", "honest")
#: The methods compared, in the table's order, with their display names.
METHODS = {"cgmvae": "C-GMVAE", "mlp": "MLP", "br": "BR"}


def _records(dataset: str) -> dict[str, dict[str, Any]]:
    cells = load_book_result(f"efficiency/{dataset}.json")["cells"]
    return {"cgmvae": nine_seeds(dataset), "mlp": cells["mlp|1|random"],
            "br": cells["br|1|random"]}


def headline(dataset: str, protocol: str = "paper") -> dict[str, dict[str, float]]:
    """Per metric: each method's mean and std over its seeds, and C-GMVAE minus each baseline.

    Args:
        dataset: ``"yeast"`` or ``"scene"`` (:data:`HEADLINE_DATASETS`).
        protocol: the protocol whose metrics are read: ``"paper"`` or ``"honest"``
            (a key of a run's ``"protocols"``).

    Returns:
        ``{metric: {"cgmvae", "mlp", "br", "std_cgmvae", "std_mlp", "std_br",
        "n_cgmvae", "n_mlp", "n_br", "minus_mlp", "minus_br"}}`` for the four main metrics;
        ``minus_mlp`` is positive where C-GMVAE is ahead.
    """
    recs = _records(dataset)
    out: dict[str, dict[str, float]] = {}
    for m in MAIN:
        row: dict[str, float] = {}
        for key, rec in recs.items():
            v = per_seed(rec, m, protocol)
            row[key], row[f"std_{key}"], row[f"n_{key}"] = float(v.mean()), float(v.std()), len(v)
        row["minus_mlp"] = row["cgmvae"] - row["mlp"]
        row["minus_br"] = row["cgmvae"] - row["br"]
        out[m] = row
    return out


def headline_table(datasets: tuple[str, ...] = HEADLINE_DATASETS,
                   protocols: tuple[str, ...] = HEADLINE_PROTOCOLS
                   ) -> dict[tuple[str, str], dict[str, dict[str, float]]]:
    """:func:`headline` for every dataset and protocol.

    Args:
        datasets: the datasets, e.g. :data:`HEADLINE_DATASETS`.
        protocols: the protocols, e.g. :data:`HEADLINE_PROTOCOLS`.

    Returns:
        ``{(dataset, protocol): headline(dataset, protocol)}``.
    """
    return {(d, p): headline(d, p) for d in datasets for p in protocols}


def headline_markdown(table: dict[tuple[str, str], dict[str, dict[str, float]]],
                      labels: dict[str, str]) -> str:
    """The headline table as a Markdown table: one row per dataset, protocol and method
    (mean ± std over seeds, with the number of seeds), then the row *C-GMVAE − MLP*.

    Args:
        table: :func:`headline_table`'s result.
        labels: a display name per metric (e.g. ``minicgmvae.protocols.METRIC_LABELS``).

    Returns:
        The table's Markdown text.
    """
    metrics = list(MAIN)
    lines = ["| dataset | protocol | method | " + " | ".join(labels[m] for m in metrics) + " |",
             "|---|---|---|" + "---|" * len(metrics)]
    for (dataset, protocol), row in table.items():
        for key, name in METHODS.items():
            n = int(row[metrics[0]][f"n_{key}"])
            lines.append(f"| {dataset} | {protocol} | {name} ({n} seeds) | " + " | ".join(
                f"{row[m][key]:.3f} ± {row[m]['std_' + key]:.3f}" for m in metrics) + " |")
        lines.append(f"| {dataset} | {protocol} | **C-GMVAE − MLP** | " + " | ".join(
            f"**{row[m]['minus_mlp']:+.3f}**" for m in metrics) + " |")
    return "\n".join(lines)


__all__ = ["HEADLINE_DATASETS", "HEADLINE_PROTOCOLS", "METHODS", "headline",
           "headline_markdown", "headline_table"]
