"""A check's result, and the results recorded in this process.

:class:`CheckResult` is what every check returns: shown as a short report in a notebook (as
Markdown) or a terminal (as text), and convertible to and from JSON for the grader. Each run
is recorded here (:func:`record`), so that :func:`summary` can list a notebook's checks and
the grader can collect them (:func:`recorded_results`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .assignments import ASSIGNMENTS

PASS_MARK = "✅"
FAIL_MARK = "❌"
TODO_MARK = "✏️"
NOT_IMPLEMENTED = "not implemented yet"


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


# =========================================================================== the record
#: The latest result of every check run in this process, by check name, in the order of
#: their latest run.
_RESULTS: dict[str, CheckResult] = {}


def record(result: CheckResult) -> None:
    """Keep ``result`` as the latest of its check (a re-run moves the check to the end)."""
    _RESULTS.pop(result.check, None)
    _RESULTS[result.check] = result


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
