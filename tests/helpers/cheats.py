"""Answers that let the package do the work, as a student who wants the points without the
work would write them in an answer cell: the package's function assigned under the
student's name (``alias``, with a one-line adapter where the package's signature differs),
and a wrapper around a reference captured before the check runs (``wrapper``). Without the
guard each of them passes its check; with it, each fails.

Each answer is the source of an answer cell; it runs in the namespace of the assignment's
setup cell (``minicgmvae``, ``torch``, ``np``, ``MAIN_METRICS``, ``PAPER_THRESHOLDS``).
"""

from __future__ import annotations

from typing import Any

#: function -> an expression that is the package's version with the student's signature
PACKAGE_VERSION: dict[str, str] = {
    "reparameterize": "minicgmvae.reparameterize",
    "kl_gaussians": "minicgmvae.kl_gaussians",
    "log_normal": "minicgmvae.log_normal",
    "mixture_log_density": "minicgmvae.mixture_log_density",
    "bce_from_logits": "minicgmvae.bce_from_logits",
    "contrastive_loss": "minicgmvae.contrastive_loss",
    "total_loss": "lambda model, outputs, y: model.loss(outputs, y).total",
    "training_step": (
        "lambda model, optimizer, x, y: float(minicgmvae.training.training_step("
        "optimizer, minicgmvae.training.cgmvae_loss_terms(model), x, y)[0])"
    ),
    "train_epoch": (
        "lambda model, optimizer, x, y, batch_size, generator: float("
        "minicgmvae.training.train_one_epoch(model, optimizer, x, y, batch_size=batch_size, "
        "generator=generator)[0]) / len(x)"
    ),
    "example_f1": "minicgmvae.example_f1",
    "paper_protocol": (
        "lambda y_test, scores_test, thresholds=PAPER_THRESHOLDS: {m: minicgmvae.paper_protocol("
        "y_test, scores_test, thresholds).metrics[m] for m in MAIN_METRICS}"
    ),
    "honest_protocol": (
        "lambda y_val, scores_val, y_test, scores_test, thresholds=PAPER_THRESHOLDS, "
        "select_by='macro_f1': {m: minicgmvae.honest_protocol(y_val, scores_val, y_test, "
        "scores_test, thresholds, select_by).metrics[m] for m in MAIN_METRICS}"
    ),
}

KINDS = ("alias", "wrapper")


def answer(kind: str, function: str) -> str:
    """The answer cell of this kind for ``function``."""
    version = PACKAGE_VERSION[function]
    if kind == "alias":
        return f"import minicgmvae.training\n\n{function} = {version}\n"
    if kind == "wrapper":
        return (f"import minicgmvae.training\n\n_captured_{function} = {version}\n\n\n"
                f"def {function}(*args, **kwargs):\n"
                f"    return _captured_{function}(*args, **kwargs)\n")
    raise ValueError(kind)


def define(kind: str, function: str) -> Any:
    """The function that ``answer(kind, function)`` defines, in a fresh namespace."""
    import numpy as np
    import torch

    import minicgmvae
    from minicgmvae.metrics import MAIN_METRICS, PAPER_THRESHOLDS

    namespace: dict[str, Any] = {"minicgmvae": minicgmvae, "torch": torch, "np": np,
                                 "MAIN_METRICS": MAIN_METRICS,
                                 "PAPER_THRESHOLDS": PAPER_THRESHOLDS}
    exec(compile(answer(kind, function), f"<{kind} {function}>", "exec"), namespace)
    return namespace[function]
