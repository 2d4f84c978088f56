"""The training loop's promises: it learns, repeats bit for bit, resumes, checks its input and
leaves the caller's state alone."""

from __future__ import annotations

import pytest
import torch

from minicgmvae.checkpoint import load_checkpoint, model_from_checkpoint
from minicgmvae.config import TrainConfig
from minicgmvae.errors import CheckpointError, DataValueError, DeviceError
from minicgmvae.model import CGMVAE
from minicgmvae.training import fit

from helpers.model import L, small_config, toy_data


def test_overfits_a_tiny_dataset():
    data = toy_data(64)
    data.x_val, data.y_val = data.x_train, data.y_train
    cfg = small_config(dropout=0.0)
    res = fit(data, cfg, TrainConfig(epochs=150, lr=3e-3, batch_size=32, seed=0), progress=False)
    probs = res.model.predict_proba(torch.tensor(data.x_train)).numpy()
    accuracy = ((probs > 0.5) == (data.y_train > 0.5)).mean()
    assert accuracy > 0.97
    assert res.history["loss"][-1] < 0.5 * res.history["loss"][0]


def test_training_is_bitwise_repeatable_on_cpu():
    data = toy_data()
    runs = [
        fit(data, small_config(), TrainConfig(epochs=3, seed=5), device="cpu", progress=False)
        for _ in range(2)
    ]
    for (k, a), b in zip(runs[0].model.state_dict().items(), runs[1].model.state_dict().values()):
        assert torch.equal(a, b), k
    assert runs[0].history["loss"] == runs[1].history["loss"]
    other = fit(data, small_config(), TrainConfig(epochs=3, seed=6), progress=False)
    assert other.history["loss"] != runs[0].history["loss"]


def test_checkpoint_round_trip_and_resume(tmp_path):
    data = toy_data()
    cfg, tc = small_config(), TrainConfig(epochs=4, seed=2, t0=2)
    full = fit(data, cfg, tc, progress=False, checkpoint_path=tmp_path / "full.pt")
    # round trip: the saved best weights give the same predictions
    model = model_from_checkpoint(load_checkpoint(tmp_path / "full.pt"))
    x = torch.tensor(data.x_test)
    torch.testing.assert_close(model.predict_proba(x), full.model.predict_proba(x), rtol=0, atol=0)
    # resume: stop after 2 epochs (checkpoint_every), then continue to 4
    part = tmp_path / "part.pt"
    ckpt = fit(
        data,
        cfg,
        TrainConfig(epochs=4, seed=2, t0=2),
        progress=False,
        checkpoint_path=part,
        checkpoint_every=2,
    )
    payload = load_checkpoint(part)
    assert payload["epoch"] == 4
    # rebuild a mid-run checkpoint by training 2 of 4 epochs with the same config
    fit_2 = _train_two_of_four(data, cfg, tmp_path / "mid.pt")
    assert fit_2["epoch"] == 2
    resumed = fit(data, cfg, tc, progress=False, checkpoint_path=tmp_path / "mid.pt", resume=True)
    assert resumed.history["loss"] == full.history["loss"]
    for a, b in zip(resumed.model.state_dict().values(), full.model.state_dict().values()):
        assert torch.equal(a, b)
    assert ckpt.history["loss"] == full.history["loss"]


def _train_two_of_four(data, cfg, path):
    """Run the 4-epoch config but interrupt it after epoch 2 (as a crash would)."""
    import minicgmvae.trainer as training

    class Stop(Exception):
        pass

    real_save = training.save_checkpoint

    def save_then_stop(p, payload):
        real_save(p, payload)
        raise Stop

    training.save_checkpoint = save_then_stop
    try:
        with pytest.raises(Stop):
            fit(
                data,
                cfg,
                TrainConfig(epochs=4, seed=2, t0=2),
                progress=False,
                checkpoint_path=path,
                checkpoint_every=2,
            )
    finally:
        training.save_checkpoint = real_save
    return load_checkpoint(path)


def test_resume_with_other_settings_is_refused(tmp_path):
    data = toy_data()
    fit(
        data,
        small_config(),
        TrainConfig(epochs=1),
        progress=False,
        checkpoint_path=tmp_path / "a.pt",
    )
    with pytest.raises(CheckpointError, match="other settings"):
        fit(
            data,
            small_config(),
            TrainConfig(epochs=2),
            progress=False,
            checkpoint_path=tmp_path / "a.pt",
            resume=True,
        )


def test_label_count_mismatch_and_missing_gpu():
    data = toy_data()
    with pytest.raises(DataValueError, match="labels"):
        fit(data, small_config(n_labels=L + 1), TrainConfig(epochs=1), progress=False)
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="no CUDA GPU"):
            fit(data, small_config(), TrainConfig(epochs=1), device="cuda", progress=False)


def test_epoch_callback_sees_every_epoch_and_changes_nothing():
    data = toy_data()
    seen = []
    with_cb = fit(
        data,
        small_config(),
        TrainConfig(epochs=3, seed=4),
        progress=False,
        on_epoch_end=lambda e, m: seen.append((e, m.predict_proba(torch.tensor(data.x_val)))),
    )
    plain = fit(data, small_config(), TrainConfig(epochs=3, seed=4), progress=False)
    assert [e for e, _ in seen] == [1, 2, 3]
    assert with_cb.history["loss"] == plain.history["loss"]


def test_fit_leaves_the_callers_random_state_alone():
    data = toy_data()
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    first = fit(data, small_config(), TrainConfig(epochs=2, seed=4), progress=False)
    assert torch.equal(torch.rand(3), expected)  # as if fit had not run
    torch.manual_seed(123)  # another caller state: the run itself does not depend on it
    second = fit(data, small_config(), TrainConfig(epochs=2, seed=4), progress=False)
    assert first.history["loss"] == second.history["loss"]


def test_train_one_epoch_is_fits_epoch():
    from minicgmvae.training import make_adam, train_one_epoch

    data = toy_data()
    tc = TrainConfig(epochs=1, seed=5, batch_size=64)
    result = fit(data, small_config(), tc, progress=False, device="cpu")
    torch.manual_seed(tc.seed)  # what fit does before building the model
    model = CGMVAE(small_config())
    optimizer = make_adam(model, tc, torch.device("cpu"))
    x, y = torch.tensor(data.x_train), torch.tensor(data.y_train)
    sums = train_one_epoch(
        model, optimizer, x, y, batch_size=64, generator=torch.Generator().manual_seed(tc.seed)
    )
    assert sums.shape == (4,)
    means = (sums / len(x)).tolist()
    assert [result.history[k][0] for k in ("loss", "bce", "kl", "contrastive")] == means
