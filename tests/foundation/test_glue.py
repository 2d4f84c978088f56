"""``glue``: numbers are stored as plain numbers; a figure is shown in its cell for a reader
running the notebook, but not while the book is built (where the numbered copy shows it)."""

from __future__ import annotations

import importlib
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

glue_module = importlib.import_module("minicgmvae.glue")


@pytest.fixture
def stored(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any, bool]]:
    calls: list[tuple[str, Any, bool]] = []
    monkeypatch.setattr(glue_module, "_myst_glue",
                        lambda name, value, display: calls.append((name, value, display)))
    monkeypatch.delenv(glue_module.BOOK_BUILD_ENV, raising=False)
    return calls


def test_a_numpy_scalar_is_stored_as_a_python_number_and_not_shown(stored):
    glue_module.glue("x", np.float32(0.25))
    (name, value, display), = stored
    assert (name, value, display) == ("x", 0.25, False) and type(value) is float


def test_a_figure_is_shown_where_a_reader_runs_the_notebook(stored):
    fig = plt.figure()
    glue_module.glue("fig-a", fig)
    plt.close(fig)
    assert stored == [("fig-a", fig, True)]


def test_a_figure_is_not_shown_in_its_cell_while_the_book_is_built(stored, monkeypatch):
    monkeypatch.setenv(glue_module.BOOK_BUILD_ENV, "1")
    assert glue_module.building_book()
    fig = plt.figure()
    glue_module.glue("fig-a", fig)
    glue_module.glue("fig-b", fig, display=True)  # an explicit choice wins
    plt.close(fig)
    assert stored == [("fig-a", fig, False), ("fig-b", fig, True)]


def test_without_myst_nb_a_figure_is_displayed_and_nothing_stored(monkeypatch):
    shown: list[Any] = []
    monkeypatch.setattr(glue_module, "_myst_glue", None)
    monkeypatch.delenv(glue_module.BOOK_BUILD_ENV, raising=False)
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", shown.append)
    fig = plt.figure()
    glue_module.glue("fig-a", fig)
    glue_module.glue("n", 3)
    plt.close(fig)
    assert shown == [fig]


def test_the_book_build_sets_the_variable_glue_reads():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "book" / "_ext" / "notebook_cache.py"
    spec = importlib.util.spec_from_file_location("notebook_cache_for_glue", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    assert module.BOOK_BUILD_ENV == glue_module.BOOK_BUILD_ENV
