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
        ("a,b,l\n1,2,0\n1,2,maybe\n", {"n_labels": 1}, r"'maybe' is not a number; labels must"),
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


# ---------------------------------------------------------- files as pandas and spreadsheets
def _frame():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    frame["sad"] = rng.random(30) < 0.4
    frame["happy"] = rng.random(30) < 0.5
    return frame


def test_pandas_to_csv_with_its_index_column_is_read_without_it(tmp_path):
    """Files as pandas writes them: ``df.to_csv(path)`` writes the index as a first, unnamed
    column; it is recognised and left out, not refused or read as a feature."""
    frame = _frame()
    frame.to_csv(tmp_path / "indexed.csv")  # the default: index=True
    data = read_csv_dataset(tmp_path / "indexed.csv", label_columns=["sad", "happy"])
    assert data.index_column and data.feature_names == ["a", "b", "c"]
    np.testing.assert_allclose(data.features, frame[["a", "b", "c"]].to_numpy(), rtol=1e-6)
    x, ignored = read_csv_features(tmp_path / "indexed.csv", ["c", "a", "b"])
    np.testing.assert_allclose(x, frame[["c", "a", "b"]].to_numpy(), rtol=1e-6)
    assert ignored[0].startswith("(the first column, pandas' index)")
    # read back by pandas without index_col and written again: "Unnamed: 0"
    again = tmp_path / "again.csv"
    again.write_text("Unnamed: 0,a,b,l\n0,1,2,1\n1,3,4,0\n")
    assert read_csv_dataset(again, n_labels=1).feature_names == ["a", "b"]
    # a message about a later cell counts the index column as the file's column 1
    bad = write(tmp_path, ",a,b,l\n0,1,x,1\n")
    with pytest.raises(DataFormatError, match=r"line 2, column 3 \('b'\): 'x' is not a number"):
        read_csv_dataset(bad, n_labels=1)


def test_true_false_label_columns_from_pandas_bool_dtype_are_read_as_1_0(tmp_path):
    """Files as pandas writes them: bool label columns (True/False) are labels 1/0; yes/no
    too in a label column; True/False in a feature column is 1/0."""
    frame = _frame()
    frame.to_csv(tmp_path / "bools.csv", index=False)
    data = read_csv_dataset(tmp_path / "bools.csv", label_columns=["sad", "happy"])
    np.testing.assert_array_equal(data.labels, frame[["sad", "happy"]].to_numpy().astype(int))
    words = read_csv_dataset(write(tmp_path, "a,flag,l\n1,TRUE,yes\n2,false,No\n"), n_labels=1)
    np.testing.assert_array_equal(words.labels, [[1], [0]])
    np.testing.assert_array_equal(words.features, [[1, 1], [2, 0]])
    with pytest.raises(DataFormatError, match=r"column 2 \('flag'\): 'yes' is not a number"):
        read_csv_dataset(write(tmp_path, "a,flag,l\n1,yes,1\n", "f.csv"), n_labels=1)


def test_semicolon_separated_file_from_a_european_spreadsheet(tmp_path):
    """A ';'-separated file with decimal commas (a European spreadsheet) is read; its
    separator is found, not refused with "73 values, but the header has 1"."""
    path = write(tmp_path, "a;b;sad\n1,5;-2;1\n0,25;3e2;0\n")
    data = read_csv_dataset(path, label_columns=["sad"])
    np.testing.assert_allclose(data.features, [[1.5, -2], [0.25, 300]])
    assert data.delimiter == ";"
    tabs = read_csv_dataset(write(tmp_path, "a\tb\tl\n1\t2\t0\n", "tabs.csv"), n_labels=1)
    assert tabs.feature_names == ["a", "b"] and tabs.delimiter == "\t"


def test_a_ragged_row_names_the_separator_used(tmp_path):
    """The separator is named in the error: a short row of a ';' file."""
    path = write(tmp_path, "a;b;l\n1;2;0\n1;2\n3;4;1\n")
    with pytest.raises(DataFormatError, match=r"line 3: 2 values, but the header has 3 "
                       r"\(read as ';'-separated\)"):
        read_csv_dataset(path, n_labels=1)
    one = write(tmp_path, "a b l\n1 2 0\n", "spaces.csv")
    with pytest.raises(DataFormatError, match=r"reads as one column: no separator among ',', "
                       "';', tab and '|'"):
        read_csv_dataset(one, n_labels=1)


def test_load_csv_dataset_keeps_every_label_in_validation_where_the_data_allow(tmp_path):
    """The validation split is stratified: a rare label (2 positives in 60 rows) has a
    positive example in both the training and the validation part."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    rare = np.zeros(60, dtype=int)
    rare[[7, 41]] = 1
    rows = "\n".join(f"{a:.4f},{b:.4f},{c:.4f},{r}" for (a, b, c), r in zip(x, rare))
    path = write(tmp_path, "a,b,c,rare\n" + rows + "\n")
    for seed in range(5):
        data = load_csv_dataset(path, n_labels=1, test_fraction=0.0, seed=seed)
        assert data.y_train.sum() == 1 and data.y_val.sum() == 1
        assert len(data.x_val) == 6
    assert load_csv_dataset(path, n_labels=1).info["csv"] == {
        "delimiter": ",", "index_column": False,
    }
