"""The KL term KL(q(z|x) || p(z|y)): by sampling, and in closed form where it exists.

:eq:`eq-kl-mc` and :eq:`eq-kl-closed`::

    KL ~= log q(z|x) - log p(z|y),   z ~ q(z|x)   (one sample per data point)

    KL(N(m1, s1^2) || N(m2, s2^2)) =
        1/2 sum_d [ log s2_d^2 - log s1_d^2 + (s1_d^2 + (m1_d - m2_d)^2) / s2_d^2 - 1 ]

The mixture prior has no closed form, so C-GMVAE uses the one-sample Monte Carlo estimate;
the authors draw a FRESH sample for it, not the one the decoder saw. Both estimators return
one value per sample; the model averages them over the batch. Book: "VAE basics" and
"The mixture prior".
"""

from __future__ import annotations

import torch
from torch import Tensor

from .gaussian import log_normal, reparameterize
from .prior import PriorName, prior_log_density


def kl_monte_carlo(
    q_mu: Tensor,
    q_logvar: Tensor,
    y: Tensor,
    label_mu: Tensor,
    label_logvar: Tensor,
    prior: PriorName = "mixture",
    z: Tensor | None = None,
) -> Tensor:
    """One-sample estimate of KL(q(z|x) || p(z|y)), per sample (:eq:`eq-kl-mc`).

    Args:
        q_mu, q_logvar: the posterior q(z|x), (B, D) each.
        y: 0/1 labels, (B, L); they select the prior's components.
        label_mu, label_logvar: the label Gaussians, (L, D) each.
        prior: which prior (see :mod:`minicgmvae.prior`).
        z: the sample to use, (B, D); by default a fresh draw from q.

    Returns:
        (B,) estimates. Unbiased, and can be negative for a single sample.
    """
    if z is None:
        z = reparameterize(q_mu, q_logvar)
    return log_normal(z, q_mu, q_logvar) - prior_log_density(z, y, label_mu, label_logvar, prior)


def kl_gaussians(mu1: Tensor, logvar1: Tensor, mu2: Tensor, logvar2: Tensor) -> Tensor:
    """Closed-form KL(N(mu1, sigma1^2) || N(mu2, sigma2^2)), summed over the last dimension.

    Implements :eq:`eq-kl-closed`.

    Args:
        mu1, logvar1: the first Gaussian (q), (..., D) each.
        mu2, logvar2: the second Gaussian (the prior), broadcastable with the first.

    Returns:
        KL divergences, (...): one per Gaussian pair, never negative.
    """
    return 0.5 * (
        logvar2 - logvar1 + (torch.exp(logvar1) + (mu1 - mu2).pow(2)) * torch.exp(-logvar2) - 1.0
    ).sum(-1)
