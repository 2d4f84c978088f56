"""Checked command-line values: argparse types for counts, fractions and probabilities.

Every command of ``python -m minicgmvae`` (the speed benchmark included) reads its numbers
through these types, so that a value out of range stops the command before any work, with
argparse's one-line message (``argument --epochs: must be an integer >= 1, got '0'``) and
exit status 2. Checks that need more than one value (a ``--set`` key against the
configurations, a checkpoint against a dataset) raise :class:`CommandLineError`.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterator
from importlib import import_module
from typing import Any

from .errors import MiniCGMVAEError

__all__ = [
    "CommandLineError",
    "LazyChoices",
    "int_at_least",
    "fraction",
    "probability",
]


class CommandLineError(MiniCGMVAEError, ValueError):
    """A command-line value that is not valid (the message lists the valid ones)."""


def int_at_least(low: int) -> Callable[[str], int]:
    """An argparse type: an integer ``>= low``.

    Args:
        low: the smallest value allowed.

    Returns:
        ``parse(text) -> int``, for ``add_argument(type=...)``; it raises
        ``argparse.ArgumentTypeError`` (argparse's message, exit status 2) for text that is
        not an integer or is below ``low``.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}, got {text!r}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
    return value


def fraction(*, zero: bool, one: bool) -> Callable[[str], float]:
    """An argparse type: a number in [0, 1], 0 and 1 allowed or not as said.

    Args:
        zero: whether 0 is allowed.
        one: whether 1 is allowed.

    Returns:
        ``parse(text) -> float``, for ``add_argument(type=...)``; it raises
        ``argparse.ArgumentTypeError`` for text that is not a finite number in the interval.
    """
    what = f"a number in {'[' if zero else '('}0, 1{']' if one else ')'}"

    def parse(text: str) -> float:
        """``text`` as a number, checked to lie in the interval.

        Args:
            text: the command-line value.

        Raises:
            argparse.ArgumentTypeError: not a finite number, or outside the interval.
        """
        value = _number(text, what)
        if value < 0 or value > 1 or (value == 0 and not zero) or (value == 1 and not one):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    parse.__name__ = what
    return parse


#: A threshold: a probability strictly between 0 and 1.
probability = fraction(zero=False, one=False)


class LazyChoices:
    """argparse ``choices`` read from a module only when a value is checked or the
    subcommand's help is shown, so that ``--help`` imports nothing heavy.

    ``LazyChoices("minicgmvae.baselines", "BASELINES")`` are the keys (or items) of
    ``minicgmvae.baselines.BASELINES``. Give the argument a ``metavar``: argparse would
    otherwise list the choices when the parser is built.

    Args:
        module: the dotted name of the module that holds the choices.
        name: the name, in that module, of the collection of choices (a dict gives its
            keys).
    """

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def values(self) -> list[str]:
        """The choices, as text (importing ``module`` if it is not imported yet)."""
        return [str(v) for v in getattr(import_module(self.module), self.name)]

    def __contains__(self, item: Any) -> bool:
        return item in self.values()

    def __iter__(self) -> Iterator[str]:
        return iter(self.values())

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"
