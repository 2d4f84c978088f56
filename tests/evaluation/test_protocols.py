"""Evaluation protocols: the paper's oracle, the honest ones, and their serialisation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from minicgmvae.errors import DataValueError
from minicgmvae.metrics import PAPER_THRESHOLDS, THRESHOLD_METRICS, all_metrics, macro_f1
from minicgmvae.protocols import (
    ProtocolResult,
    evaluate_both,
    fixed_threshold,
    format_table,
    honest_per_metric_protocol,
    honest_protocol,
    paper_protocol,
)


def _one_sample_case():
    """One sample, 6 labels; ex-F1 is best at t=0.1 and Hamming accuracy at t=0.9."""
    y = np.array([[1, 1, 1, 1, 0, 0]])
    s = np.array([[0.95, 0.15, 0.05, 0.05, 0.15, 0.85]])
    # t=0.1:      pred {0,1,4,5}: tp 2, |P| 4 -> F1 4/8 = 0.5;  wrong 2 FN + 2 FP -> HA 2/6
    # t=0.2..0.8: pred {0,5}:     tp 1, |P| 2 -> F1 2/6;        wrong 3 FN + 1 FP -> HA 2/6
    # t=0.9:      pred {0}:       tp 1, |P| 1 -> F1 2/5;        wrong 3 FN        -> HA 3/6
    return y, s


def test_paper_protocol_maximises_each_metric_separately():
    y, s = _one_sample_case()
    res = paper_protocol(y, s)
    assert res.protocol == "paper"
    assert res.metrics["example_f1"] == pytest.approx(0.5)
    assert res.thresholds["example_f1"] == 0.1
    assert res.metrics["hamming_accuracy"] == pytest.approx(0.5)
    assert res.thresholds["hamming_accuracy"] == 0.9
    assert res.thresholds["precision_at_1"] is None
    assert res.metrics["precision_at_1"] == 1.0


@pytest.mark.parametrize("seed", range(3))
def test_paper_protocol_equals_max_of_loop(seed):
    rng = np.random.default_rng(seed)
    y = (rng.random((80, 6)) < 0.35).astype(int)
    s = np.clip(0.5 * y + rng.normal(0.25, 0.25, y.shape), 0, 1)
    res = paper_protocol(y, s)
    per_t = [all_metrics(y, s, t) for t in PAPER_THRESHOLDS]
    for m in THRESHOLD_METRICS:
        best = max(r[m] for r in per_t)
        assert res.metrics[m] == pytest.approx(best, abs=1e-12)
        assert all_metrics(y, s, res.thresholds[m])[m] == pytest.approx(best, abs=1e-12)


def test_tie_rule_prefers_closest_to_half_then_lower():
    y = np.array([[1, 0], [0, 1]])
    s = np.array([[0.99, 0.01], [0.01, 0.99]])  # same predictions at every paper threshold
    res = paper_protocol(y, s)
    assert set(res.thresholds[m] for m in THRESHOLD_METRICS) == {0.5}
    assert honest_protocol(y, s, y, s).thresholds["macro_f1"] == 0.5
    assert honest_protocol(y, s, y, s, thresholds=(0.6, 0.4, 0.8)).thresholds["macro_f1"] == 0.4


def test_honest_protocol_chooses_on_validation_only():
    rng = np.random.default_rng(0)
    y_val = (rng.random((60, 5)) < 0.3).astype(int)
    s_val = np.clip(0.6 * y_val + rng.normal(0.1, 0.2, y_val.shape), 0, 1)
    y_test = (rng.random((90, 5)) < 0.3).astype(int)
    s_test = np.clip(0.6 * y_test + rng.normal(0.1, 0.2, y_test.shape), 0, 1)

    res = honest_protocol(y_val, s_val, y_test, s_test, select_by="macro_f1")
    # the chosen threshold is the validation argmax ...
    val_curve = [macro_f1(y_val, s_val >= t) for t in PAPER_THRESHOLDS]
    t_star = PAPER_THRESHOLDS[int(np.argmax(val_curve))]
    assert res.thresholds["macro_f1"] == t_star
    assert res.select_by == "macro_f1"
    # ... one threshold for every metric, and the metrics are the test metrics at it
    assert {res.thresholds[m] for m in THRESHOLD_METRICS} == {t_star}
    assert res.metrics == fixed_threshold(y_test, s_test, t_star).metrics

    # Changing the test labels changes the scores, never the chosen threshold.
    for seed in range(5):
        y_other = (np.random.default_rng(seed).random(y_test.shape) < 0.5).astype(int)
        other = honest_protocol(y_val, s_val, y_other, s_test)
        assert other.thresholds == res.thresholds
        assert other.metrics == all_metrics(y_other, s_test, t_star)
    # The oracle, by contrast, is at least as good on every threshold metric.
    paper = paper_protocol(y_test, s_test)
    assert all(paper.metrics[m] >= res.metrics[m] - 1e-12 for m in THRESHOLD_METRICS)


def test_honest_protocol_follows_validation():
    y, s = _one_sample_case()
    # select on ex-F1 (best at 0.1) vs Hamming accuracy (best at 0.9), same validation set
    assert honest_protocol(y, s, y, s, select_by="example_f1").thresholds["micro_f1"] == 0.1
    assert honest_protocol(y, s, y, s, select_by="hamming_accuracy").thresholds["micro_f1"] == 0.9
    # precision@k has no threshold: it cannot choose one
    with pytest.raises(ValueError, match="select_by"):
        z = np.zeros((2, 2))
        honest_protocol(z, z, z, z, select_by="precision_at_1")


def test_honest_per_metric_protocol_chooses_each_threshold_on_validation():
    rng = np.random.default_rng(3)
    y_val = (rng.random((70, 6)) < 0.3).astype(int)
    s_val = np.clip(0.5 * y_val + rng.normal(0.2, 0.25, y_val.shape), 0, 1)
    y_test = (rng.random((120, 6)) < 0.3).astype(int)
    s_test = np.clip(0.5 * y_test + rng.normal(0.2, 0.25, y_test.shape), 0, 1)

    res = honest_per_metric_protocol(y_val, s_val, y_test, s_test)
    assert res.protocol == "honest-per-metric" and res.select_by is None
    on_val = paper_protocol(y_val, s_val)  # the oracle's choice, made on validation
    for m in THRESHOLD_METRICS:
        t_m = res.thresholds[m]
        assert t_m == on_val.thresholds[m]
        assert res.metrics[m] == all_metrics(y_test, s_test, t_m)[m]
    # these scores make the metrics disagree, so the thresholds differ between metrics
    assert len({res.thresholds[m] for m in THRESHOLD_METRICS}) > 1
    # each metric is at least as good as under the one-threshold protocol, on validation
    for m in THRESHOLD_METRICS:
        one = honest_protocol(y_val, s_val, y_val, s_val, select_by="macro_f1")
        assert honest_per_metric_protocol(y_val, s_val, y_val, s_val).metrics[m] >= (
            one.metrics[m] - 1e-12
        )
    # the test labels score but never choose
    y_other = (rng.random(y_test.shape) < 0.5).astype(int)
    assert honest_per_metric_protocol(y_val, s_val, y_other, s_test).thresholds == res.thresholds
    # with validation = test it is the paper's protocol
    same = honest_per_metric_protocol(y_test, s_test, y_test, s_test)
    assert same.metrics == paper_protocol(y_test, s_test).metrics
    assert res.metrics["precision_at_1"] == paper_protocol(y_test, s_test).metrics["precision_at_1"]


def test_honest_per_metric_protocol_reports_nan_for_a_metric_undefined_on_validation():
    # validation: no true labels and scores below every threshold -> example-F1 undefined
    y_val, s_val = np.zeros((4, 3), dtype=int), np.full((4, 3), 0.05)
    y_test = np.array([[1, 0, 0], [0, 1, 1]])
    s_test = np.array([[0.9, 0.1, 0.1], [0.2, 0.8, 0.7]])
    res = honest_per_metric_protocol(y_val, s_val, y_test, s_test)
    assert np.isnan(res.metrics["example_f1"]) and res.thresholds["example_f1"] is None
    assert res.metrics["hamming_accuracy"] == all_metrics(y_test, s_test, 0.5)["hamming_accuracy"]
    json.dumps(res.to_dict(), allow_nan=False)


def test_evaluate_both_and_serialisation():
    y, s = _one_sample_case()
    out = evaluate_both(y, s, y, s)
    assert set(out) == {"paper", "honest", "honest-per-metric", "t=0.5"}
    assert out["t=0.5"].protocol == "t=0.5"
    for r in out.values():
        d = r.to_dict()
        json.dumps(d, allow_nan=False)
        back = ProtocolResult.from_dict(d)
        assert back.thresholds == r.thresholds
        assert back.metrics == pytest.approx(r.metrics, nan_ok=True)
    # nan (undefined) becomes None in JSON
    z = np.zeros((2, 3))
    d = fixed_threshold(z, z + 0.1).to_dict()
    assert d["metrics"]["example_f1"] is None
    json.dumps(d, allow_nan=False)


def test_format_table():
    y, s = _one_sample_case()
    out = evaluate_both(y, s, y, s)
    table = format_table(
        [
            ("paper", out["paper"]),
            ("honest", out["honest"].metrics),
            ("partial", {"macro_f1": 0.1, "micro_f1": None}),
        ]
    )
    lines = table.splitlines()
    assert lines[0].split() == ["run", "ex-F1", "mi-F1", "ma-F1", "HA"]
    assert lines[1].split()[1] == "0.500"
    assert lines[3].split() == ["partial", "-", "-", "0.100", "-"]
    assert len({len(line) for line in lines}) == 1  # aligned


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda: honest_protocol(  # validation and test label counts differ
            np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((2, 3)), np.zeros((2, 3))
        ),
        lambda: honest_per_metric_protocol(
            np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((2, 3)), np.zeros((2, 3))
        ),
    ],
)
def test_bad_input_raises_data_value_error(call):
    with pytest.raises(DataValueError):
        call()


# --- one evaluation pass ------------------------------------------------------------------------
def _val_test(seed=0, n=40, n_labels=7):
    rng = np.random.default_rng(seed)
    y = (rng.random((2, n, n_labels)) < 0.3).astype(int)
    s = np.round(rng.random((2, n, n_labels)), 2)
    return y[0], s[0], y[1], s[1]


def test_a_sweep_holds_all_metrics_at_every_threshold():
    from minicgmvae.metrics import score_sweep

    y, s, _, _ = _val_test()
    sweep = score_sweep(y, s)
    for i, t in enumerate(PAPER_THRESHOLDS):
        at_t = {**{m: float(c[i]) for m, c in sweep.curves.items()}, **sweep.ranked}
        assert at_t == all_metrics(y, s, t)
    assert score_sweep(y, s, ranked=False).ranked == {}


def test_every_protocol_comes_from_one_sweep_per_split(monkeypatch):
    import minicgmvae.metrics as metrics

    calls = {"sweep": 0, "precision": 0, "labels": 0}
    for name, key in (("_sweep", "sweep"), ("_precision_at_k", "precision"),
                      ("_check_labels", "labels")):
        real = getattr(metrics, name)

        def counted(*a, _real=real, _key=key, **k):
            calls[_key] += 1
            return _real(*a, **k)

        monkeypatch.setattr(metrics, name, counted)
    evaluate_both(*_val_test())
    # one sweep per split; precision@1, @3, @5 on the test split only; labels checked once each
    assert calls == {"sweep": 2, "precision": 3, "labels": 2}


def test_evaluate_both_equals_the_protocols_one_by_one():
    yv, sv, yt, st = _val_test(3)
    for select_by in ("macro_f1", "micro_f1", "example_f1"):
        both = evaluate_both(yv, sv, yt, st, select_by=select_by)
        alone = {
            "paper": paper_protocol(yt, st),
            "honest": honest_protocol(yv, sv, yt, st, select_by=select_by),
            "honest-per-metric": honest_per_metric_protocol(yv, sv, yt, st),
            "t=0.5": fixed_threshold(yt, st, 0.5),
        }
        assert {k: v.to_dict() for k, v in both.items()} == {
            k: v.to_dict() for k, v in alone.items()
        }
    # thresholds without 0.5: the tuned protocols choose among them only, t=0.5 still scores
    both = evaluate_both(yv, sv, yt, st, thresholds=(0.2, 0.4))
    assert set(both["paper"].thresholds.values()) <= {0.2, 0.4, None}
    assert both["t=0.5"].to_dict() == fixed_threshold(yt, st, 0.5).to_dict()


def test_choose_threshold_is_the_honest_rule():
    from minicgmvae.metrics import score_sweep
    from minicgmvae.protocols import choose_threshold

    yv, sv, yt, st = _val_test(5)
    for select_by in THRESHOLD_METRICS:
        t = choose_threshold(score_sweep(yv, sv), select_by)
        assert honest_protocol(yv, sv, yt, st, select_by=select_by).thresholds[select_by] == t
    # ties: closest to 0.5, then the lower
    y = np.array([[1, 0]])
    flat = score_sweep(y, np.array([[0.95, 0.05]]))  # every threshold predicts perfectly
    assert choose_threshold(flat) == 0.5
    with pytest.raises(ValueError, match="select_by"):
        choose_threshold(flat, "precision_at_1")
    nothing = score_sweep(np.zeros((2, 2)), np.zeros((2, 2)))  # example-F1 undefined everywhere
    with pytest.raises(DataValueError, match="undefined"):
        choose_threshold(nothing, "example_f1")
