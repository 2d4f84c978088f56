"""Assignment 4, the total objective and a training loop: :func:`check_total_loss`,
:func:`check_training_step` and :func:`check_train_epoch`, on a tiny C-GMVAE.

The reference step and epoch are the package's own training loop
(:func:`minicgmvae.training.training_step`, :func:`minicgmvae.training.train_one_epoch`), the
one that :func:`minicgmvae.training.fit` runs.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from ..config import ModelConfig
from ..model import CGMVAE, LossTerms
from ..training import cgmvae_loss_terms, train_one_epoch, training_step
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
from .judges import judge_form, tensors_close
from .results import CheckResult

Problem = tuple[str, str]  # (kind, message)


# =========================================================================== the tiny model
def _tiny_config(**overrides: Any) -> ModelConfig:
    """A C-GMVAE small enough to check in milliseconds."""
    base: dict[str, Any] = {
        "n_features": 6, "n_labels": 4, "latent_dim": 3, "embed_dim": 8,
        "feature_hidden": (16, 16), "label_hidden": (16,), "decoder_hidden": 16,
        "bce_weight": 0.5,
    }
    base.update(overrides)
    return ModelConfig(**base)


def _tiny_batch(n: int, seed: int, empty_rows: Sequence[int] = ()) -> tuple[Tensor, Tensor]:
    g = seeded_generator(seed)
    x = torch.randn(n, 6, generator=g)
    y = (torch.rand(n, 4, generator=g) < 0.5).float()
    y[torch.arange(n), torch.randint(4, (n,), generator=g)] = 1.0
    for r in empty_rows:
        y[r] = 0.0
    return x, y


def _tiny_model(config: ModelConfig, seed: int, dev: torch.device) -> CGMVAE:
    torch.manual_seed(seed)
    return CGMVAE(config).to(dev)


def _twin_models(seed: int, dev: torch.device, training: bool) -> tuple[
        CGMVAE, torch.optim.Optimizer, CGMVAE, torch.optim.Optimizer]:
    """Two copies of one tiny model, each with its own Adam: the student's and the
    reference's. ``training`` sets their mode."""
    model_s = _tiny_model(_tiny_config(), seed, dev)
    model_r = copy.deepcopy(model_s)
    opt_s = torch.optim.Adam(model_s.parameters(), lr=1e-2)
    opt_r = torch.optim.Adam(model_r.parameters(), lr=1e-2)
    model_s.train(training)
    model_r.train(training)
    return model_s, opt_s, model_r, opt_r


def _parameter_label(name: str) -> str:
    part = name.split(".")[0]
    words = {
        "feature_encoder": "the feature encoder", "label_encoder": "the label encoder",
        "label_embeddings": "the label embeddings", "decoder": "the decoder",
    }
    return f"{words.get(part, part)} (`{name}`)"


def _params_equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.allclose(p, q, rtol=1e-5, atol=1e-6)
               for p, q in zip(a.parameters(), b.parameters()))


# =========================================================================== total_loss
def _total_loss_cases() -> list[tuple[str, ModelConfig, tuple[int, ...]]]:
    """(name, the model's configuration, the rows of the batch with no positive label)."""
    return [
        ("a random batch of 10 samples in training mode", _tiny_config(), ()),
        ("other weights (beta 0.3, KL weight 2, alpha 0.5, temperature 0.5)",
         _tiny_config(bce_weight=0.3, kl_weight=2.0, contrastive_weight=0.5, temperature=0.5),
         ()),
        ("a batch with a sample that has no positive label", _tiny_config(), (2,)),
    ]


def _total_loss_body(fn: StudentFn, dev: torch.device, report: Report) -> None:
    for i, (name, config, empty) in enumerate(_total_loss_cases()):
        name = report.case(name)
        model = _tiny_model(config, 10 + i, dev)
        model.train()
        x, y = (t.to(dev) for t in _tiny_batch(10, 20 + i, empty))
        _judge_total_loss(fn, report, name, model, x, y, seed=30 + i)


def _judge_total_loss(fn: StudentFn, report: Report, name: str, model: CGMVAE, x: Tensor,
                      y: Tensor, seed: int) -> None:
    """The student's loss of one batch against :meth:`CGMVAE.loss` on the same outputs (the
    same ``seed``, so that the fresh KL sample agrees): form, value, then gradients."""
    f = "total_loss"
    torch.manual_seed(seed)
    ok, got = call_student(f, name, fn, report, model, model(x, y), y)
    if not ok:
        return
    torch.manual_seed(seed)
    terms = model.loss(model(x, y), y)
    expected = terms.total
    if not judge_form(
        report, f, name, got, (), expected.device, "(): the loss is one number",
        f"the model is on {x.device.type}.",
        lambda shape: ("Did you forget to average the KL over the batch (`.mean()`)?"
                       if shape == (10,) else ""),
    ):
        return
    value = float(got.detach())
    if not math.isfinite(value):
        report.add("NaN", name, f"Your `{f}` returned {value} on case '{name}' (the "
                   "package's loss pieces handle samples with no positive label; if you "
                   "wrote your own, check that case).")
    elif not tensors_close(got, expected):
        report.add("value", name, f"Wrong value on case '{name}': got "
                   f"{format_number(value)}, expected {format_number(float(expected.detach()))}."
                   f" {_total_loss_hint(value, terms, model.config)}")
    elif not got.requires_grad:
        report.add("no-grad", name, "The loss has no gradient: did you call `.detach()` "
                   "or `.item()` on it or on one of its terms?")
    else:
        _judge_parameter_gradients(report, name, model, got, expected)


def _total_loss_hint(value: float, terms: LossTerms, c: ModelConfig) -> str:
    """The mistake that gives ``value`` (a term or a weight left out), else the reference's
    terms one by one."""
    bce, kl, cl = (float(t.detach()) for t in (terms.bce, terms.kl, terms.contrastive))
    variants = [
        (bce + kl + cl, "You added the terms without their weights: multiply by "
         "`model.config.bce_weight`, `.kl_weight` and `.contrastive_weight`."),
        (c.bce_weight * bce + kl + c.contrastive_weight * cl,
         "The KL term needs its weight `model.config.kl_weight` (6 by default)."),
        (c.bce_weight * bce + c.kl_weight * kl,
         "The contrastive term is missing (weight `model.config.contrastive_weight`)."),
        (c.bce_weight * bce + c.contrastive_weight * cl, "The KL term is missing."),
        (c.kl_weight * kl + c.contrastive_weight * cl, "The BCE terms are missing."),
    ]
    for v, hint in variants:
        if math.isclose(value, v, rel_tol=1e-4, abs_tol=1e-4):
            return hint
    return (f"The reference is {c.bce_weight:g} x BCE {bce:.4g} + {c.kl_weight:g} "
            f"x KL {kl:.4g} + {c.contrastive_weight:g} x contrastive {cl:.4g}: "
            "check each term (three BCE terms: the label branch and both feature "
            "samples; the KL on a fresh sample, averaged over the batch; the "
            "contrastive loss over the label-branch and first feature-sample "
            "anchors, with `model.config.temperature`).")


def _judge_parameter_gradients(report: Report, name: str, model: CGMVAE, got: Tensor,
                               expected: Tensor) -> None:
    """The student's loss has the reference's gradient for every parameter of ``model``."""
    named = list(model.named_parameters())
    params = [p for _, p in named]
    g_stu = torch.autograd.grad(got, params, allow_unused=True)
    g_ref = torch.autograd.grad(expected, params, allow_unused=True)
    for (pname, _), a, b in zip(named, g_stu, g_ref):
        if b is None:
            continue
        if a is None or not tensors_close(a, b, rtol=1e-3, atol=1e-5):
            report.add("grad", name, f"The gradient for {_parameter_label(pname)} differs from "
                       "the reference's: is a term of the loss detached (`.detach()`, "
                       "`.item()`, `torch.no_grad()`)?")
            return


def check_total_loss(student_fn: StudentFn, *, device: DeviceLike = None,
                     verbose: bool = True) -> CheckResult:
    """Check ``total_loss(model, outputs, y) -> ()``, the total objective of one batch, against
    :meth:`minicgmvae.model.CGMVAE.loss` on a tiny C-GMVAE: the value (with the same random
    state, so that the fresh KL sample agrees), other loss weights and temperature, a sample
    with no positive label, and the gradient for every parameter of the model.

    Args:
        student_fn: the student's function.
        device: where to run the cases; default: :func:`minicgmvae.get_device`.
        verbose: show the report.
    """
    return run_check("total_loss", "check_total_loss", _total_loss_body, student_fn, device,
                      verbose)


# =========================================================================== training_step
def _reference_training_step(model: CGMVAE, optimizer: torch.optim.Optimizer, x: Tensor,
                             y: Tensor) -> float:
    """One step as :func:`minicgmvae.training.fit` takes it; the loss before the update."""
    return float(training_step(optimizer, cgmvae_loss_terms(model), x, y)[0])


def _loss_number(f: str, name: str, got: Any, report: Report) -> float | None:
    """The loss a student's step returned, as a float; None (problem noted) if unusable."""
    if got is None:
        report.add("type", name, f"Your `{f}` returned None: return the loss of the batch as "
                   "a Python float (`loss.item()`).")
        return None
    if isinstance(got, Tensor):
        if got.requires_grad:
            report.add("type", name, f"Your `{f}` returned a tensor that still holds the "
                       "computation graph: return `loss.item()`, a Python float (keeping the "
                       "graph of every step alive wastes memory).")
            return None
        if got.numel() != 1:
            report.add("type", name, f"Your `{f}` returned a tensor of shape "
                       f"{format_shape(got)}; return the loss as one number (`loss.item()`).")
            return None
        return float(got)
    try:
        return float(got)
    except (TypeError, ValueError):
        report.add("type", name, f"Your `{f}` returned a {type(got).__name__}; return the "
                   "loss as a Python float (`loss.item()`).")
        return None


def _training_step_body(fn: StudentFn, dev: torch.device, report: Report) -> None:
    f = "training_step"
    name = report.case("two steps of Adam on one batch of a tiny C-GMVAE")
    model_s, opt_s, model_r, opt_r = _twin_models(40, dev, training=True)
    x, y = (t.to(dev) for t in _tiny_batch(12, 41))
    for step in (1, 2):
        before = [p.detach().clone() for p in model_s.parameters()]
        torch.manual_seed(50 + step)
        ok, got = call_student(f, name, fn, report, model_s, opt_s, x, y)
        if not ok:
            return
        torch.manual_seed(50 + step)
        expected = _reference_training_step(model_r, opt_r, x, y)
        value = _loss_number(f, name, got, report)
        if value is None:
            return
        problem = _step_problem(step, value, expected, before, model_s, model_r)
        if problem:
            report.add(problem[0], name, problem[1])
            return


def _step_problem(step: int, value: float, expected: float, before: Sequence[Tensor],
                  model_s: CGMVAE, model_r: CGMVAE) -> Problem | None:
    """After the student's step ``step``: the mode, the loss returned, whether the parameters
    moved from ``before``, and whether they moved as the reference's."""
    f = "training_step"
    if not model_s.training:
        return "mode", (f"Your `{f}` left the model in evaluation mode: training needs "
                        "dropout and two feature samples, so keep `model.train()`.")
    if not math.isclose(value, expected, rel_tol=1e-4, abs_tol=1e-4):
        return "value", (f"Step {step} returned the loss {format_number(value)}; expected "
                         f"{format_number(expected)}: compute `total_loss(model, model(x, y), "
                         "y)` on the batch (does `check_total_loss` pass?) and return it "
                         "before the update.")
    if all(torch.equal(b, p.detach()) for b, p in zip(before, model_s.parameters())):
        no_grads = all(p.grad is None for p in model_s.parameters())
        hint = ("call `loss.backward()`, then `optimizer.step()`." if no_grads
                else "did you call `optimizer.step()` after `loss.backward()`?")
        return "no-update", f"After step {step} the parameters had not changed: {hint}"
    if not _params_equal(model_s, model_r):
        if step == 1:
            hint = ("Zero the gradients, call `loss.backward()` on the total loss, then "
                    "`optimizer.step()`, in that order.")
        else:
            hint = ("The first step was right: did you forget `optimizer.zero_grad()`? "
                    "Gradients add up across steps until they are zeroed.")
        return "params", f"After step {step} the parameters differ from the reference's. {hint}"
    return None


def check_training_step(student_fn: StudentFn, *, device: DeviceLike = None,
                        verbose: bool = True) -> CheckResult:
    """Check ``training_step(model, optimizer, x, y) -> float``: one optimisation step on a
    batch, as :func:`minicgmvae.training.fit` takes it. Two Adam steps on a tiny C-GMVAE
    are compared with the reference: the returned loss (a float, not a tensor), that the
    parameters moved, and that they moved exactly as the reference's (catches a missing
    ``zero_grad``, ``backward`` or ``step``, and the model left in evaluation mode).

    Args:
        student_fn: the student's function.
        device: where to run the cases; default: :func:`minicgmvae.get_device`.
        verbose: show the report.
    """
    return run_check("training_step", "check_training_step", _training_step_body,
                      student_fn, device, verbose)


# =========================================================================== train_epoch
def _reference_train_epoch(model: CGMVAE, optimizer: torch.optim.Optimizer, x: Tensor,
                           y: Tensor, batch_size: int,
                           generator: torch.Generator) -> tuple[float, list[float], list[int]]:
    """One epoch as :func:`minicgmvae.training.fit` runs it (its
    :func:`~minicgmvae.training.train_one_epoch`): the mean loss per sample, and the loss and
    size of every batch, in order."""
    losses: list[float] = []
    sizes: list[int] = []
    terms_of = cgmvae_loss_terms(model)

    def recorded_terms(xb: Tensor, yb: Tensor) -> Tensor:
        terms = terms_of(xb, yb)
        losses.append(float(terms[0].detach()))
        sizes.append(len(xb))
        return terms

    train_one_epoch(model, optimizer, x, y, batch_size=batch_size, generator=generator,
                    loss_terms=recorded_terms)
    mean = sum(n * v for n, v in zip(sizes, losses)) / len(x)
    return mean, losses, sizes


def _optimizer_steps(optimizer: torch.optim.Optimizer) -> int:
    """How many steps an Adam optimizer has taken (0 before the first)."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            state = optimizer.state.get(p, {})
            if "step" in state:
                return int(state["step"])
    return 0


def _train_epoch_body(fn: StudentFn, dev: torch.device, report: Report) -> None:
    f = "train_epoch"
    n, batch = 50, 16
    name = report.case(f"one epoch over {n} samples in batches of {batch}")
    # The models arrive in evaluation mode: the epoch must switch to training mode itself.
    model_s, opt_s, model_r, opt_r = _twin_models(60, dev, training=False)
    x, y = (t.to(dev) for t in _tiny_batch(n, 61))
    torch.manual_seed(62)
    ok, got = call_student(f, name, fn, report, model_s, opt_s, x, y, batch,
                            seeded_generator(63))
    if not ok:
        return
    torch.manual_seed(62)
    expected, losses, sizes = _reference_train_epoch(model_r, opt_r, x, y, batch,
                                                     seeded_generator(63))
    value = _loss_number(f, name, got, report)
    if value is None:
        return
    problem = (_epoch_steps_problem(_optimizer_steps(opt_s), sizes, n, batch)
               or _epoch_params_problem(model_s, model_r)
               or _epoch_value_problem(value, expected, losses))
    if problem:
        report.add(problem[0], name, problem[1])


def _epoch_steps_problem(steps: int, sizes: Sequence[int], n: int, batch: int) -> Problem | None:
    """One optimizer step per batch (of ``sizes``), the last, partial one included."""
    if steps == len(sizes):
        return None
    if steps == 0:
        hint = "call `training_step(model, optimizer, xb, yb)` once per batch."
    elif steps == len(sizes) - 1:
        hint = (f"the last, smaller batch ({sizes[-1]} samples) counts too: "
                "`idx.split(batch_size)` keeps it.")
    else:
        hint = "take one step per batch of `batch_size` samples, the last one included."
    return "steps", (f"Your `train_epoch` took {steps} optimizer step(s); expected "
                     f"{len(sizes)} for {n} samples in batches of {batch}: {hint}")


def _epoch_params_problem(model_s: CGMVAE, model_r: CGMVAE) -> Problem | None:
    """The parameters after the epoch are the reference's."""
    if _params_equal(model_s, model_r):
        return None
    if not model_s.training:
        hint = ("Call `model.train()` first: the model may arrive in evaluation mode "
                "(after a validation pass), and training needs dropout and two samples.")
    else:
        hint = ("Shuffle with `idx = torch.randperm(len(x), generator=generator)` (then "
                "`.to(x.device)`), and take the batches `x[b], y[b]` for b in "
                "`idx.split(batch_size)`, in that order.")
    return "params", f"After the epoch the parameters differ from the reference's. {hint}"


def _epoch_value_problem(value: float, expected: float,
                         losses: Sequence[float]) -> Problem | None:
    """The returned loss is the epoch's mean per sample; else which other mean it is."""
    if math.isclose(value, expected, rel_tol=1e-4, abs_tol=1e-4):
        return None
    unweighted = sum(losses) / len(losses)
    hint = "Return the mean loss per sample over the epoch."
    if math.isclose(value, unweighted, rel_tol=1e-5):
        hint = ("Weight each batch's loss by its size (the last batch is smaller): "
                "sum(len(batch) * loss) / n.")
    elif math.isclose(value, sum(losses), rel_tol=1e-5):
        hint = "You returned the sum of the batch losses: return their weighted mean."
    elif math.isclose(value, losses[-1], rel_tol=1e-5):
        hint = "You returned the last batch's loss: return the mean over the epoch."
    return "value", (f"Your `train_epoch` returned {format_number(value)}; expected "
                     f"{format_number(expected)}. {hint}")


def check_train_epoch(student_fn: StudentFn, *, device: DeviceLike = None,
                      verbose: bool = True) -> CheckResult:
    """Check ``train_epoch(model, optimizer, x, y, batch_size, generator) -> float``: one pass
    over the data in the order ``torch.randperm(n, generator=generator)``, one training step
    per batch (the partial last batch included), returning the mean loss per sample. Compared
    with the loop of :func:`minicgmvae.training.fit` on a tiny C-GMVAE: the number of steps,
    the parameters afterwards, and the returned mean.

    Args:
        student_fn: the student's function.
        device: where to run the cases; default: :func:`minicgmvae.get_device`.
        verbose: show the report.
    """
    return run_check("train_epoch", "check_train_epoch", _train_epoch_body, student_fn,
                      device, verbose)
