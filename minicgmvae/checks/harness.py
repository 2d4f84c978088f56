"""What every check shares: running a check's body (:func:`run_check`) with its own random
state, calling the student's function so that nothing it does escapes (:func:`call_student`),
collecting the problems found (:class:`Report`), and saying things in plain words
(exceptions, numbers, shapes, positions).

Its public names are for the check modules; :mod:`minicgmvae.checks` does not export them.
"""

from __future__ import annotations

import contextlib
import math
import os
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ..device import get_device
from .guard import OwnCodeWatch, UsedPackage, watch_own_code
from .results import NOT_IMPLEMENTED, CheckResult, record

DeviceLike = str | torch.device | None
StudentFn = Callable[..., Any]

# Set this environment variable to let an error inside a check itself (not in the student's
# function) propagate, instead of being reported as a message. The tests set it.
STRICT_ENV = "MINICGMVAE_CHECKS_STRICT"

_MAX_MESSAGES = 4


class _NotImplementedYet(Exception):
    """Raised inside a check when the student's function raises NotImplementedError."""


class Report:
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


#: A check's body: calls the student's function on its cases and reports what it finds.
CheckBody = Callable[[StudentFn, torch.device, Report], None]


def run_check(
    function: str,
    check: str,
    body: CheckBody,
    student_fn: StudentFn,
    device: DeviceLike,
    verbose: bool,
) -> CheckResult:
    """Run ``body`` with isolated random state, turn what it found into a result, record the
    result and (if ``verbose``) show it."""
    if callable(student_fn):
        result = _run_body(function, check, body, student_fn, device)
    else:
        result = CheckResult(
            function, False,
            [f"`{check}` needs your function itself, e.g. `{check}({function})`; "
             f"got a {type(student_fn).__name__}."],
            check=check,
        )
    record(result)
    if verbose:
        result.show()
    return result


def _run_body(function: str, check: str, body: CheckBody, student_fn: StudentFn,
              device: DeviceLike) -> CheckResult:
    """The result of ``body`` on the student's function: passed, failed with messages, not
    implemented yet, or (outside strict mode) a check that could not finish."""
    report = Report(function)
    try:
        dev = get_device("auto" if device is None else device)
        with _isolated_rng(dev):
            body(student_fn, dev, report)
        return CheckResult(function, report.ok, report.messages(), report.cases, check=check)
    except _NotImplementedYet:
        message = (
            f"`{function}` is {NOT_IMPLEMENTED}: replace the line "
            "`raise NotImplementedError(...)` with your code, run its cell, then run "
            "this check again."
        )
        return CheckResult(function, False, [message], report.cases, check, True)
    except UsedPackage as exc:  # the whole check fails: the package did the work
        return CheckResult(function, False, [str(exc)], report.cases, check=check)
    except Exception as exc:  # a problem in the check itself, not in the student's code
        if os.environ.get(STRICT_ENV):
            raise
        message = (
            f"The check could not finish ({type(exc).__name__}: {first_line(exc)}). "
            "This is probably a problem with the check, not with your code: tell your "
            "instructor."
        )
        return CheckResult(function, False, [message], report.cases, check=check)


@contextlib.contextmanager
def _isolated_rng(device: torch.device) -> Iterator[None]:
    """Fork the global random state: a check leaves the notebook's random numbers alone."""
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        yield


def seeded_generator(seed: int) -> torch.Generator:
    """A CPU generator of its own, so that a case's inputs depend on nothing else."""
    return torch.Generator().manual_seed(seed)


# =========================================================================== the student's call
def call_student(function: str, case: str, fn: StudentFn, report: Report, *args: Any,
                  **kwargs: Any) -> tuple[bool, Any]:
    """Call the student's function; (True, value), or (False, None) with the problem noted."""
    # Only the student's call is watched: the check's reference computation runs outside.
    watch = watch_own_code(function)
    try:
        with warnings.catch_warnings(), watch:
            warnings.simplefilter("ignore")
            value = fn(*args, **kwargs)
    except NotImplementedError:
        _raise_if_used_package(watch)
        raise _NotImplementedYet() from None
    except Exception as exc:
        _raise_if_used_package(watch)
        report.add("raised", case, _describe_exception(function, case, exc, fn))
        return False, None
    _raise_if_used_package(watch)
    return True, value


def _raise_if_used_package(watch: OwnCodeWatch) -> None:
    problem = watch.problem()
    if problem:
        raise UsedPackage(problem)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def _student_line(exc: BaseException, fn: StudentFn) -> str:
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
    first = first_line(exc)
    text = f"Your `{function}` raised {type(exc).__name__}{_student_line(exc, fn)} on case '{case}'"
    if first and not first.endswith((".", "!", "?")):
        first += "."
    return text + (f": {first}" if first else ".") + _exception_hint(exc)


# =========================================================================== plain words
def format_number(x: float) -> str:
    """Four significant digits (``nan`` for NaN)."""
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    return f"{x:.4g}"


def format_shape(t: Tensor | torch.Size | tuple[int, ...]) -> str:
    """A shape as Python writes a tuple: ``(8,)``, ``(8, 5)``, ``()``."""
    dims = tuple(t.shape) if isinstance(t, Tensor) else tuple(t)
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def describe_position(index: tuple[int, ...], shape: tuple[int, ...], word: str) -> str:
    """Where an entry is: ' for sample 3' in a vector, ' at index (1, 2)' beyond."""
    if not shape:
        return ""
    if len(shape) == 1:
        return f" for {word} {index[0]}"
    return f" at index {index}"
