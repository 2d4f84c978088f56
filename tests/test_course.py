"""The course kit in nbgrader: the source notebooks (course/source/), the student release in the
book (book/assignments/), and autograding with nbgrader's own commands.

1. The source notebooks: one per assignment, whose nbgrader metadata (valid for nbgrader
   0.9.6) marks each function students write as a solution cell with a ``### BEGIN
   SOLUTION`` region, each check as an autograded test cell with points, and every other
   cell read-only.
2. The book shows the student release and nothing else: ``book/assignments/<name>.ipynb`` is
   exactly what ``nbgrader generate_assignment`` makes of the source (outputs aside), so
   the two cannot drift; run ``bash course/release.sh`` after editing a source notebook.
3. Autograding (``@pytest.mark.slow``), in a temporary course folder: nbgrader generates the
   release, then autogrades submissions in ``submitted/<student>/<assignment>/``: the
   release with the reference solutions filled in (full points), the release unchanged (no
   points, and each test cell says in the check's words that the function is not
   implemented yet) and, for assignment 1, a typical mistake (its check's hint).
"""

from __future__ import annotations

import ast
import functools
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import nbformat
import pytest

from minicgmvae import checks

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "course"
BOOK = REPO / "book" / "assignments"
NAMES = list(checks.ASSIGNMENTS)
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
GRADED_ASSERT = "assert result.passed or not grading(), str(result)"
PORT_RACE = "zmq.error.ZMQError: Address already in use"
NOT_IMPLEMENTED_HINT = ("is not implemented yet: replace the line "
                        "`raise NotImplementedError(...)` with your code")


@pytest.fixture
def kernel_env(data_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Notebook kernels inherit the data mirror, the cache and one thread."""
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    monkeypatch.setenv("MKL_NUM_THREADS", os.environ.get("MKL_NUM_THREADS", "1"))


def source_notebook(name: str) -> nbformat.NotebookNode:
    return nbformat.read(COURSE / "source" / name / f"{name}.ipynb", as_version=4)


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    return dict(cell.metadata.get("nbgrader", {}))


def points(name: str) -> dict[str, float]:
    """grade_id -> points of the autograded test cells of an assignment's source."""
    return {m["grade_id"]: m["points"] for m in map(nbgrader_meta, source_notebook(name).cells)
            if m.get("grade")}


def strip_solution_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() not in (BEGIN, END))


# ============================================================== 1. the source notebooks
@pytest.mark.parametrize("name", NAMES)
def test_source_notebook_marks_solutions_tests_and_read_only_cells(name: str) -> None:
    nb = source_notebook(name)
    assignment = checks.ASSIGNMENTS[name]
    assert nb.metadata["minicgmvae"]["assignment"] == name
    metas = [nbgrader_meta(c) for c in nb.cells]
    assert all(m.get("schema_version") == 3 for m in metas), "every cell has nbgrader metadata"
    ids = [m["grade_id"] for m in metas]
    assert len(set(ids)) == len(ids), "grade_id must be unique"
    assert all(re.fullmatch(r"[\w-]+", i) for i in ids)

    solutions = [(i, c) for i, c in enumerate(nb.cells) if metas[i]["solution"]]
    assert [m["grade_id"] for m in metas if m["solution"]] == list(assignment.functions)
    for (i, cell), function, check in zip(solutions, assignment.functions, assignment.checks):
        assert cell.cell_type == "code" and not metas[i]["grade"] and not metas[i]["locked"]
        lines = [line.strip() for line in cell.source.splitlines()]
        assert lines.count(BEGIN) == 1 and lines.count(END) == 1, function
        assert lines[lines.index(BEGIN) - 1].startswith("# TODO: "), "the hint students keep"
        (fn,) = [n for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
        assert fn.name == function and ast.get_docstring(fn)
        test, meta = nb.cells[i + 1], metas[i + 1]
        assert meta["grade"] and meta["locked"] and not meta["solution"]
        assert meta["grade_id"] == check and meta["points"] > 0
        # no notebook global takes part: the cell imports what it uses
        assert f"from minicgmvae.checks import {check}, grading\n" in test.source
        assert f"result = {check}({function})" in test.source
        assert test.source.rstrip().endswith(GRADED_ASSERT)
    graded = [m for m in metas if m["grade"]]
    assert len(graded) == len(assignment.checks), "only the checks are autograded"
    others = [m for m in metas if not m["solution"]]
    assert all(m["locked"] for m in others), "every cell but the solutions is read-only"
    assert not any("GRADING" in c.source for c in nb.cells), "grading() decides, not a global"
    install = next(c for c, m in zip(nb.cells, metas) if m["grade_id"] == "colab_install")
    assert 'if installed != RELEASE and "NBGRADER_EXECUTION" in os.environ:' in install.source
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("name", NAMES)
def test_source_notebook_metadata_is_valid_for_nbgrader(name: str) -> None:
    pytest.importorskip("nbgrader")
    from nbgrader.nbgraderformat import MetadataValidator

    MetadataValidator().validate_nb(source_notebook(name))


def test_instructor_page_gives_the_points_of_every_check() -> None:
    page = (BOOK / "instructor.md").read_text(encoding="utf-8")
    for name in NAMES:
        pts = points(name)
        row = " + ".join(f"{p:g}" for p in pts.values()) + f" = {sum(pts.values()):g}"
        assert row in page, f"{name}: the points {row} are not on the instructor page"
    total = sum(sum(points(n).values()) for n in NAMES)
    assert f"{total:g} points" in page
    for command in ("nbgrader generate_assignment", "nbgrader release_assignment",
                    "nbgrader collect", "nbgrader autograde", "nbgrader generate_feedback",
                    "course/source/", "bash course/release.sh",
                    # the grading machine: data offline, tampering, time per submission
                    "## Grading machine", "MINICGMVAE_DATA_DIR", "Missing grade cell",
                    "has changed", "**How long it takes.**", "s per submission"):
        assert command in page, command


# ============================================================== nbgrader, in a course folder
def nbgrader(root: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``nbgrader ARGS`` in the course folder ``root``; fail on a non-zero exit."""
    env = dict(os.environ)
    # nbgrader runs `alembic` (its gradebook migrations) from PATH
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    run = functools.partial(subprocess.run, [sys.executable, "-m", "nbgrader", *args], cwd=root,
                            env=env, capture_output=True, text=True, timeout=timeout)
    proc = run()
    if proc.returncode != 0 and PORT_RACE in proc.stderr and "--force" in args:
        # jupyter_client picks a kernel's TCP ports by binding and releasing them, so a
        # kernel started at the same moment by another test worker can take one first.
        # That is the machine's race, not the course's: with --force nothing from the first
        # try is kept, so run once more and say so.
        warnings.warn(f"nbgrader {args[0]}: a kernel lost its port to another process "
                      "(ZMQ 'Address already in use'); ran it once more", stacklevel=2)
        proc = run()
    assert proc.returncode == 0, f"nbgrader {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    assert "ERROR" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    """A fresh nbgrader course folder: the repository's config and source notebooks."""
    pytest.importorskip("nbgrader")
    root = tmp_path / "course"
    shutil.copytree(COURSE / "source", root / "source")
    shutil.copy(COURSE / "nbgrader_config.py", root)
    return root


def comparable(nb: nbformat.NotebookNode) -> dict:
    """A notebook without its outputs and execution records."""
    cells = [(c.get("id"), c.cell_type, c.source,
              {k: v for k, v in c.metadata.items() if k != "execution"}) for c in nb.cells]
    return {"cells": cells,
            "metadata": {k: nb.metadata.get(k) for k in ("kernelspec", "minicgmvae")}}


# ============================================================== 2. the release in the book
def test_book_assignments_are_the_nbgrader_release(course_dir: Path) -> None:
    nbgrader(course_dir, "generate_assignment", "*", "--force", "--no-db", timeout=300)
    for name in NAMES:
        released = nbformat.read(course_dir / "release" / name / f"{name}.ipynb", as_version=4)
        book = nbformat.read(BOOK / f"{name}.ipynb", as_version=4)
        assert comparable(book) == comparable(released), (
            f"book/assignments/{name}.ipynb is not the release of course/source/{name}: "
            "run `bash course/release.sh`"
        )
    assert sorted(p.name for p in (course_dir / "release").iterdir()) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_book_shows_no_solution(name: str) -> None:
    book = nbformat.read(BOOK / f"{name}.ipynb", as_version=4)
    text = "\n".join(c.source for c in book.cells)
    assert BEGIN not in text and END not in text
    for cell in source_notebook(name).cells:
        if nbgrader_meta(cell)["solution"]:
            region = cell.source.split(BEGIN)[1].split(END)[0]
            for line in region.splitlines():
                if len(line.strip()) > 12:  # a line of the solution, not `return x`
                    assert line.strip() not in text, f"{name} shows its solution: {line}"
    assert not list(BOOK.glob("**/source")), "no nbgrader source folder under book/"


# ============================================================== 3. autograding
def submit(root: Path, student: str, name: str, nb: nbformat.NotebookNode) -> None:
    folder = root / "submitted" / student / name
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")


def with_code(released: nbformat.NotebookNode, code: dict[str, str]) -> nbformat.NotebookNode:
    """The released notebook with the solution cells of these grade_ids replaced."""
    nb = nbformat.from_dict(released)
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in code:
            cell.source = code[gid]
    return nb


def error_outputs(nb: nbformat.NotebookNode) -> dict[str, list[dict]]:
    """grade_id -> the error outputs of that cell."""
    return {nbgrader_meta(c).get("grade_id", f"cell {i}"):
            [o for o in c.get("outputs", []) if o.output_type == "error"]
            for i, c in enumerate(nb.cells) if c.cell_type == "code"}


def reports(cell: nbformat.NotebookNode) -> list[str]:
    """The plain text of the reports a cell displayed."""
    return [o.data["text/plain"] for o in cell.get("outputs", [])
            if o.output_type == "display_data" and "text/plain" in o.get("data", {})]


def plain(traceback: list[str]) -> str:
    return re.sub(r"\x1b\[[\d;]*m", "", "\n".join(traceback))


@pytest.mark.slow
def test_nbgrader_autogrades_solutions_and_the_untouched_release(
    course_dir: Path, kernel_env: None
) -> None:
    from nbgrader.api import Gradebook

    root = course_dir
    started = time.perf_counter()
    nbgrader(root, "generate_assignment", "*", "--force", timeout=600)
    solutions = {}
    for name in NAMES:
        released = nbformat.read(root / "release" / name / f"{name}.ipynb", as_version=4)
        solved_code = {nbgrader_meta(c)["grade_id"]: strip_solution_markers(c.source)
                       for c in source_notebook(name).cells if nbgrader_meta(c)["solution"]}
        solutions[name] = solved_code
        submit(root, "solved", name, with_code(released, solved_code))
        submit(root, "untouched", name, released)
    # a typical mistake in assignment 1: exp(logvar), the variance, used as sigma
    a1 = "a1_reparam_kl"
    wrong = solutions[a1]["reparameterize"].replace("torch.exp(0.5 * logvar)",
                                                    "torch.exp(logvar)")
    assert wrong != solutions[a1]["reparameterize"]
    released_a1 = nbformat.read(root / "release" / a1 / f"{a1}.ipynb", as_version=4)
    submit(root, "sigma_mistake", a1,
           with_code(released_a1, {**solutions[a1], "reparameterize": wrong}))

    nbgrader(root, "autograde", "*", "--force", timeout=1800)
    nbgrader(root, "generate_feedback", a1, "--force", timeout=600)
    elapsed = time.perf_counter() - started

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        scores = {(s.student.id, s.assignment.name): (s.score, s.max_score)
                  for name in NAMES for s in gb.assignment_submissions(name)}
    report = "\n".join(f"{student:>13s} {name:22s} {got:g} of {top:g}"
                       for (student, name), (got, top) in sorted(scores.items()))
    print(f"nbgrader generate + autograde + feedback: {elapsed:.0f} s\n{report}")
    for name in NAMES:
        top = sum(points(name).values())
        assert scores["solved", name] == (top, top), report
        assert scores["untouched", name] == (0, top), report
    assert scores["sigma_mistake", a1] == (points(a1)["check_kl_gaussians"], 10), report

    for name in NAMES:
        assignment = checks.ASSIGNMENTS[name]
        solved = nbformat.read(root / "autograded" / "solved" / name / f"{name}.ipynb", 4)
        assert not any(error_outputs(solved).values()), error_outputs(solved)
        untouched = nbformat.read(root / "autograded" / "untouched" / name / f"{name}.ipynb", 4)
        errors = error_outputs(untouched)
        assert {k for k, v in errors.items() if v} == set(assignment.checks), errors
        for function, check in zip(assignment.functions, assignment.checks):
            (error,) = errors[check]
            assert error.ename == "AssertionError"
            assert error.evalue == (f"{checks.TODO_MARK} `{function}` {NOT_IMPLEMENTED_HINT}, "
                                    "run its cell, then run this check again.")
            shown = plain(error.traceback)  # the cell's lines only, no frame of the package
            assert "minicgmvae/" not in shown and "site-packages" not in shown, shown
        # the same words as the check's report in the cell, and as the book's copy shows
        # (run without nbgrader: Colab, a local Jupyter)
        book = nbformat.read(BOOK / f"{name}.ipynb", as_version=4)
        for graded, alone in zip(untouched.cells, book.cells):
            if nbgrader_meta(graded).get("grade"):
                (error,) = [o for o in graded.outputs if o.output_type == "error"]
                assert reports(graded) == reports(alone) == [error.evalue]

    mistake = nbformat.read(root / "autograded" / "sigma_mistake" / a1 / f"{a1}.ipynb", 4)
    (error,) = error_outputs(mistake)["check_reparameterize"]
    assert error.evalue.startswith(f"{checks.FAIL_MARK} reparameterize: ")
    assert "exp(logvar), the variance" in error.evalue, error.evalue
    assert reports(next(c for c in mistake.cells
                        if nbgrader_meta(c).get("grade_id") == "check_reparameterize")
                   ) == [error.evalue]
    assert not error_outputs(mistake)["check_kl_gaussians"]
    feedback = (root / "feedback" / "sigma_mistake" / a1 / f"{a1}.html").read_text()
    assert "exp(logvar), the variance" in feedback
    assert "Score: 6.0 / 10.0" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", feedback))
