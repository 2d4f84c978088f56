"""The priors' log densities: the mixture, the label-set Gaussian, and the expanded form for
many labels."""

from __future__ import annotations

import torch
from torch import distributions as D

from minicgmvae.gaussian import log_normal, log_standard_normal
from minicgmvae.prior import label_set_gaussian, mixture_log_density, prior_log_density

from helpers.model import DIM, B, L, labels


def test_mixture_log_density_matches_mixture_same_family():
    torch.manual_seed(0)
    mu, logvar = torch.randn(L, DIM), torch.randn(L, DIM) * 0.5
    z, y = torch.randn(B, DIM), labels()
    got = mixture_log_density(z, y, mu, logvar)
    for b in range(B):
        pos = y[b] > 0
        if pos.sum() == 0:
            expected = D.Independent(D.Normal(torch.zeros(DIM), torch.ones(DIM)), 1).log_prob(z[b])
        else:
            mix = D.MixtureSameFamily(
                D.Categorical(probs=torch.full((int(pos.sum()),), 1.0 / float(pos.sum()))),
                D.Independent(D.Normal(mu[pos], torch.exp(0.5 * logvar[pos])), 1),
            )
            expected = mix.log_prob(z[b])
        torch.testing.assert_close(got[b], expected, rtol=1e-5, atol=1e-5)


def test_mixture_with_one_label_is_that_gaussian():
    mu, logvar = torch.randn(L, DIM), torch.randn(L, DIM)
    z, y = torch.randn(3, DIM), torch.zeros(3, L)
    y[:, 3] = 1.0
    torch.testing.assert_close(
        mixture_log_density(z, y, mu, logvar), log_normal(z, mu[3], logvar[3])
    )
    # ... and so is the label-set Gaussian
    torch.testing.assert_close(
        prior_log_density(z, y, mu, logvar, "label_gaussian"), log_normal(z, mu[3], logvar[3])
    )


def test_label_set_gaussian_is_mean_of_means_and_variances():
    mu, logvar = torch.randn(L, DIM), torch.randn(L, DIM)
    y = torch.tensor([[1.0, 0, 1, 0, 0], [0, 0, 0, 0, 0]])
    m, lv = label_set_gaussian(y, mu, logvar)
    torch.testing.assert_close(m[0], (mu[0] + mu[2]) / 2)
    torch.testing.assert_close(lv[0], torch.log((logvar[0].exp() + logvar[2].exp()) / 2))
    torch.testing.assert_close(m[1], torch.zeros(DIM))  # no label: N(0, I)
    torch.testing.assert_close(lv[1], torch.zeros(DIM))


def test_component_log_densities_expanded_for_many_labels_agree_with_float64():
    from minicgmvae.prior import EXPAND_ABOVE_LABELS, component_log_densities

    torch.manual_seed(0)
    b, d = 32, 16
    for n_labels in (EXPAND_ABOVE_LABELS, EXPAND_ABOVE_LABELS + 1, 300):
        z = torch.randn(b, d, requires_grad=True)
        mu = (0.7 * torch.randn(n_labels, d)).requires_grad_()
        logvar = (0.5 * torch.randn(n_labels, d)).requires_grad_()
        out = component_log_densities(z, mu, logvar)
        # the direct form, as the equation reads, in float64
        z64, mu64, lv64 = (t.detach().double().requires_grad_() for t in (z, mu, logvar))
        ref = log_normal(z64.unsqueeze(1), mu64.unsqueeze(0), lv64.unsqueeze(0))
        if n_labels <= EXPAND_ABOVE_LABELS:  # few labels: exactly the direct float32 form
            direct = log_normal(z.unsqueeze(1), mu.unsqueeze(0), logvar.unsqueeze(0))
            assert torch.equal(out, direct)
        torch.testing.assert_close(out.double(), ref, rtol=0, atol=1e-4)
        w = torch.randn(b, n_labels, dtype=torch.float64)  # a random upstream gradient
        grads = torch.autograd.grad((out.double() * w).sum(), (z, mu, logvar))
        refs = torch.autograd.grad((ref * w).sum(), (z64, mu64, lv64))
        for g, r in zip(grads, refs):
            torch.testing.assert_close(g.double(), r, rtol=1e-4, atol=1e-4)


def test_mixture_log_density_with_many_labels_matches_the_direct_form():
    torch.manual_seed(1)
    b, n_labels, d = 64, 500, 8
    z, mu, logvar = torch.randn(b, d), 0.5 * torch.randn(n_labels, d), torch.randn(n_labels, d)
    y = (torch.rand(b, n_labels) < 0.02).float()
    y[0] = 0.0  # a sample with no label: the standard normal
    ref = log_normal(z.double().unsqueeze(1), mu.double(), logvar.double())
    ref = ref.masked_fill(y < 0.5, float("-inf")).logsumexp(1) - y.sum(1).clamp(min=1).log()
    out = mixture_log_density(z, y, mu, logvar)
    torch.testing.assert_close(out[1:].double(), ref[1:], rtol=0, atol=1e-4)
    torch.testing.assert_close(out[0], log_standard_normal(z[0]))
