"""The course kit: assignments in book/assignments/, their checks, solutions and stable API.

1. The notebooks: the book's copies are nbgrader's student release of the instructor's
   version, ``course/source/<name>/<name>.ipynb``, whose reference solutions pass their
   checks. (``tests/test_course.py`` autogrades both, the release as handed out and the
   release with the solutions filled in, through nbgrader.)
2. The stable API: every name in ``minicgmvae.__all__`` and every name an assignment uses
   (``ASSIGNMENTS[...].api``) resolves, the notebooks use no other name of the package, and
   a renamed name keeps working with a DeprecationWarning.

The checks themselves (each passes the package's reference implementation and fails, with the
intended plain-words message, on deliberately broken functions) and the grader are tested in
``tests/checks/``, one file per assignment.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import subprocess
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat
import pytest
import yaml

import minicgmvae
from minicgmvae import _compat, _home, checks
from minicgmvae.metrics import threshold_sweep

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT_DIR = REPO / "book" / "assignments"
COURSE_SOURCE = REPO / "course" / "source"  # the nbgrader source notebooks: the solutions
NAMES = list(checks.ASSIGNMENTS)
CELL_TIMEOUT_S = 600


# A bug inside a check raises here instead of becoming a message (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("strict_checks")


# ============================================================== notebooks and solutions
def read_notebook(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ASSIGNMENT_DIR / f"{name}.ipynb", as_version=4)


def read_source_notebook(name: str) -> nbformat.NotebookNode:
    return nbformat.read(COURSE_SOURCE / name / f"{name}.ipynb", as_version=4)


def solution_cells(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    """The cells students write in: nbgrader's "autograded answer" cells."""
    return [(i, c) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def only_function(source: str) -> ast.FunctionDef:
    defs = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    assert len(defs) == 1, f"a solution cell must define exactly one function:\n{source}"
    return defs[0]


def body_without_docstring(fn: ast.FunctionDef) -> list[ast.stmt]:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return body


def solution_functions(name: str) -> tuple[str, dict[str, ast.FunctionDef]]:
    """The reference solutions: the solution cells of the nbgrader source notebook, as one
    Python source after the import lines of its setup cell."""
    nb = read_source_notebook(name)
    setup = next(c.source for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    imports = [ast.get_source_segment(setup, n) for n in ast.parse(setup).body
               if isinstance(n, (ast.Import, ast.ImportFrom))]
    source = "\n".join(imports) + "\n\n\n" + "\n\n\n".join(c.source for _, c in solution_cells(nb))
    tree = ast.parse(source)
    return source, {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def load_solution_module(name: str) -> ModuleType:
    source, _ = solution_functions(name)
    module = ModuleType(f"solution_{name}")
    exec(compile(source, f"course/source/{name}/{name}.ipynb", "exec"), module.__dict__)
    return module


@pytest.mark.parametrize("name", NAMES)
def test_handed_out_notebook_is_well_formed(name: str) -> None:
    nb = read_notebook(name)
    assignment = checks.ASSIGNMENTS[name]
    assert nb.metadata.get("minicgmvae", {}).get("assignment") == name
    assert checks.assignment_of(nb, f"renamed_by_student_{name}.ipynb") == name
    head = nb.cells[0].source
    assert head.startswith("# Assignment ")
    assert _home.colab_url(f"book/assignments/{name}.ipynb") in head, "wrong Colab badge link"
    index = nbformat.read(REPO / "book" / "index.ipynb", as_version=4)
    install = next(c.source for c in index.cells if _home.INSTALL_SPEC in c.source)
    # the preface's install cell, except that it never installs under nbgrader
    cell = nb.cells[1].source
    assert _home.INSTALL_SPEC in cell and cell != install
    assert 'if installed != RELEASE and "NBGRADER_EXECUTION" in os.environ:' in cell

    cells = solution_cells(nb)
    names = [only_function(c.source).name for _, c in cells]
    assert tuple(names) == assignment.functions
    for (i, cell), check in zip(cells, assignment.checks):
        fn = only_function(cell.source)
        assert ast.get_docstring(fn), f"{fn.name}: the student copy needs a docstring"
        body = body_without_docstring(fn)
        assert len(body) == 1 and isinstance(body[0], ast.Raise), (
            f"{fn.name}: the handed-out body must be exactly raise NotImplementedError(...)"
        )
        exc = body[0].exc
        assert isinstance(exc, ast.Call) and getattr(exc.func, "id", "") == "NotImplementedError"
        hint = cell.source.splitlines()[body[0].lineno - 2].strip()
        assert hint.startswith("# TODO: "), f"{fn.name}: a # TODO: hint above the stub"
        nxt = nb.cells[i + 1]
        assert nxt.cell_type == "code" and f"= {check}({fn.name})" in nxt.source

    text = "\n".join(c.source for c in nb.cells)
    labels = re.findall(r"\$\$\s*\((eq-[\w-]+)\)", text)
    assert all(re.match(r"eq-a\d-", lab) for lab in labels), labels
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert images, f"{name}: the stored outputs have no figure (execute the notebook)"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.parametrize("name", NAMES)
def test_solutions_have_the_notebooks_signatures(name: str) -> None:
    _, functions = solution_functions(name)
    for _, cell in solution_cells(read_notebook(name)):
        fn = only_function(cell.source)
        assert fn.name in functions, f"no solution for {fn.name} in course/source/{name}"
        assert ast.dump(fn.args) == ast.dump(functions[fn.name].args), (
            f"{fn.name}: the solution's parameters differ from the notebook's"
        )
    assert set(functions) == set(checks.ASSIGNMENTS[name].functions)


@pytest.mark.parametrize("name", NAMES)
def test_solutions_pass_their_checks_directly(name: str) -> None:
    module = load_solution_module(name)
    assignment = checks.ASSIGNMENTS[name]
    for function, check in zip(assignment.functions, assignment.checks):
        result = getattr(checks, check)(getattr(module, function), device="cpu", verbose=False)
        assert result.passed, str(result)


# ============================================================== the stable API
def test_every_public_name_is_importable() -> None:
    namespace: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec("from minicgmvae import *", namespace)
    missing = [n for n in minicgmvae.__all__ if n not in namespace]
    assert not missing
    for name in minicgmvae.__all__:
        assert getattr(minicgmvae, name) is namespace[name]


def resolve(dotted: str) -> Any:
    parts = dotted.split(".")
    assert parts[0] == "minicgmvae"
    obj: Any = minicgmvae
    for i, part in enumerate(parts[1:], start=1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[: i + 1]))
    return obj


@pytest.mark.parametrize("name", NAMES)
def test_assignment_api_resolves_without_warnings(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dotted in checks.ASSIGNMENTS[name].api:
            assert resolve(dotted) is not None, dotted


API_REF = re.compile(r"\bminicgmvae(?:\.[A-Za-z_]\w*)+")
CHECKS_REF = re.compile(r"(?<![\w.])checks\.([A-Za-z_]\w*)")


@pytest.mark.parametrize("name", NAMES)
def test_assignments_use_only_the_listed_api(name: str) -> None:
    """Every minicgmvae name in the notebook (code and prose) and its solutions is listed in
    ASSIGNMENTS[name].api: the list is complete, so tests cover every name students use."""
    nb = read_notebook(name)
    texts = [c.source for c in nb.cells] + [solution_functions(name)[0]]
    used = set()
    for text in texts:
        used |= set(API_REF.findall(text))
        used |= {f"minicgmvae.checks.{m}" for m in CHECKS_REF.findall(text)}
    listed = set(checks.ASSIGNMENTS[name].api)
    # a reference may stop at a module, or go on into an attribute of a listed object
    unlisted = sorted(u for u in used if not any(
        u == a or a.startswith(u + ".") or u.startswith(a + ".") for a in listed))
    assert not unlisted, f"add these to ASSIGNMENTS[{name!r}].api: {unlisted}"


def test_renamed_names_keep_working(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(_compat.RENAMED, "old_kl", "kl_gaussians")
    monkeypatch.setitem(_compat.RENAMED, "old_sweep", "metrics.threshold_sweep")
    with pytest.warns(DeprecationWarning,
                      match=r"^minicgmvae\.old_kl is deprecated; use minicgmvae\.kl_gaussians$"
                      ) as caught:
        assert minicgmvae.old_kl is minicgmvae.kl_gaussians
    assert caught[0].filename == __file__, "the warning must point at the caller's line"
    with pytest.warns(DeprecationWarning, match="use minicgmvae.metrics.threshold_sweep"):
        from minicgmvae import old_sweep  # noqa: F401  (from-imports go through __getattr__)
    assert old_sweep is threshold_sweep
    with pytest.raises(AttributeError, match="has no attribute 'never_existed'"):
        minicgmvae.never_existed  # noqa: B018
    assert not hasattr(minicgmvae, "never_existed")


def test_real_renames_resolve_to_current_names() -> None:
    for old, new in _compat.RENAMED.items():
        assert old not in minicgmvae.__all__, f"{old} is deprecated but still exported"
        with pytest.warns(DeprecationWarning):
            assert getattr(minicgmvae, old) is resolve(f"minicgmvae.{new}")


def test_checks_is_loaded_on_demand() -> None:
    code = ("import sys, minicgmvae; assert 'minicgmvae.checks' not in sys.modules; "
            "minicgmvae.checks.check_kl_gaussians; print('ok')")
    proc = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.strip() == "ok", proc.stderr


# ============================================================== the book's course kit part
def test_course_kit_is_in_the_toc_and_the_instructor_page_is_complete() -> None:
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    part = next(p for p in toc["parts"] if p.get("caption") == "Course kit")
    files = [c["file"] for c in part["chapters"]]
    assert files == ["assignments/instructor"] + [f"assignments/{n}" for n in NAMES]
    page = (ASSIGNMENT_DIR / "instructor.md").read_text(encoding="utf-8")
    for a in checks.ASSIGNMENTS.values():
        assert a.name in page, a.name
        for check in a.checks:
            assert check in page, check
    assert "nbgrader autograde" in page and "course/source/" in page
    assert not (ASSIGNMENT_DIR / "solutions").exists(), "solutions must stay out of book/"
    assert "assignments/instructor" in Path(REPO / "tests" / "test_book.py").read_text()
