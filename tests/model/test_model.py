"""The whole model: shapes, gradients, empty label rows, and the loss's switches."""

from __future__ import annotations

import pytest
import torch

from minicgmvae.model import CGMVAE

from helpers.model import DIM, B, E, F, L, labels, small_config


def test_forward_shapes_train_and_eval():
    torch.manual_seed(0)
    model = CGMVAE(small_config())
    x, y = torch.randn(B, F), labels()
    out = model(x, y)
    assert out.feature_mu.shape == out.feature_logvar.shape == (B, DIM)
    assert out.label_mu.shape == out.label_logvar.shape == (L, DIM)
    assert out.feature_g.shape == (2, B, E) and out.label_g.shape == (B, E)
    assert out.feature_logits.shape == (2, B, L) and out.label_logits.shape == (B, L)
    torch.testing.assert_close(out.feature_g.norm(dim=-1), torch.ones(2, B))  # on the unit sphere
    model.eval()
    out = model(x, y)
    assert out.feature_logits.shape == (1, B, L)
    probs = model.predict_proba(x)
    assert probs.shape == (B, L) and bool(((probs >= 0) & (probs <= 1)).all())
    # prediction uses z = mu_x: the logits of predict_logits equal the eval feature branch
    torch.testing.assert_close(model.predict_logits(x), out.feature_logits[0])


@pytest.mark.parametrize("prior", ["mixture", "label_gaussian", "standard_normal"])
def test_every_parameter_gets_a_gradient(prior):
    torch.manual_seed(0)
    model = CGMVAE(small_config(prior=prior))
    x, y = torch.randn(B, F), labels()
    model.loss(model(x, y), y).total.backward()
    # with a standard-normal prior the label variances feed nothing (only the means do)
    unused = {"label_encoder.head.logvar.weight", "label_encoder.head.logvar.bias"}
    for name, p in model.named_parameters():
        if prior == "standard_normal" and name in unused:
            assert p.grad is None, name
            continue
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_empty_label_rows_stay_finite():
    """The authors' code gives NaN/inf for a sample with no positive label (REFERENCE)."""
    torch.manual_seed(0)
    model = CGMVAE(small_config())
    x = torch.randn(4, F)
    y = torch.zeros(4, L)  # no sample has a label
    terms = model.loss(model(x, y), y)
    for name, value in terms.detached().items():
        assert torch.isfinite(value), name
    terms.total.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_contrastive_off_and_closed_form_switches():
    torch.manual_seed(0)
    x, y = torch.randn(B, F), labels()
    m = CGMVAE(
        small_config(contrastive_weight=0.0, prior="standard_normal", kl_estimator="closed_form")
    )
    terms = m.loss(m(x, y), y)
    assert terms.contrastive.item() == 0.0
    expected = m.config.bce_weight * terms.bce + m.config.kl_weight * terms.kl
    torch.testing.assert_close(terms.total, expected)
    with pytest.raises(ValueError, match="closed-form"):
        small_config(prior="mixture", kl_estimator="closed_form")
    with pytest.raises(ValueError, match="prior"):
        small_config(prior="gmm")
