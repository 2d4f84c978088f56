"""Assignment 4's checks: check_total_loss, check_training_step and check_train_epoch. Each
passes the package's reference implementation and fails, with the intended plain-words
message, on deliberately broken functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import support
import torch

import minicgmvae
from minicgmvae.checks.a4_objective_training import (
    _reference_train_epoch,
    _reference_training_step,
)

ASSIGNMENT = "a4_objective_training"

REFERENCES: dict[str, Callable[..., Any]] = {
    "check_total_loss": lambda model, outputs, y: model.loss(outputs, y).total,
    "check_training_step": _reference_training_step,
    "check_train_epoch": lambda *a: _reference_train_epoch(*a)[0],
}


def total(model, o, y, *, weights=True, contrastive=True, detach_kl=False):
    c = model.config
    bce = minicgmvae.bce_from_logits(torch.cat([o.label_logits[None], o.feature_logits]), y)
    kl = minicgmvae.kl_monte_carlo(o.feature_mu, o.feature_logvar, y, o.label_mu,
                                   o.label_logvar).mean()
    if detach_kl:
        kl = kl.detach()
    cl = minicgmvae.contrastive_loss(torch.cat([o.label_g, o.feature_g[0]]), torch.cat([y, y]),
                                     model.label_embeddings.weight, c.temperature)
    if not weights:
        return bce + kl + cl
    return c.bce_weight * bce + c.kl_weight * kl + (c.contrastive_weight * cl if contrastive
                                                    else 0.0)


def step(model, optimizer, x, y, *, zero=True, do_step=True, item=True):
    loss = total(model, model(x, y), y)
    if zero:
        optimizer.zero_grad()
    loss.backward()
    if do_step:
        optimizer.step()
    return loss.item() if item else loss


def epoch(model, optimizer, x, y, batch_size, generator, *, drop_last=False, weighted=True,
          train=True, shuffle=True):
    if train:
        model.train()
    idx = torch.randperm(len(x), generator=generator) if shuffle else torch.arange(len(x))
    batches = list(idx.split(batch_size))
    if drop_last and len(batches[-1]) < batch_size:
        batches = batches[:-1]
    losses = [(len(b), step(model, optimizer, x[b], y[b])) for b in batches]
    if weighted:
        return sum(n * v for n, v in losses) / sum(n for n, _ in losses)
    return sum(v for _, v in losses) / len(losses)


BROKEN: list[support.Broken] = [
    ("total without weights", "check_total_loss",
     lambda m, o, y: total(m, o, y, weights=False), ["without their weights"]),
    ("total without contrastive", "check_total_loss",
     lambda m, o, y: total(m, o, y, contrastive=False), ["contrastive term is missing"]),
    ("total detached KL", "check_total_loss", lambda m, o, y: total(m, o, y, detach_kl=True),
     ["gradient for", "detached"]),
    ("step without zero_grad", "check_training_step",
     lambda m, o, x, y: step(m, o, x, y, zero=False), ["optimizer.zero_grad()"]),
    ("step without step", "check_training_step",
     lambda m, o, x, y: step(m, o, x, y, do_step=False), ["had not changed",
                                                           "optimizer.step()"]),
    ("step returns tensor", "check_training_step",
     lambda m, o, x, y: step(m, o, x, y, item=False), ["loss.item()"]),
    ("epoch drops last batch", "check_train_epoch",
     lambda *a: epoch(*a, drop_last=True), ["took 3 optimizer step(s); expected 4",
                                            "last, smaller batch"]),
    ("epoch unweighted mean", "check_train_epoch", lambda *a: epoch(*a, weighted=False),
     ["Weight each batch's loss by its size"]),
    ("epoch eval mode", "check_train_epoch", lambda *a: epoch(*a, train=False),
     ["model.train()"]),
    ("epoch no shuffle", "check_train_epoch", lambda *a: epoch(*a, shuffle=False),
     ["torch.randperm(len(x), generator=generator)"]),
]


def test_the_tests_cover_the_assignments_checks() -> None:
    support.assert_covers(ASSIGNMENT, REFERENCES, BROKEN)


@pytest.mark.parametrize("check", sorted(REFERENCES))
def test_check_passes_the_reference(check: str) -> None:
    support.assert_passes_the_reference(check, REFERENCES[check])


@pytest.mark.parametrize("check", sorted(REFERENCES))
def test_check_reports_not_implemented(check: str) -> None:
    support.assert_reports_not_implemented(check)


@pytest.mark.parametrize("check", sorted(REFERENCES))
def test_check_reports_an_exception_in_one_line(check: str) -> None:
    support.assert_reports_an_exception_in_one_line(check)


@pytest.mark.parametrize("check,fn,expected", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_check_explains_a_broken_function(check: str, fn: Callable[..., Any],
                                          expected: list[str]) -> None:
    support.assert_explains(check, fn, expected)
