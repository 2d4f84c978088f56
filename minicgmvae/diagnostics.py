"""Is the latent space used? Active units and the KL per latent dimension.

Posterior collapse: when the KL term wins, q(z|x) stops depending on x and every sample is
encoded to (nearly) the same distribution; the decoder then ignores z. Two measures:

* activity of dimension d (Burda, Grosse, Salakhutdinov, 2016): the variance over the data of
  the posterior mean, A_d = Var_x( E_q[z_d | x] ); the dimension is "active" if A_d > 0.01;
* the KL to the standard normal per dimension, averaged over the data:
  KL_d = E_x[ 1/2 (sigma_d^2 + mu_d^2 - 1 - log sigma_d^2) ].

Both need only the encoder's (mu, logvar), so they apply to every prior.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .kl import kl_gaussians

ACTIVE_THRESHOLD = 0.01


@dataclass
class LatentUsage:
    """Per-dimension activity and KL, and the number of active units."""

    activity: Tensor  # (D,) variance over the data of the posterior mean
    kl_per_dim: Tensor  # (D,) mean KL(q(z_d|x) || N(0, 1))
    active_units: int
    threshold: float


def latent_usage(mu: Tensor, logvar: Tensor, threshold: float = ACTIVE_THRESHOLD) -> LatentUsage:
    """Activity and per-dimension KL from the encoder's outputs ``mu``, ``logvar`` (N, D)."""
    activity = mu.var(dim=0, unbiased=False)
    zeros = torch.zeros_like(mu)
    # kl_gaussians sums over its last dimension; add a trailing axis to keep dimensions apart
    kl = kl_gaussians(
        mu.unsqueeze(-1), logvar.unsqueeze(-1), zeros.unsqueeze(-1), zeros.unsqueeze(-1)
    )
    return LatentUsage(activity, kl.mean(0), int((activity > threshold).sum()), threshold)


@torch.no_grad()
def model_latent_usage(
    model: torch.nn.Module, x: Tensor, threshold: float = ACTIVE_THRESHOLD
) -> LatentUsage:
    """:func:`latent_usage` of a C-GMVAE's feature encoder on features ``x`` (N, d)."""
    was_training = model.training
    model.eval()
    try:
        mu, logvar = model.feature_encoder(x)
    finally:
        model.train(was_training)
    return latent_usage(mu, logvar, threshold)
