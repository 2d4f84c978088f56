"""Automatic, friendly feedback for the course assignments (``book/assignments/``).

Each ``check_<name>(student_fn)`` calls a student's function on seeded random inputs and on
edge cases (a sample with no positive label, a sample with one label, very large logits, ...),
compares it with the package's reference implementation, and says what is wrong in plain
words: the wrong shape, the wrong value and on which case, NaN, a missing gradient, the wrong
device. A function that raises is reported with the exception's one-line message, never a
traceback; one that still raises ``NotImplementedError`` is "not implemented yet".

    >>> import minicgmvae
    >>> from minicgmvae import checks
    >>> checks.check_kl_gaussians(minicgmvae.kl_gaussians, verbose=False).passed
    True

A check never raises because a student's function is wrong, and leaves the global random
state as it found it. It returns a :class:`CheckResult` (shown as a short report in a
notebook) and records it, so that :func:`summary` can list a notebook's results and the
grader, ``python -m minicgmvae.checks NOTEBOOK...``, can collect them (:func:`grade_notebook`).

:data:`ASSIGNMENTS` lists the assignments, the functions students write, their checks, and
every name of the package each notebook uses: the stable API of the course kit (a renamed
name keeps working with a ``DeprecationWarning``; see :mod:`minicgmvae._compat`).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import os
import re
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..config import ModelConfig
from ..device import get_device
from ..gaussian import log_normal
from ..kl import kl_gaussians
from ..losses import bce_from_logits, contrastive_loss
from ..metrics import MAIN_METRICS, PAPER_THRESHOLDS, example_f1, threshold_sweep
from ..model import CGMVAE
from ..prior import mixture_log_density
from ..protocols import ProtocolResult, honest_protocol, paper_protocol

__all__ = [
    "ASSIGNMENTS",
    "Assignment",
    "CheckResult",
    "assignment_of",
    "NotebookGrade",
    "check_bce_from_logits",
    "check_contrastive_loss",
    "check_example_f1",
    "check_honest_protocol",
    "check_kl_gaussians",
    "check_log_normal",
    "check_mixture_log_density",
    "check_paper_protocol",
    "check_reparameterize",
    "check_total_loss",
    "check_train_epoch",
    "check_training_step",
    "clear_results",
    "grade_notebook",
    "main",
    "recorded_results",
    "summary",
]

DeviceLike = str | torch.device | None
StudentFn = Callable[..., Any]

PASS_MARK = "✅"
FAIL_MARK = "❌"
TODO_MARK = "✏️"
NOT_IMPLEMENTED = "not implemented yet"

# Set this environment variable to let an error inside a check itself (not in the student's
# function) propagate, instead of being reported as a message. The tests set it.
STRICT_ENV = "MINICGMVAE_CHECKS_STRICT"

_MAX_MESSAGES = 4


# =========================================================================== results
@dataclass
class CheckResult:
    """The outcome of one check.

    Attributes:
        function: the name of the student's function that was checked.
        passed: True when every case agreed with the reference.
        messages: one plain-words sentence per problem found (empty when passed).
        cases: the cases that were tried, in plain words.
        check: the name of the check function (``check_<function>``).
        not_implemented: True when the function still raises ``NotImplementedError``.
    """

    function: str
    passed: bool
    messages: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    check: str = ""
    not_implemented: bool = False
    _shown: bool = field(default=False, repr=False, compare=False)

    def headline(self) -> str:
        """The first line of the report, e.g. ``✅ kl_gaussians is correct on all 5 cases.``"""
        if self.passed:
            n = len(self.cases)
            if n == 1:
                return f"{PASS_MARK} {self.function} is correct ({self.cases[0]})."
            return f"{PASS_MARK} {self.function} is correct on all {n} cases."
        if self.not_implemented:
            return f"{TODO_MARK} {self.function} is {NOT_IMPLEMENTED}."
        n = len(self.messages)
        return f"{FAIL_MARK} {self.function}: {n} problem{'s' * (n != 1)} found."

    def __str__(self) -> str:
        if self.not_implemented and self.messages:
            return f"{TODO_MARK} {self.messages[0]}"
        lines = [self.headline()]
        lines += [f"  - {m}" for m in self.messages]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        if self.not_implemented and self.messages:
            return f"{TODO_MARK} {_markdown(self.messages[0])}"
        head = self.headline().replace(self.function, f"`{self.function}`", 1)
        mark, rest = head.split(" ", 1)
        lines = [f"{mark} **{_markdown(rest)}**"]
        if self.messages:
            lines.append("")
            lines += [f"- {_markdown(m)}" for m in self.messages]
        return "\n".join(lines)

    def show(self) -> None:
        """Print the report (as Markdown in a notebook, as text elsewhere)."""
        self._shown = True
        ip = _ipython_kernel()
        if ip is None:
            print(str(self))
            return
        from IPython.display import display

        display({"text/markdown": self._repr_markdown_(), "text/plain": str(self)}, raw=True)

    def _ipython_display_(self) -> None:
        # A check run with verbose=True has shown its report already; when its result is the
        # last expression of a cell, do not show it a second time.
        if not self._shown:
            self.show()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy."""
        return {
            "function": self.function,
            "check": self.check,
            "passed": self.passed,
            "not_implemented": self.not_implemented,
            "messages": list(self.messages),
            "cases": list(self.cases),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            function=str(d["function"]),
            passed=bool(d["passed"]),
            messages=[str(m) for m in d.get("messages", [])],
            cases=[str(c) for c in d.get("cases", [])],
            check=str(d.get("check", "")),
            not_implemented=bool(d.get("not_implemented", False)),
        )


def _markdown(text: str) -> str:
    """Escape Markdown's special characters outside `code` spans."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(
        p if p.startswith("`") else re.sub(r"([\\*_\[\]<>#|])", r"\\\1", p) for p in parts
    )


def _ipython_kernel() -> Any:
    """The running IPython kernel shell, or None outside a notebook."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    shell = ipython.get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return None
    return shell


_RESULTS: dict[str, CheckResult] = {}


def recorded_results() -> list[CheckResult]:
    """The latest result of every check run in this process, in the order first run."""
    return list(_RESULTS.values())


def clear_results() -> None:
    """Forget the recorded results."""
    _RESULTS.clear()


def summary(assignment: str | None = None) -> None:
    """Print a one-line-per-check summary of the checks run so far.

    Args:
        assignment: an :data:`ASSIGNMENTS` key; its checks that never ran are listed as such.
    """
    results = recorded_results()
    names = [r.check for r in results]
    lines = [r.headline() for r in results]
    if assignment is not None:
        expected = ASSIGNMENTS[assignment].checks
        lines = [_RESULTS[c].headline() if c in _RESULTS else f"{TODO_MARK} {c} has not run."
                 for c in expected]
        names = list(expected)
    n_pass = sum(1 for c in names if c in _RESULTS and _RESULTS[c].passed)
    print("\n".join([f"{n_pass} of {len(names)} checks pass.", *lines]))


# =========================================================================== helpers
class _NotImplementedYet(Exception):
    """Raised inside a check when the student's function raises NotImplementedError."""


class _Report:
    """Collects problems by kind; the first message of each kind is reported in full and
    the other cases with the same kind of problem are named after it."""

    def __init__(self, function: str) -> None:
        self.function = function
        self.cases: list[str] = []
        self._problems: dict[str, list[tuple[str, str]]] = {}

    def case(self, name: str) -> str:
        self.cases.append(name)
        return name

    def add(self, kind: str, case: str, message: str) -> None:
        self._problems.setdefault(kind, []).append((case, message))

    @property
    def ok(self) -> bool:
        return not self._problems

    def failed_on(self, case: str) -> bool:
        return any(c == case for items in self._problems.values() for c, _ in items)

    def messages(self) -> list[str]:
        out = []
        for items in self._problems.values():
            case, message = items[0]
            if f"'{case}'" not in message:
                message = f"On case '{case}': {message}"
            others = list(dict.fromkeys(c for c, _ in items[1:] if c != case))
            if len(others) > 2:
                message += f" The same problem on {len(others)} other cases."
            elif others:
                message += " The same problem on " + " and ".join(f"'{c}'" for c in others) + "."
            out.append(message)
        if len(out) > _MAX_MESSAGES:
            n = len(out) - _MAX_MESSAGES
            out = out[:_MAX_MESSAGES] + [f"... and {n} more; fix these first."]
        return out


def _run_check(
    function: str,
    check: str,
    body: Callable[[StudentFn, torch.device, _Report], None],
    student_fn: StudentFn,
    device: DeviceLike,
    verbose: bool,
) -> CheckResult:
    """Run ``body`` with isolated random state and turn what it found into a result."""
    report = _Report(function)
    if not callable(student_fn):
        result = CheckResult(
            function, False,
            [f"`{check}` needs your function itself, e.g. `{check}({function})`; "
             f"got a {type(student_fn).__name__}."],
            check=check,
        )
    else:
        try:
            dev = get_device("auto" if device is None else device)
            with _isolated_rng(dev):
                body(student_fn, dev, report)
            result = CheckResult(
                function, report.ok, report.messages(), report.cases, check=check
            )
        except _NotImplementedYet:
            message = (
                f"`{function}` is {NOT_IMPLEMENTED}: replace the line "
                "`raise NotImplementedError(...)` with your code, run its cell, then run "
                "this check again."
            )
            result = CheckResult(function, False, [message], report.cases, check, True)
        except Exception as exc:  # a problem in the check itself, not in the student's code
            if os.environ.get(STRICT_ENV):
                raise
            message = (
                f"The check could not finish ({type(exc).__name__}: {_first_line(exc)}). "
                "This is probably a problem with the check, not with your code: tell your "
                "instructor."
            )
            result = CheckResult(function, False, [message], report.cases, check=check)
    _RESULTS.pop(check, None)
    _RESULTS[check] = result
    if verbose:
        result.show()
    return result


@contextlib.contextmanager
def _isolated_rng(device: torch.device) -> Iterator[None]:
    """Fork the global random state: a check leaves the notebook's random numbers alone."""
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        yield


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def _where(exc: BaseException, fn: StudentFn) -> str:
    """' at line N of its cell' (or of its file) for the deepest frame in the student's code."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return ""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == code.co_filename]
    if not frames:
        return ""
    frame = frames[-1]
    if "ipykernel" in frame.filename or frame.filename.startswith("<ipython-input"):
        return f" at line {frame.lineno} of its cell"
    return f" at line {frame.lineno} of {Path(frame.filename).name}"


def _exception_hint(exc: BaseException) -> str:
    text = str(exc)
    if "same device" in text or "Expected all tensors to be on the same" in text:
        return (
            " Create new tensors on the inputs' device, e.g. `torch.randn_like(mu)` or "
            "`torch.zeros(..., device=mu.device)`."
        )
    if "in-place" in text or "inplace" in text:
        return (
            " Do not change the inputs in place (`x += ...`, `x[...] = ...`); compute new "
            "tensors instead."
        )
    if isinstance(exc, NameError):
        return " Run the cells above this one first (the setup cell and your earlier functions)."
    if "size of tensor" in text or "shape" in text or "dimension" in text:
        return " Print the shapes of your intermediate tensors; the docstring gives the shapes."
    return ""


def _describe_exception(function: str, case: str, exc: BaseException, fn: StudentFn) -> str:
    first = _first_line(exc)
    text = f"Your `{function}` raised {type(exc).__name__}{_where(exc, fn)} on case '{case}'"
    if first and not first.endswith((".", "!", "?")):
        first += "."
    return text + (f": {first}" if first else ".") + _exception_hint(exc)


def _call(function: str, case: str, fn: StudentFn, report: _Report, *args: Any,
          **kwargs: Any) -> tuple[bool, Any]:
    """Call the student's function; (True, value), or (False, None) with the problem noted."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return True, fn(*args, **kwargs)
    except NotImplementedError:
        raise _NotImplementedYet() from None
    except Exception as exc:
        report.add("raised", case, _describe_exception(function, case, exc, fn))
        return False, None


def _fmt(x: float) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    return f"{x:.4g}"


def _shape(t: Tensor | torch.Size | tuple[int, ...]) -> str:
    dims = tuple(t.shape) if isinstance(t, Tensor) else tuple(t)
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def _locate(index: tuple[int, ...], shape: tuple[int, ...], word: str) -> str:
    if not shape:
        return ""
    if len(shape) == 1:
        return f" for {word} {index[0]}"
    return f" at index {index}"


def _first_index(mask: Tensor) -> tuple[int, ...]:
    return tuple(int(i) for i in torch.nonzero(mask)[0].tolist())


def _isclose(a: Tensor, b: Tensor, rtol: float = 1e-4, atol: float = 1e-4) -> Tensor:
    return torch.isclose(a.detach().to(b.dtype), b.detach(), rtol=rtol, atol=atol,
                         equal_nan=True)


def _allclose(a: Tensor, b: Tensor, rtol: float = 1e-4, atol: float = 1e-4) -> bool:
    return a.shape == b.shape and bool(_isclose(a, b, rtol, atol).all())


def _detached_hint(arg: str) -> str:
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


# ------------------------------------------------------------- tensor-valued functions
@dataclass
class _Case:
    """One call of the student's function: inputs on the CPU, moved to the device later."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    note: str = ""  # what the reference does here; added to NaN/inf messages


@dataclass
class _Spec:
    """How to call and judge a function whose result is a tensor."""

    function: str
    arg_names: tuple[str, ...]
    grad_args: tuple[str, ...]
    meaning: str  # what the expected shape means, e.g. "one log-density per sample"
    shape_hint: Callable[[tuple[int, ...], tuple[int, ...]], str] = lambda got, exp: ""
    diagnose: Callable[[_Case, Tensor, Tensor, tuple[Tensor, ...]], str] | None = None
    index_word: str = "entry"


def _inputs(case: _Case, spec: _Spec, device: torch.device) -> tuple[Any, ...]:
    out = []
    for name, a in zip(spec.arg_names, case.args):
        if isinstance(a, Tensor):
            a = a.detach().clone().to(device)
            if name in spec.grad_args:
                a.requires_grad_(True)
        out.append(a)
    return tuple(out)


def _check_tensor_function(
    spec: _Spec,
    student_fn: StudentFn,
    reference_fn: Callable[..., Tensor],
    cases: Sequence[_Case],
    device: torch.device,
    report: _Report,
) -> None:
    for case in cases:
        name = report.case(case.name)
        ref_in = _inputs(case, spec, device)
        expected = reference_fn(*ref_in, **case.kwargs)
        stu_in = _inputs(case, spec, device)
        pristine = [a.detach().clone() if isinstance(a, Tensor) else a for a in stu_in]
        ok, got = _call(spec.function, name, student_fn, report, *stu_in, **case.kwargs)
        if not ok:
            continue
        for arg, before, after in zip(spec.arg_names, pristine, stu_in):
            if isinstance(after, Tensor) and not torch.equal(before, after.detach()):
                report.add(
                    "in-place", name,
                    f"Your `{spec.function}` changed its input `{arg}` in place on case "
                    f"'{name}' (`{arg} += ...`, `{arg}[...] = ...`, `{arg}.add_(...)`): "
                    "compute new tensors and leave the inputs as they are.",
                )
                break
        if _judge_tensor(spec, case, got, expected, stu_in, device, report):
            _judge_gradients(spec, case, got, expected, stu_in, ref_in, report)


def _judge_tensor(spec: _Spec, case: _Case, got: Any, expected: Tensor,
                  inputs: tuple[Any, ...], device: torch.device, report: _Report) -> bool:
    """Type, shape, device, dtype, finiteness and value; True if all agree."""
    f, name = spec.function, case.name
    problem = _tensor_type_problem(f, got, expected.dim() == 0)
    if problem:
        report.add("type", name, problem)
        return False
    if got.shape != expected.shape:
        hint = spec.shape_hint(tuple(got.shape), tuple(expected.shape))
        report.add(
            "shape", name,
            f"Your `{f}` returned shape {_shape(got)} on case '{name}'; expected "
            f"{_shape(expected)}: {spec.meaning}." + (f" {hint}" if hint else ""),
        )
        return False
    if got.device != expected.device:
        report.add(
            "device", name,
            f"The result of `{f}` is on {got.device.type} but the inputs were on "
            f"{device.type}. Create new tensors on the inputs' device "
            "(`torch.zeros_like(x)`, `device=x.device`) and do not call `.cpu()`.",
        )
        return False
    if got.dtype != expected.dtype:
        report.add(
            "dtype", name,
            f"Your `{f}` returned dtype {str(got.dtype).replace('torch.', '')} on case "
            f"'{name}'; the inputs were {str(expected.dtype).replace('torch.', '')}. Build "
            "new tensors with the inputs' dtype (`torch.zeros_like(x)`, `dtype=x.dtype`).",
        )
        return False
    g, e = got.detach(), expected.detach()
    bad = ~torch.isfinite(g) & torch.isfinite(e)
    if bad.any():
        idx = _first_index(bad) if g.dim() else ()
        value = float(g[idx]) if g.dim() else float(g)
        what = "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        report.add(
            what, name,
            f"Your `{f}` returned {what}{_locate(idx, tuple(g.shape), spec.index_word)} on "
            f"case '{name}'" + (f" {case.note}" if case.note else "") + ".",
        )
        return False
    close = _isclose(g, e)
    if not close.all():
        idx = _first_index(~close) if g.dim() else ()
        gv, ev = (float(g[idx]), float(e[idx])) if g.dim() else (float(g), float(e))
        message = (
            f"Wrong value on case '{name}': got {_fmt(gv)}"
            f"{_locate(idx, tuple(g.shape), spec.index_word)}, expected {_fmt(ev)}."
        )
        hint = spec.diagnose(case, g, e, tuple(inputs)) if spec.diagnose else ""
        report.add("value", name, message + (f" {hint}" if hint else ""))
        return False
    return True


def _judge_gradients(spec: _Spec, case: _Case, got: Tensor, expected: Tensor,
                     stu_in: tuple[Any, ...], ref_in: tuple[Any, ...], report: _Report) -> None:
    if not spec.grad_args:
        return
    f, name = spec.function, case.name
    names = [n for n in spec.arg_names if n in spec.grad_args]
    if not got.requires_grad:
        report.add("no-grad", name, _detached_hint(names[0]))
        return
    pick = [spec.arg_names.index(n) for n in names]
    weights = torch.randn(expected.shape, generator=_gen(7)).to(expected.device)
    try:
        g_stu = torch.autograd.grad((got * weights).sum(), [stu_in[i] for i in pick],
                                    allow_unused=True)
    except RuntimeError as exc:
        report.add("grad", name, f"Backpropagating through `{f}` failed on case '{name}': "
                   f"{_first_line(exc)}")
        return
    g_ref = torch.autograd.grad((expected * weights).sum(), [ref_in[i] for i in pick],
                                allow_unused=True)
    for arg, a, b in zip(names, g_stu, g_ref):
        if b is None:
            continue
        if a is None:
            report.add(
                "grad", name,
                f"The result of `{f}` has no gradient with respect to `{arg}` on case "
                f"'{name}': does your formula use `{arg}`, or was it detached?",
            )
            return
        if not torch.isfinite(a).all() and torch.isfinite(b).all():
            report.add(
                "grad-nan", name,
                f"The value is right, but the gradient with respect to `{arg}` contains NaN or "
                f"inf on case '{name}'. A NaN or inf in an intermediate result (a 0/0, a "
                "log(0), a row of -inf) poisons the gradient even where `torch.where` or "
                "`nanmean` keeps it out of the value: avoid computing it at all (clamp the "
                "divisor; `masked_fill` before `logsumexp` so that no row is all -inf).",
            )
            return
        if not _allclose(a, b, rtol=1e-3, atol=1e-4):
            report.add(
                "grad", name,
                f"The gradient of `{f}` with respect to `{arg}` differs from the reference's "
                f"on case '{name}': is part of the computation detached (`.detach()`, "
                "`.data`, `torch.no_grad()`)?",
            )
            return


def _matches(got: Tensor, variant: Tensor, rows: Tensor | None = None) -> bool:
    if got.shape != variant.shape:
        return False
    close = _isclose(got, variant)
    if rows is not None:
        if not rows.any():
            return False
        close = close[rows]
    return bool(close.all())


# =========================================================================== assignment 1
def _reparameterize_body(fn: StudentFn, dev: torch.device, report: _Report) -> None:
    f = "reparameterize"
    g = _gen(1)
    shaped = [
        ("a batch of 4 two-dimensional Gaussians", (4, 2)),
        ("a batch with two leading dimensions, shape (2, 3, 5)", (2, 3, 5)),
    ]
    for name, shape in shaped:
        name = report.case(name)
        mu = torch.randn(shape, generator=g).to(dev).requires_grad_(True)
        logvar = (torch.rand(shape, generator=g) * 2 - 1).to(dev).requires_grad_(True)
        torch.manual_seed(0)
        ok, z = _call(f, name, fn, report, mu, logvar)
        if not ok:
            continue
        problem = _tensor_type_problem(f, z, False)
        if problem:
            report.add("type", name, problem)
            continue
        if z.shape != mu.shape:
            report.add("shape", name, f"Your `{f}` returned shape {_shape(z)} on case "
                       f"'{name}'; expected {_shape(mu)}, the shape of `mu`: one sample "
                       "per Gaussian.")
            continue
        if z.device != mu.device:
            report.add("device", name, f"The result of `{f}` is on {z.device.type} but the "
                       f"inputs were on {dev.type}. Draw the noise on the inputs' device: "
                       "`torch.randn_like(mu)`.")
            continue
        if not torch.isfinite(z).all():
            report.add("NaN", name, f"Your `{f}` returned NaN or inf on case '{name}'.")
            continue
        if torch.equal(z.detach(), mu.detach()):
            report.add("mu", name, f"Your `{f}` returned `mu` itself: add the noise, "
                       "z = mu + sigma * eps with eps ~ N(0, I).")
            continue
        if not z.requires_grad:
            report.add("no-grad", name, _detached_hint("mu"))
            continue
        grad_mu, grad_lv = torch.autograd.grad(z.sum(), [mu, logvar], allow_unused=True)
        if grad_mu is None or not _allclose(grad_mu, torch.ones_like(grad_mu)):
            report.add("grad-mu", name, "`z` should move one-for-one with `mu` (its gradient "
                       "with respect to `mu` is 1): z = mu + sigma * eps.")
            continue
        if grad_lv is None:
            report.add("grad-logvar", name, "`z` does not depend on `logvar`: the standard "
                       "deviation is sigma = exp(logvar / 2), and z = mu + sigma * eps.")
            continue
        half = 0.5 * (z - mu).detach()  # dz/dlogvar = sigma * eps / 2 = (z - mu) / 2
        if _allclose(grad_lv, 2 * half):
            report.add("grad-logvar", name, "You used exp(logvar), the variance, as the "
                       "standard deviation: sigma = exp(logvar / 2).")
            continue
        if not _allclose(grad_lv, half):
            report.add("grad-logvar", name, "The gradient of `z` with respect to `logvar` is "
                       "not sigma * eps / 2: compute sigma = exp(logvar / 2) and return "
                       "mu + sigma * eps, with eps drawn from N(0, I).")
            continue
        with torch.no_grad():
            ok, z2 = _call(f, name, fn, report, mu.detach(), logvar.detach())
        if ok and isinstance(z2, Tensor) and torch.equal(z2.detach(), z.detach()):
            report.add("random", name, "Two calls returned the same z: draw fresh noise "
                       "eps ~ N(0, I) on every call (`torch.randn_like(mu)`); do not seed "
                       "inside the function.")

    name = report.case("20,000 draws from N(mu = (2, -1), sigma = (0.5, 2))")
    if not report.ok:  # the statistics would only repeat what the cases above found
        return
    n = 20_000
    mu = torch.tensor([2.0, -1.0]).repeat(n, 1).to(dev)
    sigma = torch.tensor([0.5, 2.0])
    logvar = torch.log(sigma**2).repeat(n, 1).to(dev)
    torch.manual_seed(1)
    ok, z = _call(f, name, fn, report, mu, logvar)
    if not ok or not isinstance(z, Tensor) or z.shape != mu.shape or z.device != mu.device:
        return
    z = z.detach().float().cpu()
    mean, std = z.mean(0), z.std(0)
    for d in range(2):
        s = float(sigma[d])
        if abs(float(mean[d]) - float(mu[0, d])) > 5 * s / math.sqrt(n):
            report.add("mean", name, f"The samples' mean in dimension {d} is "
                       f"{_fmt(float(mean[d]))} on case '{name}'; expected mu = "
                       f"{_fmt(float(mu[0, d]))}: z = mu + sigma * eps with eps of mean 0.")
            return
        if abs(float(std[d]) / s - 1) > 0.05:
            hint = "sigma = exp(logvar / 2)."
            if abs(float(std[d]) / s**2 - 1) < 0.05:
                hint = "You used exp(logvar), the variance, as sigma: sigma = exp(logvar / 2)."
            report.add("std", name, f"The samples' standard deviation in dimension {d} is "
                       f"{_fmt(float(std[d]))} on case '{name}'; expected sigma = {_fmt(s)}. "
                       + hint)
            return


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
    return _run_check("reparameterize", "check_reparameterize", _reparameterize_body,
                      student_fn, device, verbose)


def _kl_cases() -> list[_Case]:
    g = _gen(2)
    b, d = 8, 5
    mu1, mu2 = torch.randn(b, d, generator=g), torch.randn(b, d, generator=g)
    lv1 = torch.rand(b, d, generator=g) * 4 - 2
    lv2 = torch.rand(b, d, generator=g) * 4 - 2
    zeros = torch.zeros(b, d)
    wide = torch.linspace(-8, 8, b * d).reshape(b, d)
    return [
        _Case("a random batch of 8 pairs of Gaussians in 5 dimensions", (mu1, lv1, mu2, lv2)),
        _Case("two identical Gaussians (the KL is 0)", (mu1, lv1, mu1.clone(), lv1.clone())),
        _Case("q against the standard normal N(0, I)", (mu1, lv1, zeros, zeros)),
        _Case("one Gaussian of shape (5,) shared by the whole batch (broadcasting)",
              (mu1, lv1, mu2[0], lv2[0])),
        _Case("very different variances (logvar from -8 to 8)", (mu1, wide, mu2, wide.flip(0))),
    ]


def _kl_shape_hint(got: tuple[int, ...], exp: tuple[int, ...]) -> str:
    if got == exp + (5,) or (len(got) == len(exp) + 1 and got[:-1] == exp):
        return "Did you forget to sum over the latent dimension (the last one)?"
    if got == ():
        return "Keep one KL per sample: sum over the last dimension only, not over the batch."
    return ""


def _kl_diagnose(case: _Case, got: Tensor, exp: Tensor, args: tuple[Tensor, ...]) -> str:
    mu1, lv1, mu2, lv2 = (a.detach() for a in args)
    d = mu1.shape[-1]
    if _matches(got, 2 * exp):
        return "Your values are twice the reference's: did you leave out the factor 1/2?"
    if _matches(got, exp + 0.5 * d):
        return "Your values are d/2 too large: did you leave out the -1 inside the sum?"
    reverse = kl_gaussians(mu2, lv2, mu1, lv1).expand_as(exp)
    if _matches(got, reverse):
        return ("You computed KL(p || q): the first Gaussian (mu1, logvar1) is q, the second "
                "is p, and the KL is not symmetric.")
    return ("Check each term of 1/2 sum_d [log s2^2 - log s1^2 + (s1^2 + (m1 - m2)^2) / s2^2 "
            "- 1], with s^2 = exp(logvar).")


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
    spec = _Spec("kl_gaussians", ("mu1", "logvar1", "mu2", "logvar2"),
                 ("mu1", "logvar1", "mu2", "logvar2"), "one KL value per sample",
                 _kl_shape_hint, _kl_diagnose, index_word="sample")

    def body(fn: StudentFn, dev: torch.device, report: _Report) -> None:
        _check_tensor_function(spec, fn, kl_gaussians, _kl_cases(), dev, report)

    return _run_check(spec.function, "check_kl_gaussians", body, student_fn, device, verbose)


# =========================================================================== assignment 2
def _log_normal_cases() -> list[_Case]:
    g = _gen(3)
    b, d = 8, 5
    z, mu = torch.randn(b, d, generator=g), torch.randn(b, d, generator=g)
    lv = torch.rand(b, d, generator=g) * 2 - 1
    comp_mu, comp_lv = torch.randn(1, 3, d, generator=g), torch.rand(1, 3, d, generator=g) - 0.5
    zeros = torch.zeros(b, d)
    return [
        _Case("a random batch of 8 points in 5 dimensions", (z, mu, lv)),
        _Case("the standard normal at its mean (z = mu = 0, logvar = 0)", (zeros, zeros, zeros)),
        _Case("points of shape (8, 1, 5) against components of shape (1, 3, 5) "
              "(broadcasting, as in the mixture)", (z.unsqueeze(1), comp_mu, comp_lv)),
        _Case("a point far from the mean (|z - mu| = 30)", (mu + 30.0, mu, lv)),
        _Case("tiny variances (logvar = -10)", (mu + 1e-3, mu, torch.full((b, d), -10.0))),
    ]


def _log_normal_shape_hint(got: tuple[int, ...], exp: tuple[int, ...]) -> str:
    if len(got) == len(exp) + 1 and got[:-1] == exp:
        return "Did you forget to sum over the last (latent) dimension?"
    if got == ():
        return "Sum over the last dimension only, not over the batch."
    return "Sum over the last dimension only, and let broadcasting do the rest."


def _log_normal_diagnose(case: _Case, got: Tensor, exp: Tensor,
                         args: tuple[Tensor, ...]) -> str:
    d = args[0].shape[-1]
    const = 0.5 * d * math.log(2 * math.pi)
    if _matches(got, exp + const):
        return (f"Your values are d/2 log(2 pi) = {const:.4g} too large: did you leave out the "
                "log(2 pi) constant? (The authors' code does; the package keeps it, so that "
                "log_normal agrees with torch.distributions.Normal.)")
    if _matches(got, 2 * exp):
        return "Your values are twice the reference's: did you leave out the factor -1/2?"
    return ("Check each term of -1/2 sum_d [log(2 pi) + logvar_d + (z_d - mu_d)^2 / "
            "exp(logvar_d)].")


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
    spec = _Spec("log_normal", ("z", "mu", "logvar"), ("z", "mu", "logvar"),
                 "one log-density per point (the last dimension summed out)",
                 _log_normal_shape_hint, _log_normal_diagnose, index_word="point")

    def body(fn: StudentFn, dev: torch.device, report: _Report) -> None:
        _check_tensor_function(spec, fn, log_normal, _log_normal_cases(), dev, report)

    return _run_check(spec.function, "check_log_normal", body, student_fn, device, verbose)


_EMPTY_NOTE = ("(the reference falls back to the standard normal N(0, I) for a sample with no "
               "positive label: log N(z; 0, I))")


def _mixture_cases() -> list[_Case]:
    g = _gen(4)
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
        _Case("a random batch (8 samples, 5 labels, 4 latent dimensions)",
              (z8, labels(8), mu, lv)),
        _Case("samples with exactly one label each", (z5, torch.eye(5), mu, lv)),
        _Case("samples with every label", (z3, torch.ones(3, n_labels), mu, lv)),
        _Case("a sample with no positive label", (z3, empty, mu, lv), note=_EMPTY_NOTE),
        _Case("a single sample (B = 1)", (z3[:1], labels(1), mu, lv)),
        _Case("points far from every component (|z| about 60)", (z8 + 60.0, labels(8), mu, lv),
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


def _mixture_diagnose(case: _Case, got: Tensor, exp: Tensor, args: tuple[Tensor, ...]) -> str:
    z, y, mu, lv = (a.detach() for a in args)
    component = log_normal(z.unsqueeze(1), mu.unsqueeze(0), lv.unsqueeze(0))  # (B, L)
    positive = y > 0.5
    count = positive.sum(1)
    rows = count > 0
    log_count = torch.log(count.clamp(min=1).to(z.dtype))
    if _matches(got, exp + log_count, rows):
        return ("You forgot to subtract log |P(y)|: every positive label has weight "
                "1 / |P(y)|.")
    all_labels = torch.logsumexp(component, 1) - math.log(component.shape[1])
    if _matches(got, all_labels, rows):
        return ("You mixed over ALL labels; only the positive labels P(y) are components "
                "(mask the others with -inf before the log-sum-exp).")
    mean_log = (component * positive).sum(1) / count.clamp(min=1)
    if _matches(got, mean_log, rows):
        return ("You averaged the components' log-densities. The log of a mixture is a "
                "log-sum-exp: log (1/|P|) sum_i exp(log N_i).")
    if (~rows).any() and _matches(got, exp, rows):
        return ("The samples with labels are right; check the samples with no positive label "
                f"{_EMPTY_NOTE}.")
    return ""


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
    spec = _Spec("mixture_log_density", ("z", "y", "mu", "logvar"), ("z", "mu", "logvar"),
                 "one log-density per sample", _mixture_shape_hint, _mixture_diagnose,
                 index_word="sample")

    def body(fn: StudentFn, dev: torch.device, report: _Report) -> None:
        _check_tensor_function(spec, fn, mixture_log_density, _mixture_cases(), dev, report)

    return _run_check(spec.function, "check_mixture_log_density", body, student_fn, device,
                      verbose)


# =========================================================================== assignment 3
def _bce_cases() -> list[_Case]:
    g = _gen(5)
    b, n_labels = 8, 5
    logits = torch.randn(b, n_labels, generator=g) * 3
    y = (torch.rand(b, n_labels, generator=g) < 0.4).float()
    sign = torch.where(torch.rand(b, n_labels, generator=g) < 0.5, -1.0, 1.0)
    y_empty = y.clone()
    y_empty[2] = 0.0
    return [
        _Case("a random batch (8 samples, 5 labels)", (logits, y)),
        _Case("large logits (|logit| = 200, half of them on the wrong side)", (200 * sign, y),
              note="(sigmoid of such a logit rounds to exactly 0 or 1 in float32, and "
                   "log(0) = -inf: compute from the logits, with "
                   "`F.binary_cross_entropy_with_logits` or `F.logsigmoid`)"),
        _Case("a sample with no positive label", (logits, y_empty)),
        _Case("a single sample (B = 1)", (logits[:1], y[:1])),
    ]


def _bce_shape_hint(got: tuple[int, ...], exp: tuple[int, ...]) -> str:
    return "Sum over the labels, then average over the batch: the loss is one number."


def _bce_diagnose(case: _Case, got: Tensor, exp: Tensor, args: tuple[Tensor, ...]) -> str:
    b, n_labels = args[0].shape
    if _matches(got, exp / n_labels):
        return ("You averaged over the labels too (the default reduction='mean' does): sum "
                "over the labels and average over the batch, e.g. reduction='none', then "
                "`.sum(-1).mean()`.")
    if b > 1 and _matches(got, exp * b):
        return "You summed over the batch: average over the samples instead."
    if _matches(got, -exp):
        return "Your loss has the wrong sign: it is the NEGATIVE log-likelihood."
    return ""


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
    spec = _Spec("bce_from_logits", ("logits", "y"), ("logits",), "the loss is one number",
                 _bce_shape_hint, _bce_diagnose)

    def body(fn: StudentFn, dev: torch.device, report: _Report) -> None:
        _check_tensor_function(spec, fn, bce_from_logits, _bce_cases(), dev, report)

    return _run_check(spec.function, "check_bce_from_logits", body, student_fn, device,
                      verbose)


_NO_POSITIVE_NOTE = ("(the reference leaves anchors with no positive label out of the mean: "
                     "they have nothing to be pulled towards; with none left, the loss is 0)")


def _contrastive_cases() -> list[_Case]:
    g = _gen(6)
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
        _Case("a random batch (6 anchors, 5 labels, 8 dimensions)", (anchors, y, emb)),
        _Case("anchors with exactly one label each", (anchors, one, emb)),
        _Case("temperature 0.5", (anchors, y, emb), {"temperature": 0.5}),
        _Case("two anchors with no positive label", (anchors, some_empty, emb),
              note=_NO_POSITIVE_NOTE),
        _Case("no anchor with a positive label (the loss is 0)",
              (anchors[:3], torch.zeros(3, n_labels), emb), note=_NO_POSITIVE_NOTE),
        _Case("large logits (a . E / tau in the hundreds)", (anchors, y, emb * 40),
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


def _contrastive_diagnose(case: _Case, got: Tensor, exp: Tensor,
                          args: tuple[Tensor, ...]) -> str:
    anchors, y, emb = (a.detach() for a in args)
    tau = float(case.kwargs.get("temperature", 1.0))
    log_prob = torch.log_softmax(anchors @ emb.t() / tau, dim=1)
    n_pos = y.sum(1)
    has = (n_pos > 0).to(log_prob.dtype)
    per_anchor = -(y * log_prob).sum(1) / n_pos.clamp(min=1)
    if has.sum() < len(has) and _matches(got, (per_anchor * has).sum() / len(has)):
        return ("You averaged over ALL anchors, including those with no positive label; "
                "leave those out of the mean.")
    if _matches(got, (-(y * log_prob).sum(1) * has).sum() / has.sum().clamp(min=1)):
        return "Divide each anchor's sum over its positive labels by |P|, their number."
    if tau != 1.0 and _matches(got, contrastive_loss(anchors, y, emb, 1.0)):
        return "Your loss ignores `temperature`: divide the logits a . E_j by tau."
    return ("The softmax runs over ALL label embeddings E_j (j = 1..L); the loss of an anchor "
            "averages -log softmax over its positive labels.")


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
    spec = _Spec("contrastive_loss", ("anchors", "y", "embeddings"), ("anchors", "embeddings"),
                 "the loss is one number", _contrastive_shape_hint, _contrastive_diagnose)

    def body(fn: StudentFn, dev: torch.device, report: _Report) -> None:
        _check_tensor_function(spec, fn, contrastive_loss, _contrastive_cases(), dev, report)

    return _run_check(spec.function, "check_contrastive_loss", body, student_fn, device,
                      verbose)


# =========================================================================== assignment 4
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
    g = _gen(seed)
    x = torch.randn(n, 6, generator=g)
    y = (torch.rand(n, 4, generator=g) < 0.5).float()
    y[torch.arange(n), torch.randint(4, (n,), generator=g)] = 1.0
    for r in empty_rows:
        y[r] = 0.0
    return x, y


def _tiny_model(config: ModelConfig, seed: int, dev: torch.device) -> CGMVAE:
    torch.manual_seed(seed)
    return CGMVAE(config).to(dev)


def _param_label(name: str) -> str:
    part = name.split(".")[0]
    words = {
        "feature_encoder": "the feature encoder", "label_encoder": "the label encoder",
        "label_embeddings": "the label embeddings", "decoder": "the decoder",
    }
    return f"{words.get(part, part)} (`{name}`)"


def _total_loss_body(fn: StudentFn, dev: torch.device, report: _Report) -> None:
    f = "total_loss"
    cases = [
        ("a random batch of 10 samples in training mode", _tiny_config(), ()),
        ("other weights (beta 0.3, KL weight 2, alpha 0.5, temperature 0.5)",
         _tiny_config(bce_weight=0.3, kl_weight=2.0, contrastive_weight=0.5, temperature=0.5),
         ()),
        ("a batch with a sample that has no positive label", _tiny_config(), (2,)),
    ]
    for i, (name, config, empty) in enumerate(cases):
        name = report.case(name)
        model = _tiny_model(config, 10 + i, dev)
        model.train()
        x, y = (t.to(dev) for t in _tiny_batch(10, 20 + i, empty))

        torch.manual_seed(30 + i)
        outputs = model(x, y)
        ok, got = _call(f, name, fn, report, model, outputs, y)
        if not ok:
            continue
        torch.manual_seed(30 + i)
        terms = model.loss(model(x, y), y)
        expected = terms.total
        problem = _tensor_type_problem(f, got, True)
        if problem:
            report.add("type", name, problem)
            continue
        if got.shape != ():
            hint = ("Did you forget to average the KL over the batch (`.mean()`)?"
                    if got.shape == (10,) else "")
            report.add("shape", name, f"Your `{f}` returned shape {_shape(got)} on case "
                       f"'{name}'; expected (): the loss is one number. {hint}".rstrip())
            continue
        if got.device != expected.device:
            report.add("device", name, f"The result of `{f}` is on {got.device.type} but "
                       f"the model is on {dev.type}.")
            continue
        value = float(got.detach())
        if not math.isfinite(value):
            report.add("NaN", name, f"Your `{f}` returned {value} on case '{name}' (the "
                       "package's loss pieces handle samples with no positive label; if you "
                       "wrote your own, check that case).")
            continue
        c = model.config
        if not _allclose(got, expected):
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
            hint = next((h for v, h in variants if math.isclose(value, v, rel_tol=1e-4,
                                                                abs_tol=1e-4)), "")
            if not hint:
                hint = (f"The reference is {c.bce_weight:g} x BCE {bce:.4g} + {c.kl_weight:g} "
                        f"x KL {kl:.4g} + {c.contrastive_weight:g} x contrastive {cl:.4g}: "
                        "check each term (three BCE terms: the label branch and both feature "
                        "samples; the KL on a fresh sample, averaged over the batch; the "
                        "contrastive loss over the label-branch and first feature-sample "
                        "anchors, with `model.config.temperature`).")
            report.add("value", name, f"Wrong value on case '{name}': got "
                       f"{_fmt(value)}, expected {_fmt(float(expected.detach()))}. {hint}")
            continue
        if not got.requires_grad:
            report.add("no-grad", name, "The loss has no gradient: did you call `.detach()` "
                       "or `.item()` on it or on one of its terms?")
            continue
        named = [(n, p) for n, p in model.named_parameters()]
        params = [p for _, p in named]
        g_stu = torch.autograd.grad(got, params, allow_unused=True)
        g_ref = torch.autograd.grad(expected, params, allow_unused=True)
        for (pname, _), a, b in zip(named, g_stu, g_ref):
            if b is None:
                continue
            if a is None or not _allclose(a, b, rtol=1e-3, atol=1e-5):
                report.add("grad", name, f"The gradient for {_param_label(pname)} differs from "
                           "the reference's: is a term of the loss detached (`.detach()`, "
                           "`.item()`, `torch.no_grad()`)?")
                break


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
    return _run_check("total_loss", "check_total_loss", _total_loss_body, student_fn, device,
                      verbose)


def _reference_training_step(model: CGMVAE, optimizer: torch.optim.Optimizer, x: Tensor,
                             y: Tensor) -> float:
    """One step as :func:`minicgmvae.training.fit` takes it."""
    terms = model.loss(model(x, y), y)
    optimizer.zero_grad(set_to_none=True)
    terms.total.backward()
    optimizer.step()
    return float(terms.total.detach())


def _params_equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.allclose(p, q, rtol=1e-5, atol=1e-6)
               for p, q in zip(a.parameters(), b.parameters()))


def _loss_number(f: str, name: str, got: Any, report: _Report) -> float | None:
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
            report.add("type", name, f"Your `{f}` returned a tensor of shape {_shape(got)}; "
                       "return the loss as one number (`loss.item()`).")
            return None
        return float(got)
    try:
        return float(got)
    except (TypeError, ValueError):
        report.add("type", name, f"Your `{f}` returned a {type(got).__name__}; return the "
                   "loss as a Python float (`loss.item()`).")
        return None


def _training_step_body(fn: StudentFn, dev: torch.device, report: _Report) -> None:
    f = "training_step"
    name = report.case("two steps of Adam on one batch of a tiny C-GMVAE")
    model_s = _tiny_model(_tiny_config(), 40, dev)
    model_r = copy.deepcopy(model_s)
    opt_s = torch.optim.Adam(model_s.parameters(), lr=1e-2)
    opt_r = torch.optim.Adam(model_r.parameters(), lr=1e-2)
    model_s.train()
    model_r.train()
    x, y = (t.to(dev) for t in _tiny_batch(12, 41))
    for step in (1, 2):
        before = [p.detach().clone() for p in model_s.parameters()]
        torch.manual_seed(50 + step)
        ok, got = _call(f, name, fn, report, model_s, opt_s, x, y)
        if not ok:
            return
        torch.manual_seed(50 + step)
        expected = _reference_training_step(model_r, opt_r, x, y)
        value = _loss_number(f, name, got, report)
        if value is None:
            return
        if not model_s.training:
            report.add("mode", name, f"Your `{f}` left the model in evaluation mode: training "
                       "needs dropout and two feature samples, so keep `model.train()`.")
            return
        if not math.isclose(value, expected, rel_tol=1e-4, abs_tol=1e-4):
            report.add("value", name, f"Step {step} returned the loss {_fmt(value)}; expected "
                       f"{_fmt(expected)}: compute `total_loss(model, model(x, y), y)` on the "
                       "batch (does `check_total_loss` pass?) and return it before the update.")
            return
        moved = any(not torch.equal(b, p.detach()) for b, p in zip(before, model_s.parameters()))
        if not moved:
            no_grads = all(p.grad is None for p in model_s.parameters())
            hint = ("call `loss.backward()`, then `optimizer.step()`." if no_grads
                    else "did you call `optimizer.step()` after `loss.backward()`?")
            report.add("no-update", name, f"After step {step} the parameters had not "
                       f"changed: {hint}")
            return
        if not _params_equal(model_s, model_r):
            if step == 1:
                hint = ("Zero the gradients, call `loss.backward()` on the total loss, then "
                        "`optimizer.step()`, in that order.")
            else:
                hint = ("The first step was right: did you forget `optimizer.zero_grad()`? "
                        "Gradients add up across steps until they are zeroed.")
            report.add("params", name, f"After step {step} the parameters differ from the "
                       f"reference's. {hint}")
            return


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
    return _run_check("training_step", "check_training_step", _training_step_body,
                      student_fn, device, verbose)


def _reference_train_epoch(model: CGMVAE, optimizer: torch.optim.Optimizer, x: Tensor,
                           y: Tensor, batch_size: int,
                           generator: torch.Generator) -> tuple[float, list[float], list[int]]:
    """One epoch as :func:`minicgmvae.training.fit` runs it; also the batch losses and sizes."""
    model.train()
    losses, sizes = [], []
    for idx in torch.randperm(len(x), generator=generator).to(x.device).split(batch_size):
        losses.append(_reference_training_step(model, optimizer, x[idx], y[idx]))
        sizes.append(len(idx))
    mean = sum(n * v for n, v in zip(sizes, losses)) / len(x)
    return mean, losses, sizes


def _adam_steps(optimizer: torch.optim.Optimizer) -> int:
    for group in optimizer.param_groups:
        for p in group["params"]:
            state = optimizer.state.get(p, {})
            if "step" in state:
                return int(state["step"])
    return 0


def _train_epoch_body(fn: StudentFn, dev: torch.device, report: _Report) -> None:
    f = "train_epoch"
    n, batch = 50, 16
    name = report.case(f"one epoch over {n} samples in batches of {batch}")
    model_s = _tiny_model(_tiny_config(), 60, dev)
    model_r = copy.deepcopy(model_s)
    opt_s = torch.optim.Adam(model_s.parameters(), lr=1e-2)
    opt_r = torch.optim.Adam(model_r.parameters(), lr=1e-2)
    model_s.eval()  # the epoch must switch the model to training mode itself
    model_r.eval()
    x, y = (t.to(dev) for t in _tiny_batch(n, 61))
    torch.manual_seed(62)
    ok, got = _call(f, name, fn, report, model_s, opt_s, x, y, batch, _gen(63))
    if not ok:
        return
    torch.manual_seed(62)
    expected, losses, sizes = _reference_train_epoch(model_r, opt_r, x, y, batch, _gen(63))
    value = _loss_number(f, name, got, report)
    if value is None:
        return
    steps = _adam_steps(opt_s)
    if steps != len(sizes):
        if steps == 0:
            hint = "call `training_step(model, optimizer, xb, yb)` once per batch."
        elif steps == len(sizes) - 1:
            hint = (f"the last, smaller batch ({sizes[-1]} samples) counts too: "
                    "`idx.split(batch_size)` keeps it.")
        else:
            hint = "take one step per batch of `batch_size` samples, the last one included."
        report.add("steps", name, f"Your `{f}` took {steps} optimizer step(s); expected "
                   f"{len(sizes)} for {n} samples in batches of {batch}: {hint}")
        return
    if not _params_equal(model_s, model_r):
        if not model_s.training:
            hint = ("Call `model.train()` first: the model may arrive in evaluation mode "
                    "(after a validation pass), and training needs dropout and two samples.")
        else:
            hint = ("Shuffle with `idx = torch.randperm(len(x), generator=generator)` (then "
                    "`.to(x.device)`), and take the batches `x[b], y[b]` for b in "
                    "`idx.split(batch_size)`, in that order.")
        report.add("params", name, "After the epoch the parameters differ from the "
                   f"reference's. {hint}")
        return
    if not math.isclose(value, expected, rel_tol=1e-4, abs_tol=1e-4):
        unweighted = sum(losses) / len(losses)
        hint = "Return the mean loss per sample over the epoch."
        if math.isclose(value, unweighted, rel_tol=1e-5):
            hint = ("Weight each batch's loss by its size (the last batch is smaller): "
                    "sum(len(batch) * loss) / n.")
        elif math.isclose(value, sum(losses), rel_tol=1e-5):
            hint = "You returned the sum of the batch losses: return their weighted mean."
        elif math.isclose(value, losses[-1], rel_tol=1e-5):
            hint = "You returned the last batch's loss: return the mean over the epoch."
        report.add("value", name, f"Your `{f}` returned {_fmt(value)}; expected "
                   f"{_fmt(expected)}. {hint}")


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
    return _run_check("train_epoch", "check_train_epoch", _train_epoch_body, student_fn,
                      device, verbose)


# =========================================================================== assignment 5
def _number(f: str, name: str, got: Any, report: _Report) -> float | None:
    if got is None:
        report.add("type", name, f"Your `{f}` returned None: did you forget the `return` "
                   "statement?")
        return None
    try:
        return float(got)
    except (TypeError, ValueError):
        report.add("type", name, f"Your `{f}` returned a {type(got).__name__}; expected one "
                   "number (a Python float).")
        return None


def _same(a: float, b: float, tol: float = 1e-9) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol


def _example_f1_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    y = (rng.random((20, 6)) < 0.35).astype(np.int64)
    y[np.arange(20), rng.integers(0, 6, 20)] = 1
    pred = np.where(rng.random((20, 6)) < 0.2, 1 - y, y)
    pred[np.arange(20), rng.integers(0, 6, 20)] = 1
    t4 = np.array([[1, 0, 1, 0], [0, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0]])
    p4 = np.array([[1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 0, 1], [1, 0, 0, 0]])
    p_none = p4.copy()
    p_none[2] = 0
    zeros = np.zeros((3, 4), dtype=np.int64)
    return [
        ("a random 20 x 6 problem", y, pred),
        ("a sample with no true and no predicted label (dropped from the mean)", t4, p4),
        ("a sample with true labels but no predicted label (it scores 0)", t4, p_none),
        ("no sample has a true or a predicted label (undefined: nan)", zeros, zeros),
        ("perfect predictions", y, y.copy()),
    ]


def _example_f1_body(fn: StudentFn, dev: torch.device, report: _Report) -> None:
    f = "example_f1"
    for case, y_true, y_pred in _example_f1_cases():
        name = report.case(case)
        ok, got = _call(f, name, fn, report, y_true.copy(), y_pred.copy())
        if not ok:
            continue
        value = _number(f, name, got, report)
        if value is None:
            continue
        expected = example_f1(y_true, y_pred)
        if _same(value, expected):
            continue
        tp = (y_true & y_pred).sum(1)
        denom = y_true.sum(1) + y_pred.sum(1)
        keep = denom > 0
        ratio = np.divide(2.0 * tp, denom, out=np.zeros(len(denom)), where=keep)
        hint = ("Per sample: 2 |T & P| / (|T| + |P|); then the mean over the samples that have "
                "a true or a predicted label.")
        if math.isnan(expected):
            hint = ("After dropping the samples with no true and no predicted label none is "
                    "left, and the mean of nothing is undefined: return nan "
                    "(`float('nan')`).")
        elif not keep.all() and _same(value, float(np.where(keep, ratio, 1.0).mean())):
            hint = ("You counted a sample with no true and no predicted label as a perfect 1; "
                    "the paper drops such samples from the mean.")
        elif not keep.all() and _same(value, float(ratio.mean())):
            hint = ("You counted a sample with no true and no predicted label as 0; the paper "
                    "drops such samples from the mean.")
        if math.isnan(value) and not math.isnan(expected):
            report.add("NaN", name, f"Your `{f}` returned nan on case '{name}'; expected "
                       f"{_fmt(expected)}. {hint}")
        else:
            report.add("value", name, f"Wrong value on case '{name}': got {_fmt(value)}, "
                       f"expected {_fmt(expected)}. {hint}")


def check_example_f1(student_fn: StudentFn, *, device: DeviceLike = None,
                     verbose: bool = True) -> CheckResult:
    """Check ``example_f1(y_true, y_pred) -> float`` on 0/1 numpy arrays against
    :func:`minicgmvae.metrics.example_f1`: a random problem, a sample with no true and no
    predicted label (dropped), one with labels but no prediction (scores 0), all samples
    empty (nan) and perfect predictions. ``device`` is accepted for uniformity and unused.

    Args:
        student_fn: the student's function.
        device: unused (the metric works on numpy arrays).
        verbose: show the report.
    """
    return _run_check("example_f1", "check_example_f1", _example_f1_body, student_fn, "cpu",
                      verbose)


def _scores_problem(seed: int, n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """0/1 labels and scores of a noisy model: labels of different frequencies, so that the
    metrics peak at different thresholds; ``shift`` moves all scores up or down."""
    rng = np.random.default_rng(seed)
    freq = np.array([0.45, 0.3, 0.2, 0.12, 0.35, 0.06])
    y = (rng.random((n, freq.size)) < freq).astype(np.int64)
    logit = 1.5 * (2 * y - 1) + rng.normal(0.0, 2.2, y.shape) - 0.5 + shift
    return y, 1.0 / (1.0 + np.exp(-logit))


def _paper_cases() -> list[tuple[str, np.ndarray, np.ndarray, tuple[float, ...]]]:
    y, s = _scores_problem(11, 300, 0.0)
    y_missing = y.copy()
    y_missing[:, 5] = 0
    return [
        ("scores of a noisy model (300 samples, 6 labels)", y, s, PAPER_THRESHOLDS),
        ("a label that never occurs in the test set", y_missing, s, PAPER_THRESHOLDS),
        ("other candidate thresholds (0.05, 0.25, 0.5, 0.75, 0.95)", y, s,
         (0.05, 0.25, 0.5, 0.75, 0.95)),
    ]


def _honest_cases() -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    y_val, s_val = _scores_problem(14, 150, 1.2)
    y_test, s_test = _scores_problem(13, 300, 0.0)
    data = (y_val, s_val, y_test, s_test)
    return [
        ("validation and test prefer different thresholds", data, {}),
        ("choosing by example-F1 instead of macro-F1", data, {"select_by": "example_f1"}),
        ("other candidate thresholds (0.05, 0.25, 0.5, 0.75, 0.95)", data,
         {"thresholds": (0.05, 0.25, 0.5, 0.75, 0.95)}),
    ]


def _metric_dict(f: str, name: str, got: Any, report: _Report) -> dict[str, float] | None:
    if isinstance(got, ProtocolResult):
        got = got.metrics
    if not isinstance(got, Mapping):
        report.add("type", name, f"Your `{f}` returned a {type(got).__name__}; expected a "
                   "dict from metric name to value: {'example_f1': ..., 'micro_f1': ..., "
                   "'macro_f1': ..., 'hamming_accuracy': ...}.")
        return None
    missing = [m for m in MAIN_METRICS if m not in got]
    if missing:
        report.add("keys", name, f"The dict your `{f}` returned has no {missing[0]!r} entry; "
                   f"it needs {', '.join(repr(m) for m in MAIN_METRICS)}.")
        return None
    try:
        return {m: float(got[m]) for m in MAIN_METRICS}
    except (TypeError, ValueError):
        report.add("type", name, f"Your `{f}` returned values that are not numbers.")
        return None


def _single_threshold_match(d: Mapping[str, float], y: np.ndarray, s: np.ndarray,
                            thresholds: Sequence[float]) -> float | None:
    """The threshold at which ALL of ``d``'s metrics are attained, if there is one."""
    sweep = threshold_sweep(y, s, thresholds)
    for i, t in enumerate(thresholds):
        if all(_same(d[m], float(sweep[m][i]), 1e-9) for m in MAIN_METRICS):
            return float(t)
    return None


def _first_wrong_metric(f: str, name: str, fn: StudentFn, report: _Report,
                        args: tuple[Any, ...], kwargs: dict[str, Any],
                        ref: ProtocolResult) -> tuple[dict[str, float], str] | None:
    """Call a student's protocol function on one case and compare its four main metrics
    with the reference ``ref``: (their metrics, the first wrong metric), or None when the
    call failed (already reported) or every metric is right."""
    ok, got = _call(f, name, fn, report, *args, **kwargs)
    if not ok:
        return None
    d = _metric_dict(f, name, got, report)
    if d is None:
        return None
    wrong = [m for m in MAIN_METRICS if not _same(d[m], ref.metrics[m])]
    return (d, wrong[0]) if wrong else None


def _paper_body(fn: StudentFn, dev: torch.device, report: _Report) -> None:
    f = "paper_protocol"
    for case, y, s, thresholds in _paper_cases():
        name = report.case(case)
        ref = paper_protocol(y, s, thresholds)
        found = _first_wrong_metric(f, name, fn, report, (y.copy(), s.copy(), thresholds), {},
                                    ref)
        if found is None:
            continue
        d, m = found
        sweep = threshold_sweep(y, s, thresholds)
        one = _single_threshold_match(d, y, s, thresholds)
        fixed_list = paper_protocol(y, s, PAPER_THRESHOLDS).metrics
        if set(thresholds) != set(PAPER_THRESHOLDS) and all(
            _same(d[k], fixed_list[k]) for k in MAIN_METRICS
        ):
            hint = "Use the `thresholds` argument, not a fixed list of thresholds."
        elif one is not None:
            hint = (f"You used one threshold (t = {one:g}) for every metric; the paper takes "
                    "EACH metric at its own best threshold on the test set.")
        elif _same(d[m], float(np.min(sweep[m]))):
            hint = "You took the minimum over the thresholds; the paper takes the maximum."
        elif any(_same(d[m], float(v)) for v in sweep[m]):
            at = [t for t, v in zip(thresholds, sweep[m]) if _same(d[m], float(v))][0]
            hint = (f"That is {m} at t = {at:g}, but its maximum over the thresholds is at "
                    f"t = {ref.thresholds[m]:g}.")
        else:
            hint = ("For each metric: its value at every threshold (predictions are scores >= "
                    "t), then the maximum.")
        report.add("value", name, f"Wrong {m} on case '{name}': got {_fmt(d[m])}, expected "
                   f"{_fmt(ref.metrics[m])}. {hint}")


def check_paper_protocol(student_fn: StudentFn, *, device: DeviceLike = None,
                         verbose: bool = True) -> CheckResult:
    """Check ``paper_protocol(y_test, scores_test, thresholds) -> dict`` (each of the four
    main metrics maximised separately over the thresholds on the test set) against
    :func:`minicgmvae.protocols.paper_protocol`: a noisy model whose metrics peak at different
    thresholds, a label absent from the test set, and other candidate thresholds. A
    :class:`~minicgmvae.protocols.ProtocolResult` is accepted in place of the dict.

    Args:
        student_fn: the student's function.
        device: unused (the metrics work on numpy arrays).
        verbose: show the report.
    """
    return _run_check("paper_protocol", "check_paper_protocol", _paper_body, student_fn, "cpu",
                      verbose)


def _honest_body(fn: StudentFn, dev: torch.device, report: _Report) -> None:
    f = "honest_protocol"
    for case, data, kwargs in _honest_cases():
        name = report.case(case)
        ref = honest_protocol(*data, **kwargs)
        found = _first_wrong_metric(f, name, fn, report, tuple(a.copy() for a in data), kwargs,
                                    ref)
        if found is None:
            continue
        d, m = found
        y_val, s_val, y_test, s_test = data
        thresholds = kwargs.get("thresholds", PAPER_THRESHOLDS)
        select_by = kwargs.get("select_by", "macro_f1")
        t_star = ref.thresholds[m]
        paper = paper_protocol(y_test, s_test, thresholds).metrics
        on_test = honest_protocol(y_test, s_test, y_test, s_test, thresholds, select_by)
        by_macro = honest_protocol(*data, thresholds=thresholds)
        one = _single_threshold_match(d, y_test, s_test, thresholds)
        default_list = honest_protocol(*data, select_by=select_by).metrics
        if thresholds != PAPER_THRESHOLDS and all(
            _same(d[k], default_list[k]) for k in MAIN_METRICS
        ):
            hint = "Use the `thresholds` argument, not a fixed list of thresholds."
        elif all(_same(d[k], paper[k]) for k in MAIN_METRICS):
            hint = ("You maximised each metric on the test set: that is the paper's protocol. "
                    "Choose ONE threshold on the validation set, then apply it to the test set.")
        elif all(_same(d[k], on_test.metrics[k]) for k in MAIN_METRICS):
            hint = ("You chose the threshold on the TEST set; choose it on the validation set "
                    "(`y_val`, `scores_val`), then score the test set with it.")
        elif select_by != "macro_f1" and all(_same(d[k], by_macro.metrics[k])
                                             for k in MAIN_METRICS):
            hint = "You chose by macro-F1; choose by the metric named in `select_by`."
        elif one is not None and one == 0.5 and t_star != 0.5:
            hint = (f"You used t = 0.5; the validation set's best {select_by} is at "
                    f"t = {t_star:g}.")
        elif one is not None:
            hint = (f"You used t = {one:g} for every metric; the validation set's best "
                    f"{select_by} is at t = {t_star:g}.")
        else:
            hint = ("Use ONE threshold for all four metrics: the one that maximises "
                    "`select_by` on the validation set.")
        report.add("value", name, f"Wrong {m} on case '{name}': got {_fmt(d[m])}, expected "
                   f"{_fmt(ref.metrics[m])}. {hint}")


def check_honest_protocol(student_fn: StudentFn, *, device: DeviceLike = None,
                          verbose: bool = True) -> CheckResult:
    """Check ``honest_protocol(y_val, scores_val, y_test, scores_test, thresholds,
    select_by="macro_f1") -> dict``: one threshold chosen on validation, applied to the test
    set, against :func:`minicgmvae.protocols.honest_protocol`. The cases make validation and
    test prefer different thresholds, change ``select_by`` and the candidate thresholds, and
    the messages recognise choosing on the test set, the paper's protocol and t = 0.5.

    Args:
        student_fn: the student's function.
        device: unused (the metrics work on numpy arrays).
        verbose: show the report.
    """
    return _run_check("honest_protocol", "check_honest_protocol", _honest_body, student_fn,
                      "cpu", verbose)


# =========================================================================== assignments
@dataclass(frozen=True)
class Assignment:
    """One assignment of the course kit.

    Attributes:
        name: the notebook's file name without ``.ipynb`` (``book/assignments/<name>.ipynb``).
        title: its title.
        functions: the functions students write, in order.
        checks: the check of each function (names in this module), in the same order.
        api: every name of the package the notebook uses, dotted from ``minicgmvae``
            (``"minicgmvae.load_dataset"``). Renaming any of them needs a deprecation alias.
        chapters: the book chapters it builds on.
        minutes: the expected working time.
    """

    name: str
    title: str
    functions: tuple[str, ...]
    checks: tuple[str, ...]
    api: tuple[str, ...]
    chapters: tuple[str, ...]
    minutes: int


_COMMON_API = ("minicgmvae.__version__", "minicgmvae.get_device", "minicgmvae.checks",
               "minicgmvae.checks.summary")

#: The assignments, in order. ``api`` lists the stable API the course kit relies on.
ASSIGNMENTS: dict[str, Assignment] = {
    a.name: a
    for a in (
        Assignment(
            "a1_reparam_kl", "The reparameterised sample and the Gaussian KL",
            ("reparameterize", "kl_gaussians"),
            ("check_reparameterize", "check_kl_gaussians"),
            _COMMON_API + ("minicgmvae.reparameterize", "minicgmvae.kl_gaussians",
                           "minicgmvae.log_normal", "minicgmvae.checks.check_reparameterize",
                           "minicgmvae.checks.check_kl_gaussians"),
            ("02_vae_basics",), 60,
        ),
        Assignment(
            "a2_mixture_prior", "The mixture prior's log-density",
            ("log_normal", "mixture_log_density"),
            ("check_log_normal", "check_mixture_log_density"),
            _COMMON_API + ("minicgmvae.log_normal", "minicgmvae.mixture_log_density",
                           "minicgmvae.label_set_gaussian", "minicgmvae.checks.check_log_normal",
                           "minicgmvae.checks.check_mixture_log_density"),
            ("02_vae_basics", "03_mixture_prior"), 75,
        ),
        Assignment(
            "a3_contrastive", "The supervised losses: BCE and the contrastive loss",
            ("bce_from_logits", "contrastive_loss"),
            ("check_bce_from_logits", "check_contrastive_loss"),
            _COMMON_API + ("minicgmvae.bce_from_logits", "minicgmvae.contrastive_loss",
                           "minicgmvae.checks.check_bce_from_logits",
                           "minicgmvae.checks.check_contrastive_loss"),
            ("04_contrastive",), 60,
        ),
        Assignment(
            "a4_objective_training", "The total objective and a training loop",
            ("total_loss", "training_step", "train_epoch"),
            ("check_total_loss", "check_training_step", "check_train_epoch"),
            _COMMON_API + ("minicgmvae.load_dataset", "minicgmvae.ModelConfig",
                           "minicgmvae.TrainConfig", "minicgmvae.CGMVAE", "minicgmvae.fit",
                           "minicgmvae.bce_from_logits", "minicgmvae.kl_monte_carlo",
                           "minicgmvae.contrastive_loss", "minicgmvae.training.make_adam",
                           "minicgmvae.model.Outputs", "minicgmvae.macro_f1",
                           "minicgmvae.checks.check_total_loss",
                           "minicgmvae.checks.check_training_step",
                           "minicgmvae.checks.check_train_epoch"),
            ("05_training",), 90,
        ),
        Assignment(
            "a5_evaluation", "The evaluation protocols",
            ("example_f1", "paper_protocol", "honest_protocol"),
            ("check_example_f1", "check_paper_protocol", "check_honest_protocol"),
            _COMMON_API + ("minicgmvae.load_dataset", "minicgmvae.binary_relevance",
                           "minicgmvae.example_f1", "minicgmvae.paper_protocol",
                           "minicgmvae.honest_protocol", "minicgmvae.metrics.PAPER_THRESHOLDS",
                           "minicgmvae.metrics.MAIN_METRICS",
                           "minicgmvae.metrics.threshold_sweep",
                           "minicgmvae.metrics.all_metrics",
                           "minicgmvae.protocols.format_table",
                           "minicgmvae.protocols.fixed_threshold",
                           "minicgmvae.checks.check_example_f1",
                           "minicgmvae.checks.check_paper_protocol",
                           "minicgmvae.checks.check_honest_protocol"),
            ("01_multilabel", "06_evaluation"), 60,
        ),
    )
}


def assignment_of(notebook: Mapping[str, Any], path: str | os.PathLike[str] = "") -> str | None:
    """The :data:`ASSIGNMENTS` key of a notebook: from its metadata
    (``metadata.minicgmvae.assignment``), else from its file name."""
    meta = notebook.get("metadata", {}).get("minicgmvae", {})
    name = meta.get("assignment") if isinstance(meta, Mapping) else None
    if isinstance(name, str) and name in ASSIGNMENTS:
        return name
    stem = Path(path).stem
    for key in ASSIGNMENTS:
        if key in stem or stem.startswith(key[:2] + "_"):
            return key
    return None


# =========================================================================== grading
_GRADER_MARK = "@@minicgmvae-check-results@@"
_COLLECT_SOURCE = (
    "import json as _json\n"
    "import minicgmvae.checks as _checks\n"
    "print(_checks._GRADER_MARK + _json.dumps("
    "[r.to_dict() for r in _checks.recorded_results()]))"
)


@dataclass
class NotebookGrade:
    """What grading one notebook found.

    Attributes:
        notebook: its path.
        assignment: its :data:`ASSIGNMENTS` key (None if unknown).
        results: the latest result of every check that ran, expected checks first.
        missing: expected checks that never ran (a deleted or failing check cell).
        errors: cells that raised, as ``"cell N: ExcType: message"``.
    """

    notebook: str
    assignment: str | None
    results: list[CheckResult]
    missing: list[str]
    errors: list[str]

    @property
    def n_passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def n_checks(self) -> int:
        return len(self.results) + len(self.missing)

    @property
    def passed(self) -> bool:
        """Every expected check ran and passed."""
        return not self.missing and all(r.passed for r in self.results) and bool(self.results)

    def __str__(self) -> str:
        which = f" ({self.assignment})" if self.assignment else ""
        lines = [f"{self.notebook}{which}: {self.n_passed} of {self.n_checks} checks pass."]
        for r in self.results:
            lines += ["  " + line for line in str(r).splitlines()]
        lines += [f"  {FAIL_MARK} {c} did not run." for c in self.missing]
        lines += [f"  ! {e}" for e in self.errors]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "assignment": self.assignment,
            "passed": self.passed,
            "n_passed": self.n_passed,
            "n_checks": self.n_checks,
            "results": [r.to_dict() for r in self.results],
            "missing": list(self.missing),
            "errors": list(self.errors),
        }


def grade_notebook(
    path: str | os.PathLike[str],
    *,
    timeout: int = 600,
    kernel_name: str = "python3",
    cwd: str | os.PathLike[str] | None = None,
) -> NotebookGrade:
    """Execute a notebook from scratch and collect the results of its checks.

    Every cell runs in a fresh kernel (errors do not stop the run; they are listed), then one
    more cell reads the recorded results from the kernel. The notebook file is not changed.
    Grading runs the student's code: do it in a container or a throw-away account.

    Args:
        path: the ``.ipynb`` file.
        timeout: seconds allowed per cell.
        kernel_name: the Jupyter kernel to run it with.
        cwd: the working directory of the kernel (default: the notebook's folder).
    """
    try:
        import nbclient
        import nbformat
    except ImportError as exc:  # pragma: no cover - the book/test extras install both
        raise ImportError(
            "Grading notebooks needs nbclient and nbformat: pip install nbclient nbformat"
        ) from exc
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    assignment = assignment_of(nb, path)
    nb.cells.append(nbformat.v4.new_code_cell(_COLLECT_SOURCE))
    client = nbclient.NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        allow_errors=True,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": str(cwd or path.parent)}},
    )
    errors: list[str] = []
    try:
        client.execute()
    except Exception as exc:  # kernel died, timeout of the collector cell, ...
        errors.append(f"the notebook could not run to the end: {type(exc).__name__}: "
                      f"{_first_line(exc)}")
    for i, cell in enumerate(nb.cells[:-1]):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
    found: list[CheckResult] = []
    for out in nb.cells[-1].get("outputs", []):
        text = out.get("text", "") if out.get("output_type") == "stream" else ""
        for line in text.splitlines():
            if line.startswith(_GRADER_MARK):
                found = [CheckResult.from_dict(d) for d in json.loads(line[len(_GRADER_MARK):])]
    by_check = {r.check: r for r in found}
    expected = ASSIGNMENTS[assignment].checks if assignment else tuple(by_check)
    results = [by_check[c] for c in expected if c in by_check]
    results += [r for r in found if r.check not in expected]
    missing = [c for c in expected if c not in by_check]
    return NotebookGrade(str(path), assignment, results, missing, errors)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m minicgmvae.checks NOTEBOOK...``: grade notebooks; exit 0 if all pass."""
    parser = argparse.ArgumentParser(
        prog="python -m minicgmvae.checks",
        description="Run course-assignment notebooks from scratch and report their checks.",
    )
    parser.add_argument("notebooks", nargs="+", help="the .ipynb files to grade")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    grades = []
    for nb in args.notebooks:
        if not Path(nb).is_file():
            parser.error(f"no such notebook: {nb}")
        grade = grade_notebook(nb, timeout=args.timeout, kernel_name=args.kernel)
        grades.append(grade)
        if not args.json:
            print(grade, flush=True)
    if args.json:
        print(json.dumps([g.to_dict() for g in grades], indent=2))
    return 0 if all(g.passed for g in grades) else 1

