"""Diagonal Gaussians: the reparameterised sample and the log-density.

Every distribution in C-GMVAE is a diagonal Gaussian N(mu, diag(sigma^2)) stored as a mean
``mu`` and a log-variance ``logvar = log sigma^2`` (the log keeps the variance positive and
the optimisation well scaled). Book: chapter "VAE basics", equations :eq:`eq-reparam` and
:eq:`eq-log-normal`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

LOG_2PI = math.log(2.0 * math.pi)


def reparameterize(mu: Tensor, logvar: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Draw z ~ N(mu, sigma^2) as a differentiable function of (mu, logvar).

    Implements :eq:`eq-reparam`::

        z = mu + sigma * eps,  eps ~ N(0, I),  sigma = exp(logvar / 2)

    Args:
        mu: means, (..., D).
        logvar: log-variances log sigma^2, same shape as ``mu``.
        generator: the random generator for eps; by default PyTorch's global one.

    Returns:
        z, same shape as ``mu``; gradients flow to ``mu`` and ``logvar``.
    """
    std = torch.exp(0.5 * logvar)
    if generator is None:
        eps = torch.randn_like(std)
    else:
        eps = torch.randn(std.shape, generator=generator, device=std.device, dtype=std.dtype)
    return mu + eps * std


def log_normal(z: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """Log-density of a diagonal Gaussian, summed over the last (latent) dimension.

    Implements :eq:`eq-log-normal`::

        log N(z; mu, sigma^2) = -1/2 sum_d [ log 2pi + log sigma_d^2 + (z_d - mu_d)^2 / sigma_d^2 ]

    The authors' code leaves out the ``log 2pi`` constant; it cancels in the KL estimate,
    and keeping it makes this agree with ``torch.distributions``.

    Args:
        z: points, (..., D).
        mu: means, broadcastable with ``z``.
        logvar: log-variances, broadcastable with ``z``.

    Returns:
        Log-densities, the broadcast shape without its last dimension: (..., D) -> (...).
    """
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) * torch.exp(-logvar)).sum(-1)


def log_standard_normal(z: Tensor) -> Tensor:
    """log N(z; 0, I), summed over the last dimension.

    Args:
        z: points, (..., D).

    Returns:
        Log-densities, (...).
    """
    return -0.5 * (LOG_2PI + z.pow(2)).sum(-1)
