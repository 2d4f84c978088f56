"""The two encoders: q(z|x) from the features, and one Gaussian per label.

Feature encoder, :eq:`eq-feature-encoder`::

    h = MLP_x(x)  (d -> 256 -> 512 -> 256, ReLU and dropout after each layer)
    mu_x = W_mu h,  log sigma_x^2 = W_s h                      q(z|x) = N(mu_x, sigma_x^2)

Label encoder, :eq:`eq-label-encoder`, applied to every label i at once::

    h_i = MLP_e(dropout(relu(E_i + b)))  (e -> 512 -> 256)
    mu_i = V_mu h_i,  log sigma_i^2 = V_s h_i                  one N(mu_i, sigma_i^2) per label

Book: "VAE basics" (feature encoder) and "The mixture prior" (label encoder).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn


def mlp(sizes: Sequence[int], dropout: float) -> nn.Sequential:
    """Linear layers of the given sizes, each followed by ReLU and dropout.

    Args:
        sizes: the widths, input first: ``[d, 256, 512, 256]`` gives three layers.
        dropout: the probability of zeroing a unit after each layer.

    Returns:
        The layers, as one :class:`torch.nn.Sequential`.
    """
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU(), nn.Dropout(p=dropout)]
    return nn.Sequential(*layers)


class GaussianHead(nn.Module):
    """Two linear maps from a hidden vector to (mu, logvar) of a diagonal Gaussian.

    Args:
        n_in: the width of the hidden vector.
        latent_dim: D, the size of the Gaussian.
    """

    def __init__(self, n_in: int, latent_dim: int) -> None:
        super().__init__()
        self.mu = nn.Linear(n_in, latent_dim)
        self.logvar = nn.Linear(n_in, latent_dim)

    def forward(self, h: Tensor) -> tuple[Tensor, Tensor]:
        """The Gaussian's parameters.

        Args:
            h: hidden vectors, (..., n_in).

        Returns:
            ``(mu, logvar)``, each (..., D).
        """
        return self.mu(h), self.logvar(h)


class FeatureEncoder(nn.Module):
    """q(z|x), the feature encoder (:eq:`eq-feature-encoder`).

    Args:
        n_features: d, the feature dimension.
        latent_dim: D, the size of z.
        hidden: the widths of the hidden layers.
        dropout: the probability of zeroing a unit after each hidden layer.
        max_variance: a cap s on sigma_x^2 (the minimum-rate remedy,
            :func:`minicgmvae.collapse.min_rate_variance`); None for no cap.
    """

    def __init__(
        self,
        n_features: int,
        latent_dim: int = 64,
        hidden: Sequence[int] = (256, 512, 256),
        dropout: float = 0.5,
        max_variance: float | None = None,
    ) -> None:
        super().__init__()
        self.body = mlp([n_features, *hidden], dropout)
        self.head = GaussianHead(hidden[-1], latent_dim)
        self.max_logvar = None if max_variance is None else math.log(max_variance)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """The posterior's parameters.

        Args:
            x: features, (B, d).

        Returns:
            ``(mu, logvar)`` of q(z|x), each (B, D).
        """
        mu, logvar = self.head(self.body(x))
        if self.max_logvar is not None:  # a smooth cap: log s - softplus(log s - logvar)
            logvar = self.max_logvar - nn.functional.softplus(self.max_logvar - logvar)
        return mu, logvar


class LabelEncoder(nn.Module):
    """One diagonal Gaussian per label (:eq:`eq-label-encoder`).

    Args:
        embed_dim: e, the size of the label embeddings it reads.
        latent_dim: D, the size of z.
        hidden: the widths of the hidden layers.
        dropout: the probability of zeroing a unit, on the input and after each hidden layer.
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
        """Every label's Gaussian at once.

        Args:
            label_inputs: the label embeddings plus their shared bias, E_i + b, (L, e)
                (:meth:`LabelEmbeddings.encoder_inputs
                <minicgmvae.label_embeddings.LabelEmbeddings.encoder_inputs>`).

        Returns:
            ``(mu, logvar)``, each (L, D).
        """
        h = self.dropout(torch.relu(label_inputs))
        return self.head(self.body(h))
