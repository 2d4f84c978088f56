"""Reading multi-label ARFF files (dense or sparse, optionally gzipped) and MULAN label XML.

A MULAN multi-label ARFF file is an ordinary ARFF file whose **last L attributes are the
labels** (nominal ``{0,1}`` or numeric 0/1); the matching ``.xml`` file names them. The label
columns cannot be found by their type: delicious' 500 features are nominal ``{0,1}`` too.
So :func:`read_arff` takes the last ``L`` attributes, in ARFF order, and checks their names
against the XML *as a set* (yeast's XML lists the same names in another order).

MEKA-style files (``@relation 'name: -C 14'``) are understood too when no label count is
given: ``-C n`` with ``n > 0`` means the *first* n attributes are labels, ``n < 0`` the last.

Parsing is done by ``liac-arff`` (``import arff``), row by row, so that every error can name
its line. Sparse rows (``{index value, ...}``) are read as dictionaries (``LOD``), which
keeps empty rows (``{}``) and so counts samples exactly; a COO reader would drop trailing
all-zero rows.
"""

from __future__ import annotations

import gzip
import os
import re
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import arff
import numpy as np

from ..errors import DataFormatError, DataValueError
from .values import non_binary, non_finite

__all__ = ["ArffData", "read_arff", "read_mulan_xml"]

_MEKA_C = re.compile(r"(?:^|[\s:])-C\s+(-?\d+)")
_NUMERIC_TYPES = ("NUMERIC", "REAL", "INTEGER")


@dataclass(frozen=True)
class ArffData:
    """The arrays of one multi-label ARFF file.

    Attributes:
        features: ``(N, d)`` float32 feature matrix.
        labels: ``(N, L)`` uint8 label matrix, entries 0 or 1.
        feature_names: the ``d`` feature attribute names, in ARFF order.
        label_names: the ``L`` label attribute names, in ARFF order.
        relation: the ``@relation`` name.
        sparse: whether the data rows were sparse (``{index value, ...}``).
        path: the file that was read.
    """

    features: np.ndarray
    labels: np.ndarray
    feature_names: list[str]
    label_names: list[str]
    relation: str
    sparse: bool = False
    path: str = field(default="", compare=False)

    @property
    def n_samples(self) -> int:
        """N, the number of rows."""
        return int(self.features.shape[0])

    def __repr__(self) -> str:
        return (f"ArffData({self.relation!r}: {self.n_samples} samples, "
                f"{self.features.shape[1]} features, {self.labels.shape[1]} labels"
                f"{', sparse' if self.sparse else ''})")


# --------------------------------------------------------------------------- file reading


def _read_text(path: Path) -> str:
    """The whole file as text; gzip is detected by its magic bytes, not only by ``.gz``."""
    try:
        with open(path, "rb") as f:
            head = f.read(2)
    except FileNotFoundError:
        raise FileNotFoundError(f"No such ARFF file: {path}") from None
    if head == b"\x1f\x8b":
        chunks: list[bytes] = []
        try:
            with gzip.open(path, "rb") as g:
                for block in iter(lambda: g.read(1 << 20), b""):
                    chunks.append(block)
        except (EOFError, OSError, zlib.error) as exc:
            done = b"".join(chunks)
            line = done.count(b"\n") + 1
            raise DataFormatError(
                f"{path}, line {line}: the gzip stream is corrupt or truncated ({exc}); "
                f"{len(done)} bytes could be decompressed. Fetch the file again."
            ) from exc
        raw = b"".join(chunks)
    else:
        raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # old ARFF files are often Latin-1; this never fails
    return text.lstrip("\ufeff")


def _locate(path: Path, line: int, lines: Sequence[str]) -> str:
    """``'<path>, line N'`` plus a truncation hint when N is the unterminated last line."""
    where = f"{path}, line {line}"
    if lines and line >= len(lines) and lines[-1] != "":
        # split('\n') leaves '' last when the file ends with a newline; here it does not.
        where += " (the last line, which has no newline: the file may be truncated)"
    return where


def _bad_value(row_text: str, attributes: list[tuple[str, Any]]) -> str | None:
    """Best effort: ``"'name' (value 'v', ...)"`` for the first value of ``row_text`` that
    its attribute rejects (an undeclared nominal value or a non-number), else ``None``."""
    try:
        values = arff._parse_values(row_text)  # liac-arff's own tokenizer
    except Exception:  # a diagnosis must never hide the real error
        return None
    items = values.items() if isinstance(values, dict) else enumerate(values)
    for i, v in items:
        if v is None or not 0 <= i < len(attributes):
            continue
        name, kind = attributes[i]
        if isinstance(kind, list):
            if v not in kind:
                return f"{name!r} (value {v!r}, declared {{{','.join(kind)}}})"
        else:
            try:
                float(v)
            except ValueError:
                return f"{name!r} (value {v!r}, declared {kind})"
    return None


def _label_positions(n_attr: int, n_labels: int | None, label_names: Sequence[str] | None,
                     relation: str, path: Path, attr_names: list[str]) -> tuple[int, bool]:
    """How many labels and whether they come first (MEKA ``-C n>0``) or last (MULAN)."""
    meka_match = _MEKA_C.search(relation or "")
    meka = int(meka_match.group(1)) if meka_match else None
    if label_names is not None:
        if n_labels is not None and n_labels != len(label_names):
            raise DataFormatError(
                f"{path}: n_labels={n_labels} but {len(label_names)} label names were given."
            )
        n_labels = len(label_names)
    if n_labels is None:
        if meka is None or meka == 0:
            raise DataFormatError(
                f"{path}: cannot tell which attributes are labels. Pass n_labels= (the labels "
                "are the last n attributes) or the label names from the MULAN .xml file."
            )
        n_labels = abs(meka)
    if isinstance(n_labels, bool) or not isinstance(n_labels, (int, np.integer)) or n_labels < 1:
        raise DataFormatError(f"{path}: n_labels must be a positive integer, not {n_labels!r}.")
    n_labels = int(n_labels)
    if meka is not None and meka != 0 and abs(meka) != n_labels:
        raise DataFormatError(
            f"{path}: the relation {relation!r} declares {abs(meka)} labels (MEKA -C {meka}) "
            f"but {n_labels} were asked for."
        )
    if n_labels >= n_attr:
        raise DataFormatError(
            f"{path}: {n_labels} labels asked for but the file has only {n_attr} attributes "
            "(at least one feature is needed)."
        )
    labels_first = meka is not None and meka > 0
    return n_labels, labels_first


def read_arff(path: str | os.PathLike[str], n_labels: int | None = None,
              label_names: Sequence[str] | None = None) -> ArffData:
    """Read a multi-label ARFF file (dense or sparse; plain or gzip).

    Args:
        path: the ARFF file (``.arff`` or ``.arff.gz``).
        n_labels: the number of label attributes L; they are the last L attributes.
        label_names: the label names (e.g. from :func:`read_mulan_xml`); sets L and is
            checked, as a set, against the names of the last L attributes.

    Returns:
        :class:`ArffData` with ``features`` ``(N, d)`` float32 and ``labels`` ``(N, L)``
        uint8; names in ARFF order.

    Raises:
        DataFormatError: malformed or truncated file, bad header, label names that do not
            match; the message names the file and, where there is one, the line.
        DataValueError: missing values (``?``), labels other than 0/1, non-numeric or
            non-finite features; the message names the line and the attribute.
    """
    path = Path(path)
    text = _read_text(path)
    # split('\n') (not splitlines) so that list index + 1 is the physical line number.
    lines = text.split("\n")

    decoder = arff.ArffDecoder()
    sparse = _sniff_sparse(lines)
    try:
        obj = decoder.decode(lines, encode_nominal=False,
                             return_type=arff.LOD_GEN if sparse else arff.DENSE_GEN)
    except arff.ArffException as exc:
        raise _decode_error(exc, path, decoder, lines, []) from exc

    attributes: list[tuple[str, Any]] = list(obj["attributes"])
    relation: str = obj.get("relation") or ""
    is_label = _label_mask(path, attributes, n_labels, label_names, relation)
    attr_names = [a[0] for a in attributes]
    arff_label_names = [n for n, lab in zip(attr_names, is_label, strict=True) if lab]
    feature_names = [n for n, lab in zip(attr_names, is_label, strict=True) if not lab]
    if label_names is not None:
        _check_label_names(path, arff_label_names, list(label_names))
    defaults = _check_header(path, attributes, is_label)
    rows, row_lines = _data_rows(path, obj, decoder, lines, attributes)

    if sparse:
        features, labels = _assemble_sparse(path, lines, rows, row_lines, attributes, is_label,
                                            defaults)
    else:
        features, labels = _assemble_dense(path, lines, rows, row_lines, attributes, is_label)
    return ArffData(features=features, labels=labels, feature_names=feature_names,
                    label_names=arff_label_names, relation=relation, sparse=sparse,
                    path=str(path))


def _label_mask(path: Path, attributes: list[tuple[str, Any]], n_labels: int | None,
                label_names: Sequence[str] | None, relation: str) -> np.ndarray:
    """Which attributes are labels: (n_attributes,) bool, the first or the last L."""
    n_attr = len(attributes)
    if n_attr == 0:
        raise DataFormatError(f"{path}: no @attribute declarations.")
    attr_names = [a[0] for a in attributes]
    n_lab, labels_first = _label_positions(n_attr, n_labels, label_names, relation, path,
                                           attr_names)
    is_label = np.zeros(n_attr, dtype=bool)
    is_label[np.arange(n_lab) if labels_first else np.arange(n_attr - n_lab, n_attr)] = True
    return is_label


def _data_rows(path: Path, obj: Any, decoder: Any, lines: list[str],
               attributes: list[tuple[str, Any]]) -> tuple[list[Any], list[int]]:
    """The decoded data rows and the physical line of each (for error messages)."""
    row_lines: list[int] = []
    rows: list[Any] = []
    try:
        for row in obj["data"]:
            row_lines.append(decoder._current_line)
            rows.append(row)
    except arff.ArffException as exc:
        raise _decode_error(exc, path, decoder, lines, attributes) from exc
    if not rows:
        raise DataFormatError(f"{path}: no data rows after @data (empty or truncated file).")
    return rows, row_lines


def _sniff_sparse(lines: list[str]) -> bool:
    """Whether the first data row is sparse (``{...}``); dense otherwise."""
    in_data = False
    for raw in lines:
        s = raw.strip()
        if not s or s.startswith("%"):
            continue
        if in_data:
            return s.startswith("{")
        if s.upper().startswith("@DATA"):
            in_data = True
    return False


def _decode_error(exc: arff.ArffException, path: Path, decoder: arff.ArffDecoder,
                  lines: list[str], attributes: list[tuple[str, Any]]) -> Exception:
    """A liac-arff exception as a DataFormatError/DataValueError naming the file and line."""
    line = getattr(decoder, "_current_line", 0) or getattr(exc, "line", -1)
    where = _locate(path, line, lines)
    row_text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    shown = row_text if len(row_text) <= 120 else row_text[:117] + "..."
    if isinstance(exc, arff.BadNominalValue):
        attr = _bad_value(row_text, attributes)
        what = f"attribute {attr}" if attr else "a nominal attribute"
        return DataValueError(
            f"{where}: undeclared value in {what}. Labels must be 0 or 1; nominal values "
            f"must be among the declared ones. Row: {shown!r}"
        )
    if isinstance(exc, arff.BadNumericalValue):
        attr = _bad_value(row_text, attributes)
        return DataValueError(
            f"{where}: a numeric attribute holds a non-number"
            f"{': ' + attr if attr else ''}. Row: {shown!r}"
        )
    if not any(ln.strip().upper().startswith("@DATA") for ln in lines):
        return DataFormatError(
            f"{where}: no @data section (truncated, or not an ARFF file) "
            f"({type(exc).__name__})."
        )
    exc.line = line
    try:
        detail = str(exc)
    except (TypeError, ValueError):  # liac-arff formats with %, which a row may break
        detail = type(exc).__name__
    return DataFormatError(
        f"{where}: malformed ARFF ({type(exc).__name__}: {detail}). Row: {shown!r}. A data "
        "row holds one value per attribute (dense) or '{index value, ...}' (sparse)."
    )


def _check_label_names(path: Path, arff_names: list[str], xml_names: list[str]) -> None:
    if len(set(xml_names)) != len(xml_names):
        dup = sorted({n for n in xml_names if xml_names.count(n) > 1})[:5]
        raise DataFormatError(f"{path}: duplicated label names given: {dup}.")
    if set(arff_names) != set(xml_names):
        missing = [n for n in xml_names if n not in set(arff_names)][:5]
        extra = [n for n in arff_names if n not in set(xml_names)][:5]
        raise DataFormatError(
            f"{path}: the label attributes of the file do not match the given label names "
            f"(e.g. from the .xml). Named but not among the label attributes: {missing}; "
            f"label attributes not named: {extra}. Is the label count or the .xml right?"
        )


def _check_header(path: Path, attributes: list[tuple[str, Any]],
                  is_label: np.ndarray) -> np.ndarray:
    """Reject attribute types we cannot turn into numbers; return each attribute's default.

    The default is the value an absent sparse entry stands for: 0 for numeric attributes,
    the first declared value for nominal ones (ARFF's rule; ``{0,1}`` gives 0).
    """
    defaults = np.zeros(len(attributes), dtype=np.float64)
    for i, (name, kind) in enumerate(attributes):
        role = "label" if is_label[i] else "feature"
        if isinstance(kind, list):
            try:
                values = [float(v) for v in kind]
            except ValueError:
                raise DataValueError(
                    f"{path}: {role} attribute {name!r} is nominal with non-numeric values "
                    f"{{{','.join(kind)}}}. Only numeric features are supported: encode it "
                    "numerically (e.g. one-hot) first."
                ) from None
            if is_label[i] and not set(values) <= {0.0, 1.0}:
                raise DataValueError(
                    f"{path}: label attribute {name!r} is declared with values "
                    f"{{{','.join(kind)}}}; labels must be 0 or 1."
                )
            defaults[i] = values[0] if values else 0.0
        elif str(kind).upper() not in _NUMERIC_TYPES:
            raise DataValueError(
                f"{path}: {role} attribute {name!r} has type {kind}; only numeric (and "
                "numeric nominal) attributes are supported."
            )
    return defaults


def _missing_error(path: Path, lines: list[str], line: int, attr: str) -> DataValueError:
    return DataValueError(
        f"{_locate(path, line, lines)}: missing value ('?') in attribute {attr!r}. Missing "
        "values are not supported: impute or drop them first."
    )


def _assemble_dense(path: Path, lines: list[str], rows: list[list[Any]], row_lines: list[int],
                    attributes: list[tuple[str, Any]],
                    is_label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense rows (lists of float / nominal string / None) -> (features, labels)."""
    for r, row in enumerate(rows):
        if None in row:  # liac-arff turns '?' (and empty values) into None
            j = row.index(None)
            raise _missing_error(path, lines, row_lines[r], attributes[j][0])
    # numpy parses the nominal strings ('0', '1', '2.5') itself; the header check made sure
    # every nominal value is numeric.
    table = np.array(rows, dtype=np.float64)
    features = table[:, ~is_label]
    labels = table[:, is_label]
    _check_values(path, lines, row_lines, attributes, is_label, features, labels)
    return features.astype(np.float32), labels.astype(np.uint8)


def _assemble_sparse(path: Path, lines: list[str], rows: list[dict[int, Any]],
                     row_lines: list[int], attributes: list[tuple[str, Any]],
                     is_label: np.ndarray,
                     defaults: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sparse rows (dicts ``{attribute index: value}``) -> (features, labels).

    Only the stored entries are converted, so delicious (12920 x 1483, ~3% stored) stays fast.
    """
    n = len(rows)
    rr: list[int] = []
    cc: list[int] = []
    vv: list[Any] = []
    for r, row in enumerate(rows):
        if not row:
            continue  # an empty row {} is a sample with every value at its default
        if None in row.values():
            j = next(k for k, v in row.items() if v is None)
            raise _missing_error(path, lines, row_lines[r], attributes[j][0])
        rr.extend([r] * len(row))
        cc.extend(row.keys())
        vv.extend(row.values())
    r_idx = np.asarray(rr, dtype=np.int64)
    c_idx = np.asarray(cc, dtype=np.int64)
    vals = np.asarray(vv, dtype=np.float64) if vv else np.zeros(0)

    # Check the stored values (and the defaults) before scattering them: cheaper than
    # checking the dense matrices, and the first bad entry gives the row at once.
    on_label = is_label[c_idx] if len(c_idx) else np.zeros(0, dtype=bool)
    bad_label = on_label & (vals != 0) & (vals != 1)
    with np.errstate(over="ignore"):
        bad_feat = ~on_label & ~np.isfinite(vals.astype(np.float32))
    for bad, what in ((bad_label, "label"), (bad_feat, "feature")):
        if bad.any():
            k = int(np.argmax(bad))
            r, j = int(r_idx[k]), int(c_idx[k])
            rule = "labels must be 0 or 1" if what == "label" else "not finite as float32"
            raise DataValueError(
                f"{_locate(path, row_lines[r], lines)}: {what} {attributes[j][0]!r} is "
                f"{vals[k]:g}; {rule} ({int(bad.sum())} such entries)."
            )

    # Map each attribute to its column in the feature or the label matrix.
    n_feat, n_lab = int((~is_label).sum()), int(is_label.sum())
    col_of = np.empty(len(attributes), dtype=np.int64)
    col_of[~is_label] = np.arange(n_feat)
    col_of[is_label] = np.arange(n_lab)
    feats = np.zeros((n, n_feat), dtype=np.float32)
    labs = np.zeros((n, n_lab), dtype=np.uint8)
    if defaults.any():  # only a nominal attribute whose first value is not 0
        feats[:] = defaults[~is_label]
        labs[:] = defaults[is_label]
    feats[r_idx[~on_label], col_of[c_idx[~on_label]]] = vals[~on_label]
    labs[r_idx[on_label], col_of[c_idx[on_label]]] = vals[on_label]
    return feats, labs


def _check_values(path: Path, lines: list[str], row_lines: list[int],
                  attributes: list[tuple[str, Any]], is_label: np.ndarray,
                  features: np.ndarray, labels: np.ndarray) -> None:
    """Labels must be 0/1 and features finite (also after the cast to float32)."""
    label_attr = [a[0] for a, lab in zip(attributes, is_label, strict=True) if lab]
    feat_attr = [a[0] for a, lab in zip(attributes, is_label, strict=True) if not lab]
    bad = non_binary(labels)
    if bad is not None:
        n, (r, c) = bad
        raise DataValueError(
            f"{_locate(path, row_lines[r], lines)}: label {label_attr[c]!r} is "
            f"{labels[r, c]:g}; labels must be 0 or 1 ({n} such entries)."
        )
    bad = non_finite(features)
    if bad is not None:
        n, (r, c) = bad
        raise DataValueError(
            f"{_locate(path, row_lines[r], lines)}: feature {feat_attr[c]!r} is "
            f"{features[r, c]:g} (not finite as float32; {n} such entries)."
        )


# --------------------------------------------------------------------------- MULAN XML


def read_mulan_xml(path: str | os.PathLike[str]) -> list[str]:
    """The label names of a MULAN ``.xml`` file, in document order.

    Nested (hierarchical) ``<label>`` elements are all returned, depth first.

    Args:
        path: the ``.xml`` file.

    Returns:
        The label names.

    Raises:
        ~minicgmvae.errors.DataFormatError: not well-formed XML (with the line), no labels, a
            label without a name, or duplicated names.
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        raise DataFormatError(f"{path}, line {line}: malformed MULAN label XML ({exc}).") from exc
    if root.tag.rsplit("}", 1)[-1] != "labels":
        raise DataFormatError(f"{path}: the root element is <{root.tag}>, not <labels>.")
    names: list[str] = []
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] != "label":
            continue
        name = el.get("name")
        if name is None:
            raise DataFormatError(f"{path}: a <label> element has no name attribute.")
        names.append(name)
    if not names:
        raise DataFormatError(f"{path}: no <label> elements.")
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})[:5]
        raise DataFormatError(f"{path}: duplicated label names {dup}.")
    return names
