"""``glue``: hand a value or figure computed in a chapter to its prose (myst-nb's ``glue``).

In the built book, :func:`glue` is ``myst_nb.glue``: the text ``{glue:text}`key:.3f``` in a
markdown cell shows the number that the code computed, so prose cannot drift from the
results. Where myst-nb is not installed (Colab), figures (and values glued with
``display=True``) are simply displayed.
"""

from __future__ import annotations

from typing import Any

try:
    from myst_nb import glue as _myst_glue
except ImportError:  # pragma: no cover - Colab and other installs without the [book] extra
    _myst_glue = None


def glue(name: str, value: Any, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the page's ``{glue:...}`` roles and directives.

    A NumPy or PyTorch scalar is stored as a plain Python number, so that a format spec such
    as ``{glue:text}`name:.2f``` applies to it (myst-nb formats the stored text).

    Args:
        name: the key the page's ``{glue:...}`` roles and directives refer to.
        value: a number, text, a Matplotlib figure, or anything else myst-nb can display.
        display: also show ``value`` in the cell's output (myst-nb's ``display``). Without
            myst-nb, ``value`` is shown when this is True or when it is a figure, and
            nothing is stored.
    """
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()
    if _myst_glue is not None:
        _myst_glue(name, value, display=display)
    elif display or hasattr(value, "savefig"):  # without the book, still show figures
        from IPython.display import display as show

        show(value)


__all__ = ["glue"]
