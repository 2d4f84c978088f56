"""Checkpoints: the errors of a wrong, damaged, foreign or old file."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from minicgmvae.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from minicgmvae.config import TrainConfig
from minicgmvae.errors import CheckpointError
from minicgmvae.model import CGMVAE
from minicgmvae.training import fit

from helpers.model import E, small_config, toy_data


def test_checkpoint_errors(tmp_path):
    data = toy_data()
    fit(
        data,
        small_config(),
        TrainConfig(epochs=1),
        progress=False,
        checkpoint_path=tmp_path / "a.pt",
    )
    ckpt = load_checkpoint(tmp_path / "a.pt")
    # another architecture: a clear error naming the shapes
    ckpt["model_config"] = {**ckpt["model_config"], "embed_dim": E * 2}
    with pytest.raises(CheckpointError, match="shape mismatch"):
        model_from_checkpoint(ckpt)
    # a truncated file
    raw = (tmp_path / "a.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(tmp_path / "cut.pt")
    # a bare state_dict is not a checkpoint
    torch.save(CGMVAE(small_config()).state_dict(), tmp_path / "bare.pt")
    with pytest.raises(CheckpointError, match="not a minicgmvae checkpoint"):
        load_checkpoint(tmp_path / "bare.pt")
    # a pickle of an arbitrary object is refused, not executed
    torch.save(
        {"format": "minicgmvae-checkpoint", "obj": SimpleNamespace(a=1)}, tmp_path / "evil.pt"
    )
    with pytest.raises(CheckpointError, match="could run code") as info:
        load_checkpoint(tmp_path / "evil.pt")
    # one line, and without torch's advice to load it unsafely
    assert "weights_only" not in str(info.value) and "\n" not in str(info.value)
    # another version
    save_checkpoint(tmp_path / "v0.pt", {"model_config": {}, "state_dict": {}, "version": 0})
    with pytest.raises(CheckpointError, match="version 0"):
        load_checkpoint(tmp_path / "v0.pt")
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave no temporary files
