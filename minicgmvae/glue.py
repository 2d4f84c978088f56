"""``glue``: hand a value or figure computed in a chapter to its prose (myst-nb's ``glue``).

In the built book, :func:`glue` is ``myst_nb.glue``: the text ``{glue:text}`key:.3f``` in a
markdown cell shows the number that the code computed, so prose cannot drift from the
results, and ``{glue:figure}`` shows a glued figure once, numbered and captioned.

A reader who runs a chapter in Jupyter or Colab sees each glued figure in place: a figure is
displayed in its cell everywhere except while the book is being built, where the numbered
copy is the one shown (the build sets :data:`BOOK_BUILD_ENV` for its kernels).
"""

from __future__ import annotations

import os
from typing import Any

try:
    from myst_nb import glue as _myst_glue
except ImportError:  # pragma: no cover - Colab and other installs without the [book] extra
    _myst_glue = None

#: Set (to any non-empty value) in the kernels that execute the book's notebooks
#: (``book/_ext/notebook_cache.py``): glued figures are then not shown in their cells.
BOOK_BUILD_ENV = "MINICGMVAE_BOOK_BUILD"


def building_book() -> bool:
    """Whether this process executes a notebook for the book build (:data:`BOOK_BUILD_ENV`)."""
    return bool(os.environ.get(BOOK_BUILD_ENV))


def glue(name: str, value: Any, display: bool | None = None) -> None:
    """Store ``value`` under ``name`` for the page's ``{glue:...}`` roles and directives.

    A NumPy or PyTorch scalar is stored as a plain Python number, so that a format spec such
    as ``{glue:text}`name:.2f``` applies to it (myst-nb formats the stored text).

    Args:
        name: the key the page's ``{glue:...}`` roles and directives refer to.
        value: a number, text, a Matplotlib figure, or anything else myst-nb can display.
        display: also show ``value`` in the cell's output (myst-nb's ``display``). ``None``
            (the default) shows a figure, except while the book is built (see
            :func:`building_book`), and shows nothing else. Without myst-nb, nothing is
            stored and ``value`` is shown when it is to be displayed.
    """
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()
    if display is None:
        display = hasattr(value, "savefig") and not building_book()
    if _myst_glue is not None:
        _myst_glue(name, value, display=display)
    elif display:
        from IPython.display import display as show

        show(value)


__all__ = ["BOOK_BUILD_ENV", "building_book", "glue"]
