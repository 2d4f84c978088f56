"""Assignment 2's checks: check_log_normal and check_mixture_log_density. Each passes the
package's reference implementation and fails, with the intended plain-words message, on
deliberately broken functions."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import support
import torch

import minicgmvae
from minicgmvae.gaussian import log_standard_normal

ASSIGNMENT = "a2_mixture_prior"

REFERENCES: dict[str, Callable[..., Any]] = {
    "check_log_normal": minicgmvae.log_normal,
    "check_mixture_log_density": minicgmvae.mixture_log_density,
}


def mixture_no_fallback(z, y, mu, logvar):
    comp = minicgmvae.log_normal(z[:, None], mu[None], logvar[None])
    masked = comp.masked_fill(y < 0.5, -math.inf)
    return torch.logsumexp(masked, 1) - torch.log(y.sum(1))


def mixture_zero_fallback(z, y, mu, logvar):
    out = minicgmvae.mixture_log_density(z, y, mu, logvar)
    return torch.where(y.sum(1) > 0, out, torch.zeros_like(out))


def mixture_naive_exp(z, y, mu, logvar):
    comp = minicgmvae.log_normal(z[:, None], mu[None], logvar[None])
    mix = torch.log((comp.exp() * y).sum(1) / y.sum(1).clamp(min=1))
    return torch.where(y.sum(1) > 0, mix, log_standard_normal(z))


def mixture_log_of_y(z, y, mu, logvar):
    comp = minicgmvae.log_normal(z[:, None], mu[None], logvar[None])
    mix = torch.logsumexp(comp + torch.log(y), 1) - torch.log(y.sum(1))
    return torch.where(y.sum(1) > 0, mix, log_standard_normal(z))


def mixture_no_log_count(z, y, mu, logvar):
    out = minicgmvae.mixture_log_density(z, y, mu, logvar)
    return out + torch.log(y.sum(1).clamp(min=1)) * (y.sum(1) > 0)


def mixture_all_labels(z, y, mu, logvar):
    comp = minicgmvae.log_normal(z[:, None], mu[None], logvar[None])
    return torch.logsumexp(comp, 1) - math.log(comp.shape[1])


BROKEN: list[support.Broken] = [
    ("log_normal without 2 pi", "check_log_normal",
     lambda z, mu, lv: -0.5 * (lv + (z - mu) ** 2 / lv.exp()).sum(-1),
     ["log(2 pi) constant"]),
    ("log_normal no sum", "check_log_normal",
     lambda z, mu, lv: -0.5 * (math.log(2 * math.pi) + lv + (z - mu) ** 2 / lv.exp()),
     ["returned shape (8, 5)", "sum over the last (latent) dimension"]),
    ("log_normal in place", "check_log_normal",
     lambda z, mu, lv: minicgmvae.log_normal(z.sub_(mu), torch.zeros_like(mu), lv),
     ["raised RuntimeError", "in place"]),
    ("mixture NaN on empty", "check_mixture_log_density", mixture_no_fallback,
     ["returned NaN", "'a sample with no positive label'", "falls back", "N(0, I)"]),
    ("mixture wrong value on empty", "check_mixture_log_density", mixture_zero_fallback,
     ["Wrong value on case 'a sample with no positive label'", "got 0 ", "N(0, I)"]),
    ("mixture underflow", "check_mixture_log_density", mixture_naive_exp,
     ["returned -inf", "points far from every component", "torch.logsumexp"]),
    ("mixture NaN gradient", "check_mixture_log_density", mixture_log_of_y,
     ["The value is right", "gradient", "contains NaN"]),
    ("mixture no log|P|", "check_mixture_log_density", mixture_no_log_count,
     ["log |P(y)|"]),
    ("mixture all labels", "check_mixture_log_density", mixture_all_labels,
     ["ALL labels"]),
    ("mixture shape", "check_mixture_log_density",
     lambda z, y, mu, lv: minicgmvae.log_normal(z[:, None], mu[None], lv[None]),
     ["returned shape (8, 5)", "expected (8,): one log-density per sample",
      "combine the components over the labels"]),
    ("wrong device", "check_mixture_log_density",
     lambda *a: minicgmvae.mixture_log_density(*a).to("meta"),
     ["is on meta but the inputs were on cpu"]),
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
