"""Data efficiency: every method trained on every training fraction, and the learning curve."""

from __future__ import annotations

import numpy as np
import pytest

from minicgmvae.studies.data_efficiency import get_cell, learning_curve, run_data_efficiency

from helpers.datasets import toy


def test_data_efficiency_trains_every_method_on_every_fraction():
    data = toy()
    rec = run_data_efficiency(
        data,
        fractions=[0.5, 1.0],
        seeds=[1, 2],
        methods=["cgmvae", "br"],
        epochs=2,
        device="cpu",
        progress=False,
    )
    keys = set(rec["cells"])
    assert keys == {
        "cgmvae|0.5|random",
        "br|0.5|random",
        "cgmvae|1|random",
        "br|1|random",
        "cgmvae|0.5|first",
        "br|0.5|first",
    }
    n = len(data.x_train)
    assert rec["cells"]["br|0.5|first"]["n_train"] == round(0.5 * n)
    assert rec["cells"]["cgmvae|1|random"]["n_train"] == n
    assert get_cell(rec, "br", 0.5, "first") is rec["cells"]["br|0.5|first"]
    assert "C" in get_cell(rec, "br", 1.0)["runs"][0]["params"]
    with pytest.raises(KeyError, match="mlp"):
        get_cell(rec, "mlp", 1.0)
    f, m, s = learning_curve(rec, "br", "macro_f1")
    np.testing.assert_array_equal(f, [0.5, 1.0])
    assert np.all((m > 0) & (m <= 1)) and np.all(s >= 0)
    with pytest.raises(ValueError, match="Unknown methods"):
        run_data_efficiency(data, methods=["svm"])
    with pytest.raises(ValueError, match="Cannot resume"):  # other seeds: no mixed cells
        run_data_efficiency(data, seeds=[1], epochs=2, previous=rec)
