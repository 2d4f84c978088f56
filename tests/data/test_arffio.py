"""ARFF and MULAN XML parsing: dense, sparse and gzipped files, and errors that name the file and
line."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from minicgmvae.data.arffio import read_arff, read_mulan_xml
from minicgmvae.data.datasets import load_dataset
from minicgmvae.data.download import fetch
from minicgmvae.errors import DataFormatError, DataValueError

from helpers.datasets import GOOD_ROWS, write_arff


def test_read_small_dense_and_sparse_arff(tmp_path: Path) -> None:
    dense = read_arff(write_arff(tmp_path / "d.arff", GOOD_ROWS), n_labels=2)
    assert dense.features.dtype == np.float32 and dense.labels.dtype == np.uint8
    assert dense.features.shape == (4, 3)
    assert dense.labels.tolist() == [[1, 0], [0, 1], [1, 1], [0, 0]]
    assert dense.feature_names == ["f0", "f1", "f2"] and dense.label_names == ["lab0", "lab1"]
    # Sparse rows, trailing empty rows included: they are samples too (a COO reader drops them).
    rows = ["{0 1.5,3 1}", "{2 -1,4 1}", "{}", "{}"]
    sparse = read_arff(write_arff(tmp_path / "s.arff", rows), n_labels=2)
    assert sparse.sparse and sparse.features.shape == (4, 3)
    np.testing.assert_array_equal(sparse.features, [[1.5, 0, 0], [0, 0, -1], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(sparse.labels, [[1, 0], [0, 1], [0, 0], [0, 0]])
    # gzip is read transparently.
    gz = tmp_path / "d.arff.gz"
    gz.write_bytes(gzip.compress((tmp_path / "d.arff").read_bytes()))
    np.testing.assert_array_equal(read_arff(gz, n_labels=2).features, dense.features)


def test_label_names_are_checked_as_a_set(tmp_path: Path) -> None:
    path = write_arff(tmp_path / "d.arff", GOOD_ROWS)
    data = read_arff(path, label_names=["lab1", "lab0"])  # another order is fine
    assert data.label_names == ["lab0", "lab1"]  # ARFF order is kept
    with pytest.raises(DataFormatError, match="other"):
        read_arff(path, label_names=["lab0", "other"])
    with pytest.raises(DataFormatError, match="n_labels"):
        read_arff(path)  # which columns are labels?
    with pytest.raises(DataFormatError, match="at least one feature"):
        read_arff(path, n_labels=5)


def test_meka_relation_puts_labels_first(tmp_path: Path) -> None:
    path = write_arff(tmp_path / "m.arff", ["1,0,0.5,1.5,2.5", "0,1,3.5,4.5,5.5"],
                      relation="'toy: -C 2'", n_feat=3, n_lab=2, label_type="numeric")
    data = read_arff(path)
    assert data.label_names == ["f0", "f1"]  # the first two attributes
    np.testing.assert_array_equal(data.labels, [[1, 0], [0, 1]])
    np.testing.assert_array_equal(data.features, [[0.5, 1.5, 2.5], [3.5, 4.5, 5.5]])


def test_gzipped_union_file_is_train_then_test(data_env: Path) -> None:
    gz = fetch("scene", "scene.orig.arff.gz", progress=False)
    union = read_arff(gz, n_labels=6)
    train = read_arff(fetch("scene", "scene-train.arff", progress=False), n_labels=6)
    test = read_arff(fetch("scene", "scene-test.arff", progress=False), n_labels=6)
    assert union.relation == "scene" and union.features.shape == (2407, 294)
    np.testing.assert_array_equal(union.features, np.concatenate([train.features, test.features]))
    np.testing.assert_array_equal(union.labels, np.concatenate([train.labels, test.labels]))


def test_truncated_real_file_names_file_and_line(data_env: Path, tmp_path: Path) -> None:
    load_dataset("yeast", progress=False)  # makes sure the file is in the cache
    blob = (data_env / "yeast" / "yeast-train.arff").read_bytes()
    cut = 700_000
    while blob[cut - 1:cut] in (b"\n", b","):  # cut inside a value, mid-row
        cut += 1
    short = tmp_path / "yeast-train.arff"
    short.write_bytes(blob[:cut])
    line = blob[:cut].count(b"\n") + 1
    with pytest.raises(DataFormatError) as err:
        read_arff(short, n_labels=14)
    msg = str(err.value)
    assert str(short) in msg and f"line {line}" in msg and "truncated" in msg


def test_truncated_sparse_file_and_header(tmp_path: Path) -> None:
    path = tmp_path / "s.arff"
    write_arff(path, ["{0 1.5,3 1}", "{2 -1,4 1}"])
    text = path.read_text()
    path.write_text(text[:-5])  # "{2 -1,4 1}\n" -> "{2 -1,"
    with pytest.raises(DataFormatError, match=r"s\.arff, line 9"):
        read_arff(path, n_labels=2)
    path.write_text(text[:40])  # cut inside the attribute declarations
    with pytest.raises(DataFormatError, match="no @data"):
        read_arff(path, n_labels=2)
    gz = tmp_path / "t.arff.gz"
    gz.write_bytes(gzip.compress(text.encode())[:-12])  # a gzip stream without its end
    with pytest.raises(DataFormatError, match="gzip"):
        read_arff(gz, n_labels=2)


@pytest.mark.parametrize("row, error, pattern", [
    ("0.5,1.0,-2.0,1", DataFormatError, r"line 9.*malformed"),          # a value short
    ("0.5,1.0,-2.0,1,0,7", DataFormatError, r"line 9.*malformed"),      # a value too many
    ("0.5,1.0,'oops,1,0", DataFormatError, r"line 9"),                  # unbalanced quote
    ("0.5,abc,-2.0,1,0", DataValueError, r"line 9.*non-number.*'f1' \(value 'abc'"),  # text
    ("0.5,1.0,-2.0,2,0", DataValueError, r"line 9.*'lab0'.*value '2'"),  # a label 2 ({0,1})
    ("0.5,?,-2.0,1,0", DataValueError, r"line 9.*missing value.*'f1'"),
    ("0.5,nan,-2.0,1,0", DataValueError, r"line 9.*'f1' is nan"),
    ("0.5,1e39,-2.0,1,0", DataValueError, r"line 9.*'f1'.*float32"),
])
def test_bad_rows_name_the_line(row: str, error: type, pattern: str, tmp_path: Path) -> None:
    path = write_arff(tmp_path / "bad.arff", [GOOD_ROWS[0], row, GOOD_ROWS[2]])
    with pytest.raises(error, match=pattern) as err:
        read_arff(path, n_labels=2)
    assert str(path) in str(err.value)


def test_numeric_labels_must_be_0_or_1_and_features_numeric(tmp_path: Path) -> None:
    path = write_arff(tmp_path / "n.arff", ["0.5,1,2,1,0", "1,2,3,0,2"], label_type="numeric")
    with pytest.raises(DataValueError, match=r"line 9: label 'lab1' is 2; labels must be 0 or 1"):
        read_arff(path, n_labels=2)
    path = write_arff(tmp_path / "c.arff", ["red,1,0"], n_feat=1, feat_type="{red,green}")
    with pytest.raises(DataValueError, match="'f0' is nominal with non-numeric values"):
        read_arff(path, n_labels=2)
    path = write_arff(tmp_path / "l.arff", ["1,a,b"], n_feat=1, label_type="{a,b}")
    with pytest.raises(DataValueError, match="label attribute 'lab0'"):
        read_arff(path, n_labels=2)
    path = write_arff(tmp_path / "s.arff", ["{1 2,3 2}"], label_type="numeric")  # sparse
    with pytest.raises(DataValueError, match=r"line 8: label 'lab0' is 2"):
        read_arff(path, n_labels=2)


def test_mulan_xml_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text('<?xml version="1.0"?>\n<labels>\n<label name="a">\n</labels>\n')
    with pytest.raises(DataFormatError, match=r"bad\.xml, line \d"):
        read_mulan_xml(bad)
    dup = tmp_path / "dup.xml"
    dup.write_text('<labels><label name="a"/><label name="a"/></labels>')
    with pytest.raises(DataFormatError, match="duplicated"):
        read_mulan_xml(dup)
