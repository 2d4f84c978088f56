"""The registry: the datasets known, their files' URLs, sizes and checksums, and what is not
loadable yet."""

from __future__ import annotations

from pathlib import Path

import pytest

from minicgmvae.data import download, registry
from minicgmvae.data.datasets import dataset_info, list_datasets, load_dataset
from minicgmvae.errors import DatasetNotFoundError, DataValueError


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
