"""The MLP baselines: the BCE MLP's checkpoint rule and determinism, the asymmetric loss, and
the ASL MLP."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from minicgmvae.baselines.mlp import asl_mlp_baseline, asymmetric_loss, mlp_baseline
from minicgmvae.data.datasets import from_arrays
from minicgmvae.metrics import PAPER_THRESHOLDS, all_metrics, threshold_sweep
from minicgmvae.protocols import evaluate_both

from helpers.baselines import ASL_KW, MLP_KW, make_data


def test_mlp_is_deterministic_and_leaves_global_rng_alone(data, fitted):
    state = torch.get_rng_state()
    again = mlp_baseline(data, **MLP_KW)
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(again.val, fitted["mlp"].val)
    np.testing.assert_array_equal(again.test, fitted["mlp"].test)
    other = mlp_baseline(data, **{**MLP_KW, "seed": 1})
    assert not np.array_equal(other.test, fitted["mlp"].test)


def test_mlp_keeps_best_validation_epoch(data, fitted):
    info = fitted["mlp"].info
    hist = [h["val_macro_f1"] for h in info["history"]]
    assert len(hist) == MLP_KW["epochs"]
    assert info["best_val_macro_f1"] == max(hist)
    assert info["best_epoch"] == 1 + hist.index(max(hist))  # earliest best
    # the returned scores are those of the best epoch
    val_f1 = all_metrics(data.y_val, fitted["mlp"].val)["macro_f1"]
    assert val_f1 == pytest.approx(info["best_val_macro_f1"], abs=1e-6)


# ---------------------------------------------------------------------------------------------
# Asymmetric loss and the ASL MLP
# ---------------------------------------------------------------------------------------------
def test_asymmetric_loss_without_focusing_or_clip_is_bce():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(16, 7, generator=g) * 5
    logits[0, :4] = torch.tensor([-40.0, 40.0, -40.0, 40.0])  # far into the sigmoid's tails
    y = (torch.rand(16, 7, generator=g) < 0.4).float()
    y[0, :4] = torch.tensor([1.0, 0.0, 0.0, 1.0])
    a = logits.clone().requires_grad_()
    b = logits.clone().requires_grad_()
    asl = asymmetric_loss(a, y, gamma_neg=0.0, gamma_pos=0.0, clip=0.0)
    bce = F.binary_cross_entropy_with_logits(b, y, reduction="sum") / len(y)
    torch.testing.assert_close(asl, bce, rtol=1e-6, atol=0)
    asl.backward()
    bce.backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-7)


def test_asymmetric_loss_formula():
    logits = torch.tensor([[2.0, -1.0, 0.3], [-0.5, 1.5, -3.0]], dtype=torch.float64)
    y = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    gn, gp, m = 3.0, 1.0, 0.1
    p = torch.sigmoid(logits)
    p_m = (p - m).clamp(min=0)
    per = y * (1 - p) ** gp * torch.log(p) + (1 - y) * p_m**gn * torch.log(1 - p_m)
    expected = -per.sum() / 2  # summed over labels, mean over the batch
    torch.testing.assert_close(asymmetric_loss(logits, y, gn, gp, m), expected)


def test_asymmetric_loss_clip_discards_easy_negatives():
    logits = torch.tensor([[-4.0, -3.0, -2.9, 1.0]], requires_grad=True)  # p = .018 .047 .052
    y = torch.zeros(1, 4)
    per_label = [asymmetric_loss(logits[:, [j]], y[:, [j]], clip=0.05) for j in range(4)]
    assert per_label[0].item() == 0.0 and per_label[1].item() == 0.0  # p < clip: exactly 0
    assert per_label[2].item() > 0 and per_label[3].item() > 0
    asymmetric_loss(logits, y, clip=0.05).backward()
    assert logits.grad[0, 0].item() == 0.0 and logits.grad[0, 1].item() == 0.0
    assert logits.grad[0, 3].item() > 0
    # a positive with the same logit is not clipped
    assert asymmetric_loss(logits[:, [0]], torch.ones(1, 1), clip=0.05).item() > 0


def test_asymmetric_loss_focusing_weights_carry_no_gradient():
    # d/dx of -w * log(q) with the weight w held constant (the official code's
    # disable_torch_grad_focal_loss=True); dp/dx = p (1 - p)
    x = torch.tensor([[1.0, -0.5]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    asymmetric_loss(x, y, gamma_neg=4.0, gamma_pos=2.0, clip=0.05).backward()
    p = torch.sigmoid(x.detach())[0]
    p_m = p[0] - 0.05
    neg = p_m**4 * p[0] * (1 - p[0]) / (1 - p_m)  # negative: -p_m^4 log(1 - p_m)
    pos = -((1 - p[1]) ** 2) * (1 - p[1])  # positive: -(1 - p)^2 log(p)
    torch.testing.assert_close(x.grad[0], torch.stack([neg, pos]))
    # with the weight differentiated too, the negative's gradient would be larger
    full = neg + 4 * p_m**3 * p[0] * (1 - p[0]) * -torch.log(1 - p_m)
    assert not torch.isclose(x.grad[0, 0], full)


def test_asymmetric_loss_bad_arguments():
    z = torch.zeros(2, 3)
    for kw in ({"gamma_neg": -1.0}, {"gamma_pos": -0.5}, {"clip": 1.0}, {"clip": -0.1}):
        with pytest.raises(ValueError):
            asymmetric_loss(z, z, **kw)
    with pytest.raises(ValueError, match="clip"):
        asl_mlp_baseline(make_data(n=100), clip=1.5, **ASL_KW)


@pytest.fixture(scope="module")
def separable():
    # labels are half-spaces of the features, no noise
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 6))
    y = (x @ rng.normal(size=(6, 3)) > 0.3).astype(np.float32)
    return from_arrays(x, y, val_fraction=0.2, test_fraction=0.25, seed=0)


def test_asl_mlp_learns_a_separable_problem(separable):
    out = asl_mlp_baseline(separable, **ASL_KW)
    # validation macro-F1 at the threshold the honest protocol would pick (ASL's scores sit
    # high, so t = 0.5, the checkpoint rule, is not where it is best on this toy)
    val_f1 = threshold_sweep(separable.y_val, out.val, PAPER_THRESHOLDS)["macro_f1"]
    assert np.nanmax(val_f1) > 0.9
    honest = evaluate_both(separable.y_val, out.val, separable.y_test, out.test)["honest"]
    assert honest.metrics["macro_f1"] > 0.9
    info = out.info
    assert info["loss"] == "asl"
    assert (info["gamma_neg"], info["gamma_pos"], info["clip"]) == (4.0, 0.0, 0.05)
    assert info["hidden"] == [32] and len(info["history"]) == ASL_KW["epochs"]
    assert info["best_val_macro_f1"] == max(h["val_macro_f1"] for h in info["history"])
    json.dumps(info, allow_nan=False)


def test_asl_mlp_is_deterministic_and_leaves_global_rng_alone(separable):
    state = torch.get_rng_state()
    a = asl_mlp_baseline(separable, **ASL_KW)
    b = asl_mlp_baseline(separable, **ASL_KW)
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(a.val, b.val)
    np.testing.assert_array_equal(a.test, b.test)
    c = asl_mlp_baseline(separable, **{**ASL_KW, "seed": 1})
    assert not np.array_equal(c.test, a.test)
    # the loss is what differs from the BCE MLP
    assert not np.array_equal(mlp_baseline(separable, **ASL_KW).test, a.test)
