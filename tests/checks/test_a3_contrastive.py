"""Assignment 3's checks: check_bce_from_logits and check_contrastive_loss. Each passes the
package's reference implementation and fails, with the intended plain-words message, on
deliberately broken functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import support
import torch
import torch.nn.functional as F

import minicgmvae

ASSIGNMENT = "a3_contrastive"

REFERENCES: dict[str, Callable[..., Any]] = {
    "check_bce_from_logits": lambda logits, y: minicgmvae.bce_from_logits(logits, y),
    "check_contrastive_loss": minicgmvae.contrastive_loss,
}


def contrastive_all_anchors(anchors, y, embeddings, temperature=1.0):
    log_prob = F.log_softmax(anchors @ embeddings.t() / temperature, 1)
    return (-(y * log_prob).sum(1) / y.sum(1).clamp(min=1)).mean()


def contrastive_naive(anchors, y, embeddings, temperature=1.0):
    e = torch.exp(anchors @ embeddings.t() / temperature)
    log_prob = torch.log(e / e.sum(1, keepdim=True))
    n = y.sum(1)
    keep = (n > 0).float()
    return ((-(y * log_prob).sum(1) / n.clamp(min=1)) * keep).sum() / keep.sum().clamp(min=1)


BROKEN: list[support.Broken] = [
    ("bce mean over labels", "check_bce_from_logits",
     lambda logits, y: F.binary_cross_entropy_with_logits(logits, y),
     ["averaged over the labels too"]),
    ("bce log(sigmoid)", "check_bce_from_logits",
     lambda s, y: -(y * torch.log(torch.sigmoid(s))
                    + (1 - y) * torch.log(1 - torch.sigmoid(s))).sum(-1).mean(),
     ["large logits", "binary_cross_entropy_with_logits"]),
    ("contrastive mean over all anchors", "check_contrastive_loss", contrastive_all_anchors,
     ["'two anchors with no positive label'", "ALL anchors"]),
    ("contrastive overflow", "check_contrastive_loss", contrastive_naive,
     ["large logits", "log_softmax"]),
    ("contrastive ignores temperature", "check_contrastive_loss",
     lambda a, y, e, temperature=1.0: minicgmvae.contrastive_loss(a, y, e),
     ["'temperature 0.5'", "ignores `temperature`"]),
    ("contrastive per anchor", "check_contrastive_loss",
     lambda a, y, e, temperature=1.0: -(y * F.log_softmax(a @ e.t() / temperature, 1)).sum(1),
     ["returned shape (6,)", "average over the anchors"]),
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
