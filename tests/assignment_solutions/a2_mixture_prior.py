"""Reference solutions of book/assignments/a2_mixture_prior.ipynb (bodies only are used)."""

from __future__ import annotations

import math

import torch


def log_normal(z, mu, logvar):
    """log N(z; mu, sigma^2), summed over the last dimension."""
    return -0.5 * (math.log(2 * math.pi) + logvar + (z - mu).pow(2) * torch.exp(-logvar)).sum(-1)


def mixture_log_density(z, y, mu, logvar):
    """Masked log-sum-exp over the positive labels, minus log |P(y)|; N(0, I) if no label."""
    component = log_normal(z.unsqueeze(1), mu.unsqueeze(0), logvar.unsqueeze(0))  # (B, L)
    positive = y > 0.5
    count = positive.sum(1)
    masked = component.masked_fill(~positive, -math.inf)
    # a row without labels would be all -inf: give it one harmless finite entry instead
    masked = masked.masked_fill((count == 0).unsqueeze(1), 0.0)
    mix = torch.logsumexp(masked, dim=1) - torch.log(count.clamp(min=1).to(z.dtype))
    standard = log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
    return torch.where(count > 0, mix, standard)
