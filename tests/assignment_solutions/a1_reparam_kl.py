"""Reference solutions of book/assignments/a1_reparam_kl.ipynb (bodies only are used)."""

from __future__ import annotations

import torch


def reparameterize(mu, logvar):
    """z = mu + sigma * eps."""
    eps = torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_gaussians(mu1, logvar1, mu2, logvar2):
    """Closed-form KL of diagonal Gaussians, summed over the last dimension."""
    var_ratio = torch.exp(logvar1 - logvar2)
    mean_term = (mu1 - mu2).pow(2) * torch.exp(-logvar2)
    return 0.5 * (logvar2 - logvar1 + var_ratio + mean_term - 1.0).sum(-1)
