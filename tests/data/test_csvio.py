"""CSV files of your own: reading features and 0/1 labels, and a clear message for every
kind of bad file (the file, the line, the column and what to do)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minicgmvae.data.csvio import (
    load_csv_dataset,
    read_csv_dataset,
    read_csv_features,
    read_csv_table,
    write_csv,
)
from minicgmvae.errors import DataFormatError

GOOD = """a,b,c,sad,happy
1.5,2,-3,0,1
0,1e-3,4,1,1

2,2,2,0,0
-1,0.5,7,1,0
"""


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_header_names_and_label_columns_by_name_or_number(tmp_path):
    path = write(tmp_path, GOOD)
    by_name = read_csv_dataset(path, label_columns=["happy", "sad"])
    assert by_name.feature_names == ["a", "b", "c"]
    assert by_name.label_names == ["happy", "sad"]
    np.testing.assert_array_equal(by_name.labels, [[1, 0], [1, 1], [0, 0], [0, 1]])
    assert by_name.features.dtype == np.float32 and by_name.labels.dtype == np.uint8
    np.testing.assert_allclose(by_name.features[1], [0, 1e-3, 4])
    by_number = read_csv_dataset(path, n_labels=2)
    assert by_number.label_names == ["sad", "happy"]
    np.testing.assert_array_equal(by_number.features, by_name.features)


def test_no_header_gives_default_names_and_a_bom_is_ignored(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_bytes("\ufeff1,2,0\n3,4,1\n".encode())
    data = read_csv_dataset(path, n_labels=1)
    assert data.feature_names == ["f0", "f1"] and data.label_names == ["label0"]
    with pytest.raises(DataFormatError, match="no header row.*--n-labels"):
        read_csv_dataset(path, label_columns=["label0"])


def test_tsv_is_tab_separated(tmp_path):
    path = write(tmp_path, "x\ty\tlab\n1\t2\t1\n", "data.tsv")
    assert read_csv_dataset(path, n_labels=1).feature_names == ["x", "y"]


@pytest.mark.parametrize(
    ("text", "kwargs", "pattern"),
    [
        ("", {"n_labels": 1}, r"data.csv is empty"),
        ("\n\n", {"n_labels": 1}, r"is empty"),
        ("a,b,l\n", {"n_labels": 1}, r"header row \(line 1\) but no data rows"),
        ("a,b,l\n1,2,0\n3,,1\n", {"n_labels": 1}, r"line 3, column 2 \('b'\): missing value"),
        ("a,b,l\n1,NA,0\n", {"n_labels": 1}, r"line 2, column 2 \('b'\): missing value \('NA'\)"),
        ("a,b,l\n1,2,0\n1,red,1\n", {"n_labels": 1}, r"line 3, column 2 \('b'\): 'red' is not a"),
        ("a,b,l\n1,2,0\n1,inf,1\n", {"n_labels": 1}, r"'inf' is not a finite number"),
        ("a,b,l\n1,2,0\n1,2,2\n", {"n_labels": 1}, r"line 3, column 3 \('l'\): the label '2'"),
        ("a,b,l\n1,2,0\n1,2,yes\n", {"n_labels": 1}, r"'yes' is not a number; labels must be"),
        ("a,b,l\n1,2,0\n1,2\n", {"n_labels": 1}, r"line 3: 2 values, but the header has 3"),
        ("1,2,0\n1,2,0,5\n", {"n_labels": 1}, r"line 2: 4 values, but the first row"),
        ("a,,l\n1,2,0\n", {"n_labels": 1}, r"line 1 \(the header\): column 2 has no name"),
        ("a,a,l\n1,2,0\n", {"n_labels": 1}, r"'a' appears more than once"),
        ("a,b,l\n1,2,0\n", {"label_columns": ["x"]}, r"no column named 'x'.*'a', 'b', 'l'"),
        ("a,b,l\n1,2,0\n", {"n_labels": 3}, r"between 1 and 2"),
        ("a,b,l\n1,2,0\n", {}, r"Say which columns.*--label-columns.*--n-labels"),
        ("1,NA,0\n1,2,1\n", {"n_labels": 1}, r"line 1, column 2: missing value \('NA'\)"),
    ],
)
def test_bad_files_name_the_file_line_and_column(tmp_path, text, kwargs, pattern):
    path = write(tmp_path, text)
    with pytest.raises(DataFormatError, match=pattern) as info:
        read_csv_dataset(path, **kwargs)
    assert str(path) in str(info.value)


def test_a_missing_file(tmp_path):
    with pytest.raises(DataFormatError, match="No such CSV file"):
        read_csv_table(tmp_path / "nope.csv")


def test_features_for_prediction_by_name_or_position(tmp_path):
    names = ["a", "b", "c"]
    # by name, any order, other columns (labels) left out
    path = write(tmp_path, "sad,c,a,b\n0,3,1,2\n1,6,4,5\n")
    x, ignored = read_csv_features(path, names)
    np.testing.assert_array_equal(x, [[1, 2, 3], [4, 5, 6]])
    assert ignored == ["sad"]
    # no header: by position
    x, ignored = read_csv_features(write(tmp_path, "1,2,3\n", "plain.csv"), names)
    np.testing.assert_array_equal(x, [[1, 2, 3]]) and ignored == []
    with pytest.raises(DataFormatError, match=r"lacks 1 of the model's 3 features: 'c'"):
        read_csv_features(write(tmp_path, "a,b,x\n1,2,3\n", "other.csv"), names)
    with pytest.raises(DataFormatError, match="has 2 columns and no header row.*reads 3"):
        read_csv_features(write(tmp_path, "1,2\n", "short.csv"), names)
    with pytest.raises(DataFormatError, match=r"line 3, column 1 \('a'\): missing value"):
        read_csv_features(write(tmp_path, "a,b,c\n1,2,3\n,2,3\n", "gap.csv"), names)


def test_load_csv_dataset_with_and_without_a_test_file(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4))
    y = (rng.random((50, 3)) < 0.4).astype(int)
    rows = "\n".join(
        ",".join(f"{v:.6f}" for v in xi) + "," + ",".join(map(str, yi)) for xi, yi in zip(x, y)
    )
    header = "w,x,y,z,l1,l2,l3\n"
    train = write(tmp_path, header + rows + "\n", "toy-train.csv")
    data = load_csv_dataset(train, n_labels=3)
    assert data.name == "toy" and data.label_names == ["l1", "l2", "l3"]
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (36, 4, 10)
    test = write(tmp_path, header + rows + "\n", "toy-test.csv")
    data = load_csv_dataset(train, test, label_columns=["l1", "l2", "l3"], val_fraction=0.2)
    assert len(data.x_test) == 50 and len(data.x_val) == 10
    other = write(tmp_path, "w,x,q,z,l1,l2,l3\n" + rows + "\n", "other.csv")
    with pytest.raises(DataFormatError, match=r"different feature columns.*feature 3: 'y' vs 'q'"):
        load_csv_dataset(train, other, n_labels=3)


def test_write_csv_round_trips_float32_exactly(tmp_path):
    p = np.random.default_rng(1).random((5, 2)).astype(np.float32)
    path = write_csv(tmp_path / "out.csv", ["a", "b"], p, "%.9g")
    back = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    np.testing.assert_array_equal(back, p)
    assert path.read_text().splitlines()[0] == "a,b"
