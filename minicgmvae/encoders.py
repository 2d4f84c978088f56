"""The two encoders: q(z|x) from the features, and one Gaussian per label.

Feature encoder (eq-feature-encoder):
    h = MLP_x(x)  (d -> 256 -> 512 -> 256, ReLU and dropout after each layer)
    mu_x = W_mu h,  log sigma_x^2 = W_s h                      q(z|x) = N(mu_x, sigma_x^2)

Label encoder (eq-label-encoder), applied to every label i at once:
    h_i = MLP_e(dropout(relu(E_i + b)))  (e -> 512 -> 256)
    mu_i = V_mu h_i,  log sigma_i^2 = V_s h_i                  one N(mu_i, sigma_i^2) per label

Book: "VAE basics" (feature encoder) and "The mixture prior" (label encoder).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


def mlp(sizes: Sequence[int], dropout: float) -> nn.Sequential:
    """Linear layers of the given sizes, each followed by ReLU and dropout."""
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU(), nn.Dropout(p=dropout)]
    return nn.Sequential(*layers)


class GaussianHead(nn.Module):
    """Two linear maps from a hidden vector to (mu, logvar) of a diagonal Gaussian."""

    def __init__(self, n_in: int, latent_dim: int) -> None:
        super().__init__()
        self.mu = nn.Linear(n_in, latent_dim)
        self.logvar = nn.Linear(n_in, latent_dim)

    def forward(self, h: Tensor) -> tuple[Tensor, Tensor]:
        return self.mu(h), self.logvar(h)


class FeatureEncoder(nn.Module):
    """q(z|x) (eq-feature-encoder). ``forward(x: (B, d)) -> (mu, logvar)``, each (B, D)."""

    def __init__(
        self,
        n_features: int,
        latent_dim: int = 64,
        hidden: Sequence[int] = (256, 512, 256),
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.body = mlp([n_features, *hidden], dropout)
        self.head = GaussianHead(hidden[-1], latent_dim)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return self.head(self.body(x))


class LabelEncoder(nn.Module):
    """One diagonal Gaussian per label (eq-label-encoder).

    ``forward(label_inputs: (L, e)) -> (mu, logvar)``, each (L, D), where ``label_inputs``
    are the label embeddings plus their shared bias (see :class:`LabelEmbeddings`).
    """

    def __init__(
        self,
        embed_dim: int,
        latent_dim: int = 64,
        hidden: Sequence[int] = (512, 256),
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        self.body = mlp([embed_dim, *hidden], dropout)
        self.head = GaussianHead(hidden[-1], latent_dim)

    def forward(self, label_inputs: Tensor) -> tuple[Tensor, Tensor]:
        h = self.dropout(torch.relu(label_inputs))
        return self.head(self.body(h))
