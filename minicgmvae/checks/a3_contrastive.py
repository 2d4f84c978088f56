"""Assignment 3, the supervised losses: :func:`check_bce_from_logits` and
:func:`check_contrastive_loss`."""

from __future__ import annotations

import torch
from torch import Tensor

from ..losses import bce_from_logits, contrastive_loss
from .harness import DeviceLike, StudentFn, seeded_generator
from .judges import Case, TensorSpec, matches_variant, run_tensor_check
from .results import CheckResult


def _bce_cases() -> list[Case]:
    g = seeded_generator(5)
    b, n_labels = 8, 5
    logits = torch.randn(b, n_labels, generator=g) * 3
    y = (torch.rand(b, n_labels, generator=g) < 0.4).float()
    sign = torch.where(torch.rand(b, n_labels, generator=g) < 0.5, -1.0, 1.0)
    y_empty = y.clone()
    y_empty[2] = 0.0
    return [
        Case("a random batch (8 samples, 5 labels)", (logits, y)),
        Case("large logits (|logit| = 200, half of them on the wrong side)", (200 * sign, y),
              note="(sigmoid of such a logit rounds to exactly 0 or 1 in float32, and "
                   "log(0) = -inf: compute from the logits, with "
                   "`F.binary_cross_entropy_with_logits` or `F.logsigmoid`)"),
        Case("a sample with no positive label", (logits, y_empty)),
        Case("a single sample (B = 1)", (logits[:1], y[:1])),
    ]


def _bce_shape_hint(got: tuple[int, ...], exp: tuple[int, ...]) -> str:
    return "Sum over the labels, then average over the batch: the loss is one number."


def _bce_diagnose(case: Case, got: Tensor, exp: Tensor, args: tuple[Tensor, ...]) -> str:
    b, n_labels = args[0].shape
    if matches_variant(got, exp / n_labels):
        return ("You averaged over the labels too (the default reduction='mean' does): sum "
                "over the labels and average over the batch, e.g. reduction='none', then "
                "`.sum(-1).mean()`.")
    if b > 1 and matches_variant(got, exp * b):
        return "You summed over the batch: average over the samples instead."
    if matches_variant(got, -exp):
        return "Your loss has the wrong sign: it is the NEGATIVE log-likelihood."
    return ""


_BCE_SPEC = TensorSpec(
    "bce_from_logits", ("logits", "y"), ("logits",), "the loss is one number",
    _bce_shape_hint, _bce_diagnose,
)


def check_bce_from_logits(student_fn: StudentFn, *, device: DeviceLike = None,
                          verbose: bool = True) -> CheckResult:
    """Check ``bce_from_logits(logits, y) -> ()``, binary cross-entropy summed over the labels
    and averaged over the batch, against :func:`minicgmvae.losses.bce_from_logits`: random
    logits, logits of +-200 (overflow of log(sigmoid)), a sample with no positive label, a
    batch of one, and the gradient with respect to the logits.

    Args:
        student_fn: the student's function.
        device: where to run the cases; default: :func:`minicgmvae.get_device`.
        verbose: show the report.
    """
    return run_tensor_check("check_bce_from_logits", _BCE_SPEC, bce_from_logits, _bce_cases,
                             student_fn, device, verbose)


_NO_POSITIVE_NOTE = ("(the reference leaves anchors with no positive label out of the mean: "
                     "they have nothing to be pulled towards; with none left, the loss is 0)")


def _contrastive_cases() -> list[Case]:
    g = seeded_generator(6)
    n, n_labels, e = 6, 5, 8
    anchors = torch.nn.functional.normalize(torch.randn(n, e, generator=g), dim=1)
    emb = torch.randn(n_labels, e, generator=g)
    y = (torch.rand(n, n_labels, generator=g) < 0.4).float()
    y[torch.arange(n), torch.randint(n_labels, (n,), generator=g)] = 1.0
    one = torch.zeros(n, n_labels)
    one[torch.arange(n), torch.arange(n) % n_labels] = 1.0
    some_empty = y.clone()
    some_empty[[0, 3]] = 0.0
    return [
        Case("a random batch (6 anchors, 5 labels, 8 dimensions)", (anchors, y, emb)),
        Case("anchors with exactly one label each", (anchors, one, emb)),
        Case("temperature 0.5", (anchors, y, emb), {"temperature": 0.5}),
        Case("two anchors with no positive label", (anchors, some_empty, emb),
              note=_NO_POSITIVE_NOTE),
        Case("no anchor with a positive label (the loss is 0)",
              (anchors[:3], torch.zeros(3, n_labels), emb), note=_NO_POSITIVE_NOTE),
        Case("large logits (a . E / tau in the hundreds)", (anchors, y, emb * 40),
              {"temperature": 0.1},
              note="(exp() of logits this large overflows to inf: use `F.log_softmax`, which "
                   "subtracts the row maximum first)"),
    ]


def _contrastive_shape_hint(got: tuple[int, ...], exp: tuple[int, ...]) -> str:
    if len(got) == 1:
        return "Did you forget to average over the anchors?"
    if len(got) == 2:
        return ("Sum over each anchor's positive labels, divide by |P|, then average over "
                "the anchors.")
    return ""


def _contrastive_diagnose(case: Case, got: Tensor, exp: Tensor,
                          args: tuple[Tensor, ...]) -> str:
    anchors, y, emb = (a.detach() for a in args)
    tau = float(case.kwargs.get("temperature", 1.0))
    log_prob = torch.log_softmax(anchors @ emb.t() / tau, dim=1)
    n_pos = y.sum(1)
    has = (n_pos > 0).to(log_prob.dtype)
    per_anchor = -(y * log_prob).sum(1) / n_pos.clamp(min=1)
    if has.sum() < len(has) and matches_variant(got, (per_anchor * has).sum() / len(has)):
        return ("You averaged over ALL anchors, including those with no positive label; "
                "leave those out of the mean.")
    if matches_variant(got, (-(y * log_prob).sum(1) * has).sum() / has.sum().clamp(min=1)):
        return "Divide each anchor's sum over its positive labels by |P|, their number."
    if tau != 1.0 and matches_variant(got, contrastive_loss(anchors, y, emb, 1.0)):
        return "Your loss ignores `temperature`: divide the logits a . E_j by tau."
    return ("The softmax runs over ALL label embeddings E_j (j = 1..L); the loss of an anchor "
            "averages -log softmax over its positive labels.")


_CONTRASTIVE_SPEC = TensorSpec(
    "contrastive_loss", ("anchors", "y", "embeddings"), ("anchors", "embeddings"),
    "the loss is one number", _contrastive_shape_hint, _contrastive_diagnose,
)


def check_contrastive_loss(student_fn: StudentFn, *, device: DeviceLike = None,
                           verbose: bool = True) -> CheckResult:
    """Check ``contrastive_loss(anchors, y, embeddings, temperature=1.0) -> ()`` against
    :func:`minicgmvae.losses.contrastive_loss`: random anchors, one label each, another
    temperature, anchors with no positive label (left out of the mean), a batch where no
    anchor has one (loss 0), logits in the hundreds (needs log-softmax), and gradients with
    respect to the anchors and the embeddings.

    Args:
        student_fn: the student's function.
        device: where to run the cases; default: :func:`minicgmvae.get_device`.
        verbose: show the report.
    """
    return run_tensor_check("check_contrastive_loss", _CONTRASTIVE_SPEC, contrastive_loss,
                             _contrastive_cases, student_fn, device, verbose)
