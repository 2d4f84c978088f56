"""The remedies for posterior collapse: KL annealing, free bits and the minimum rate."""

from __future__ import annotations

import math

import pytest
import torch

from minicgmvae.collapse import free_bits, kl_anneal_factor, min_rate_variance
from minicgmvae.config import ModelConfig
from minicgmvae.model import CGMVAE


def test_linear_warm_up_rises_to_one_and_stays():
    factors = [kl_anneal_factor(t, "linear", 4) for t in range(6)]
    assert factors == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert kl_anneal_factor(100, "none", 0) == 1.0


def test_cyclical_annealing_restarts_every_cycle():
    factors = [kl_anneal_factor(t, "cyclical", 4) for t in range(8)]
    assert factors == [0.5, 1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="Unknown KL annealing"):
        kl_anneal_factor(0, "sigmoid", 4)


def test_free_bits_floor_the_mean_and_stop_its_gradient():
    kl = torch.tensor([[0.1, 2.0], [0.3, 4.0]], requires_grad=True)  # (B=2, D=2)
    out = free_bits(kl, 0.5)  # dimension 0 has mean 0.2 < 0.5; dimension 1 has mean 3
    assert float(out.detach()) == pytest.approx(0.5 + 3.0)
    out.backward()
    assert kl.grad[:, 0].abs().sum() == 0  # below the floor: no pressure to shrink
    assert torch.allclose(kl.grad[:, 1], torch.tensor([0.5, 0.5]))


@pytest.mark.parametrize("delta", [0.01, 0.1, 1.0])
def test_minimum_rate_variance_gives_that_kl_to_a_standard_normal(delta):
    s = min_rate_variance(delta)
    assert 0 < s < 1
    assert 0.5 * (s - 1 - math.log(s)) == pytest.approx(delta, rel=1e-9)


def test_minimum_rate_caps_the_posterior_variance():
    torch.manual_seed(0)
    cfg = ModelConfig(n_features=5, n_labels=3, embed_dim=8, latent_dim=4, min_rate=0.1)
    model = CGMVAE(cfg)
    with torch.no_grad():
        model.feature_encoder.head.logvar.bias.fill_(5.0)  # wants variance e^5
    _, logvar = model.feature_encoder(torch.randn(20, 5))
    assert float(logvar.detach().exp().max()) <= min_rate_variance(0.1) + 1e-6


def test_defaults_leave_the_objective_as_the_authors_wrote_it():
    torch.manual_seed(0)
    x, y = torch.randn(16, 5), (torch.rand(16, 3) < 0.5).float()
    cfg = ModelConfig(n_features=5, n_labels=3, embed_dim=8, latent_dim=4)
    model = CGMVAE(cfg)
    model.begin_epoch(0)
    assert model.kl_factor == 1.0
    torch.manual_seed(1)
    t = model.loss(model(x, y), y)
    expected = (cfg.bce_weight * t.bce + cfg.kl_weight * t.kl
                + cfg.contrastive_weight * t.contrastive)
    assert torch.equal(t.total, expected)


@pytest.mark.parametrize("estimator, prior", [("monte_carlo", "mixture"),
                                              ("closed_form", "standard_normal")])
def test_free_bits_and_annealing_enter_the_total(estimator, prior):
    torch.manual_seed(0)
    x, y = torch.randn(16, 5), (torch.rand(16, 3) < 0.5).float()
    cfg = ModelConfig(n_features=5, n_labels=3, embed_dim=8, latent_dim=4, prior=prior,
                      kl_estimator=estimator, free_bits=50.0, kl_annealing="linear",
                      kl_anneal_epochs=4)
    model = CGMVAE(cfg)
    model.begin_epoch(1)  # factor 0.5
    torch.manual_seed(1)
    t = model.loss(model(x, y), y)
    floor = 50.0 * 4  # every group below its floor: the KL part is the floor itself
    expected = cfg.bce_weight * t.bce + cfg.kl_weight * 0.5 * floor + t.contrastive
    assert float(t.total) == pytest.approx(float(expected), rel=1e-5)
    assert float(t.kl) < floor  # what is reported is the KL, not the floor


def test_annealing_needs_a_length():
    with pytest.raises(ValueError, match="kl_anneal_epochs"):
        ModelConfig(n_features=5, n_labels=3, kl_annealing="linear")
