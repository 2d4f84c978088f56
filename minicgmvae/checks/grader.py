"""The grader: ``python -m minicgmvae.checks NOTEBOOK...`` runs assignment notebooks from
scratch and reports their checks (:func:`grade_notebook`, :func:`main`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .assignments import ASSIGNMENTS, assignment_of
from .harness import _first_line
from .results import FAIL_MARK, CheckResult

_GRADER_MARK = "@@minicgmvae-check-results@@"
#: The cell appended to a graded notebook: it prints the kernel's recorded results.
_COLLECT_SOURCE = (
    "import json as _json\n"
    "import minicgmvae.checks as _checks\n"
    f"print({_GRADER_MARK!r} + _json.dumps("
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


_DEPRECATED = (
    "minicgmvae.checks.grade_notebook and python -m minicgmvae.checks are deprecated: grade "
    "with nbgrader (nbgrader autograde; the course folder course/ and the instructor page "
    "show how)"
)


def grade_notebook(
    path: str | os.PathLike[str],
    *,
    timeout: int = 600,
    kernel_name: str = "python3",
    cwd: str | os.PathLike[str] | None = None,
) -> NotebookGrade:
    """Execute a notebook from scratch and collect the results of its checks.

    Deprecated: grade with nbgrader (the course folder ``course/``; see the instructor page),
    which runs the same checks in its autograder test cells. This grader stays, with a
    DeprecationWarning, for courses that already use it.

    Every cell runs in a fresh kernel (errors do not stop the run; they are listed), then one
    more cell reads the recorded results from the kernel. The notebook file is not changed.
    Grading runs the student's code: do it in a container or a throw-away account.

    Args:
        path: the ``.ipynb`` file.
        timeout: seconds allowed per cell.
        kernel_name: the Jupyter kernel to run it with.
        cwd: the working directory of the kernel (default: the notebook's folder).
    """
    warnings.warn(_DEPRECATED, DeprecationWarning, stacklevel=2)
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
    errors += _cell_errors(nb.cells[:-1])
    return _grade(str(path), assignment, _collected_results(nb.cells[-1]), errors)


def _cell_errors(cells: Sequence[Any]) -> list[str]:
    """``"cell N: ExcType: message"`` for every error output of the executed cells."""
    return [
        f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
        for i, cell in enumerate(cells)
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def _collected_results(cell: Any) -> list[CheckResult]:
    """The results that the collector cell printed (the last such line wins)."""
    found: list[CheckResult] = []
    for out in cell.get("outputs", []):
        text = out.get("text", "") if out.get("output_type") == "stream" else ""
        for line in text.splitlines():
            if line.startswith(_GRADER_MARK):
                found = [CheckResult.from_dict(d) for d in json.loads(line[len(_GRADER_MARK):])]
    return found


def _grade(notebook: str, assignment: str | None, found: list[CheckResult],
           errors: list[str]) -> NotebookGrade:
    """The assignment's expected checks first, in order, then any others that ran."""
    by_check = {r.check: r for r in found}
    expected = ASSIGNMENTS[assignment].checks if assignment else tuple(by_check)
    results = [by_check[c] for c in expected if c in by_check]
    results += [r for r in found if r.check not in expected]
    missing = [c for c in expected if c not in by_check]
    return NotebookGrade(notebook, assignment, results, missing, errors)


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
    print(f"note: {_DEPRECATED}", file=sys.stderr)
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
