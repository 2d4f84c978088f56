"""The supervised losses against hand computations."""

from __future__ import annotations

import math

import pytest
import torch

from minicgmvae.losses import bce_from_logits, contrastive_loss

from helpers.model import E, L, labels


def test_contrastive_loss_matches_a_hand_computation():
    torch.manual_seed(0)
    anchors = torch.nn.functional.normalize(torch.randn(6, E), dim=1)
    emb = torch.randn(L, E)
    y = labels(6, L)
    tau = 0.7
    total, count = 0.0, 0
    for a in range(6):
        pos = [j for j in range(L) if y[a, j] == 1]
        if not pos:
            continue  # an anchor with no positive label is left out of the mean
        scores = [float(anchors[a] @ emb[j]) / tau for j in range(L)]
        log_z = math.log(sum(math.exp(s) for s in scores))
        total += -sum(scores[p] - log_z for p in pos) / len(pos)
        count += 1
    got = contrastive_loss(anchors, y, emb, tau)
    assert got.item() == pytest.approx(total / count, rel=1e-5)


def test_bce_from_logits_is_the_summed_mean_and_stable():
    logits = torch.tensor([[[80.0, -80.0, 0.0]], [[1.0, 2.0, -3.0]]])  # (K=2, B=1, L=3)
    y = torch.tensor([[0.0, 1.0, 1.0]])
    got = bce_from_logits(logits, y)
    assert torch.isfinite(got)
    manual = 0.0
    for k in range(2):
        for i in range(3):
            s = float(logits[k, 0, i])
            # -log sigmoid(s) = softplus(-s), -log(1 - sigmoid(s)) = softplus(s)
            manual += (
                math.log1p(math.exp(-abs(s))) + max(-s, 0)
                if y[0, i] == 1
                else math.log1p(math.exp(-abs(s))) + max(s, 0)
            )
    assert got.item() == pytest.approx(manual, rel=1e-5)
