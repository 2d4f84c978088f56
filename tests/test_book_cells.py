"""No cell of the book is a wall: a markdown cell holds at most 1,500 characters, a code cell
at most 30 lines.

The pages are those of ``_toc.yml`` that are notebooks. A longer markdown cell is split at a
paragraph or a heading into two cells; a longer code cell moves its helpers into the package.
"""

from __future__ import annotations

import json

import pytest
from test_book import REPO, toc_docnames

MAX_MARKDOWN_CHARS = 1500
MAX_CODE_LINES = 30

NOTEBOOKS = [name for name in toc_docnames() if (REPO / "book" / f"{name}.ipynb").exists()]


def oversized_cells(cells: list[dict]) -> list[str]:
    """``cell <index>: ...`` for each cell over its limit."""
    bad = []
    for i, cell in enumerate(cells):
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and len(text) > MAX_MARKDOWN_CHARS:
            bad.append(f"cell {i}: markdown, {len(text)} characters (at most {MAX_MARKDOWN_CHARS})")
        elif cell["cell_type"] == "code" and len(text.splitlines()) > MAX_CODE_LINES:
            bad.append(f"cell {i}: code, {len(text.splitlines())} lines (at most {MAX_CODE_LINES})")
    return bad


def test_the_limits_are_checked():
    cells = [{"cell_type": "markdown", "source": ["x" * 1501]},
             {"cell_type": "markdown", "source": ["x" * 1500]},
             {"cell_type": "code", "source": ["pass\n"] * 31}]
    assert oversized_cells(cells) == ["cell 0: markdown, 1501 characters (at most 1500)",
                                      "cell 2: code, 31 lines (at most 30)"]
    assert "index" in NOTEBOOKS and "assignments/a1_reparam_kl" in NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_cell_is_too_long(name: str):
    nb = json.loads((REPO / "book" / f"{name}.ipynb").read_text(encoding="utf-8"))
    bad = oversized_cells(nb["cells"])
    assert not bad, f"book/{name}.ipynb: " + "; ".join(bad)
