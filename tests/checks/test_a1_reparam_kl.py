"""Assignment 1's checks: check_reparameterize and check_kl_gaussians. Each passes the package's
reference implementation and fails, with the intended plain-words message, on deliberately
broken functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import support
import torch

import minicgmvae

ASSIGNMENT = "a1_reparam_kl"

REFERENCES: dict[str, Callable[..., Any]] = {
    "check_reparameterize": minicgmvae.reparameterize,
    "check_kl_gaussians": minicgmvae.kl_gaussians,
}

BROKEN: list[support.Broken] = [
    ("reparam std = var", "check_reparameterize",
     lambda mu, lv: mu + torch.exp(lv) * torch.randn_like(mu),
     ["exp(logvar), the variance", "sigma = exp(logvar / 2)"]),
    ("reparam returns mu", "check_reparameterize", lambda mu, lv: mu + 0 * lv,
     ["returned `mu` itself"]),
    ("reparam seeds itself", "check_reparameterize",
     lambda mu, lv: (torch.manual_seed(0), mu + torch.exp(lv / 2) * torch.randn_like(mu))[1],
     ["Two calls returned the same z"]),
    ("reparam detached", "check_reparameterize",
     lambda mu, lv: (mu + torch.exp(lv / 2) * torch.randn_like(mu)).detach(),
     ["no gradient with respect to `mu`", ".detach()"]),
    ("reparam wrong device", "check_reparameterize",
     lambda mu, lv: (mu + torch.exp(lv / 2) * torch.randn_like(mu)).to("meta"),
     ["is on meta but the inputs were on cpu"]),
    ("kl no sum", "check_kl_gaussians",
     lambda m1, l1, m2, l2: 0.5 * (l2 - l1 + (l1.exp() + (m1 - m2) ** 2) / l2.exp() - 1),
     ["returned shape (8, 5)", "expected (8,)", "sum over the latent dimension"]),
    ("kl reversed", "check_kl_gaussians",
     lambda m1, l1, m2, l2: minicgmvae.kl_gaussians(m2, l2, m1, l1),
     ["Wrong value on case", "KL(p || q)"]),
    ("kl no half", "check_kl_gaussians",
     lambda m1, l1, m2, l2: 2 * minicgmvae.kl_gaussians(m1, l1, m2, l2),
     ["factor 1/2"]),
    ("kl .item()", "check_kl_gaussians",
     lambda m1, l1, m2, l2: minicgmvae.kl_gaussians(m1, l1, m2, l2).sum().item(),
     ["returned a float", "torch.Tensor"]),
    ("kl rebuilt tensor", "check_kl_gaussians",
     lambda m1, l1, m2, l2: torch.tensor(minicgmvae.kl_gaussians(m1, l1, m2, l2).tolist()),
     ["no gradient with respect to `mu1`"]),
    ("returns None", "check_kl_gaussians", lambda *a: None, ["returned None", "`return`"]),
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
