"""Every number the book's prose states is glued, a setting, or a quoted published constant.

The test reads the markdown of every page of the book (``book/*.ipynb`` and ``book/*.md``),
removes what may carry digits legitimately (``{glue:...}`` roles, inline code, math, link
targets, directive options, arXiv identifiers) and fails on any decimal number or percentage
left that is not listed below. A result belongs in a code cell and reaches the text through
``glue``; a number typed into the text drifts from the outputs when the code changes.

The exceptions are all here, each with its reason: :data:`SETTINGS` may appear on any page,
:data:`QUOTED` only on the page named.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"

#: Settings and conventions, allowed on every page (not results: they are chosen, not found).
SETTINGS = {
    "0.1": "the threshold grid's first value; the BCE weight of the authors' code; a KL weight "
           "(chapter 12's live regime); a data fraction",
    "0.2": "the threshold grid's second value; a dropout of chapter 12's MLP grid; a "
           "temperature",
    "0.9": "the threshold grid's last value",
    "0.5": "dropout, the BCE weight of the authors' script, t = 0.5, a data fraction",
    "0.01": "the active-unit threshold (KL of a unit above 0.01 nats); LeakyReLU's slope",
    "0.05": "ASL's probability clip",
    "0.25": "a data fraction of the efficiency study", "0.75": "a data fraction",
    "1.0": "a data fraction", "10%": "the validation carve-out; a data fraction",
    "25%": "a data fraction", "50%": "a data fraction; the abstract's claim",
    "75%": "a data fraction", "100%": "a data fraction",
}

#: Published constants and page-specific settings: (page, number) -> reason.
QUOTED = {
    ("06_evaluation.ipynb", "0.000"): "the paper's reported standard deviations (0.000 to 0.002)",
    ("06_evaluation.ipynb", "0.002"): "the paper's reported standard deviations",
    ("10_scale.ipynb", "1%"): "the dotted reference line of the label-frequency figure",
    ("01_multilabel.ipynb", "1%"): "an illustration of macro-averaging (a label on 1% of samples)",
    ("04_contrastive.ipynb", "0.7"): "the toy data's setting: each label of a group kept with "
                                     "probability 0.7",
}

NUMBER = re.compile(r"(?<![\w.])[-+−]?\d+\.\d+(?![\w.])|(?<![\w.])\d+(?:\.\d+)?\s?%")
STRIP = [
    re.compile(r"\{glue:[a-z]+\}`[^`]*`"),        # glued numbers
    re.compile(r"```.*?```", re.S),                # fenced blocks (code, directives)
    re.compile(r"`[^`]*`"),                        # inline code
    re.compile(r"\$\$.*?\$\$", re.S),              # display math
    re.compile(r"\$[^$\n]*\$"),                    # inline math
    re.compile(r"\]\([^)]*\)"),                    # link targets
    re.compile(r"arXiv:\d+\.\d+", re.I),           # arXiv identifiers
    re.compile(r"^:\w+:.*$", re.M),                # directive options (:width: 80%)
]


def typed_numbers(markdown: str) -> list[str]:
    """The decimals and percentages of ``markdown`` that are neither glued, code nor math."""
    for pattern in STRIP:
        markdown = pattern.sub(" ", markdown)
    return [m.group().replace("−", "-").lstrip("+-").replace(" ", "") for m in
            NUMBER.finditer(markdown)]


def _glue_figure_captions(text: str) -> str:
    """Keep the captions of ``{glue:figure}`` and similar directives: they are prose."""
    return re.sub(r"```\{(?:glue:figure|figure|note|admonition)[^\n]*\n(.*?)```",
                  lambda m: m.group(1), text, flags=re.S)


def pages() -> list[Path]:
    return sorted(BOOK.glob("*.ipynb")) + sorted(BOOK.glob("*.md"))


def markdown_cells(path: Path) -> list[tuple[int, str]]:
    """``(cell index, text)`` of each markdown cell (a ``.md`` page is one cell, index 0)."""
    if path.suffix == ".md":
        return [(0, path.read_text())]
    nb = json.loads(path.read_text())
    return [(i, "".join(c["source"])) for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "markdown"]


def test_the_scanner_flags_a_typed_number_and_nothing_glued():
    text = ("Macro-F1 falls by 0.123 ({glue:text}`drop:.3f` glued), `lr=0.001` in code, "
            "$\\beta = 0.7$ in math, a [link](https://x.org/1.5), 47% of a step.\n"
            "```{glue:figure} fig\n:width: 80%\n```")
    assert typed_numbers(text) == ["0.123", "47%"]
    assert typed_numbers(_glue_figure_captions("```{glue:figure} f\n:name: f\nup 0.25\n```")) \
        == ["0.25"]


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_no_typed_number_in_the_prose(page):
    bad = []
    for i, cell in markdown_cells(page):
        for number in typed_numbers(_glue_figure_captions(cell)):
            if number not in SETTINGS and (page.name, number) not in QUOTED:
                bad.append(f"cell {i}: {number}")
    assert not bad, (f"{page.name}: typed numbers (glue them, or list a setting or a "
                     "published constant in tests/test_book_numbers.py): " + "; ".join(bad))


def test_every_exception_is_still_used():
    used = {(p.name, n) for p in pages() for _, c in markdown_cells(p)
            for n in typed_numbers(_glue_figure_captions(c))}
    assert not set(QUOTED) - used, f"stale exceptions: {sorted(set(QUOTED) - used)}"
    stale = set(SETTINGS) - {n for _, n in used}
    assert not stale, f"settings no page types (remove them): {sorted(stale)}"
