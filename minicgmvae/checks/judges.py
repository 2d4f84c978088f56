"""Judging a student's tensor against the reference's: its type, shape, device, dtype,
finiteness, value and gradients, each with a plain-words message.

Most checks describe their function once (:class:`TensorSpec`), list their cases
(:class:`Case`) and hand both to :func:`_check_tensor_function`; checks whose result cannot be
compared number for number (a random sample, a loss of a whole model) use the pieces:
:func:`judge_form` and :func:`tensors_close`.

Its public names are for the check modules; :mod:`minicgmvae.checks` does not export them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from .harness import (
    DeviceLike,
    Report,
    StudentFn,
    call_student,
    describe_position,
    first_line,
    format_number,
    format_shape,
    run_check,
    seeded_generator,
)
from .results import CheckResult


def _first_index(mask: Tensor) -> tuple[int, ...]:
    return tuple(int(i) for i in torch.nonzero(mask)[0].tolist())


def _isclose(a: Tensor, b: Tensor, rtol: float = 1e-4, atol: float = 1e-4) -> Tensor:
    return torch.isclose(a.detach().to(b.dtype), b.detach(), rtol=rtol, atol=atol,
                         equal_nan=True)


def tensors_close(a: Tensor, b: Tensor, rtol: float = 1e-4, atol: float = 1e-4) -> bool:
    """Same shape and every entry close (NaN equals NaN; ``b``'s dtype, no gradient)."""
    return a.shape == b.shape and bool(_isclose(a, b, rtol, atol).all())


def matches_variant(got: Tensor, variant: Tensor, rows: Tensor | None = None) -> bool:
    """Whether ``got`` equals a known mistake's result ``variant`` (on ``rows`` only)."""
    if got.shape != variant.shape:
        return False
    close = _isclose(got, variant)
    if rows is not None:
        if not rows.any():
            return False
        close = close[rows]
    return bool(close.all())


def detached_hint(arg: str) -> str:
    return (
        f"The result has no gradient with respect to `{arg}`: did you call `.detach()` or "
        "`.item()`, or build a new tensor with `torch.tensor(...)`? Gradients must flow back "
        "to the inputs."
    )


def _tensor_type_problem(function: str, got: Any, scalar: bool) -> str | None:
    if got is None:
        return f"Your `{function}` returned None: did you forget the `return` statement?"
    if not isinstance(got, Tensor):
        what = "a 0-dimensional torch.Tensor (one number)" if scalar else "a torch.Tensor"
        return (
            f"Your `{function}` returned a {type(got).__name__}; expected {what}. Keep the "
            "result a tensor so that gradients can flow: no `.item()`, `.tolist()` or "
            "`.numpy()`."
        )
    return None


def judge_form(report: Report, function: str, case: str, got: Any, shape: tuple[int, ...],
                device: torch.device, expected_text: str, device_text: str,
                shape_hint: str | Callable[[tuple[int, ...]], str] = "") -> bool:
    """Is ``got`` a tensor of ``shape`` on ``device``? The first problem is reported.

    Args:
        expected_text: follows "expected" in the shape message, e.g. ``"(8,): one KL value per
            sample"``.
        device_text: follows "but" in the device message, e.g. ``"the model is on cpu."``.
        shape_hint: a sentence added to the shape message, or a function of the shape got
            that returns one.
    """
    problem = _tensor_type_problem(function, got, scalar=not shape)
    if problem:
        report.add("type", case, problem)
        return False
    if tuple(got.shape) != tuple(shape):
        hint = shape_hint(tuple(got.shape)) if callable(shape_hint) else shape_hint
        report.add("shape", case,
                   f"Your `{function}` returned shape {format_shape(got)} on case '{case}'; "
                   f"expected {expected_text}." + (f" {hint}" if hint else ""))
        return False
    if got.device != device:
        report.add("device", case,
                   f"The result of `{function}` is on {got.device.type} but {device_text}")
        return False
    return True


# =========================================================================== tensor functions
@dataclass
class Case:
    """One call of the student's function: inputs on the CPU, moved to the device later."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    note: str = ""  # what the reference does here; added to NaN/inf messages


#: ``diagnose(case, got, expected, inputs)``: a hint that names the likely mistake, or "".
Diagnose = Callable[[Case, Tensor, Tensor, tuple[Tensor, ...]], str]


@dataclass
class TensorSpec:
    """How to call and judge a function whose result is a tensor."""

    function: str
    arg_names: tuple[str, ...]
    grad_args: tuple[str, ...]
    meaning: str  # what the expected shape means, e.g. "one log-density per sample"
    shape_hint: Callable[[tuple[int, ...], tuple[int, ...]], str] = lambda got, exp: ""
    diagnose: Diagnose | None = None
    index_word: str = "entry"


def _case_inputs(case: Case, spec: TensorSpec, device: torch.device) -> tuple[Any, ...]:
    """Fresh copies of the case's arguments on ``device``; those in ``grad_args`` need grad."""
    out = []
    for name, a in zip(spec.arg_names, case.args):
        if isinstance(a, Tensor):
            a = a.detach().clone().to(device)
            if name in spec.grad_args:
                a.requires_grad_(True)
        out.append(a)
    return tuple(out)


def _check_tensor_function(
    spec: TensorSpec,
    student_fn: StudentFn,
    reference_fn: Callable[..., Tensor],
    cases: Sequence[Case],
    device: torch.device,
    report: Report,
) -> None:
    """Run every case through the student's function and the reference, and judge the
    result: inputs left alone, then :func:`_judge_tensor`, then :func:`_judge_gradients`."""
    for case in cases:
        name = report.case(case.name)
        ref_in = _case_inputs(case, spec, device)
        expected = reference_fn(*ref_in, **case.kwargs)
        stu_in = _case_inputs(case, spec, device)
        pristine = [a.detach().clone() if isinstance(a, Tensor) else a for a in stu_in]
        ok, got = call_student(spec.function, name, student_fn, report, *stu_in, **case.kwargs)
        if not ok:
            continue
        _judge_inputs_unchanged(spec, name, pristine, stu_in, report)
        if _judge_tensor(spec, case, got, expected, stu_in, device, report):
            _judge_gradients(spec, case, got, expected, stu_in, ref_in, report)


def _judge_inputs_unchanged(spec: TensorSpec, case: str, before: Sequence[Any],
                            after: Sequence[Any], report: Report) -> None:
    for arg, was, now in zip(spec.arg_names, before, after):
        if isinstance(now, Tensor) and not torch.equal(was, now.detach()):
            report.add(
                "in-place", case,
                f"Your `{spec.function}` changed its input `{arg}` in place on case "
                f"'{case}' (`{arg} += ...`, `{arg}[...] = ...`, `{arg}.add_(...)`): "
                "compute new tensors and leave the inputs as they are.",
            )
            return


def _judge_tensor(spec: TensorSpec, case: Case, got: Any, expected: Tensor,
                  inputs: tuple[Any, ...], device: torch.device, report: Report) -> bool:
    """Type, shape, device, dtype, finiteness and value; True if all agree."""
    f, name = spec.function, case.name
    device_text = (
        f"the inputs were on {device.type}. Create new tensors on the inputs' device "
        "(`torch.zeros_like(x)`, `device=x.device`) and do not call `.cpu()`."
    )
    if not judge_form(report, f, name, got, tuple(expected.shape), expected.device,
                       f"{format_shape(expected)}: {spec.meaning}", device_text,
                       lambda shape: spec.shape_hint(shape, tuple(expected.shape))):
        return False
    if got.dtype != expected.dtype:
        report.add(
            "dtype", name,
            f"Your `{f}` returned dtype {str(got.dtype).replace('torch.', '')} on case "
            f"'{name}'; the inputs were {str(expected.dtype).replace('torch.', '')}. Build "
            "new tensors with the inputs' dtype (`torch.zeros_like(x)`, `dtype=x.dtype`).",
        )
        return False
    return _judge_finite(spec, case, got, expected, report) and _judge_value(
        spec, case, got, expected, inputs, report)


def _judge_finite(spec: TensorSpec, case: Case, got: Tensor, expected: Tensor,
                  report: Report) -> bool:
    """No NaN or inf where the reference is finite."""
    g, e = got.detach(), expected.detach()
    bad = ~torch.isfinite(g) & torch.isfinite(e)
    if not bad.any():
        return True
    idx = _first_index(bad) if g.dim() else ()
    value = float(g[idx]) if g.dim() else float(g)
    what = "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    where = describe_position(idx, tuple(g.shape), spec.index_word)
    report.add(
        what, case.name,
        f"Your `{spec.function}` returned {what}{where}"
        f" on case '{case.name}'" + (f" {case.note}" if case.note else "") + ".",
    )
    return False


def _judge_value(spec: TensorSpec, case: Case, got: Tensor, expected: Tensor,
                 inputs: tuple[Any, ...], report: Report) -> bool:
    """Close to the reference; else the first entry that is not, and a diagnosis."""
    g, e = got.detach(), expected.detach()
    close = _isclose(g, e)
    if close.all():
        return True
    idx = _first_index(~close) if g.dim() else ()
    gv, ev = (float(g[idx]), float(e[idx])) if g.dim() else (float(g), float(e))
    message = (
        f"Wrong value on case '{case.name}': got {format_number(gv)}"
        f"{describe_position(idx, tuple(g.shape), spec.index_word)}, expected {format_number(ev)}."
    )
    hint = spec.diagnose(case, g, e, tuple(inputs)) if spec.diagnose else ""
    report.add("value", case.name, message + (f" {hint}" if hint else ""))
    return False


def _judge_gradients(spec: TensorSpec, case: Case, got: Tensor, expected: Tensor,
                     stu_in: tuple[Any, ...], ref_in: tuple[Any, ...], report: Report) -> None:
    """The gradients of a random projection of the result, with respect to every input in
    ``spec.grad_args``, agree with the reference's."""
    if not spec.grad_args:
        return
    f, name = spec.function, case.name
    names = [n for n in spec.arg_names if n in spec.grad_args]
    if not got.requires_grad:
        report.add("no-grad", name, detached_hint(names[0]))
        return
    pick = [spec.arg_names.index(n) for n in names]
    weights = torch.randn(expected.shape, generator=seeded_generator(7)).to(expected.device)
    try:
        g_stu = torch.autograd.grad((got * weights).sum(), [stu_in[i] for i in pick],
                                    allow_unused=True)
    except RuntimeError as exc:
        report.add("grad", name, f"Backpropagating through `{f}` failed on case '{name}': "
                   f"{first_line(exc)}")
        return
    g_ref = torch.autograd.grad((expected * weights).sum(), [ref_in[i] for i in pick],
                                allow_unused=True)
    for arg, a, b in zip(names, g_stu, g_ref):
        problem = _gradient_problem(f, name, arg, a, b)
        if problem:
            report.add(*problem)
            return


def _gradient_problem(f: str, case: str, arg: str, got: Tensor | None,
                      expected: Tensor | None) -> tuple[str, str, str] | None:
    """(kind, case, message) if the gradient with respect to ``arg`` is wrong."""
    if expected is None:
        return None
    if got is None:
        return ("grad", case,
                f"The result of `{f}` has no gradient with respect to `{arg}` on case "
                f"'{case}': does your formula use `{arg}`, or was it detached?")
    if not torch.isfinite(got).all() and torch.isfinite(expected).all():
        return ("grad-nan", case,
                f"The value is right, but the gradient with respect to `{arg}` contains NaN or "
                f"inf on case '{case}'. A NaN or inf in an intermediate result (a 0/0, a "
                "log(0), a row of -inf) poisons the gradient even where `torch.where` or "
                "`nanmean` keeps it out of the value: avoid computing it at all (clamp the "
                "divisor; `masked_fill` before `logsumexp` so that no row is all -inf).")
    if not tensors_close(got, expected, rtol=1e-3, atol=1e-4):
        return ("grad", case,
                f"The gradient of `{f}` with respect to `{arg}` differs from the reference's "
                f"on case '{case}': is part of the computation detached (`.detach()`, "
                "`.data`, `torch.no_grad()`)?")
    return None


def run_tensor_check(check: str, spec: TensorSpec, reference_fn: Callable[..., Tensor],
                      cases: Callable[[], Sequence[Case]], student_fn: StudentFn,
                      device: DeviceLike, verbose: bool) -> CheckResult:
    """A whole check of a tensor function: :func:`_check_tensor_function` on ``cases()``,
    run by :func:`run_check`."""

    def body(fn: StudentFn, dev: torch.device, report: Report) -> None:
        _check_tensor_function(spec, fn, reference_fn, cases(), dev, report)

    return run_check(spec.function, check, body, student_fn, device, verbose)
