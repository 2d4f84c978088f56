"""The settings: the paper's per-dataset settings and their overrides."""

from __future__ import annotations

import pytest

from minicgmvae.config import paper_settings


def test_paper_settings():
    s = paper_settings("yeast", 103, 14)
    assert (s.train.lr, s.train.epochs, s.model.embed_dim, s.model.bce_weight) == (
        6e-4,
        800,
        2048,
        0.5,
    )
    assert paper_settings("scene", 294, 6, epochs=3).train.epochs == 3
    with pytest.raises(ValueError, match="Unknown setting"):
        paper_settings("scene", 294, 6, epoch=3)
