"""The prior p(z | y): standard normal, one Gaussian from the label set, or the mixture.

C-GMVAE's prior is a mixture with one diagonal Gaussian per label (from the label encoder),
equal weights over the sample's positive labels P(y) only, :eq:`eq-mixture-prior`::

    p(z | y) = 1/|P(y)| sum_{i in P(y)} N(z; mu_i, sigma_i^2)

Its log-density is a masked log-sum-exp::

    log p(z | y) = logsumexp_{i in P(y)} log N(z; mu_i, sigma_i^2) - log |P(y)|

A sample with no positive label has no mixture component. The authors' code masks the
other components with -1e6 and subtracts log 0 for the empty label set, which gives +inf
(and the loss then becomes NaN through the label branch and the contrastive term). Here such
a sample falls back to the standard normal N(0, I), the prior a VAE would use when nothing
is known about the labels.

The ablations replace the mixture with N(0, I) (a plain VAE prior) or with one Gaussian
built from the label set, N(mean_{i in P} mu_i, mean_{i in P} sigma_i^2), which is close in
spirit to MPVAE's unimodal label-conditioned prior (:eq:`eq-label-set-gaussian`). Book:
chapter "The mixture prior".
"""

from __future__ import annotations

import torch
from torch import Tensor

from .config import PRIORS, PriorName
from .gaussian import LOG_2PI, log_normal, log_standard_normal

#: With more labels than this, :func:`component_log_densities` expands the square into
#: matrix products.
EXPAND_ABOVE_LABELS = 64


def component_log_densities(z: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """log N(z_b; mu_i, sigma_i^2) for every sample b and every label i.

    Written as the equation reads, this builds the (B, L, D) tensor of differences
    z_b - mu_i, a pass over memory that takes a quarter of a training step on delicious
    (L = 983). Above :data:`EXPAND_ABOVE_LABELS` labels the square is expanded instead::

        sum_d (z_d - mu_id)^2 / s_id = (z^2) . (1 / s_i) - 2 z . (mu_i / s_i) + sum_d mu_id^2 / s_id

    with s_i = sigma_i^2: two (B, D) x (D, L) products and one (L,) vector, the same value up
    to rounding. The rounding is larger than the direct form's where z is close to mu_i and
    both are large (the terms cancel); for latent points of order 1, as in this model, the
    two agree to about 1e-5 (tests/model/test_prior.py checks this against float64). With few
    labels the direct form is as fast, and it is kept: the book's stored runs were made with
    it, and re-runs are compared with them bit for bit.

    Args:
        z: latent points, (B, D).
        mu, logvar: the label Gaussians, (L, D) each.

    Returns:
        Log-densities, (B, L).
    """
    if mu.shape[0] <= EXPAND_ABOVE_LABELS:
        return log_normal(z.unsqueeze(1), mu.unsqueeze(0), logvar.unsqueeze(0))
    precision = torch.exp(-logvar)  # 1 / s_i, (L, D)
    per_label = LOG_2PI * mu.shape[1] + logvar.sum(1) + (mu.pow(2) * precision).sum(1)  # (L,)
    quadratic = z.pow(2) @ precision.T - 2.0 * (z @ (mu * precision).T)  # (B, L)
    return -0.5 * (quadratic + per_label)


def mixture_log_density(z: Tensor, y: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """log p(z | y) under the equal-weight mixture over the positive labels.

    Implements :eq:`eq-mixture-prior`, as a masked log-sum-exp (see the module docstring).

    Args:
        z: latent points, (B, D).
        y: 0/1 label matrix, (B, L); row b selects the components of sample b.
        mu, logvar: the label Gaussians, (L, D) each.

    Returns:
        (B,) log-densities. Rows of ``y`` with no positive label get log N(z; 0, I).
    """
    component = component_log_densities(z, mu, logvar)  # (B, L)
    positive = y > 0.5
    count = positive.sum(1)
    masked = component.masked_fill(~positive, float("-inf"))
    has_label = count > 0
    # logsumexp over an all -inf row is -inf; such rows are replaced below.
    mix = torch.logsumexp(masked, dim=1) - torch.log(count.clamp(min=1).to(z.dtype))
    return torch.where(has_label, mix, log_standard_normal(z))


def label_set_gaussian(y: Tensor, mu: Tensor, logvar: Tensor) -> tuple[Tensor, Tensor]:
    """One Gaussian per sample from its label set (:eq:`eq-label-set-gaussian`).

    Its mean is the mean of the positive labels' means, its variance the mean of their
    variances. Samples with no positive label get N(0, I).

    Args:
        y: 0/1 labels, (B, L).
        mu, logvar: the label Gaussians, (L, D) each.

    Returns:
        ``(mu_y, logvar_y)``, each (B, D).
    """
    weights = y / y.sum(1, keepdim=True).clamp(min=1.0)  # rows sum to 1, or 0 if no label
    mean = weights @ mu
    var = weights @ torch.exp(logvar)
    has_label = y.sum(1, keepdim=True) > 0
    mean = torch.where(has_label, mean, torch.zeros_like(mean))
    var = torch.where(has_label, var, torch.ones_like(var))
    return mean, torch.log(var)


def prior_log_density(
    z: Tensor, y: Tensor, mu: Tensor, logvar: Tensor, prior: PriorName = "mixture"
) -> Tensor:
    """log p(z | y) for the chosen prior.

    Args:
        z: latent points, (B, D).
        y: 0/1 labels, (B, L).
        mu, logvar: the label Gaussians, (L, D) each.
        prior: ``"mixture"`` (:func:`mixture_log_density`), ``"label_gaussian"``
            (:func:`label_set_gaussian`) or ``"standard_normal"`` (N(0, I), which ignores
            ``y``, ``mu`` and ``logvar``).

    Returns:
        (B,) log-densities.

    Raises:
        ValueError: an unknown ``prior``.
    """
    if prior == "mixture":
        return mixture_log_density(z, y, mu, logvar)
    if prior == "label_gaussian":
        mean, lv = label_set_gaussian(y, mu, logvar)
        return log_normal(z, mean, lv)
    if prior == "standard_normal":
        return log_standard_normal(z)
    raise ValueError(f"Unknown prior {prior!r}; choose one of {PRIORS}.")


def prior_parameters(
    y: Tensor, mu: Tensor, logvar: Tensor, prior: PriorName
) -> tuple[Tensor, Tensor]:
    """(mean, logvar) of a Gaussian prior, for the closed-form KL (:eq:`eq-kl-closed`).

    Only the two unimodal priors have them; the mixture has no closed-form KL.

    Args:
        y: 0/1 labels, (B, L).
        mu, logvar: the label Gaussians, (L, D) each.
        prior: ``"label_gaussian"`` or ``"standard_normal"``.

    Returns:
        ``(mean, logvar)``, each (B, D).

    Raises:
        ValueError: ``prior`` is ``"mixture"`` or unknown.
    """
    if prior == "label_gaussian":
        return label_set_gaussian(y, mu, logvar)
    if prior == "standard_normal":
        zeros = torch.zeros(y.shape[0], mu.shape[1], device=mu.device, dtype=mu.dtype)
        return zeros, zeros
    raise ValueError(
        f"The {prior!r} prior has no closed-form KL divergence; use kl_estimator='monte_carlo'."
    )


__all__ = [
    "EXPAND_ABOVE_LABELS",
    "PRIORS",
    "component_log_densities",
    "PriorName",
    "label_set_gaussian",
    "mixture_log_density",
    "prior_log_density",
    "prior_parameters",
]
