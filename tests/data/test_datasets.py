"""Datasets: the real ones (shapes, label order, standardisation, the validation carve-out, the
parsed cache), one's own ARFF files and one's own arrays.

Real datasets come from a local mirror (``conftest.data_env``)."""

from __future__ import annotations

from pathlib import Path

import arff
import numpy as np
import pytest

from minicgmvae.data import parsed_cache
from minicgmvae.data.arffio import read_arff, read_mulan_xml
from minicgmvae.data.datasets import (
    MultiLabelData,
    dataset_info,
    from_arrays,
    load_arff_dataset,
    load_dataset,
    validate_arrays,
)
from minicgmvae.errors import DataValueError

from helpers.datasets import GOOD_ROWS, write_arff

EXPECTED = {
    "yeast": (1350, 150, 917, 103, 14, 4.228, 4.2519),
    "scene": (1090, 121, 1196, 294, 6, 1.0619, 1.0861),
    "emotions": (352, 39, 202, 72, 6, 1.8133, 1.9752),
    "delicious": (11628, 1292, 3185, 500, 983, 19.0471, 18.9102),
}


# --------------------------------------------------------------------------- real datasets


@pytest.mark.parametrize("name", list(EXPECTED))
def test_shapes_dtypes_and_cardinality(name: str, data_env: Path) -> None:
    n_tr, n_va, n_te, d, n_lab, card_train, card_test = EXPECTED[name]
    data = load_dataset(name, progress=False)
    assert isinstance(data, MultiLabelData)
    assert data.x_train.shape == (n_tr, d) and data.y_train.shape == (n_tr, n_lab)
    assert data.x_val.shape == (n_va, d) and data.y_val.shape == (n_va, n_lab)
    assert data.x_test.shape == (n_te, d) and data.y_test.shape == (n_te, n_lab)
    assert (data.n_features, data.n_labels) == (d, n_lab)
    assert len(data.feature_names) == d and len(data.label_names) == n_lab
    for x, y in data.splits().values():
        assert x.dtype == np.float32 and y.dtype == np.float32
        assert np.isfinite(x).all() and set(np.unique(y)) <= {0.0, 1.0}
    # The MULAN train file (train + val) and test file have the MANIFEST cardinalities.
    y_file = np.concatenate([data.y_train, data.y_val])
    assert y_file.sum(1).mean() == pytest.approx(card_train, abs=6e-5)
    assert data.y_test.sum(1).mean() == pytest.approx(card_test, abs=6e-5)
    s = data.summary()
    assert s["samples"] == {"train": n_tr, "val": n_va, "test": n_te}
    assert s["cardinality"]["test"] == pytest.approx(card_test, abs=6e-5)
    assert s["density"]["test"] == pytest.approx(card_test / n_lab, abs=1e-5)
    assert repr(data).startswith(f"MultiLabelData(name={name!r}, train={n_tr}, val={n_va}")


def test_label_order_is_arff_order_and_names_match_xml(data_env: Path) -> None:
    data = load_dataset("yeast", progress=False)
    xml = read_mulan_xml(data_env / "yeast" / "yeast.xml")
    assert data.label_names == [f"Class{i}" for i in range(1, 15)]  # ARFF order
    assert xml != data.label_names and set(xml) == set(data.label_names)  # xml: other order
    assert data.feature_names[:2] == ["Att1", "Att2"]
    deli = load_dataset("delicious", progress=False)
    assert {"TAG_??", "TAG_???", "TAG_????"} <= set(deli.label_names)
    assert set(deli.label_names) == set(read_mulan_xml(data_env / "delicious" / "delicious.xml"))


def test_standardisation_uses_train_statistics_only(data_env: Path) -> None:
    z = load_dataset("scene", progress=False)
    raw = load_dataset("scene", progress=False, standardize=False)
    assert z.standardized and not raw.standardized and raw.feature_mean is None
    np.testing.assert_allclose(z.feature_mean, raw.x_train.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(z.feature_std, raw.x_train.std(0), rtol=1e-4)
    np.testing.assert_allclose(z.x_train.mean(0), 0.0, atol=1e-4)
    np.testing.assert_allclose(z.x_train.std(0), 1.0, atol=1e-3)
    # Val and test are transformed with the train statistics, so they are not centred.
    assert np.abs(z.x_test.mean(0)).max() > 1e-2
    np.testing.assert_allclose(z.x_test, (raw.x_test - z.feature_mean) / z.feature_std,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(z.y_val, raw.y_val)


def test_validation_split_is_the_documented_seeded_carve_out(data_env: Path) -> None:
    a = load_dataset("yeast", progress=False, standardize=False, seed=0)
    b = load_dataset("yeast", progress=False, standardize=False, seed=0)
    c = load_dataset("yeast", progress=False, standardize=False, seed=1)
    np.testing.assert_array_equal(a.x_val, b.x_val)
    assert not np.array_equal(a.x_val, c.x_val)
    raw = read_arff(data_env / "yeast" / "yeast-train.arff", n_labels=14)
    perm = np.random.default_rng(0).permutation(1500)
    val_idx, train_idx = np.sort(perm[:150]), np.sort(perm[150:])
    np.testing.assert_array_equal(a.x_val, raw.features[val_idx])
    np.testing.assert_array_equal(a.y_train, raw.labels[train_idx])
    # Disjoint (yeast has no duplicated rows), and together they are the train file.
    rows = lambda x: {r.tobytes() for r in x}  # noqa: E731
    assert not rows(a.x_train) & rows(a.x_val)
    assert rows(a.x_train) | rows(a.x_val) == rows(raw.features)
    empty = load_dataset("yeast", progress=False, val_fraction=0.0)
    assert empty.x_val.shape == (0, 103) and empty.y_val.shape == (0, 14)
    assert empty.x_train.shape == (1500, 103)
    assert np.isnan(empty.summary()["cardinality"]["val"])
    for bad in (1.0, -0.1, "0.1"):
        with pytest.raises(DataValueError, match="val_fraction"):
            load_dataset("yeast", val_fraction=bad)


def test_cached_load_is_identical_fast_and_parses_nothing(fresh_data_env: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_dataset("delicious", progress=False)
    npz = list((fresh_data_env / "delicious").glob("parsed-*.npz"))
    assert len(npz) == 1
    with np.load(npz[0], allow_pickle=False) as z:  # names are stored as unicode, not objects
        assert z["label_names"].dtype.kind == "U"

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached load must not fetch or parse")

    monkeypatch.setattr(parsed_cache, "read_arff", boom)
    monkeypatch.setattr(parsed_cache, "fetch", boom)
    second = load_dataset("delicious", progress=False)
    for key in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(first, key), getattr(second, key))
    assert first.label_names == second.label_names
    assert first.feature_names == second.feature_names


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_parsed_cache_is_rebuilt(damage: str, fresh_data_env: Path) -> None:
    first = load_dataset("emotions", progress=False)
    (npz,) = (fresh_data_env / "emotions").glob("parsed-*.npz")
    blob = npz.read_bytes()
    npz.write_bytes(b"not a zip file" * 10 if damage == "garbage" else blob[: len(blob) // 2])
    with pytest.warns(RuntimeWarning, match="unreadable"):
        second = load_dataset("emotions", progress=False)
    np.testing.assert_array_equal(first.x_test, second.x_test)
    np.testing.assert_array_equal(first.y_train, second.y_train)
    with np.load(npz, allow_pickle=False) as z:  # rebuilt and readable again
        assert z["x_train"].shape == (391, 72)


def test_delicious_sparse_rows_and_samples_without_labels(data_env: Path) -> None:
    data = load_dataset("delicious", progress=False, standardize=False)
    path = data_env / "delicious" / "delicious-test.arff"
    # An independent reading with liac-arff's COO output.
    with open(path, encoding="utf-8") as f:
        values, rows, cols = arff.load(f, return_type=arff.COO)["data"]
    dense = np.zeros((3185, 1483), dtype=np.float32)
    dense[rows, cols] = np.asarray(values, dtype=np.float32)
    np.testing.assert_array_equal(data.x_test, dense[:, :500])
    np.testing.assert_array_equal(data.y_test, dense[:, 500:])
    no_label = 3185 - len({r for r, c in zip(rows, cols, strict=True) if c >= 500})
    s = data.summary()
    assert s["no_label"]["test"] == no_label > 0
    assert s["no_label"]["train"] + s["no_label"]["val"] > 0
    assert set(np.unique(data.x_train)) == {0.0, 1.0}  # nominal {0,1} features, read as numbers


def test_dataset_info_reports_registry_and_cache(fresh_data_env: Path) -> None:
    info = dataset_info("emotions")
    assert (info["samples"], info["features"], info["labels"]) == (593, 72, 6)
    assert info["cardinality"] == pytest.approx(1.8685)
    assert info["cached"] is False and info["cached_parsed"] is False
    load_dataset("emotions", progress=False)
    info = dataset_info("emotions")
    assert info["cached"] is True and info["cached_parsed"] is True
    assert info["cache_dir"] == str(fresh_data_env / "emotions")


# -------------------------------------------------------------------------- own ARFF files


def test_load_own_arff_files(tmp_path: Path) -> None:
    train = write_arff(tmp_path / "toy-train.arff", GOOD_ROWS * 5)
    test = write_arff(tmp_path / "toy-test.arff", GOOD_ROWS)
    xml = tmp_path / "toy.xml"
    xml.write_text('<labels xmlns="http://mulan.sourceforge.net/labels">'
                   '<label name="lab1"/><label name="lab0"/></labels>')
    data = load_arff_dataset(train, test, xml_path=xml, val_fraction=0.2)
    assert data.name == "toy" and data.label_names == ["lab0", "lab1"]
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (16, 4, 4)
    alone = load_arff_dataset(train, n_labels=2, test_fraction=0.25, val_fraction=0.0)
    assert (len(alone.x_train), len(alone.x_val), len(alone.x_test)) == (15, 0, 5)


# ------------------------------------------------------------------------------ own arrays


def test_from_arrays_splits_standardises_and_counts_empty_rows() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(5.0, 2.0, size=(100, 4))
    x[:, 3] = 7.0  # a constant column: std 0 -> 1, no division by zero
    y = (rng.random((100, 3)) < 0.3).astype(int)
    y[:10] = 0  # samples with no positive label are allowed
    data = from_arrays(x, y, seed=5)
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (72, 8, 20)
    assert data.label_names == ["label0", "label1", "label2"] and data.feature_names[0] == "f0"
    assert data.feature_std[3] == 1.0 and np.all(data.x_train[:, 3] == 0.0)
    np.testing.assert_allclose(data.x_train[:, :3].mean(0), 0.0, atol=1e-5)
    s = data.summary()
    assert sum(s["no_label"].values()) == int((y.sum(1) == 0).sum())
    assert s["samples"] == {"train": 72, "val": 8, "test": 20}
    again = from_arrays(x, y, seed=5)
    np.testing.assert_array_equal(data.x_test, again.x_test)
    own = from_arrays(x[:80], y[:80], x_test=x[80:], y_test=y[80:], standardize=False,
                      val_fraction=0.0, label_names=["a", "b", "c"])
    np.testing.assert_array_equal(own.x_test, x[80:].astype(np.float32))
    assert own.x_val.shape == (0, 4) and own.feature_mean is None


@pytest.mark.parametrize("x, y, pattern", [
    (np.zeros((10, 3)), np.zeros((9, 2)), r"different numbers of rows: 10 vs 9"),
    (np.zeros((10, 3)), np.zeros(10), r"2-D.*reshape"),
    (np.zeros((10, 3)), np.zeros((10, 0)), r"at least 1 sample, 1 feature and 1 label"),
    (np.zeros((10, 0)), np.zeros((10, 2)), r"at least 1 sample, 1 feature and 1 label"),
    (np.array([["a", "b"]] * 10), np.zeros((10, 2)), r"must be numeric"),
])
def test_array_validation_shapes(x: np.ndarray, y: np.ndarray, pattern: str) -> None:
    with pytest.raises(DataValueError, match=pattern):
        from_arrays(x, y)


def test_array_validation_values() -> None:
    x = np.ones((10, 3))
    x[3, 1] = np.nan
    x[5, 2] = np.inf
    with pytest.raises(DataValueError, match=r"2 NaN or infinite.*row 3, column 1"):
        from_arrays(x, np.zeros((10, 2)))
    y = np.zeros((10, 2))
    y[4, 1] = 2
    y[6, 0] = 0.5
    with pytest.raises(DataValueError, match=r"0 or 1.*2 entries.*2\.0.*row 4, column 1"):
        validate_arrays(np.ones((10, 3)), y)
    with pytest.raises(DataValueError, match="both x_test and y_test"):
        from_arrays(np.ones((10, 3)), np.zeros((10, 2)), x_test=np.ones((2, 3)))
    with pytest.raises(DataValueError, match="test arrays have 4 features"):
        from_arrays(np.ones((10, 3)), np.zeros((10, 2)), x_test=np.ones((2, 4)),
                    y_test=np.zeros((2, 2)))
    with pytest.raises(DataValueError, match="2 label names given for 3 labels"):
        from_arrays(np.ones((10, 3)), np.zeros((10, 3)), label_names=["a", "b"])
