"""The synthetic set the baselines are fitted on, and the settings they are fitted with."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

MLP_KW = dict(epochs=25, hidden=(64,), progress=False, device="cpu")
# ASL barely pushes negatives down (gamma_neg = 4): a larger step and more steps on the toys
ASL_KW = dict(epochs=40, hidden=(32,), lr=1e-2, batch_size=64, progress=False, device="cpu")


def make_data(seed: int = 0, n: int = 500, d: int = 12, n_labels: int = 5) -> SimpleNamespace:
    """Labels from a noisy linear function of standard normal features; 60/10/30 split."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    w = rng.normal(size=(d, n_labels))
    y = ((x @ w + 0.7 * rng.normal(size=(n, n_labels))) > 1.0).astype(np.float32)
    a, b = int(0.6 * n), int(0.7 * n)
    return SimpleNamespace(
        name="synthetic",
        x_train=x[:a], y_train=y[:a],
        x_val=x[a:b], y_val=y[a:b],
        x_test=x[b:], y_test=y[b:],
    )  # fmt: skip
