"""Assignment 1, the reparameterised sample and the Gaussian KL: :func:`check_reparameterize`
and :func:`check_kl_gaussians`."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..kl import kl_gaussians
from .harness import (
    DeviceLike,
    Report,
    StudentFn,
    call_student,
    format_number,
    format_shape,
    run_check,
    seeded_generator,
)
from .judges import (
    Case,
    TensorSpec,
    detached_hint,
    judge_form,
    matches_variant,
    run_tensor_check,
    tensors_close,
)
from .results import CheckResult

_F = "reparameterize"
#: The cases with a batch of Gaussians: their name and shape.
_SHAPED_CASES = [
    ("a batch of 4 two-dimensional Gaussians", (4, 2)),
    ("a batch with two leading dimensions, shape (2, 3, 5)", (2, 3, 5)),
]
_DRAWS_CASE = "20,000 draws from N(mu = (2, -1), sigma = (0.5, 2))"


def _reparameterize_body(fn: StudentFn, dev: torch.device, report: Report) -> None:
    g = seeded_generator(1)
    for name, shape in _SHAPED_CASES:
        name = report.case(name)
        mu = torch.randn(shape, generator=g).to(dev).requires_grad_(True)
        logvar = (torch.rand(shape, generator=g) * 2 - 1).to(dev).requires_grad_(True)
        _judge_sample(fn, dev, report, name, mu, logvar)
    name = report.case(_DRAWS_CASE)
    if report.ok:  # the statistics would only repeat what the cases above found
        _judge_draws(fn, dev, report, name)


def _judge_sample(fn: StudentFn, dev: torch.device, report: Report, name: str, mu: Tensor,
                  logvar: Tensor) -> None:
    """One sample of a batch of Gaussians: its form, that it is random and not ``mu``, and
    its gradients; then that a second call draws different noise."""
    torch.manual_seed(0)
    ok, z = call_student(_F, name, fn, report, mu, logvar)
    if not ok or not judge_form(
        report, _F, name, z, tuple(mu.shape), mu.device,
        f"{format_shape(mu)}, the shape of `mu`: one sample per Gaussian",
        f"the inputs were on {dev.type}. Draw the noise on the inputs' device: "
        "`torch.randn_like(mu)`.",
    ):
        return
    problem = _sample_problem(name, z, mu) or _gradient_problem(z, mu, logvar)
    if problem:
        report.add(problem[0], name, problem[1])
        return
    with torch.no_grad():
        ok, z2 = call_student(_F, name, fn, report, mu.detach(), logvar.detach())
    if ok and isinstance(z2, Tensor) and torch.equal(z2.detach(), z.detach()):
        report.add("random", name, "Two calls returned the same z: draw fresh noise "
                   "eps ~ N(0, I) on every call (`torch.randn_like(mu)`); do not seed "
                   "inside the function.")


def _sample_problem(name: str, z: Tensor, mu: Tensor) -> tuple[str, str] | None:
    """(kind, message) if ``z`` is not finite, is ``mu`` itself or has no gradient."""
    if not torch.isfinite(z).all():
        return "NaN", f"Your `{_F}` returned NaN or inf on case '{name}'."
    if torch.equal(z.detach(), mu.detach()):
        return "mu", (f"Your `{_F}` returned `mu` itself: add the noise, "
                      "z = mu + sigma * eps with eps ~ N(0, I).")
    if not z.requires_grad:
        return "no-grad", detached_hint("mu")
    return None


def _gradient_problem(z: Tensor, mu: Tensor, logvar: Tensor) -> tuple[str, str] | None:
    """(kind, message) unless dz/dmu = 1 and dz/dlogvar = sigma * eps / 2 = (z - mu) / 2."""
    grad_mu, grad_lv = torch.autograd.grad(z.sum(), [mu, logvar], allow_unused=True)
    if grad_mu is None or not tensors_close(grad_mu, torch.ones_like(grad_mu)):
        return "grad-mu", ("`z` should move one-for-one with `mu` (its gradient with respect "
                           "to `mu` is 1): z = mu + sigma * eps.")
    if grad_lv is None:
        return "grad-logvar", ("`z` does not depend on `logvar`: the standard deviation is "
                               "sigma = exp(logvar / 2), and z = mu + sigma * eps.")
    half = 0.5 * (z - mu).detach()
    if tensors_close(grad_lv, 2 * half):
        return "grad-logvar", ("You used exp(logvar), the variance, as the standard "
                               "deviation: sigma = exp(logvar / 2).")
    if not tensors_close(grad_lv, half):
        return "grad-logvar", ("The gradient of `z` with respect to `logvar` is not "
                               "sigma * eps / 2: compute sigma = exp(logvar / 2) and return "
                               "mu + sigma * eps, with eps drawn from N(0, I).")
    return None


def _judge_draws(fn: StudentFn, dev: torch.device, report: Report, name: str) -> None:
    """20,000 draws from one Gaussian: the mean and standard deviation of each dimension."""
    n = 20_000
    mu = torch.tensor([2.0, -1.0]).repeat(n, 1).to(dev)
    sigma = torch.tensor([0.5, 2.0])
    logvar = torch.log(sigma**2).repeat(n, 1).to(dev)
    torch.manual_seed(1)
    ok, z = call_student(_F, name, fn, report, mu, logvar)
    if not ok or not isinstance(z, Tensor) or z.shape != mu.shape or z.device != mu.device:
        return
    z = z.detach().float().cpu()
    mean, std = z.mean(0), z.std(0)
    for d in range(2):
        problem = _moment_problem(name, d, float(mean[d]), float(std[d]), float(mu[0, d]),
                                  float(sigma[d]), n)
        if problem:
            report.add(problem[0], name, problem[1])
            return


def _moment_problem(name: str, d: int, mean: float, std: float, mu: float, sigma: float,
                    n: int) -> tuple[str, str] | None:
    """(kind, message) if dimension ``d`` of ``n`` draws has the wrong mean or spread."""
    if abs(mean - mu) > 5 * sigma / math.sqrt(n):
        return "mean", (f"The samples' mean in dimension {d} is {format_number(mean)} on case "
                        f"'{name}'; expected mu = {format_number(mu)}: z = mu + sigma * eps "
                        "with eps of mean 0.")
    if abs(std / sigma - 1) > 0.05:
        hint = "sigma = exp(logvar / 2)."
        if abs(std / sigma**2 - 1) < 0.05:
            hint = "You used exp(logvar), the variance, as sigma: sigma = exp(logvar / 2)."
        return "std", (f"The samples' standard deviation in dimension {d} is "
                       f"{format_number(std)} on case '{name}'; expected sigma = "
                       f"{format_number(sigma)}. " + hint)
    return None


def check_reparameterize(student_fn: StudentFn, *, device: DeviceLike = None,
                         verbose: bool = True) -> CheckResult:
    """Check ``reparameterize(mu, logvar) -> z``, a differentiable sample of N(mu, sigma^2).

    The sample is random, so it is not compared number for number with the reference
    (:func:`minicgmvae.gaussian.reparameterize`). Instead: shape, device, two calls give
    different samples, the gradients are those of z = mu + exp(logvar / 2) * eps
    (dz/dmu = 1, dz/dlogvar = (z - mu) / 2), and 20,000 draws have the right mean and spread.

    Args:
        student_fn: the student's function.
        device: where to run the cases; default: :func:`minicgmvae.get_device`.
        verbose: show the report.
    """
    return run_check("reparameterize", "check_reparameterize", _reparameterize_body,
                      student_fn, device, verbose)


def _kl_cases() -> list[Case]:
    g = seeded_generator(2)
    b, d = 8, 5
    mu1, mu2 = torch.randn(b, d, generator=g), torch.randn(b, d, generator=g)
    lv1 = torch.rand(b, d, generator=g) * 4 - 2
    lv2 = torch.rand(b, d, generator=g) * 4 - 2
    zeros = torch.zeros(b, d)
    wide = torch.linspace(-8, 8, b * d).reshape(b, d)
    return [
        Case("a random batch of 8 pairs of Gaussians in 5 dimensions", (mu1, lv1, mu2, lv2)),
        Case("two identical Gaussians (the KL is 0)", (mu1, lv1, mu1.clone(), lv1.clone())),
        Case("q against the standard normal N(0, I)", (mu1, lv1, zeros, zeros)),
        Case("one Gaussian of shape (5,) shared by the whole batch (broadcasting)",
              (mu1, lv1, mu2[0], lv2[0])),
        Case("very different variances (logvar from -8 to 8)", (mu1, wide, mu2, wide.flip(0))),
    ]


def _kl_shape_hint(got: tuple[int, ...], exp: tuple[int, ...]) -> str:
    if got == exp + (5,) or (len(got) == len(exp) + 1 and got[:-1] == exp):
        return "Did you forget to sum over the latent dimension (the last one)?"
    if got == ():
        return "Keep one KL per sample: sum over the last dimension only, not over the batch."
    return ""


def _kl_diagnose(case: Case, got: Tensor, exp: Tensor, args: tuple[Tensor, ...]) -> str:
    mu1, lv1, mu2, lv2 = (a.detach() for a in args)
    d = mu1.shape[-1]
    if matches_variant(got, 2 * exp):
        return "Your values are twice the reference's: did you leave out the factor 1/2?"
    if matches_variant(got, exp + 0.5 * d):
        return "Your values are d/2 too large: did you leave out the -1 inside the sum?"
    reverse = kl_gaussians(mu2, lv2, mu1, lv1).expand_as(exp)
    if matches_variant(got, reverse):
        return ("You computed KL(p || q): the first Gaussian (mu1, logvar1) is q, the second "
                "is p, and the KL is not symmetric.")
    return ("Check each term of 1/2 sum_d [log s2^2 - log s1^2 + (s1^2 + (m1 - m2)^2) / s2^2 "
            "- 1], with s^2 = exp(logvar).")


_KL_SPEC = TensorSpec(
    "kl_gaussians", ("mu1", "logvar1", "mu2", "logvar2"), ("mu1", "logvar1", "mu2", "logvar2"),
    "one KL value per sample", _kl_shape_hint, _kl_diagnose, index_word="sample",
)


def check_kl_gaussians(student_fn: StudentFn, *, device: DeviceLike = None,
                       verbose: bool = True) -> CheckResult:
    """Check ``kl_gaussians(mu1, logvar1, mu2, logvar2) -> (B,)``, the closed-form
    KL(N(mu1, sigma1^2) || N(mu2, sigma2^2)) summed over the last dimension, against
    :func:`minicgmvae.kl.kl_gaussians`: values, shapes, gradients with respect to all four
    inputs, identical Gaussians, a standard-normal prior, broadcasting and extreme variances.

    Args:
        student_fn: the student's function.
        device: where to run the cases; default: :func:`minicgmvae.get_device`.
        verbose: show the report.
    """
    return run_tensor_check("check_kl_gaussians", _KL_SPEC, kl_gaussians, _kl_cases,
                             student_fn, device, verbose)
