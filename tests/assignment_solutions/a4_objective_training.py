"""Reference solutions of book/assignments/a4_objective_training.ipynb (bodies only are used)."""

from __future__ import annotations

import torch

import minicgmvae


def total_loss(model, outputs, y):
    """lambda * (three BCE terms) + beta * KL + alpha * L_CL."""
    c, o = model.config, outputs
    all_logits = torch.cat([o.label_logits.unsqueeze(0), o.feature_logits])  # (3, B, L)
    bce = minicgmvae.bce_from_logits(all_logits, y)
    kl = minicgmvae.kl_monte_carlo(
        o.feature_mu, o.feature_logvar, y, o.label_mu, o.label_logvar, prior=c.prior
    ).mean()
    anchors = torch.cat([o.label_g, o.feature_g[0]])
    cl = minicgmvae.contrastive_loss(
        anchors, torch.cat([y, y]), model.label_embeddings.weight, c.temperature
    )
    return c.bce_weight * bce + c.kl_weight * kl + c.contrastive_weight * cl


def training_step(model, optimizer, x, y):
    """Loss, zero_grad, backward, step."""
    loss = total_loss(model, model(x, y), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def train_epoch(model, optimizer, x, y, batch_size, generator):
    """One shuffled pass, each batch's loss weighted by its size."""
    model.train()
    total = 0.0
    for idx in torch.randperm(len(x), generator=generator).to(x.device).split(batch_size):
        total += len(idx) * training_step(model, optimizer, x[idx], y[idx])
    return total / len(x)
