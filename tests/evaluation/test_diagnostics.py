"""Diagnostics: latent usage, the collapse report, and embedding geometry against co-occurrence."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from minicgmvae.config import ModelConfig
from minicgmvae.diagnostics import collapse_report, embedding_cooccurrence
from minicgmvae.model import CGMVAE

from helpers.model import DIM, F, small_config


def test_latent_usage_counts_active_units_and_kl():
    from minicgmvae.diagnostics import latent_usage, model_latent_usage

    torch.manual_seed(0)
    mu = torch.zeros(500, 4)
    mu[:, 0] = torch.randn(500)  # one dimension that depends on x
    logvar = torch.zeros(500, 4)
    logvar[:, 3] = math.log(0.25)
    usage = latent_usage(mu, logvar)
    assert usage.active_units == 1
    expected = [0.5 * float((mu[:, 0] ** 2).mean()), 0.0, 0.0, 0.5 * (0.25 - 1 - math.log(0.25))]
    torch.testing.assert_close(usage.kl_per_dim, torch.tensor(expected), rtol=1e-5, atol=1e-6)
    model = CGMVAE(small_config())
    assert model_latent_usage(model, torch.randn(50, F)).activity.shape == (DIM,)
    assert model.training  # the mode is restored


def test_embedding_cooccurrence_is_one_when_geometry_follows_the_labels():
    rng = np.random.default_rng(0)
    base = rng.random((400, 3)) < 0.5
    # labels 0/1 identical, 2/3 opposite, 4 independent: phi = 1, -1, ~0
    y = np.stack([base[:, 0], base[:, 0], base[:, 1], ~base[:, 1], base[:, 2]], 1)
    y = torch.as_tensor(y, dtype=torch.float32)
    phi = np.corrcoef(y.numpy(), rowvar=False)
    # embeddings whose cosines are an increasing function of phi
    w, v = np.linalg.eigh(phi + 2 * np.eye(5))  # positive definite Gram matrix
    E = torch.as_tensor(v * np.sqrt(w))  # float64: E E^T = phi + 2 I
    out = embedding_cooccurrence(E, y)
    assert out["n_pairs"] == 10
    assert out["pearson"] == pytest.approx(1.0)
    assert out["spearman"] > 0.95  # (tied phi values may swap ranks by rounding)
    # and cosines that fall as phi rises: the measure reports the opposite order
    w, v = np.linalg.eigh(-phi + 3 * np.eye(5))  # -phi + 3 I is positive definite
    anti = embedding_cooccurrence(torch.as_tensor(v * np.sqrt(w)), y)
    assert anti["pearson"] == pytest.approx(-1.0)
    assert anti["spearman"] < -0.95
    constant = torch.cat([y, torch.ones(400, 1)], 1)  # a label that never varies is left out
    E6 = torch.cat([E, torch.ones(1, 5, dtype=E.dtype)])
    assert embedding_cooccurrence(E6, constant)["n_pairs"] == 10


def test_collapse_report_sees_whether_z_matters():
    torch.manual_seed(0)
    model = CGMVAE(ModelConfig(n_features=5, n_labels=4, embed_dim=16, latent_dim=3))
    x = torch.randn(50, 5)
    r = collapse_report(model, x)
    assert set(r) == {
        "active_units",
        "kl_to_standard_normal",
        "kl_max_dim",
        "mutual_information",
        "label_mu_norm",
        "label_var",
        "z_effect",
        "z_effect_vs_zero",
    }
    assert r["z_effect"] > 0 and r["kl_to_standard_normal"] >= 0
    # an encoder that always outputs N(0, I): no active unit, zero KL, and z = mu_x = 0
    with torch.no_grad():
        for p in model.feature_encoder.head.parameters():
            p.zero_()
    r0 = collapse_report(model, x)
    assert r0["active_units"] == 0
    assert r0["kl_to_standard_normal"] == pytest.approx(0.0, abs=1e-6)
    assert r0["z_effect"] == 0.0
    assert model.training  # the mode is restored


class _Encoder(torch.nn.Module):
    """A feature encoder with a known answer: mu = a constant plus ``scale`` times the first
    feature in dimension 0, with log-variance ``logvar``."""

    def __init__(self, dim: int, offset: float, scale: float, logvar: float) -> None:
        super().__init__()
        self.dim, self.offset, self.scale, self.logvar = dim, offset, scale, logvar

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu = torch.full((len(x), self.dim), self.offset)
        mu[:, 0] += self.scale * x[:, 0]
        return mu, torch.full_like(mu, self.logvar)


def _report_with(encoder: torch.nn.Module, n: int = 400) -> dict[str, float]:
    torch.manual_seed(0)
    model = CGMVAE(ModelConfig(n_features=5, n_labels=4, embed_dim=16, latent_dim=3,
                               decoder_sees_x=False))
    model.feature_encoder = encoder
    return collapse_report(model, torch.randn(n, 5))


def test_z_of_pure_noise_has_no_information_and_no_effect():
    """A posterior that ignores x but sits away from 0: every measure of dependence on x
    reads 0; only the old z = 0 comparison sees an effect (the offset)."""
    r = _report_with(_Encoder(3, offset=2.0, scale=0.0, logvar=0.0))
    assert r["active_units"] == 0
    assert abs(r["mutual_information"]) < 0.02
    assert r["z_effect"] == pytest.approx(0.0, abs=1e-7)
    assert r["z_effect_vs_zero"] > 0.01


def test_z_that_copies_a_feature_is_active_informative_and_used():
    """mu_0 = x_0 with noise sigma = 0.1: one active unit, and the information of a Gaussian
    channel. For x_0 ~ N(0, 1) and z_0 = x_0 + N(0, 0.01), I(x; z) = 1/2 log(1 + 1 / 0.01)
    = 2.31 nats; the estimate over 400 samples is close (it cannot exceed log 400 = 5.99)."""
    r = _report_with(_Encoder(3, offset=0.0, scale=1.0, logvar=math.log(0.01)))
    assert r["active_units"] == 1
    assert r["mutual_information"] == pytest.approx(0.5 * math.log(101), abs=0.25)
    assert r["z_effect"] > 0.001
    assert r["kl_max_dim"] > 1.0


def test_a_small_signal_under_unit_noise_is_inactive_yet_moves_the_prediction():
    """The puzzle of the stored no-x runs: means that move by 0.01 (variance 1e-4) under unit
    noise are inactive and carry almost no information, yet the decoder sees them."""
    r = _report_with(_Encoder(3, offset=0.0, scale=0.01, logvar=0.0))
    assert r["active_units"] == 0
    assert abs(r["mutual_information"]) < 0.02
    assert r["z_effect"] > 0


def test_mutual_information_is_bounded_by_log_n():
    from minicgmvae.diagnostics import mutual_information

    mu = torch.randn(64, 2) * 100  # far-apart posteriors: each sample identifies its x
    logvar = torch.full((64, 2), math.log(1e-4))
    assert mutual_information(mu, logvar) == pytest.approx(math.log(64), abs=1e-3)
