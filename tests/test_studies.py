"""The studies beyond the paper: subsets, diagnostics, ablations, data efficiency."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from minicgmvae.config import ModelConfig
from minicgmvae.data.datasets import from_arrays
from minicgmvae.data.subsets import most_frequent_labels, training_subset
from minicgmvae.diagnostics import collapse_report, embedding_cooccurrence
from minicgmvae.errors import DataValueError
from minicgmvae.model import CGMVAE
from minicgmvae.studies.ablations import (
    VARIANT_KEYS,
    get_variants,
    run_ablation,
    seed_ranges_separate,
    seed_values,
)
from minicgmvae.studies.data_efficiency import get_cell, learning_curve, run_data_efficiency


def toy(n: int = 120, d: int = 5, n_labels: int = 4, seed: int = 0):
    """Labels that are simple functions of the features, so a model can learn them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x[:, :n_labels] > 0).astype(np.float32)
    y[:, -1] = y[:, 0]  # two labels that always co-occur
    return from_arrays(x, y, name="toy", val_fraction=0.2, test_fraction=0.2, seed=0)


# --- subsets ----------------------------------------------------------------------------
def test_random_training_subsets_are_nested_and_leave_val_and_test_alone():
    data = toy()
    n = len(data.x_train)
    small, big = training_subset(data, 0.25, seed=3), training_subset(data, 0.75, seed=3)
    assert len(small.x_train) == round(0.25 * n) and len(big.x_train) == round(0.75 * n)
    rows = {tuple(r) for r in big.x_train.tolist()}
    assert all(tuple(r) in rows for r in small.x_train.tolist())  # nested
    assert small.x_val is data.x_val and small.y_test is data.y_test
    assert not np.array_equal(training_subset(data, 0.25, seed=4).x_train, small.x_train)
    assert len(data.x_train) == n  # the input is unchanged


def test_first_half_is_the_first_rows_whatever_the_seed():
    data = toy()
    a = training_subset(data, 0.5, seed=1, mode="first")
    b = training_subset(data, 0.5, seed=2, mode="first")
    np.testing.assert_array_equal(a.x_train, data.x_train[: len(a.x_train)])
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert a.info["train_subset"]["mode"] == "first"


@pytest.mark.parametrize("fraction", [0.0, -0.1, 1.5])
def test_bad_fraction_is_refused(fraction):
    with pytest.raises(DataValueError, match="fraction"):
        training_subset(toy(), fraction)
    with pytest.raises(DataValueError, match="mode"):
        training_subset(toy(), 0.5, mode="last")


def test_most_frequent_labels_keeps_the_top_k_in_order():
    x = np.zeros((6, 2), np.float32)
    y = np.array([[1, 0, 1], [1, 0, 1], [0, 0, 1], [0, 1, 1], [1, 0, 0], [0, 0, 0]], np.float32)
    data = from_arrays(x, y, x_test=x, y_test=y, name="t", val_fraction=0.0, standardize=False)
    two = most_frequent_labels(data, 2)  # counts 3, 1, 4 -> labels 0 and 2, in that order
    np.testing.assert_array_equal(two.y_train, y[:, [0, 2]])
    assert two.label_names == [data.label_names[0], data.label_names[2]]
    with pytest.raises(DataValueError, match="between 1 and 3"):
        most_frequent_labels(data, 4)


# --- diagnostics -------------------------------------------------------------------------
def test_embedding_cooccurrence_is_one_when_geometry_follows_the_labels():
    rng = np.random.default_rng(0)
    base = rng.random((400, 3)) < 0.5
    # labels 0/1 identical, 2/3 opposite, 4 independent: phi = 1, -1, ~0
    y = np.stack([base[:, 0], base[:, 0], base[:, 1], ~base[:, 1], base[:, 2]], 1)
    y = torch.as_tensor(y, dtype=torch.float32)
    phi = np.corrcoef(y.numpy(), rowvar=False)
    # embeddings whose cosines are an increasing function of phi
    w, v = np.linalg.eigh(phi + 2 * np.eye(5))  # positive definite Gram matrix
    E = torch.as_tensor(v * np.sqrt(w))  # float64: E E^T = phi + 2 I
    out = embedding_cooccurrence(E, y)
    assert out["n_pairs"] == 10
    assert out["pearson"] == pytest.approx(1.0)
    assert out["spearman"] > 0.95  # (tied phi values may swap ranks by rounding)
    # and cosines that fall as phi rises: the measure reports the opposite order
    w, v = np.linalg.eigh(-phi + 3 * np.eye(5))  # -phi + 3 I is positive definite
    anti = embedding_cooccurrence(torch.as_tensor(v * np.sqrt(w)), y)
    assert anti["pearson"] == pytest.approx(-1.0)
    assert anti["spearman"] < -0.95
    constant = torch.cat([y, torch.ones(400, 1)], 1)  # a label that never varies is left out
    E6 = torch.cat([E, torch.ones(1, 5, dtype=E.dtype)])
    assert embedding_cooccurrence(E6, constant)["n_pairs"] == 10


def test_collapse_report_sees_whether_z_matters():
    torch.manual_seed(0)
    model = CGMVAE(ModelConfig(n_features=5, n_labels=4, embed_dim=16, latent_dim=3))
    x = torch.randn(50, 5)
    r = collapse_report(model, x)
    assert set(r) == {
        "active_units",
        "kl_to_standard_normal",
        "label_mu_norm",
        "label_var",
        "z_effect",
    }
    assert r["z_effect"] > 0 and r["kl_to_standard_normal"] >= 0
    # an encoder that always outputs N(0, I): no active unit, zero KL, and z = mu_x = 0
    with torch.no_grad():
        for p in model.feature_encoder.head.parameters():
            p.zero_()
    r0 = collapse_report(model, x)
    assert r0["active_units"] == 0
    assert r0["kl_to_standard_normal"] == pytest.approx(0.0, abs=1e-6)
    assert r0["z_effect"] == 0.0
    assert model.training  # the mode is restored


# --- ablations ---------------------------------------------------------------------------
def test_variants_cover_the_issue_and_unknown_names_fail():
    over = [v.overrides for v in get_variants()]
    assert {} in over and {"prior": "standard_normal"} in over
    assert {"prior": "label_gaussian"} in over and {"contrastive_weight": 0.0} in over
    assert {"kl_weight": 0.0} in over and {"kl_weight": 1.0} in over
    assert {"decoder_sees_x": False} in over
    assert len(set(VARIANT_KEYS)) == len(VARIANT_KEYS)
    with pytest.raises(ValueError, match="Unknown variants"):
        get_variants(["cgmvae", "nope"])


def test_seed_ranges_separate():
    assert seed_ranges_separate([0.1, 0.2, 0.15], [0.3, 0.25, 0.4])
    assert not seed_ranges_separate([0.1, 0.3], [0.25, 0.4])


def test_run_ablation_records_each_variant_and_resumes(monkeypatch):
    data = toy()
    saved = []
    rec = run_ablation(
        data,
        ["cgmvae", "no_contrastive"],
        seeds=[1, 2],
        epochs=2,
        device="cpu",
        progress=False,
        on_variant=lambda r: saved.append(list(r["variants"])),
    )
    assert saved == [["cgmvae"], ["cgmvae", "no_contrastive"]]
    v = rec["variants"]["no_contrastive"]
    assert v["overrides"] == {"contrastive_weight": 0.0}
    assert [r["seed"] for r in v["runs"]] == [1, 2]
    assert all(r["protocols"]["paper"]["metrics"]["example_f1"] > 0 for r in v["runs"])
    assert set(v["diagnostics"]) >= {"active_units", "z_effect", "embedding_cooccurrence_spearman"}
    assert len(seed_values(v, "macro_f1", "honest")) == 2
    assert rec["base_settings"]["train"]["epochs"] == 2
    # resuming re-runs only what is missing
    import minicgmvae.studies.ablations as ab

    calls = []
    real = ab.train_seeds
    monkeypatch.setattr(ab, "train_seeds", lambda *a, **k: calls.append(k["note"]) or real(*a, **k))
    again = run_ablation(
        data,
        ["cgmvae", "no_contrastive", "kl_0"],
        seeds=[1, 2],
        epochs=2,
        device="cpu",
        progress=False,
        previous=rec,
    )
    assert calls == ["KL weight 0"] and list(again["variants"]) == [
        "cgmvae",
        "no_contrastive",
        "kl_0",
    ]
    assert again["variants"]["cgmvae"] == rec["variants"]["cgmvae"]
    assert again["earlier_provenance"] == [rec["provenance"]]
    with pytest.raises(ValueError, match="Cannot resume"):
        run_ablation(data, ["kl_1"], seeds=[1], epochs=2, device="cpu", previous=rec)


# --- data efficiency -----------------------------------------------------------------------
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


# --- benchmark --------------------------------------------------------------------------
def test_time_ms_warms_up_once_and_averages_the_timed_calls(monkeypatch):
    from minicgmvae.studies import benchmark

    clock = iter([10.0, 10.6])  # the two readings around the timed calls: 0.6 s in all
    monkeypatch.setattr(benchmark.time, "perf_counter", lambda: next(clock))
    calls = []
    ms = benchmark.time_ms(lambda: calls.append(1), torch.device("cpu"), reps=3)
    assert len(calls) == 4  # one warm-up call, then three timed ones
    assert ms == pytest.approx(200.0)
    with pytest.raises(ValueError, match="reps"):
        benchmark.time_ms(lambda: None, torch.device("cpu"), reps=0)
