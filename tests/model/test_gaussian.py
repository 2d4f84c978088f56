"""The Gaussian pieces against torch.distributions: the log density and the reparameterisation."""

from __future__ import annotations

import math

import torch
from torch import distributions as D

from minicgmvae.gaussian import log_normal, reparameterize

from helpers.model import DIM


def test_log_normal_matches_torch_distributions():
    torch.manual_seed(0)
    mu, logvar, z = torch.randn(7, DIM), torch.randn(7, DIM), torch.randn(7, DIM)
    expected = D.Independent(D.Normal(mu, torch.exp(0.5 * logvar)), 1).log_prob(z)
    torch.testing.assert_close(log_normal(z, mu, logvar), expected)


def test_reparameterize_has_the_right_moments_and_gradient():
    torch.manual_seed(0)
    mu = torch.tensor([1.0, -2.0], requires_grad=True)
    logvar = torch.tensor([0.0, math.log(4.0)], requires_grad=True)
    z = reparameterize(mu.expand(100_000, 2), logvar.expand(100_000, 2))
    torch.testing.assert_close(z.mean(0), mu.detach(), atol=0.03, rtol=0)
    torch.testing.assert_close(z.std(0), torch.tensor([1.0, 2.0]), atol=0.03, rtol=0)
    z.sum().backward()
    assert mu.grad is not None and logvar.grad is not None
