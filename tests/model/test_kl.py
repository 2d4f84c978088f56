"""The KL terms: the closed form against torch.distributions, and the Monte Carlo estimate
against the closed form."""

from __future__ import annotations

import math

import torch
from torch import distributions as D

from minicgmvae.kl import kl_gaussians, kl_monte_carlo

from helpers.model import DIM, L


def test_closed_form_kl_matches_torch_distributions():
    torch.manual_seed(0)
    m1, l1, m2, l2 = (torch.randn(6, DIM) for _ in range(4))
    p = D.Independent(D.Normal(m1, torch.exp(0.5 * l1)), 1)
    q = D.Independent(D.Normal(m2, torch.exp(0.5 * l2)), 1)
    torch.testing.assert_close(kl_gaussians(m1, l1, m2, l2), D.kl_divergence(p, q))


def test_monte_carlo_kl_agrees_with_closed_form_for_a_single_gaussian():
    """Averaged over many samples, the one-sample estimate converges to the closed form."""
    torch.manual_seed(0)
    q_mu, q_logvar = torch.randn(1, DIM) * 0.5, torch.randn(1, DIM) * 0.3
    label_mu, label_logvar = torch.randn(L, DIM) * 0.5, torch.randn(L, DIM) * 0.3
    y = torch.zeros(1, L)
    y[0, 1] = 1.0
    n = 200_000
    estimates = kl_monte_carlo(
        q_mu.expand(n, -1),
        q_logvar.expand(n, -1),
        y.expand(n, -1),
        label_mu,
        label_logvar,
        "mixture",
    )
    exact = kl_gaussians(q_mu, q_logvar, label_mu[1:2], label_logvar[1:2])
    stderr = estimates.std() / math.sqrt(n)
    assert abs(estimates.mean() - exact[0]) < 4 * stderr + 1e-4
    # with a standard-normal prior
    est = kl_monte_carlo(
        q_mu.expand(n, -1),
        q_logvar.expand(n, -1),
        y.expand(n, -1),
        label_mu,
        label_logvar,
        "standard_normal",
    )
    exact = kl_gaussians(q_mu, q_logvar, torch.zeros(1, DIM), torch.zeros(1, DIM))
    assert abs(est.mean() - exact[0]) < 4 * est.std() / math.sqrt(n) + 1e-4
