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
        "label_mu_norm",
        "label_var",
        "z_effect",
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
