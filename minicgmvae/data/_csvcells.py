"""How one CSV cell reads as a number, and which separator a file uses
(:mod:`minicgmvae.data.csvio` reads the files; this module decides about single cells)."""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable

from ..errors import DataFormatError

#: Cells read as a missing value (case-insensitive), besides the empty cell.
MISSING = ("na", "n/a", "nan", "null", "none", "?", "-")
#: Words read as numbers in any column (case-insensitive): pandas writes bools so.
WORDS = {"true": 1.0, "false": 0.0}
#: Words read as numbers in a label column, besides :data:`WORDS`.
LABEL_WORDS = {**WORDS, "yes": 1.0, "no": 0.0}
#: The separators tried, in order of preference.
SEPARATORS = (",", ";", "\t", "|")
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+([eE][+-]?\d+)?")
#: The header cell of pandas' index column (empty, or "Unnamed: 0" once read back).
PANDAS_INDEX = re.compile(r"(Unnamed: 0)?")


def is_number(cell: str) -> bool:
    """Whether ``float(cell)`` reads ``cell``."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def detect_delimiter(text: list[str], n: int = 20) -> str:
    """The separator of a file: the one among :data:`SEPARATORS` that splits the most of
    the first ``n`` non-blank lines into the same number of columns (two or more); a tie
    goes to the one giving the most numbers, then to the first. ``","`` when none splits.

    Args:
        text: the file's lines.
        n: how many non-blank lines to look at.
    """
    sample = [line for line in text[: 4 * n] if line.strip()][:n]
    best, best_key = ",", (0, 0, 0)
    for order, sep in enumerate(SEPARATORS):
        try:
            rows = list(csv.reader(sample, delimiter=sep))
        except csv.Error:
            continue
        widths = [len(r) for r in rows]
        width = max(set(widths), key=widths.count, default=0)
        if width < 2:
            continue
        numbers = sum(is_number(c) or bool(_DECIMAL_COMMA.fullmatch(c.strip()))
                      for r in rows for c in r)
        key = (widths.count(width), numbers, -order)
        if key > best_key:
            best, best_key = sep, key
    return best


def cell_value(cell: str, what: str, decimal_comma: bool, where: Callable[[], str]) -> float:
    """One cell as a number (see :mod:`minicgmvae.data.csvio`), or the error that says why
    not, starting with ``where()`` (the file, line and column).

    Args:
        cell: the cell's text, stripped.
        what: ``"feature"`` or ``"label"`` (a label also takes yes/no).
        decimal_comma: read ``1,5`` as 1.5 (files separated by something else than commas).
        where: the cell's place, for the message.

    Raises:
        DataFormatError: a missing value, text, or an infinite number.
    """
    low = cell.lower()
    words = LABEL_WORDS if what == "label" else WORDS
    if low in words:
        return words[low]
    if not cell or low in MISSING:
        raise DataFormatError(
            f"{where()}: missing value ({cell!r}). C-GMVAE needs every {what}: fill "
            "it in (e.g. with the column's mean) or drop the row."
        )
    if decimal_comma and _DECIMAL_COMMA.fullmatch(cell):
        cell = cell.replace(",", ".")
    try:
        value = float(cell)
    except ValueError:
        hint = (
            "labels must be 0 or 1 (true/false and yes/no are read too)"
            if what == "label"
            else "features must be numbers: encode text as numbers first (e.g. one "
            "column per category)"
        )
        raise DataFormatError(
            f"{where()}: {cell!r} is not a number; {hint}. If this column is not a "
            f"{what}, leave it out of the file."
        ) from None
    if not math.isfinite(value):
        raise DataFormatError(
            f"{where()}: {cell!r} is not a finite number. C-GMVAE needs every "
            f"{what}: replace it, or drop the row."
        )
    return value
