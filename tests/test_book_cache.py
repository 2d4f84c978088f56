"""The book's execution cache key (book/_ext/notebook_cache.py), without building the book.

A page's outputs are reused only while its code cells AND the key below are unchanged: the
key must change when the package's source (or what the notebooks read, or how they run)
changes, and must not change for anything else, or every page would execute again.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
EXT = REPO / "book" / "_ext" / "notebook_cache.py"


def _load_extension():
    spec = importlib.util.spec_from_file_location("notebook_cache", EXT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


nc = _load_extension()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small checkout: a package with a subpackage, stored results, a notebook, prose."""
    (tmp_path / "minicgmvae" / "data").mkdir(parents=True)
    (tmp_path / "minicgmvae" / "__init__.py").write_text("from .kl import kl\n")
    (tmp_path / "minicgmvae" / "kl.py").write_text("def kl(a, b):\n    return a - b\n")
    (tmp_path / "minicgmvae" / "data" / "__init__.py").write_text("")
    (tmp_path / "minicgmvae" / "data" / "arff.py").write_text("X = 1\n")
    (tmp_path / "minicgmvae" / "results" / "yeast").mkdir(parents=True)
    (tmp_path / "minicgmvae" / "results" / "yeast" / "metrics.json").write_text('{"f1": 0.6}\n')
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "01_intro.ipynb").write_text('{"cells": []}\n')
    (tmp_path / "README.md").write_text("# readme\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'minicgmvae'\n")
    return tmp_path


def key(repo: Path, threads: int = 1) -> str:
    return nc.source_fingerprint(repo, repo / "minicgmvae", threads)


def test_fingerprint_is_stable_and_short(repo: Path) -> None:
    first = key(repo)
    assert first == key(repo)
    assert len(first) == 16 and int(first, 16) >= 0


@pytest.mark.parametrize("change", [
    "edit a module",
    "edit a subpackage module",
    "add a module",
    "rename a module",
    "delete a module",
    "edit a stored result",
    "edit pyproject.toml",
])
def test_fingerprint_changes_with_what_the_outputs_depend_on(repo: Path, change: str) -> None:
    before = key(repo)
    pkg = repo / "minicgmvae"
    if change == "edit a module":
        (pkg / "kl.py").write_text("def kl(a, b):\n    return b - a\n")
    elif change == "edit a subpackage module":
        (pkg / "data" / "arff.py").write_text("X = 2\n")
    elif change == "add a module":
        (pkg / "prior.py").write_text("")
    elif change == "rename a module":
        (pkg / "kl.py").rename(pkg / "divergence.py")
    elif change == "delete a module":
        (pkg / "data" / "arff.py").unlink()
    elif change == "edit a stored result":
        (repo / "minicgmvae" / "results" / "yeast" / "metrics.json").write_text('{"f1": 0.7}\n')
    elif change == "edit pyproject.toml":
        (repo / "pyproject.toml").write_text("[project]\nname = 'minicgmvae'\nversion = '2'\n")
    assert key(repo) != before, f"the cache key missed: {change}"


@pytest.mark.parametrize("change", [
    "edit a notebook",
    "edit the README",
    "write bytecode",
    "add a non-Python file to the package",
    "add a file outside the package",
    "touch a module",
])
def test_fingerprint_ignores_unrelated_files(repo: Path, change: str) -> None:
    before = key(repo)
    if change == "edit a notebook":  # notebooks are keyed one by one, by jupyter-cache
        (repo / "book" / "01_intro.ipynb").write_text('{"cells": [], "metadata": {}}\n')
    elif change == "edit the README":
        (repo / "README.md").write_text("# readme, longer\n")
    elif change == "write bytecode":
        (repo / "minicgmvae" / "__pycache__").mkdir()
        (repo / "minicgmvae" / "__pycache__" / "kl.cpython-311.pyc").write_bytes(b"\0\1")
    elif change == "add a non-Python file to the package":
        (repo / "minicgmvae" / "notes.txt").write_text("notes\n")
    elif change == "add a file outside the package":
        (repo / "tests").mkdir()
        (repo / "tests" / "test_x.py").write_text("def test(): pass\n")
    elif change == "touch a module":  # same content, new mtime
        os.utime(repo / "minicgmvae" / "kl.py", (1, 1))
    assert key(repo) == before, f"the cache key changed for: {change}"


def test_fingerprint_changes_with_the_kernel_threads(repo: Path) -> None:
    # chapter 8 compares bit for bit with runs made on one thread
    assert key(repo, threads=1) != key(repo, threads=2)


def test_fingerprint_of_this_repository_covers_its_package() -> None:
    pkg = nc.package_dir(REPO)
    assert (pkg / "__init__.py").is_file()
    import minicgmvae

    # the folder hashed is the one a kernel started from the book imports
    assert pkg == Path(minicgmvae.__file__).resolve().parent


@pytest.mark.parametrize(("environ", "n", "cores", "expected"), [
    ({}, 16, 2, 2),                                  # one kernel per core
    ({"OMP_NUM_THREADS": "2"}, 16, 2, 1),            # threads never outnumber the cores
    ({"OMP_NUM_THREADS": "2"}, 16, 8, 4),
    ({}, 1, 8, 1),                                   # no more jobs than notebooks
    ({"MINICGMVAE_BOOK_JOBS": "3"}, 16, 2, 3),       # an explicit choice wins
    ({"MINICGMVAE_BOOK_JOBS": "x"}, 16, 2, 2),
    ({"OMP_NUM_THREADS": "4"}, 16, 2, 1),
])
def test_parallel_jobs(monkeypatch, environ, n, cores, expected) -> None:
    monkeypatch.setattr(nc, "usable_cores", lambda: cores)
    assert nc.parallel_jobs(n, nc.kernel_threads(environ), environ) == expected


@pytest.mark.parametrize(("value", "threads"), [(None, 1), ("1", 1), ("3", 3), ("", 1),
                                                 ("x", 1), ("0", 1)])
def test_kernel_threads(value, threads) -> None:
    assert nc.kernel_threads({} if value is None else {"OMP_NUM_THREADS": value}) == threads


def test_stored_seconds_from_cell_timestamps() -> None:
    def cell(start, end):
        return {"cell_type": "code", "metadata": {"execution": {
            "iopub.execute_input": start, "iopub.status.idle": end}}}

    nb = {"cells": [cell("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:02.500Z"),
                    cell("2026-01-01T00:00:03Z", "2026-01-01T00:01:03Z"),
                    {"cell_type": "markdown", "metadata": {}},
                    {"cell_type": "code", "metadata": {}}]}
    assert nc.stored_seconds(nb) == pytest.approx(62.5)
    assert nc.stored_seconds({"cells": []}) == 0


def test_config_inited_points_the_cache_at_the_key_and_drops_other_keys(repo, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("MKL_NUM_THREADS", "1")
    build = repo / "_build"
    stale = build / ".jupyter_cache" / "minicgmvae-0123456789abcdef"
    stale.mkdir(parents=True)
    unrelated = build / ".jupyter_cache" / "something-else"
    unrelated.mkdir()
    monkeypatch.setattr(nc, "package_dir", lambda _repo: repo / "minicgmvae")
    app = SimpleNamespace(srcdir=str(repo / "book"), outdir=str(build / "html"),
                          confdir=str(repo / "book"))
    config = SimpleNamespace(nb_execution_cache_path="")
    nc._key_cache_on_package(app, config)
    expected = build / ".jupyter_cache" / f"minicgmvae-{key(repo)}"
    assert Path(config.nb_execution_cache_path) == expected.resolve()
    assert not stale.exists() and unrelated.exists()

    (repo / "minicgmvae" / "kl.py").write_text("def kl(a, b):\n    return 0\n")
    nc._key_cache_on_package(app, config)
    assert Path(config.nb_execution_cache_path) != expected.resolve()


def test_the_book_uses_the_keyed_cache() -> None:
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    assert config["execute"]["execute_notebooks"] == "cache"
    assert config["sphinx"]["local_extensions"].get("notebook_cache") == "book/_ext"


def test_worker_executes_one_notebook(tmp_path: Path) -> None:
    """The worker runs a notebook as myst-nb's cache mode does, and reports the time."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    src, out = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, src)
    result = nc.execute_one(src, out, tmp_path, timeout=60, allow_errors=False)
    assert result["error"] is None and result["seconds"] > 0
    executed = nbformat.read(out, as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "42\n"
    json.dumps(result)


def test_worker_leaves_its_result_in_a_file(tmp_path: Path) -> None:
    """The worker's result survives a crash at exit: it is read from a file, not stdout."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    src, out = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, src)
    assert nc._main([str(src), str(out), "--cwd", str(tmp_path), "--timeout", "60"]) == 0
    result, why = nc.read_outcome(out, returncode=-11, stderr="Segmentation fault")
    assert why == "" and result is not None and result["error"] is None


def test_outcome_names_why_a_worker_failed(tmp_path: Path) -> None:
    target = tmp_path / "nb.ipynb"
    result, why = nc.read_outcome(target, returncode=1, stderr="RuntimeError: Kernel died\n")
    assert result is None and why == "exit status 1: RuntimeError: Kernel died"
    nc.result_path(target).write_text(json.dumps(
        {"seconds": 1.0, "error": "CellExecutionError",
         "traceback": "Traceback...\n\nZeroDivisionError: division by zero\n"}))
    result, why = nc.read_outcome(target, returncode=0, stderr="")
    assert result is None and why.startswith("CellExecutionError")
    assert why.endswith("ZeroDivisionError: division by zero")
    nc.result_path(target).write_text(json.dumps({"seconds": 1.0, "error": None}))
    result, why = nc.read_outcome(target, returncode=0, stderr="")  # the notebook is missing
    assert result is None and "no executed notebook" in why
