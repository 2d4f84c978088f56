"""Early stopping (``TrainConfig.patience``): training stops after ``patience`` epochs
without a better validation score and keeps the best epoch's weights; ``None`` (the
reproduction's setting) runs every epoch."""

from __future__ import annotations

import pytest
import torch

from minicgmvae.config import TrainConfig, paper_settings
from minicgmvae.metrics import PAPER_THRESHOLDS
from minicgmvae.training import fit, validation_score
from tests.helpers.model import small_config, toy_data


def _val_score(model, data) -> float:
    x, y = torch.from_numpy(data.x_val), torch.from_numpy(data.y_val)
    return validation_score(model, x, y, torch.tensor(PAPER_THRESHOLDS, dtype=torch.float64),
                            "macro_f1")


def test_early_stopping_stops_after_patience_epochs_without_a_better_score():
    # lr 0 (and eta_min 0): the weights never move, so epoch 1 stays the best
    tc = TrainConfig(lr=0.0, eta_min=0.0, epochs=30, batch_size=64, patience=3, seed=1)
    res = fit(toy_data(), small_config(), tc, device="cpu")
    assert res.history["epoch"] == [1, 2, 3, 4]
    assert res.best_epoch == 1


def test_early_stopping_keeps_the_best_epoch():
    data = toy_data()
    tc = TrainConfig(lr=3e-3, epochs=300, batch_size=32, patience=4, seed=2)
    res = fit(data, small_config(), tc, device="cpu")
    ran = len(res.history["epoch"])
    assert ran < 300, "the run should have stopped early"
    assert ran == res.best_epoch + 4
    assert max(res.history["val_score"]) == res.best_score
    assert _val_score(res.model, data) == pytest.approx(res.best_score)


def test_no_patience_runs_every_epoch_and_the_reproduction_has_none():
    tc = TrainConfig(lr=0.0, eta_min=0.0, epochs=6, batch_size=64, seed=1)
    assert len(fit(toy_data(), small_config(), tc, device="cpu").history["epoch"]) == 6
    assert paper_settings("yeast", 103, 14).train.patience is None


def test_patience_below_one_is_refused():
    with pytest.raises(ValueError, match="patience must be None or >= 1"):
        TrainConfig(patience=0)
