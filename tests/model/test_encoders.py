"""The encoders: dropout's probability is the probability of dropping."""

from __future__ import annotations

import torch

from minicgmvae.model import CGMVAE

from helpers.model import small_config


def test_dropout_probability_is_the_drop_probability():
    cfg = small_config(dropout=0.2)
    model = CGMVAE(cfg)
    drops = [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    assert drops and all(p == 0.2 for p in drops)
    torch.manual_seed(0)
    zeroed = (model.label_encoder.dropout(torch.ones(100_000)) == 0).float().mean()
    assert abs(float(zeroed) - 0.2) < 0.01
