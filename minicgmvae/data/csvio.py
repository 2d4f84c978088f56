"""Multi-label data in CSV files: one row per sample, features and 0/1 label columns.

A file for training holds one column per feature and one per label (1: the sample has the
label, 0: it has not). Which columns are labels is said by name (``label_columns``, which
needs a header row) or by number (``n_labels``: the last ``n_labels`` columns, as in MULAN's
ARFF files). Every other column is a feature, in file order. A file for prediction holds the
features only, or more columns (e.g. the labels too) when a header names them.

The header row is optional: the first row is a header when one of its cells is neither a
number nor a missing value. Without a header, features are named ``f0, f1, ...`` and labels
``label0, ...``.

Files as pandas and spreadsheets write them are read as they are:

* **the separator** is found from the first lines: the one among ``,`` ``;`` tab and ``|``
  that splits them into the same number of columns (two or more), the one giving the most
  numbers winning a tie; ``.tsv`` files are tab-separated. With ``;`` or tab, a decimal
  comma (``1,5``, a European spreadsheet) is read as a decimal point;
* **pandas' index column** (``df.to_csv(path)`` without ``index=False``, or R's
  ``write.csv``): a first column whose header cell is empty, or ``Unnamed: 0``, is the
  index, and is left out (``CsvTable.index_column`` says so);
* **true/false** (pandas' bool columns, any case) is 1/0 in any column; **yes/no** too in a
  label column.

Every problem in a file is reported with the file, the line (counted from 1, the header
included) and the column, and with what to do: a missing value, text in a feature column, a
label other than 0/1, rows of different lengths (with the separator used), a header without
the columns asked for, an empty file.

Why not ``pandas.read_csv``: it would not remove the checks, only move them after the
parse, where its inferred dtypes have forgotten the line and column of a bad cell (a stray
word turns a column into text; a short row becomes missing values), so every message would
need a second pass over the text. Python's ``csv`` reader keeps each row's line number. The
price is speed on large files: MULAN's yeast train file as pandas writes it reads in 0.10 s
(pandas: 0.02 s), delicious's (12 920 rows, 1 483 columns, 51 MB) in 14 s (pandas: 2.4 s),
a few epochs of training; a pandas fast path for files without a bad cell, falling back to
this reader for the message, would remove that cost.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..errors import DataFormatError
from ._csvcells import MISSING, PANDAS_INDEX, cell_value, detect_delimiter, is_number
from .datasets import MultiLabelData, from_arrays

__all__ = [
    "CsvTable",
    "CsvData",
    "read_csv_table",
    "read_csv_dataset",
    "read_csv_features",
    "load_csv_dataset",
    "write_csv",
]



@dataclass(frozen=True)
class CsvTable:
    """The cells of a CSV file as text: its header (or ``None``) and its rows.

    Attributes:
        path: the file.
        header: the column names, or ``None`` when the first row holds numbers.
        rows: the data rows, each a list of cells (as many as the header or first row).
        lines: the file line (1-based) of each row, for messages.
        header_line: the file line of the header (0 when there is none).
        delimiter: the separator the file was read with.
        index_column: whether a first column was pandas' index, left out.
    """

    path: Path
    header: list[str] | None
    rows: list[list[str]]
    lines: list[int] = field(repr=False)
    header_line: int = 0
    delimiter: str = ","
    index_column: bool = False

    @property
    def separator(self) -> str:
        """How the separator is named in messages (``"','"``, ``"';'"``, ``"tab"``)."""
        return "tab" if self.delimiter == "\t" else repr(self.delimiter)

    @property
    def n_columns(self) -> int:
        """The number of columns (of the header, or else of the first row)."""
        return len(self.header) if self.header is not None else len(self.rows[0])

    def names(self) -> list[str]:
        """The column names: the header's, or ``column1, column2, ...``."""
        if self.header is not None:
            return list(self.header)
        return [f"column{j + 1}" for j in range(self.n_columns)]

    def where(self, i: int, j: int) -> str:
        """``"<path>, line N, column M ('name')"`` for row ``i`` and column ``j``.

        Args:
            i: the row's index in ``rows`` (0-based; the message gives its file line).
            j: the column's index (0-based; the message counts from 1 and adds the header's
                name, if any).
        """
        name = f" ({self.header[j]!r})" if self.header is not None else ""
        column = j + 1 + self.index_column  # counted in the file, the index included
        return f"{self.path}, line {self.lines[i]}, column {column}{name}"


@dataclass(frozen=True)
class CsvData:
    """The arrays of one multi-label CSV file.

    Attributes:
        features: ``(N, d)`` float32.
        labels: ``(N, L)`` uint8, entries 0 or 1.
        feature_names, label_names: the column names (or ``f0..``, ``label0..``).
        path: the file that was read.
        delimiter: the separator it was read with.
        index_column: whether its first column was pandas' index, left out.
    """

    features: np.ndarray
    labels: np.ndarray
    feature_names: list[str]
    label_names: list[str]
    path: str = ""
    delimiter: str = ","
    index_column: bool = False


def read_csv_table(path: str | os.PathLike[str]) -> CsvTable:
    """Read ``path`` into a :class:`CsvTable`, checking its shape (not its values).

    Blank lines are skipped and cells stripped of spaces; the text is read as UTF-8 (a byte
    order mark allowed) or, failing that, Latin-1. The separator and pandas' index column
    are recognised (see the module docstring).

    Args:
        path: the file: tab-separated if its suffix is ``.tsv``, else the separator found.

    Raises:
        DataFormatError: no such file; an empty file; a header with no data rows; blank or
            repeated column names; rows with another number of cells than the first (the
            message names the separator used).
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"No such CSV file: {path}.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    lines_text = text.splitlines()
    delimiter = "\t" if path.suffix.lower() == ".tsv" else detect_delimiter(lines_text)
    rows, lines = _rows(path, lines_text, delimiter)
    header, header_line = None, 0
    if not all(is_number(c) or c.lower() in ("", *MISSING) for c in rows[0]):
        header, rows, header_line, lines = rows[0], rows[1:], lines[0], lines[1:]
        if not rows:
            raise DataFormatError(
                f"{path} has a header row (line {header_line}) but no data rows: add one row "
                "per sample below it."
            )
    table = CsvTable(path, header, rows, lines, header_line, delimiter)
    _check_widths(table)
    if header is not None and len(header) > 1 and PANDAS_INDEX.fullmatch(header[0]):
        table = CsvTable(path, header[1:], [r[1:] for r in rows], lines, header_line,
                         delimiter, index_column=True)
    if table.header is not None:
        _check_header(path, table.header, header_line)
    return table


def _rows(path: Path, text: list[str], delimiter: str) -> tuple[list[list[str]], list[int]]:
    """The non-blank rows of ``text``, cells stripped, and the line of each."""
    reader = csv.reader(text, delimiter=delimiter)
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue  # blank line
            rows.append([c.strip() for c in row])
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataFormatError(f"{path}, line {reader.line_num}: not valid CSV ({exc}).") from exc
    if not rows:
        raise DataFormatError(
            f"{path} is empty: a CSV file needs one row per sample (and, optionally, a header "
            "row naming the columns first)."
        )
    return rows, lines


def _check_widths(table: CsvTable) -> None:
    width = len(table.header) if table.header is not None else len(table.rows[0])
    what = "the header" if table.header is not None else f"the first row (line {table.lines[0]})"
    for row, line in zip(table.rows, table.lines):
        if len(row) != width:
            raise DataFormatError(
                f"{table.path}, line {line}: {len(row)} values, but {what} has {width} (read "
                f"as {table.separator}-separated). Every row needs one value per column (a "
                "missing value still needs its separator); if the file uses another "
                "separator, save it with commas."
            )


def _check_header(path: Path, header: list[str], line: int) -> None:
    blank = [j + 1 for j, name in enumerate(header) if not name]
    if blank:
        raise DataFormatError(
            f"{path}, line {line} (the header): column {blank[0]} has no name. Name every "
            "column, or remove the header row."
        )
    seen: set[str] = set()
    repeated = [n for n in header if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
    if repeated:
        raise DataFormatError(
            f"{path}, line {line} (the header): the column name {repeated[0]!r} appears more "
            "than once. Give every column its own name."
        )


def _numbers(table: CsvTable, columns: Sequence[int], what: str) -> np.ndarray:
    """The cells of ``columns`` as a float64 ``(N, len(columns))`` array, or an error that
    names the first bad cell. Numbers are parsed at once; a column with words (true/false),
    decimal commas or a bad cell is read cell by cell."""
    cells = [[row[j] for j in columns] for row in table.rows]
    try:
        values = np.array(cells, dtype=np.float64).reshape(len(cells), len(columns))
        if np.isfinite(values).all():
            return values
    except ValueError:
        pass
    out = np.empty((len(cells), len(columns)))
    for k, j in enumerate(columns):
        column = [row[k] for row in cells]
        try:
            out[:, k] = np.array(column, dtype=np.float64)
            if np.isfinite(out[:, k]).all():
                continue
        except ValueError:
            pass
        comma = table.delimiter != ","
        out[:, k] = [
            cell_value(c, what, comma, lambda i=i, j=j: table.where(i, j))
            for i, c in enumerate(column)
        ]
    return out


def _label_indices(
    table: CsvTable, label_columns: Sequence[str] | None, n_labels: int | None
) -> list[int]:
    path, width = table.path, table.n_columns
    if label_columns is not None and n_labels is not None:
        raise DataFormatError("Say which columns are labels by name or by number, not both.")
    if label_columns is not None:
        if table.header is None:
            raise DataFormatError(
                f"{path} has no header row, so its label columns cannot be found by name: add "
                "a header row, or give the number of labels (the last columns; --n-labels)."
            )
        wanted = [str(c) for c in label_columns]
        unknown = [c for c in wanted if c not in table.header]
        if unknown:
            raise DataFormatError(
                f"{path}: no column named {', '.join(repr(c) for c in unknown)} in its header "
                f"(line {table.header_line}). Its columns are: {_preview(table.header)}."
            )
        if len(set(wanted)) != len(wanted):
            raise DataFormatError(f"A label column is named twice: {wanted}.")
        indices = [table.header.index(c) for c in wanted]
    elif n_labels is not None:
        if not 1 <= n_labels < width:
            raise DataFormatError(
                f"{path} has {width} columns; the number of labels (the last columns) must be "
                f"between 1 and {width - 1} so that a feature is left, got {n_labels}."
            )
        indices = list(range(width - n_labels, width))
    else:
        raise DataFormatError(
            f"Say which columns of {path} are labels: by name (--label-columns NAME ..., "
            "label_columns=[...]) or as the last K columns (--n-labels K, n_labels=K)."
        )
    if len(indices) == width:
        raise DataFormatError(f"{path}: every column is a label; no feature is left.")
    return indices


def _preview(names: Sequence[str], k: int = 8) -> str:
    shown = ", ".join(repr(n) for n in names[:k])
    return shown + (f", ... ({len(names)} in all)" if len(names) > k else "")


def read_csv_dataset(
    path: str | os.PathLike[str],
    *,
    label_columns: Sequence[str] | None = None,
    n_labels: int | None = None,
) -> CsvData:
    """Read a multi-label CSV file: features and 0/1 labels (see the module docstring).

    Args:
        path: the file.
        label_columns: the names of the label columns (needs a header row), or
        n_labels: the number of labels, the last columns of the file.

    Raises:
        DataFormatError: see :func:`read_csv_table`; also label columns not found, a
            missing value, text in a feature column, a label other than 0 or 1; each message
            names the file, line and column.
    """
    table = read_csv_table(path)
    if table.n_columns < 2:
        raise DataFormatError(
            f"{table.path} reads as one column: no separator among ',', ';', tab and '|' splits "
            "its lines into the same number of columns. A training file needs a column per "
            "feature and per label, with one separator between them."
        )
    label_idx = _label_indices(table, label_columns, n_labels)
    feature_idx = [j for j in range(table.n_columns) if j not in set(label_idx)]
    labels = _numbers(table, label_idx, "label")
    bad = (labels != 0) & (labels != 1)
    if bad.any():
        i, k = np.argwhere(bad)[0]
        raise DataFormatError(
            f"{table.where(int(i), label_idx[k])}: the label {table.rows[i][label_idx[k]]!r} is "
            f"not 0 or 1 (label cells that are neither: {int(bad.sum())}). A label column holds 1 "
            "where the sample has the label and 0 where not; check which columns are labels."
        )
    features = _numbers(table, feature_idx, "feature")
    names = table.header
    return CsvData(
        features=features.astype(np.float32),
        labels=labels.astype(np.uint8),
        feature_names=[names[j] for j in feature_idx]
        if names
        else [f"f{i}" for i in range(len(feature_idx))],
        label_names=[names[j] for j in label_idx]
        if names
        else [f"label{i}" for i in range(len(label_idx))],
        path=str(table.path),
        delimiter=table.delimiter,
        index_column=table.index_column,
    )


def read_csv_features(
    path: str | os.PathLike[str], feature_names: Sequence[str]
) -> tuple[np.ndarray, list[str]]:
    """The features of a CSV file for prediction, in the order of ``feature_names``.

    With a header, the columns are found by name (in any order); other columns (e.g. labels)
    are left out and returned as the second item. Without a header, the file must have
    exactly one column per feature, in the training order.

    Args:
        path: the CSV file.
        feature_names: the model's feature names, in the order it reads them.

    Returns:
        ``(x, ignored)``: ``(N, d)`` float32 features and the names of the columns not used.

    Raises:
        DataFormatError: see :func:`read_csv_table`; also a header lacking some features, a
            headerless file with another number of columns, a missing or non-numeric value.
    """
    table = read_csv_table(path)
    wanted = [str(n) for n in feature_names]
    if table.header is not None:
        missing = [n for n in wanted if n not in table.header]
        if missing:
            raise DataFormatError(
                f"{table.path}: its header (line {table.header_line}) lacks "
                f"{len(missing)} of the model's {len(wanted)} features: {_preview(missing)}. "
                f"The model reads the columns {_preview(wanted)}; name the columns as in the "
                "training file."
            )
        idx = [table.header.index(n) for n in wanted]
        ignored = [n for n in table.header if n not in set(wanted)]
    else:
        if table.n_columns != len(wanted):
            raise DataFormatError(
                f"{table.path} has {table.n_columns} columns and no header row; the model "
                f"reads {len(wanted)} features ({_preview(wanted)}). Give one column per "
                "feature in the training order, or add a header row with their names."
            )
        idx, ignored = list(range(len(wanted))), []
    if table.index_column:
        ignored = ["(the first column, pandas' index)", *ignored]
    return _numbers(table, idx, "feature").astype(np.float32), ignored


def _check_same_columns(train: CsvData, test: CsvData) -> None:
    for kind, a, b in (
        ("feature", train.feature_names, test.feature_names),
        ("label", train.label_names, test.label_names),
    ):
        if a != b:
            diff = next(
                (f"{i + 1}: {x!r} vs {y!r}" for i, (x, y) in enumerate(zip(a, b)) if x != y),
                f"{len(a)} vs {len(b)} columns",
            )
            raise DataFormatError(
                f"{train.path} and {test.path} have different {kind} columns (first "
                f"difference: {kind} {diff}). Give both files the same columns."
            )


def load_csv_dataset(
    train_path: str | os.PathLike[str],
    test_path: str | os.PathLike[str] | None = None,
    *,
    label_columns: Sequence[str] | None = None,
    n_labels: int | None = None,
    name: str | None = None,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    seed: int = 0,
    standardize: bool = True,
) -> MultiLabelData:
    """Load your own multi-label CSV file(s) as a :class:`MultiLabelData`.

    Args:
        train_path: the training CSV (or the only one: a test part is then drawn with
            ``test_fraction``, as :func:`~minicgmvae.data.datasets.from_arrays` does).
        test_path: an optional test CSV with the same columns.
        label_columns, n_labels: which columns are labels (see :func:`read_csv_dataset`).
        name: the dataset's name (default: the file name without ``.csv``/``-train``).
        val_fraction, test_fraction, seed, standardize: as in ``from_arrays``; the test and
            validation parts are drawn with ``stratify=True`` (every label kept in them
            where the data allow).

    Returns:
        The dataset; ``info["csv"]`` says how the file was read (separator, index column).

    Raises:
        DataFormatError: see :func:`read_csv_dataset`; a test file with other columns.
        DataValueError: see :func:`~minicgmvae.data.datasets.from_arrays`.
    """
    train = read_csv_dataset(train_path, label_columns=label_columns, n_labels=n_labels)
    x_test = y_test = None
    if test_path is not None:
        if label_columns is None:
            n_labels = train.labels.shape[1]
        test = read_csv_dataset(test_path, label_columns=label_columns, n_labels=n_labels)
        _check_same_columns(train, test)
        x_test, y_test = test.features, test.labels
    if name is None:
        name = Path(train_path).name
        for suffix in (".csv", ".tsv", "-train", "_train"):
            name = name.removesuffix(suffix)
    data = from_arrays(
        train.features,
        train.labels,
        x_test=x_test,
        y_test=y_test,
        name=name,
        label_names=train.label_names,
        feature_names=train.feature_names,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        seed=seed,
        standardize=standardize,
        stratify=True,
    )
    data.info["csv"] = {"delimiter": train.delimiter, "index_column": train.index_column}
    return data


def write_csv(
    path: str | os.PathLike[str], header: Sequence[str], values: np.ndarray, fmt: str = "%d"
) -> Path:
    """Write ``values`` ``(N, k)`` under a header row, atomically, comma-separated.

    Args:
        path: the file to write.
        header: the k column names.
        values: the rows, (N, k).
        fmt: the ``%``-format of each cell: ``"%d"`` for 0/1 labels, ``"%.9g"`` for float32
            probabilities (exactly).

    Returns:
        The path written.
    """

    def write(f: object) -> None:
        w = csv.writer(f, lineterminator="\n")  # type: ignore[arg-type]
        w.writerow(header)
        for row in values:
            w.writerow([fmt % v for v in row])

    return atomic_write(path, write, binary=False)
