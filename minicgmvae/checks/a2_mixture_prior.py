"""Assignment 2, the mixture prior's log-density: :func:`check_log_normal` and
:func:`check_mixture_log_density`."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..gaussian import log_normal
from ..prior import mixture_log_density
from .harness import DeviceLike, StudentFn, seeded_generator
from .judges import Case, TensorSpec, matches_variant, run_tensor_check
from .results import CheckResult


def _log_normal_cases() -> list[Case]:
    g = seeded_generator(3)
    b, d = 8, 5
    z, mu = torch.randn(b, d, generator=g), torch.randn(b, d, generator=g)
    lv = torch.rand(b, d, generator=g) * 2 - 1
    comp_mu, comp_lv = torch.randn(1, 3, d, generator=g), torch.rand(1, 3, d, generator=g) - 0.5
    zeros = torch.zeros(b, d)
    return [
        Case("a random batch of 8 points in 5 dimensions", (z, mu, lv)),
        Case("the standard normal at its mean (z = mu = 0, logvar = 0)", (zeros, zeros, zeros)),
        Case("points of shape (8, 1, 5) against components of shape (1, 3, 5) "
              "(broadcasting, as in the mixture)", (z.unsqueeze(1), comp_mu, comp_lv)),
        Case("a point far from the mean (|z - mu| = 30)", (mu + 30.0, mu, lv)),
        Case("tiny variances (logvar = -10)", (mu + 1e-3, mu, torch.full((b, d), -10.0))),
    ]


def _log_normal_shape_hint(got: tuple[int, ...], exp: tuple[int, ...]) -> str:
    if len(got) == len(exp) + 1 and got[:-1] == exp:
        return "Did you forget to sum over the last (latent) dimension?"
    if got == ():
        return "Sum over the last dimension only, not over the batch."
    return "Sum over the last dimension only, and let broadcasting do the rest."


def _log_normal_diagnose(case: Case, got: Tensor, exp: Tensor,
                         args: tuple[Tensor, ...]) -> str:
    d = args[0].shape[-1]
    const = 0.5 * d * math.log(2 * math.pi)
    if matches_variant(got, exp + const):
        return (f"Your values are d/2 log(2 pi) = {const:.4g} too large: did you leave out the "
                "log(2 pi) constant? (The authors' code does; the package keeps it, so that "
                "log_normal agrees with torch.distributions.Normal.)")
    if matches_variant(got, 2 * exp):
        return "Your values are twice the reference's: did you leave out the factor -1/2?"
    return ("Check each term of -1/2 sum_d [log(2 pi) + logvar_d + (z_d - mu_d)^2 / "
            "exp(logvar_d)].")


_LOG_NORMAL_SPEC = TensorSpec(
    "log_normal", ("z", "mu", "logvar"), ("z", "mu", "logvar"),
    "one log-density per point (the last dimension summed out)",
    _log_normal_shape_hint, _log_normal_diagnose, index_word="point",
)


def check_log_normal(student_fn: StudentFn, *, device: DeviceLike = None,
                     verbose: bool = True) -> CheckResult:
    """Check ``log_normal(z, mu, logvar) -> (...)``, log N(z; mu, sigma^2) summed over the
    last dimension, against :func:`minicgmvae.gaussian.log_normal`: values (log 2 pi
    included), broadcasting of (B, 1, D) against (1, L, D), far points, tiny variances and
    gradients with respect to z, mu and logvar.

    Args:
        student_fn: the student's function.
        device: where to run the cases; default: :func:`minicgmvae.get_device`.
        verbose: show the report.
    """
    return run_tensor_check("check_log_normal", _LOG_NORMAL_SPEC, log_normal, _log_normal_cases,
                             student_fn, device, verbose)


_EMPTY_NOTE = ("(the reference falls back to the standard normal N(0, I) for a sample with no "
               "positive label: log N(z; 0, I))")


def _mixture_cases() -> list[Case]:
    g = seeded_generator(4)
    n_labels, d = 5, 4
    mu = torch.randn(n_labels, d, generator=g) * 2
    lv = torch.rand(n_labels, d, generator=g) * 2 - 1

    def labels(b: int) -> Tensor:
        y = (torch.rand(b, n_labels, generator=g) < 0.4).float()
        y[torch.arange(b), torch.randint(n_labels, (b,), generator=g)] = 1.0  # >= 1 label
        return y

    z8 = torch.randn(8, d, generator=g) * 2
    z5 = torch.randn(5, d, generator=g) * 2
    z3 = torch.randn(3, d, generator=g) * 2
    empty = torch.tensor([[0.0, 0, 0, 0, 0], [0, 1, 0, 1, 0], [0, 0, 0, 0, 0]])
    return [
        Case("a random batch (8 samples, 5 labels, 4 latent dimensions)",
              (z8, labels(8), mu, lv)),
        Case("samples with exactly one label each", (z5, torch.eye(5), mu, lv)),
        Case("samples with every label", (z3, torch.ones(3, n_labels), mu, lv)),
        Case("a sample with no positive label", (z3, empty, mu, lv), note=_EMPTY_NOTE),
        Case("a single sample (B = 1)", (z3[:1], labels(1), mu, lv)),
        Case("points far from every component (|z| about 60)", (z8 + 60.0, labels(8), mu, lv),
              note="(log-densities this small underflow to 0 under exp(): combine the "
                   "components with `torch.logsumexp`, not log(sum(exp(...))))"),
    ]


def _mixture_shape_hint(got: tuple[int, ...], exp: tuple[int, ...]) -> str:
    if len(got) == 2 and got[0] == exp[0]:
        return ("Did you forget to combine the components over the labels (a log-sum-exp "
                "over the positive labels)?")
    if len(got) == 3 and got[0] == exp[0]:
        return ("Sum each component's log-density over the latent dimension, then combine "
                "the components over the labels.")
    if got == ():
        return "Keep one value per sample: do not reduce over the batch."
    return ""


def _mixture_diagnose(case: Case, got: Tensor, exp: Tensor, args: tuple[Tensor, ...]) -> str:
    z, y, mu, lv = (a.detach() for a in args)
    component = log_normal(z.unsqueeze(1), mu.unsqueeze(0), lv.unsqueeze(0))  # (B, L)
    positive = y > 0.5
    count = positive.sum(1)
    rows = count > 0
    log_count = torch.log(count.clamp(min=1).to(z.dtype))
    if matches_variant(got, exp + log_count, rows):
        return ("You forgot to subtract log |P(y)|: every positive label has weight "
                "1 / |P(y)|.")
    all_labels = torch.logsumexp(component, 1) - math.log(component.shape[1])
    if matches_variant(got, all_labels, rows):
        return ("You mixed over ALL labels; only the positive labels P(y) are components "
                "(mask the others with -inf before the log-sum-exp).")
    mean_log = (component * positive).sum(1) / count.clamp(min=1)
    if matches_variant(got, mean_log, rows):
        return ("You averaged the components' log-densities. The log of a mixture is a "
                "log-sum-exp: log (1/|P|) sum_i exp(log N_i).")
    if (~rows).any() and matches_variant(got, exp, rows):
        return ("The samples with labels are right; check the samples with no positive label "
                f"{_EMPTY_NOTE}.")
    return ""


_MIXTURE_SPEC = TensorSpec(
    "mixture_log_density", ("z", "y", "mu", "logvar"), ("z", "mu", "logvar"),
    "one log-density per sample", _mixture_shape_hint, _mixture_diagnose, index_word="sample",
)


def check_mixture_log_density(student_fn: StudentFn, *, device: DeviceLike = None,
                              verbose: bool = True) -> CheckResult:
    """Check ``mixture_log_density(z, y, mu, logvar) -> (B,)``, log p(z | y) under the
    equal-weight mixture over the positive labels, against
    :func:`minicgmvae.prior.mixture_log_density`: random batches, one label per sample, all
    labels, a sample with no positive label (N(0, I) fallback), a batch of one, points far
    from every component (needs log-sum-exp), and gradients with respect to z, mu and logvar.

    Args:
        student_fn: the student's function.
        device: where to run the cases; default: :func:`minicgmvae.get_device`.
        verbose: show the report.
    """
    return run_tensor_check("check_mixture_log_density", _MIXTURE_SPEC, mixture_log_density,
                             _mixture_cases, student_fn, device, verbose)
