"""Experiments over seeds: re-scoring stored runs from their checkpoints, and merging seed
records."""

from __future__ import annotations

import copy

import pytest

from minicgmvae.config import TrainConfig
from minicgmvae.errors import CheckpointError, DataValueError
from minicgmvae.studies.experiments import evaluate_model

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


def test_train_seeds_honours_select_by_and_keeps_the_best_fit_in_memory():
    import numpy as np

    from minicgmvae.studies.experiments import train_seeds
    from minicgmvae.training import predict_proba

    data = toy_data()
    tc = TrainConfig(epochs=2, t0=2, select_by="micro_f1")
    record = train_seeds(data, [1, 2], small_config(), tc, device="cpu", progress=False,
                         keep_best=True)
    best = record.pop("best_fit")
    for run in record["runs"]:  # the honest threshold is chosen by the run's own select_by
        assert run["protocols"]["honest"]["select_by"] == "micro_f1"
    chosen = max(record["runs"], key=lambda r: r["best_val_score"])
    assert best.train_config.seed == chosen["seed"] and best.best_epoch == chosen["best_epoch"]
    assert best.extra["threshold"] == chosen["protocols"]["honest"]["thresholds"]["micro_f1"]
    # the kept model is the one scored: its honest numbers come out again
    again = evaluate_model(best.model, data, "micro_f1")["honest"]
    assert again == chosen["protocols"]["honest"]
    assert np.all(np.isfinite(predict_proba(best.model, data.x_test)))
    assert "best_fit" not in train_seeds(data, [1], small_config(), tc, device="cpu",
                                         progress=False)


def test_a_run_writes_its_checkpoint_once_unless_asked_for_more(tmp_path, monkeypatch):
    import minicgmvae.trainer as trainer
    from minicgmvae.studies.experiments import train_seeds

    saved = []
    real = trainer.save_checkpoint
    monkeypatch.setattr(trainer, "save_checkpoint", lambda p, x: saved.append(p) or real(p, x))
    tc = TrainConfig(epochs=4, t0=2)
    train_seeds(toy_data(), [1], small_config(), tc, device="cpu", progress=False,
                out_dir=tmp_path / "a", checkpoint_seconds=3600.0)
    assert saved == [tmp_path / "a" / "seed-1.pt"]  # the final one only
    saved.clear()
    train_seeds(toy_data(), [1], small_config(), tc, device="cpu", progress=False,
                out_dir=tmp_path / "b", checkpoint_every=2)
    assert len(saved) == 3  # epochs 2 and 4, and the final one
    saved.clear()
    train_seeds(toy_data(), [1], small_config(), tc, device="cpu", progress=False,
                out_dir=tmp_path / "c", checkpoint_seconds=1e-9)
    assert len(saved) == 5  # every epoch is past the interval, and the final one
