"""The public API that the book and course assignments import: present and documented."""

from __future__ import annotations

import inspect

import minicgmvae


def test_every_public_name_exists_and_is_documented():
    for name in minicgmvae.__all__:
        obj = getattr(minicgmvae, name)
        if name == "__version__":
            continue
        assert inspect.getdoc(obj), f"minicgmvae.{name} has no docstring"


def test_public_names_are_stable():
    # Renaming any of these breaks assignments: keep the old name with a deprecation warning.
    core = {
        "load_dataset",
        "CGMVAE",
        "ModelConfig",
        "TrainConfig",
        "fit",
        "paper_settings",
        "mixture_log_density",
        "kl_monte_carlo",
        "contrastive_loss",
        "bce_from_logits",
        "reparameterize",
        "example_f1",
        "macro_f1",
        "micro_f1",
        "hamming_accuracy",
        "paper_protocol",
        "honest_protocol",
        "honest_per_metric_protocol",
        "get_device",
    }
    assert core <= set(minicgmvae.__all__)
