"""Ablations: the variants, the seed-range rule, and a run that records each variant and resumes."""

from __future__ import annotations

import pytest

from minicgmvae.studies.ablations import (
    VARIANT_KEYS,
    get_variants,
    run_ablation,
    seed_ranges_separate,
    seed_values,
)

from helpers.datasets import toy


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
