"""Dataset loading: registry, download cache, ARFF parsing, splits and their promises.

Real datasets come from a local mirror (``conftest.data_env``); network behaviour is tested
against a loopback HTTP server and a closed loopback port, never the internet.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import arff
import numpy as np
import pytest

from minicgmvae.data import datasets as ds_mod
from minicgmvae.data import download, registry
from minicgmvae.data.arffio import read_arff, read_mulan_xml
from minicgmvae.data.datasets import (
    MultiLabelData,
    dataset_info,
    from_arrays,
    list_datasets,
    load_arff_dataset,
    load_dataset,
    validate_arrays,
)
from minicgmvae.data.download import fetch, resolve_cache_dir
from minicgmvae.errors import (
    ChecksumError,
    DataFormatError,
    DatasetNotFoundError,
    DataValueError,
    DownloadError,
)

# name: (train, val, test, features, labels, MULAN train cardinality, test cardinality)
EXPECTED = {
    "yeast": (1350, 150, 917, 103, 14, 4.228, 4.2519),
    "scene": (1090, 121, 1196, 294, 6, 1.0619, 1.0861),
    "emotions": (352, 39, 202, 72, 6, 1.8133, 1.9752),
    "delicious": (11628, 1292, 3185, 500, 983, 19.0471, 18.9102),
}


# --------------------------------------------------------------------------- helpers


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port() -> int:
    """A loopback port nobody listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def offline_origin(monkeypatch: pytest.MonkeyPatch) -> str:
    """Point every public origin URL at a closed loopback port; returns the base URL."""
    base = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setattr(registry, "RAW_BASE_URL", base)
    return base


@pytest.fixture
def mirror(shared_mirror: Path | None) -> Path:
    if shared_mirror is None:
        pytest.skip("no local mirror of the datasets (set MINICGMVAE_TEST_MIRROR)")
    return shared_mirror


def leftovers(folder: Path) -> list[str]:
    """Every file under ``folder`` (temp files included)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def write_arff(path: Path, rows: list[str], *, n_feat: int = 3, n_lab: int = 2,
               label_type: str = "{0,1}", feat_type: str = "numeric",
               relation: str = "toy") -> Path:
    """A small MULAN-style ARFF: line 1 @relation, attributes, @data, then ``rows``.

    With the defaults the attributes take lines 2-6, @data is line 7, row i is line 8 + i.
    """
    header = [f"@relation {relation}"]
    header += [f"@attribute f{i} {feat_type}" for i in range(n_feat)]
    header += [f"@attribute lab{j} {label_type}" for j in range(n_lab)]
    header.append("@data")
    path.write_text("\n".join(header + rows) + "\n", encoding="utf-8")
    return path


GOOD_ROWS = ["0.5,1.0,-2.0,1,0", "1.5,2.0,0.0,0,1", "2.5,3.0,2.0,1,1", "3.5,4.0,4.0,0,0"]


# --------------------------------------------------------------------------- registry


def test_registry_urls_sizes_and_checksums(mirror: Path) -> None:
    yeast_train = registry.get_spec("yeast").file("train")
    assert yeast_train.url == (
        "https://raw.githubusercontent.com/tsoumakas/mulan/"
        "43f6389095ad71984264db4387a8074b22bc7d4a/data/multi-label/yeast/yeast-train.arff")
    n_files = 0
    for spec in registry.DATASETS.values():
        for f in spec.files:
            local = mirror / spec.name / f.filename
            assert local.stat().st_size == f.size, f.filename
            assert download.sha256_file(local) == f.sha256, f.filename
            n_files += 1
    assert n_files == 17


def test_list_datasets_and_unknown_name() -> None:
    assert list_datasets() == ["yeast", "scene", "emotions", "delicious", "sider"]
    with pytest.raises(DatasetNotFoundError) as err:
        load_dataset("yeats")
    msg = str(err.value)
    assert "Did you mean 'yeast'" in msg
    for name in ("yeast", "scene", "emotions", "delicious"):
        assert name in msg
    assert isinstance(err.value, KeyError)  # existing `except KeyError` keeps working
    with pytest.raises(DatasetNotFoundError, match="Known datasets"):
        dataset_info("mirflickr")


def test_sider_is_listed_but_not_loadable(fresh_data_env: Path) -> None:
    info = dataset_info("sider")
    assert info["supported"] is False and info["labels"] == 27
    assert info["files"][0]["sha256"].startswith("71efc6ac")
    assert "chemprop/chemprop/b83635bc" in info["files"][0]["url"]
    with pytest.raises(DataValueError, match="SMILES.*no numeric features") as err:
        load_dataset("sider")
    assert "not supported yet" in str(err.value).lower()
    assert not fresh_data_env.exists()  # refused before touching the cache


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

    monkeypatch.setattr(ds_mod, "read_arff", boom)
    monkeypatch.setattr(ds_mod, "fetch", boom)
    t0 = time.perf_counter()
    second = load_dataset("delicious", progress=False)
    elapsed = time.perf_counter() - t0
    assert elapsed < 2.0  # ~0.1-0.3 s measured; generous for a loaded 2-core machine
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


def test_gzipped_union_file_is_train_then_test(data_env: Path) -> None:
    gz = fetch("scene", "scene.orig.arff.gz", progress=False)
    union = read_arff(gz, n_labels=6)
    train = read_arff(fetch("scene", "scene-train.arff", progress=False), n_labels=6)
    test = read_arff(fetch("scene", "scene-test.arff", progress=False), n_labels=6)
    assert union.relation == "scene" and union.features.shape == (2407, 294)
    np.testing.assert_array_equal(union.features, np.concatenate([train.features, test.features]))
    np.testing.assert_array_equal(union.labels, np.concatenate([train.labels, test.labels]))


def test_dataset_info_reports_registry_and_cache(fresh_data_env: Path) -> None:
    info = dataset_info("emotions")
    assert (info["samples"], info["features"], info["labels"]) == (593, 72, 6)
    assert info["cardinality"] == pytest.approx(1.8685)
    assert info["cached"] is False and info["cached_parsed"] is False
    load_dataset("emotions", progress=False)
    info = dataset_info("emotions")
    assert info["cached"] is True and info["cached_parsed"] is True
    assert info["cache_dir"] == str(fresh_data_env / "emotions")


# --------------------------------------------------------------------------- cache and download


def test_cache_dir_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MINICGMVAE_DATA_DIR", str(tmp_path / "env"))
    assert resolve_cache_dir(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_cache_dir() == tmp_path / "env"
    monkeypatch.delenv("MINICGMVAE_DATA_DIR")
    repo = Path(download.__file__).resolve().parents[1]
    if (repo / "pyproject.toml").is_file() and (repo / "data").is_dir():
        assert resolve_cache_dir() == repo / "data"  # running from a source checkout
    monkeypatch.setattr(download, "_checkout_data_dir", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert resolve_cache_dir() == tmp_path / "xdg" / "minicgmvae"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_cache_dir() == tmp_path / "home" / ".cache" / "minicgmvae"


@pytest.mark.parametrize("kind", ["folder", "file-url"])
def test_fetch_from_local_mirror(kind: str, mirror: Path, tmp_path: Path,
                                 offline_origin: str) -> None:
    m = str(mirror) if kind == "folder" else mirror.as_uri()
    path = fetch("emotions", "emotions.xml", cache_dir=tmp_path, mirror=m, progress=False)
    assert path == tmp_path / "emotions" / "emotions.xml"
    assert download.sha256_file(path) == registry.get_spec("emotions").file("labels").sha256
    assert not [p for p in leftovers(tmp_path) if p.endswith((".part", ".tmp"))]


def test_download_over_http_then_cached_without_rehashing(
        mirror: Path, tmp_path: Path, offline_origin: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MINICGMVAE_DATA_MIRROR", raising=False)
    with serve(mirror) as url:
        data = load_dataset("emotions", cache_dir=tmp_path, mirror=url, progress=False)
        path = fetch("emotions", "emotions-train.arff", cache_dir=tmp_path, mirror=url)
    assert data.x_test.shape == (202, 72)
    assert download.sha256_file(path) == registry.get_spec("emotions").file("train").sha256
    assert not [p for p in leftovers(tmp_path) if p.endswith((".part", ".tmp"))]

    # A cached, stamped file is trusted without hashing it again (and without a server).
    def no_hash(p: object) -> str:
        raise AssertionError("a verified cached file must not be re-hashed")

    monkeypatch.setattr(download, "sha256_file", no_hash)
    assert fetch("emotions", "emotions-train.arff", cache_dir=tmp_path) == path


@pytest.mark.parametrize("how", ["same-size", "truncated", "too-long"])
def test_checksum_mismatch_keeps_nothing(how: str, mirror: Path, tmp_path: Path,
                                         offline_origin: str) -> None:
    good = (mirror / "emotions" / "emotions.xml").read_bytes()
    bad = {"same-size": good.replace(b"happy", b"HAPPY"), "truncated": good[:100],
           "too-long": good + b"x" * 5000}[how]
    served = tmp_path / "served" / "emotions"
    served.mkdir(parents=True)
    (served / "emotions.xml").write_bytes(bad)
    cache = tmp_path / "cache"
    with serve(tmp_path / "served") as url, pytest.raises(ChecksumError) as err:
        fetch("emotions", "emotions.xml", cache_dir=cache, mirror=url, progress=False)
    msg = str(err.value)
    expected = registry.get_spec("emotions").file("labels").sha256
    assert "emotions.xml" in msg and expected in msg and url in msg
    assert "MINICGMVAE_DATA_MIRROR" in msg
    if how != "too-long":
        assert hashlib.sha256(bad).hexdigest() in msg
    assert leftovers(cache) == []  # neither the file nor a temp file


def test_no_network_and_no_mirror_gives_a_helpful_download_error(
        tmp_path: Path, offline_origin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MINICGMVAE_DATA_MIRROR", raising=False)
    with pytest.raises(DownloadError) as err:
        fetch("yeast", "yeast.xml", cache_dir=tmp_path, progress=False)
    msg = str(err.value)
    assert f"{offline_origin}/tsoumakas/mulan/" in msg and "yeast/yeast.xml" in msg
    assert "MINICGMVAE_DATA_MIRROR" in msg and "<mirror>/yeast/yeast.xml" in msg
    assert isinstance(err.value, OSError)
    with pytest.raises(DownloadError):
        load_dataset("yeast", cache_dir=tmp_path, progress=False)
    assert leftovers(tmp_path) == []


def test_mirror_without_the_file_falls_back_to_origin(tmp_path: Path, offline_origin: str) -> None:
    (tmp_path / "empty-mirror").mkdir()
    with pytest.raises(DownloadError) as err:
        fetch("yeast", "yeast.xml", cache_dir=tmp_path / "c", mirror=tmp_path / "empty-mirror",
              progress=False)
    msg = str(err.value)
    assert "mirror: file://" in msg and f"origin: {offline_origin}" in msg


@pytest.mark.parametrize("damage", ["truncated", "same-size"])
def test_corrupt_cached_file_is_fetched_again(damage: str, mirror: Path, tmp_path: Path,
                                              offline_origin: str) -> None:
    path = fetch("yeast", "yeast.xml", cache_dir=tmp_path, mirror=mirror, progress=False)
    blob = path.read_bytes()
    st = path.stat()
    path.write_bytes(blob[:50] if damage == "truncated" else blob.replace(b"Class", b"CLASS"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a later modification
    with pytest.warns(RuntimeWarning, match="does not match"):
        again = fetch("yeast", "yeast.xml", cache_dir=tmp_path, mirror=mirror, progress=False)
    assert again.read_bytes() == blob


# --------------------------------------------------------------------------- ARFF parsing


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


# --------------------------------------------------------------------------- own arrays


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
