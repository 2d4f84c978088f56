"""The course kit's assignments: :data:`ASSIGNMENTS`, one :class:`Assignment` per notebook of
``book/assignments/``, with the functions students write, their checks, and every name of
the package the notebook uses (the stable API of the course kit)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Assignment:
    """One assignment of the course kit.

    Attributes:
        name: the notebook's file name without ``.ipynb`` (``book/assignments/<name>.ipynb``).
        title: its title.
        functions: the functions students write, in order.
        checks: the check of each function (names in :mod:`minicgmvae.checks`), in the
            same order.
        api: every name of the package the notebook uses, dotted from ``minicgmvae``
            (``"minicgmvae.load_dataset"``). Renaming any of them needs a deprecation alias.
        chapters: the book chapters it builds on.
        minutes: the expected working time.
    """

    name: str
    title: str
    functions: tuple[str, ...]
    checks: tuple[str, ...]
    api: tuple[str, ...]
    chapters: tuple[str, ...]
    minutes: int


_COMMON_API = ("minicgmvae.__version__", "minicgmvae.get_device", "minicgmvae.checks",
               "minicgmvae.checks.summary", "minicgmvae.checks.grading", "minicgmvae.glue.glue")

#: The assignments, in order. ``api`` lists the stable API the course kit relies on.
ASSIGNMENTS: dict[str, Assignment] = {
    a.name: a
    for a in (
        Assignment(
            "a1_reparam_kl", "The reparameterised sample and the Gaussian KL",
            ("reparameterize", "kl_gaussians"),
            ("check_reparameterize", "check_kl_gaussians"),
            _COMMON_API + ("minicgmvae.reparameterize", "minicgmvae.kl_gaussians",
                           "minicgmvae.log_normal", "minicgmvae.checks.check_reparameterize",
                           "minicgmvae.checks.check_kl_gaussians"),
            ("02_vae_basics",), 60,
        ),
        Assignment(
            "a2_mixture_prior", "The mixture prior's log-density",
            ("log_normal", "mixture_log_density"),
            ("check_log_normal", "check_mixture_log_density"),
            _COMMON_API + ("minicgmvae.log_normal", "minicgmvae.mixture_log_density",
                           "minicgmvae.label_set_gaussian", "minicgmvae.checks.check_log_normal",
                           "minicgmvae.checks.check_mixture_log_density"),
            ("02_vae_basics", "03_mixture_prior"), 75,
        ),
        Assignment(
            "a3_contrastive", "The supervised losses: BCE and the contrastive loss",
            ("bce_from_logits", "contrastive_loss"),
            ("check_bce_from_logits", "check_contrastive_loss"),
            _COMMON_API + ("minicgmvae.bce_from_logits", "minicgmvae.contrastive_loss",
                           "minicgmvae.checks.check_bce_from_logits",
                           "minicgmvae.checks.check_contrastive_loss"),
            ("04_contrastive",), 60,
        ),
        Assignment(
            "a4_objective_training", "The total objective and a training loop",
            ("total_loss", "training_step", "train_epoch"),
            ("check_total_loss", "check_training_step", "check_train_epoch"),
            _COMMON_API + ("minicgmvae.load_dataset", "minicgmvae.ModelConfig",
                           "minicgmvae.TrainConfig", "minicgmvae.CGMVAE", "minicgmvae.fit",
                           "minicgmvae.bce_from_logits", "minicgmvae.kl_monte_carlo",
                           "minicgmvae.contrastive_loss", "minicgmvae.training.make_adam",
                           "minicgmvae.model.Outputs", "minicgmvae.macro_f1",
                           "minicgmvae.checks.check_total_loss",
                           "minicgmvae.checks.check_training_step",
                           "minicgmvae.checks.check_train_epoch"),
            ("05_training",), 90,
        ),
        Assignment(
            "a5_evaluation", "The evaluation protocols",
            ("example_f1", "paper_protocol", "honest_protocol"),
            ("check_example_f1", "check_paper_protocol", "check_honest_protocol"),
            _COMMON_API + ("minicgmvae.load_dataset", "minicgmvae.binary_relevance",
                           "minicgmvae.example_f1", "minicgmvae.paper_protocol",
                           "minicgmvae.honest_protocol", "minicgmvae.metrics.PAPER_THRESHOLDS",
                           "minicgmvae.metrics.MAIN_METRICS",
                           "minicgmvae.metrics.threshold_sweep",
                           "minicgmvae.metrics.all_metrics",
                           "minicgmvae.protocols.format_table",
                           "minicgmvae.protocols.fixed_threshold",
                           "minicgmvae.checks.check_example_f1",
                           "minicgmvae.checks.check_paper_protocol",
                           "minicgmvae.checks.check_honest_protocol"),
            ("01_multilabel", "06_evaluation"), 60,
        ),
    )
}


def assignment_of(notebook: Mapping[str, Any], path: str | os.PathLike[str] = "") -> str | None:
    """The :data:`ASSIGNMENTS` key of a notebook: from its metadata
    (``metadata.minicgmvae.assignment``), else from its file name."""
    meta = notebook.get("metadata", {}).get("minicgmvae", {})
    name = meta.get("assignment") if isinstance(meta, Mapping) else None
    if isinstance(name, str) and name in ASSIGNMENTS:
        return name
    stem = Path(path).stem
    for key in ASSIGNMENTS:
        if key in stem or stem.startswith(key[:2] + "_"):
            return key
    return None
