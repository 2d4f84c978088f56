"""Experiments over seeds: re-scoring stored runs from their checkpoints, and merging seed
records."""

from __future__ import annotations

import copy

import pytest

from minicgmvae.config import TrainConfig
from minicgmvae.errors import CheckpointError, DataValueError

from helpers.model import small_config, toy_data


def test_rescore_runs_adds_a_protocol_and_refuses_what_the_checkpoints_do_not_reproduce(
    tmp_path,
):
    import shutil

    from minicgmvae.studies.experiments import rescore_runs, train_seeds

    data = toy_data()
    record = train_seeds(
        data, [1, 2], small_config(), TrainConfig(epochs=2, t0=2), device="cpu",
        out_dir=tmp_path, progress=False,
    )  # fmt: skip
    older = copy.deepcopy(record)  # as written before the per-metric protocol existed
    for run in older["runs"]:
        del run["protocols"]["honest-per-metric"]
    again = rescore_runs(older, data, tmp_path)
    assert [r["protocols"] for r in again["runs"]] == [r["protocols"] for r in record["runs"]]
    assert again["summary"] == record["summary"]
    assert again["rescored"][-1]["added"] == ["honest-per-metric"]
    assert rescore_runs(record, data, tmp_path)["rescored"][-1]["added"] == []

    # other data of the same sizes: the stored numbers are not reproduced
    with pytest.raises(CheckpointError, match="does not reproduce"):
        rescore_runs(record, toy_data(seed=1), tmp_path)
    # a split of other sizes is refused before any checkpoint is read
    with pytest.raises(DataValueError, match="split"):
        rescore_runs(record, toy_data(n=200), tmp_path)
    # seed 1's checkpoint under seed 2's name
    shutil.copy(tmp_path / "seed-1.pt", tmp_path / "seed-2.pt")
    with pytest.raises(CheckpointError, match="seed 2"):
        rescore_runs(record, data, tmp_path)


def test_merge_seed_records_joins_seeds_of_one_experiment_and_refuses_others():
    from minicgmvae.studies.experiments import merge_seed_records, train_seeds

    data = toy_data()
    cfg, tc = small_config(), TrainConfig(epochs=1, t0=1)
    a = train_seeds(data, [1, 2], cfg, tc, device="cpu", progress=False)
    b = train_seeds(data, [3], cfg, tc, device="cpu", progress=False)
    both = train_seeds(data, [1, 2, 3], cfg, tc, device="cpu", progress=False)
    merged = merge_seed_records([a, b])
    assert [r["seed"] for r in merged["runs"]] == merged["train_config"]["seed"] == [1, 2, 3]
    # the same numbers as one command that trained all three seeds
    assert merged["summary"] == both["summary"]
    assert merged["merged_provenance"] == [b["provenance"]]
    with pytest.raises(ValueError, match="seed appears twice"):
        merge_seed_records([a, a])
    other = train_seeds(data, [4], small_config(kl_weight=1.0), tc, device="cpu", progress=False)
    with pytest.raises(ValueError, match="settings"):
        merge_seed_records([a, other])
