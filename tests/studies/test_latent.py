"""The latent-space study: its grid, its rules (live regime, tuned choice, decision rule),
one run reproduced bit for bit, and a run that resumes where it stopped."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from minicgmvae.studies import latent
from minicgmvae.studies.latent import (
    BR_GRID,
    MLP_GRID,
    Config,
    live_regime,
    part_configs,
    remedy_configs,
    run_cgmvae,
    run_study,
    tuned_comparison,
)
from minicgmvae.studies.latent_results import paired_test, verdict

from helpers.datasets import toy


def test_every_method_gets_the_same_number_of_configurations():
    assert len(remedy_configs()) == len(MLP_GRID) == len(BR_GRID) == 12
    keys = [c.key for c in (*remedy_configs(), *MLP_GRID, *BR_GRID)]
    assert len(set(keys)) == len(keys)
    # each remedy runs with and without x, and the authors' setting is among them
    assert {c.overrides["decoder_sees_x"] for c in remedy_configs()} == {True, False}
    assert remedy_configs()[0].overrides == {"decoder_sees_x": False}


def _run(val: float, units: float = 0.0, macro: float = 0.5) -> dict:
    return {"val_score": val, "honest": {"macro_f1": macro},
            "diagnostics": {"active_units": units}}


def _record(scores: dict[str, tuple[float, float]]) -> dict:
    """A record whose no-x remedies have the given (validation score, active units)."""
    configs = {c.key: {"runs": [_run(0.1)]} for c in remedy_configs()}
    for key, (val, units) in scores.items():
        configs[key] = {"runs": [_run(val, units), _run(val, units)]}
    return {"configs": configs}


def test_the_live_regime_is_the_best_validation_score_among_live_ones():
    rec = _record({"nox/authors": (0.9, 0.0), "nox/free_bits": (0.6, 3.0),
                   "nox/kl_small": (0.5, 8.0)})
    regime, live = live_regime(rec)
    assert (regime.key, live) == ("nox/free_bits", True)  # not the dead, better authors'
    dead = _record({"nox/authors": (0.9, 0.0)})
    assert live_regime(dead)[0].key == "nox/authors" and not live_regime(dead)[1]
    assert [c.key for c in part_configs(regime)][:2] == ["nox/free_bits/mixture",
                                                          "nox/free_bits/mixture_no_cl"]


def test_tuning_chooses_by_validation_never_by_test():
    rec = _record({})
    for c in (*MLP_GRID, *BR_GRID):
        rec["configs"][c.key] = {"runs": [_run(0.5, macro=0.9)]}
    rec["configs"][MLP_GRID[3].key] = {"runs": [_run(0.8, macro=0.1)]}
    assert tuned_comparison(rec)["mlp"] == MLP_GRID[3].key


def test_paired_test_over_seeds():
    out = paired_test([0.5, 0.6, 0.7], [0.4, 0.45, 0.5])
    assert out["mean_difference"] == pytest.approx(0.15)
    assert 0 < out["p_value"] < 0.1
    assert math.isnan(paired_test([0.5, 0.6], [0.4, 0.5])["p_value"])  # constant difference


def test_one_run_is_reproduced_bit_for_bit():
    data = toy()
    config = Config("nox/free_bits", "free bits", {"free_bits": 0.25, "decoder_sees_x": False})
    a, b = (run_cgmvae(data, config, seed=2, epochs=3) for _ in range(2))
    for r in (a, b):
        r.pop("seconds")
    assert a == b
    assert set(a["diagnostics"]) >= {"active_units", "mutual_information", "z_effect"}


def test_the_study_resumes_where_it_stopped(monkeypatch):
    data = toy()
    monkeypatch.setattr(latent, "MLP_EPOCHS", 2)
    saved: list[int] = []
    rec = run_study(data, seeds=(1,), epochs=2, parts=("remedies",),
                    save=lambda r: saved.append(len(r["configs"])))
    assert len(saved) == 12 and set(rec["configs"]) == {c.key for c in remedy_configs()}
    calls: list[str] = []
    monkeypatch.setattr(latent, "run_cgmvae", lambda *a, **k: calls.append("ran"))
    again = run_study(data, seeds=(1,), epochs=2, parts=("remedies",),
                      previous=json.loads(json.dumps(rec)))
    assert calls == [] and again["configs"].keys() == rec["configs"].keys()
    with pytest.raises(ValueError, match="Cannot resume"):
        run_study(data, seeds=(1, 2), epochs=2, previous=rec)


def test_the_command_line_refuses_to_overwrite(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("{}")
    cmd = [sys.executable, "-m", "minicgmvae.studies.latent", "--dataset", "emotions",
           "--out", str(out)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 2 and "--resume" in p.stderr
    assert "Traceback" not in p.stderr


def test_the_verdict_applies_the_decision_rule():
    rec = _record({})
    seeds = lambda *v: {"runs": [_run(0.5, macro=m) for m in v]}  # noqa: E731
    rec["regime"] = {"key": "nox/kl_small", "live": True}
    rec["configs"]["nox/kl_small"] = seeds(0.70, 0.72, 0.71)
    rec["configs"]["x/authors"] = seeds(0.60, 0.61, 0.62)
    for i, p in enumerate(latent.PARTS[1:]):
        vals = (0.80, 0.81, 0.82) if i == 0 else (0.69, 0.71, 0.73)  # one above, four overlap
        rec["configs"][f"nox/kl_small/{p.key}"] = seeds(*vals)
    for c in (*MLP_GRID, *BR_GRID):
        rec["configs"][c.key] = seeds(0.5, 0.5, 0.5)
    v = verdict(rec)
    assert v["live"] == pytest.approx(0.71) and v["live_vs_x_apart"]
    assert (v["parts_apart"], v["parts_better"]) == (1, 1)
    assert v["tuned"]["mlp"] == pytest.approx(0.5)
    assert v["tuned_apart"] == {"mlp": True, "br": True}  # 0.60 or more against 0.5
