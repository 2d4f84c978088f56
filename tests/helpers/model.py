"""The small model every model, training, evaluation and studies test builds, and its data."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from minicgmvae.config import ModelConfig

#: batch, labels, latent dimension, embedding dimension, features
B, L, DIM, E, F = 16, 5, 8, 32, 12


def small_config(**kw) -> ModelConfig:
    base = dict(
        n_features=F,
        n_labels=L,
        latent_dim=DIM,
        embed_dim=E,
        feature_hidden=(32, 32),
        label_hidden=(32,),
        decoder_hidden=32,
    )
    base.update(kw)
    return ModelConfig(**base)


def labels(b: int = B, n_labels: int = L, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    y = (torch.rand(b, n_labels, generator=g) < 0.4).float()
    y[0] = 0.0  # a sample with no positive label
    y[1] = 0.0
    y[1, 2] = 1.0  # a sample with exactly one
    return y


def toy_data(n: int = 240, seed: int = 0) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, F)).astype(np.float32)
    w = rng.standard_normal((F, L))
    y = (x @ w > 0.3).astype(np.float32)
    a, b = int(n * 0.7), int(n * 0.85)
    return SimpleNamespace(
        name="toy",
        x_train=x[:a],
        y_train=y[:a],
        x_val=x[a:b],
        y_val=y[a:b],
        x_test=x[b:],
        y_test=y[b:],
    )
