"""Grading a student cannot talk its way past, under nbgrader itself (``@pytest.mark.slow``).

One ``nbgrader autograde`` call grades every submission below, in a temporary course folder
(tests/test_course.py grades the reference solutions, the untouched release and a typical
mistake the same way; this file runs beside it, on another test worker):

- ``alias``: the package's function under the student's name (a one-line adapter where the
  package's signature differs); in assignment 1 for both functions, elsewhere for every
  function but the last, which the student writes (the reference solution);
- ``wrapper``: a wrapper around a reference captured before the check runs; in assignment 1
  for both functions, elsewhere for every function but the first, which the student writes;
- ``grading_off``: the stubs left as they are and ``GRADING = False`` written at the end of an
  answer cell (elsewhere than assignment 1, also ``NBGRADER_EXECUTION`` removed from
  ``os.environ``; the first function written);
- ``tampered`` (assignment 1): the stubs, ``NBGRADER_EXECUTION`` removed from
  ``os.environ`` in an answer cell, the first test cell changed to ``pass`` and the second
  deleted: nbgrader puts both cells back (``add_missing_cells`` in the course's config) and
  says so in its log, and the checks still grade.

Each scores the points of the functions it wrote and nothing else: assignment 1's four score
0 of 10. The datasets come from the instructor's folder (``MINICGMVAE_DATA_DIR``), with no
mirror and no way to download: the grading machine is offline.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from test_course import (
    COURSE,
    NAMES,
    error_outputs,
    nbgrader,
    nbgrader_meta,
    points,
    source_notebook,
    strip_solution_markers,
    submit,
    with_code,
)

from minicgmvae import checks

from helpers import cheats

A1 = "a1_reparam_kl"
GRADING_OFF = "\n\nGRADING = False\n"
ENVIRON_OFF = "\n\nimport os\n\nos.environ.pop(\"NBGRADER_EXECUTION\", None)\n"


def plan(name: str) -> dict[str, dict[str, str]]:
    """kind -> {function: "written" | "alias" | "wrapper" | "stub"} for one assignment."""
    functions = checks.ASSIGNMENTS[name].functions
    first, last = functions[0], functions[-1]
    if name == A1:
        return {"alias": {f: "alias" for f in functions},
                "wrapper": {f: "wrapper" for f in functions},
                "grading_off": {f: "stub" for f in functions},
                "tampered": {f: "stub" for f in functions}}
    return {"alias": {f: "written" if f == last else "alias" for f in functions},
            "wrapper": {f: "written" if f == first else "wrapper" for f in functions},
            "grading_off": {f: "written" if f == first else "stub" for f in functions}}


def answers(name: str, kind: str, released: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id -> the answer cell's source."""
    solved = {nbgrader_meta(c)["grade_id"]: strip_solution_markers(c.source)
              for c in source_notebook(name).cells if nbgrader_meta(c)["solution"]}
    stubs = {nbgrader_meta(c)["grade_id"]: c.source
             for c in released.cells if nbgrader_meta(c).get("solution")}
    code = {}
    for function, how in plan(name)[kind].items():
        code[function] = {"written": solved[function], "stub": stubs[function]}.get(
            how) or cheats.answer(how, function)
    functions = checks.ASSIGNMENTS[name].functions
    last = functions[-1]
    if kind == "grading_off":
        code[last] += GRADING_OFF + ("" if name == A1 else ENVIRON_OFF)
    if kind == "tampered":
        code[functions[0]] += ENVIRON_OFF
    return code


def expected_score(name: str, kind: str) -> float:
    pts = points(name)
    assignment = checks.ASSIGNMENTS[name]
    return sum(pts[c] for f, c in zip(assignment.functions, assignment.checks)
               if plan(name)[kind][f] == "written")


def tampered(nb: nbformat.NotebookNode, tests: tuple[str, ...]) -> nbformat.NotebookNode:
    """The first test cell made to pass whatever happens, the second deleted."""
    first, second = tests[:2]
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == first:
            cell.source = "pass"
    nb.cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") != second]
    return nb


@pytest.fixture
def offline_course(tmp_path: Path, session_data_dir: Path, shared_mirror: Path | None,
                   monkeypatch: pytest.MonkeyPatch) -> Path:
    """A course folder, and the instructor's copy of yeast in a folder of its own
    (MINICGMVAE_DATA_DIR), with no mirror and no network: nothing can be downloaded."""
    pytest.importorskip("nbgrader")
    data = tmp_path / "data"
    source = shared_mirror if shared_mirror is not None else session_data_dir
    if not (source / "yeast" / "yeast-train.arff").is_file():
        import minicgmvae

        minicgmvae.load_dataset("yeast", cache_dir=source)
    (data / "yeast").mkdir(parents=True)
    for f in ("yeast-train.arff", "yeast-test.arff", "yeast.xml"):
        shutil.copy(source / "yeast" / f, data / "yeast" / f)
    monkeypatch.setenv("MINICGMVAE_DATA_DIR", str(data))
    monkeypatch.delenv("MINICGMVAE_DATA_MIRROR", raising=False)
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")  # a port where nothing listens
    for exempt in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(exempt, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    monkeypatch.setenv("MKL_NUM_THREADS", os.environ.get("MKL_NUM_THREADS", "1"))
    root = tmp_path / "course"
    shutil.copytree(COURSE / "source", root / "source")
    shutil.copy(COURSE / "nbgrader_config.py", root)
    return root


@pytest.mark.slow
def test_cheating_submissions_score_only_what_they_wrote(offline_course: Path) -> None:
    from nbgrader.api import Gradebook

    root = offline_course
    nbgrader(root, "generate_assignment", "*", "--force", timeout=600)
    n = 0
    for name in NAMES:
        released = nbformat.read(root / "release" / name / f"{name}.ipynb", as_version=4)
        for kind in plan(name):
            nb = with_code(released, answers(name, kind, released))
            if kind == "tampered":
                nb = tampered(nb, checks.ASSIGNMENTS[name].checks)
            submit(root, kind, name, nb)
            n += 1
    started = time.perf_counter()
    log = nbgrader(root, "autograde", "*", "--force", timeout=1800).stderr
    elapsed = time.perf_counter() - started
    assert "Attribute 'checksum' for cell check_reparameterize has changed" in log, log
    assert "Missing grade cell check_kl_gaussians encountered, adding to notebook" in log, log

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        scores = {(s.student.id, s.assignment.name): (s.score, s.max_score)
                  for name in NAMES for s in gb.assignment_submissions(name)}
    report = "\n".join(f"{kind:>12s} {name:22s} {got:g} of {top:g}"
                       for (kind, name), (got, top) in sorted(scores.items()))
    print(f"nbgrader autograde: {n} submissions in {elapsed:.0f} s "
          f"({elapsed / n:.1f} s each)\n{report}")
    for name in NAMES:
        for kind in plan(name):
            assert scores[kind, name] == (expected_score(name, kind), 10), report
    for kind in plan(A1):
        assert scores[kind, A1] == (0, 10), report

    for name in NAMES:
        assignment = checks.ASSIGNMENTS[name]
        for kind in plan(name):
            graded = nbformat.read(root / "autograded" / kind / name / f"{name}.ipynb", 4)
            errors = error_outputs(graded)
            for function, check in zip(assignment.functions, assignment.checks):
                how = plan(name)[kind][function]
                if how == "written":
                    assert not errors[check], (kind, name, errors[check])
                    continue
                (error,) = errors[check]
                assert error.ename == "AssertionError"
                expected = (f"`{function}` calls minicgmvae's own version" if how != "stub"
                            else f"`{function}` is not implemented yet")
                assert expected in error.evalue, (kind, name, error.evalue)


@pytest.mark.parametrize("name", [n for n in NAMES if "load_dataset" in str(source_notebook(n))])
def test_without_the_data_the_setup_cell_says_in_one_line_what_to_set(
    name: str, tmp_path: Path
) -> None:
    import subprocess
    import sys

    setup = next(c.source for c in source_notebook(name).cells
                 if nbgrader_meta(c).get("grade_id") == "setup")
    env = {k: v for k, v in os.environ.items()
           if k not in ("MINICGMVAE_DATA_MIRROR", "no_proxy", "NO_PROXY")}
    env.update(MINICGMVAE_DATA_DIR=str(tmp_path), MPLBACKEND="agg",
               https_proxy="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
    run = subprocess.run([sys.executable, "-c", setup], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last == ("RuntimeError: yeast could not be loaded: set MINICGMVAE_DATA_DIR (or "
                    "MINICGMVAE_DATA_MIRROR) to a folder holding yeast/ (the instructor's "
                    "copy), then restart the kernel"), run.stderr


def test_the_instructor_pages_grep_flags_tampering_and_no_release() -> None:
    import re

    page = (COURSE.parent / "book" / "assignments" / "instructor.md").read_text("utf-8")
    (pattern,) = re.findall(r"grep -lE '([^']+)' submitted/", page)
    flags = re.compile(pattern)
    for name in NAMES:
        for path in (COURSE / "source" / name / f"{name}.ipynb",
                     COURSE.parent / "book" / "assignments" / f"{name}.ipynb"):
            assert not flags.search(path.read_text("utf-8")), path
    for answer in (ENVIRON_OFF, "import sys\nsys.setprofile(None)",
                   "import minicgmvae.checks as c\nc.grading = lambda: False"):
        assert flags.search(nbformat.writes(nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(answer)]))), answer
