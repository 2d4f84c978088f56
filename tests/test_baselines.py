"""Baselines on a small synthetic multi-label set with a learnable signal."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.neighbors import NearestNeighbors
from torch.nn import functional as F

from minicgmvae.baselines import (
    BaselineScores,
    asl_mlp_baseline,
    asymmetric_loss,
    binary_relevance,
    classifier_chain,
    ml_knn,
    mlp_baseline,
    run_baseline,
)
from minicgmvae.baselines.mlknn import _neighbours_excluding_self
from minicgmvae.data.datasets import from_arrays
from minicgmvae.errors import DataValueError
from minicgmvae.metrics import PAPER_THRESHOLDS, all_metrics, threshold_sweep
from minicgmvae.protocols import evaluate_both

MLP_KW = dict(epochs=25, hidden=(64,), progress=False, device="cpu")
# ASL barely pushes negatives down (gamma_neg = 4): a larger step and more steps on the toys
ASL_KW = dict(epochs=40, hidden=(32,), lr=1e-2, batch_size=64, progress=False, device="cpu")


def make_data(seed: int = 0, n: int = 500, d: int = 12, n_labels: int = 5) -> SimpleNamespace:
    """Labels from a noisy linear function of standard normal features; 60/10/30 split."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    w = rng.normal(size=(d, n_labels))
    y = ((x @ w + 0.7 * rng.normal(size=(n, n_labels))) > 1.0).astype(np.float32)
    a, b = int(0.6 * n), int(0.7 * n)
    return SimpleNamespace(
        name="synthetic",
        x_train=x[:a], y_train=y[:a],
        x_val=x[a:b], y_val=y[a:b],
        x_test=x[b:], y_test=y[b:],
    )  # fmt: skip


@pytest.fixture(scope="module")
def data() -> SimpleNamespace:
    return make_data()


@pytest.fixture(scope="module")
def fitted(data) -> dict[str, BaselineScores]:
    return {
        "br": binary_relevance(data),
        "cc": classifier_chain(data),
        "mlp": mlp_baseline(data, **MLP_KW),
        "mlknn": ml_knn(data),
        "asl": asl_mlp_baseline(data, **ASL_KW),
    }


def trivial_scores(data, n: int) -> np.ndarray:
    """Every sample gets the training label frequencies: no use of x at all."""
    return np.tile(data.y_train.mean(axis=0), (n, 1))


@pytest.mark.parametrize("method", ["br", "cc", "mlp", "mlknn", "asl"])
def test_shapes_and_range(data, fitted, method):
    out = fitted[method]
    assert out.val.shape == data.y_val.shape and out.test.shape == data.y_test.shape
    assert out.val.dtype == np.float32 and out.test.dtype == np.float32
    for s in (out.val, out.test):
        assert np.isfinite(s).all() and s.min() >= 0 and s.max() <= 1
    json.dumps(out.info, allow_nan=False)


@pytest.mark.parametrize("method", ["br", "cc", "mlp", "mlknn", "asl"])
def test_beats_trivial_predictor(data, fitted, method):
    out = fitted[method]
    triv = evaluate_both(
        data.y_val, trivial_scores(data, len(data.y_val)),
        data.y_test, trivial_scores(data, len(data.y_test)),
    )["honest"].metrics  # fmt: skip
    got = evaluate_both(data.y_val, out.val, data.y_test, out.test)["honest"].metrics
    for m in ("example_f1", "micro_f1", "macro_f1", "precision_at_1"):
        assert got[m] > triv[m] + 0.1, (method, m, got[m], triv[m])


def test_lr_baselines_are_reasonable(data, fitted):
    # a linear signal: logistic regression should do well at t=0.5 already
    for method in ("br", "cc"):
        assert all_metrics(data.y_test, fitted[method].test)["micro_f1"] > 0.7


def test_classifier_chain_order(data):
    assert classifier_chain(data, order=None).info["order"] == list(range(5))
    out = classifier_chain(data, order=[4, 3, 2, 1, 0])
    assert out.info["order"] == [4, 3, 2, 1, 0]
    r1 = classifier_chain(data, seed=1).info["order"]
    assert sorted(r1) == list(range(5))


def test_mlp_is_deterministic_and_leaves_global_rng_alone(data, fitted):
    state = torch.get_rng_state()
    again = mlp_baseline(data, **MLP_KW)
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(again.val, fitted["mlp"].val)
    np.testing.assert_array_equal(again.test, fitted["mlp"].test)
    other = mlp_baseline(data, **{**MLP_KW, "seed": 1})
    assert not np.array_equal(other.test, fitted["mlp"].test)


def test_mlp_keeps_best_validation_epoch(data, fitted):
    info = fitted["mlp"].info
    hist = [h["val_macro_f1"] for h in info["history"]]
    assert len(hist) == MLP_KW["epochs"]
    assert info["best_val_macro_f1"] == max(hist)
    assert info["best_epoch"] == 1 + hist.index(max(hist))  # earliest best
    # the returned scores are those of the best epoch
    val_f1 = all_metrics(data.y_val, fitted["mlp"].val)["macro_f1"]
    assert val_f1 == pytest.approx(info["best_val_macro_f1"], abs=1e-6)


def test_constant_label_in_train(data):
    d = SimpleNamespace(**vars(data))
    d.y_train = data.y_train.copy()
    d.y_train[:, 1] = 0  # never positive in train
    d.y_train[:, 3] = 1  # always positive in train
    for fn in (binary_relevance, classifier_chain):
        out = fn(d)
        assert np.isfinite(out.test).all()
        np.testing.assert_array_equal(out.test[:, 1], 0.0)
        np.testing.assert_array_equal(out.test[:, 3], 1.0)


def test_run_baseline_record_is_json(data):
    rec = run_baseline(data, "br", seed=0, C_grid=(0.01, 1.0))
    text = json.dumps(rec, allow_nan=False)
    assert json.loads(text)["method"] == "br"
    assert set(rec["protocols"]) == {"paper", "honest", "honest-per-metric", "t=0.5"}
    assert rec["dataset"] == "synthetic" and rec["seed"] == 0
    assert [r["C"] for r in rec["C_search"]] == [0.01, 1.0]
    best = max(rec["C_search"], key=lambda r: r["val_macro_f1"])
    assert rec["params"]["C"] == best["C"]
    assert np.asarray(rec["scores_test"]).shape == data.y_test.shape
    assert {"numpy", "torch", "sklearn", "minicgmvae", "device"} <= set(rec["provenance"])
    assert rec["provenance"]["device"] == "cpu"
    assert rec["wall_time_s"] > 0

    mlp = run_baseline(data, "mlp", seed=0, keep_scores=False, epochs=2, progress=False)
    json.dumps(mlp, allow_nan=False)
    assert "scores_test" not in mlp


def test_c_choice_ignores_test_labels(data):
    d = SimpleNamespace(**vars(data))
    d.y_test = 1 - data.y_test  # different test labels
    a = run_baseline(data, "br", C_grid=(0.01, 0.1, 1.0), keep_scores=False)
    b = run_baseline(d, "br", C_grid=(0.01, 0.1, 1.0), keep_scores=False)
    assert a["params"]["C"] == b["params"]["C"]
    assert a["C_search"] == b["C_search"]


def test_bad_arguments(data):
    with pytest.raises(ValueError, match="method"):
        run_baseline(data, "svm")
    with pytest.raises(ValueError, match="C_grid"):
        run_baseline(data, "mlp", C_grid=(1.0,))
    bad = SimpleNamespace(**vars(data))
    bad.y_train = data.y_train * 2
    with pytest.raises(DataValueError, match="y_train"):
        binary_relevance(bad)
    bad = SimpleNamespace(**vars(data))
    bad.x_val = data.x_val[:, :3]
    with pytest.raises(DataValueError):
        mlp_baseline(bad, **MLP_KW)


# ---------------------------------------------------------------------------------------------
# ML-kNN
# ---------------------------------------------------------------------------------------------
def slow_mlknn(x_tr, y_tr, x_query, k, s):
    """ML-kNN written out sample by sample and label by label, straight from the paper."""
    n, n_labels = y_tr.shape

    def nearest(x, exclude=None):
        dist = [float(np.sum((x - x_tr[j]) ** 2)) for j in range(n)]
        order = sorted((dist[j], j) for j in range(n) if j != exclude)
        return [j for _, j in order[:k]]

    prior = [(s + sum(y_tr[i, lab] for i in range(n))) / (2 * s + n) for lab in range(n_labels)]
    kj = np.zeros((n_labels, k + 1))
    kjn = np.zeros((n_labels, k + 1))
    for i in range(n):
        neighbours = nearest(x_tr[i], exclude=i)
        for lab in range(n_labels):
            c = int(sum(y_tr[j, lab] for j in neighbours))
            if y_tr[i, lab] == 1:
                kj[lab, c] += 1
            else:
                kjn[lab, c] += 1
    out = np.zeros((len(x_query), n_labels))
    for q in range(len(x_query)):
        neighbours = nearest(x_query[q])
        for lab in range(n_labels):
            c = int(sum(y_tr[j, lab] for j in neighbours))
            p1 = prior[lab] * (s + kj[lab, c]) / (s * (k + 1) + kj[lab].sum())
            p0 = (1 - prior[lab]) * (s + kjn[lab, c]) / (s * (k + 1) + kjn[lab].sum())
            out[q, lab] = p1 / (p1 + p0)
    return out


def random_split(rng, n_train=60, n_val=15, n_test=20, d=4, n_labels=3):
    def part(m):
        x = rng.normal(size=(m, d))
        y = (rng.random((m, n_labels)) < [0.2, 0.5, 0.7][:n_labels]).astype(np.float32)
        return x, y

    (xa, ya), (xv, yv), (xt, yt) = part(n_train), part(n_val), part(n_test)
    return SimpleNamespace(
        name="random", x_train=xa, y_train=ya, x_val=xv, y_val=yv, x_test=xt, y_test=yt
    )


@pytest.mark.parametrize(("k", "s"), [(1, 1.0), (5, 1.0), (10, 0.5)])
def test_ml_knn_matches_slow_reference(k, s):
    d = random_split(np.random.default_rng(k))
    out = ml_knn(d, k=k, smoothing=s)
    np.testing.assert_allclose(out.val, slow_mlknn(d.x_train, d.y_train, d.x_val, k, s), atol=1e-6)
    np.testing.assert_allclose(
        out.test, slow_mlknn(d.x_train, d.y_train, d.x_test, k, s), atol=1e-6
    )
    assert out.info == {"k": k, "smoothing": s, "metric": "euclidean", "seed": 0}
    assert out.val.dtype == np.float32 and out.test.dtype == np.float32


def test_ml_knn_label_from_cluster_gives_near_certain_scores():
    # four far-apart clusters; label l is bit l of the cluster number (label 2: cluster 3 only)
    rng = np.random.default_rng(0)
    cluster = np.repeat(np.arange(4), 50)
    centres = np.array([[0, 0], [20, 0], [0, 20], [20, 20]], dtype=float)
    x = centres[cluster] + rng.normal(size=(200, 2))
    y = np.stack([cluster & 1, cluster >> 1 & 1, cluster == 3], axis=1).astype(np.float32)
    d = from_arrays(x, y, val_fraction=0.2, test_fraction=0.3, seed=0)
    out = ml_knn(d, k=5)
    for scores, truth in ((out.val, d.y_val), (out.test, d.y_test)):
        assert (scores[truth == 1] > 0.9).all() and (scores[truth == 0] < 0.1).all()
        assert all_metrics(truth, scores)["macro_f1"] == 1.0


def test_ml_knn_duplicates_in_training_data():
    # 40 distinct points near the origin, then 10 points far away, each there twice, the two
    # copies with complementary labels: a copy's nearest other sample is its twin, not itself
    rng = np.random.default_rng(0)
    twins = np.repeat(rng.normal(size=(10, 3)) + 100.0, 2, axis=0)
    x = np.concatenate([rng.normal(size=(40, 3)), twins])
    y = (rng.random((50, 2)) < 0.5).astype(np.float32)
    y_twins = np.zeros((20, 2), dtype=np.float32)
    y_twins[0::2] = y[40:]
    y_twins[1::2] = 1 - y[40:]
    y_tr = np.concatenate([y[:40], y_twins])

    index = NearestNeighbors(n_neighbors=3).fit(x)
    neighbours = _neighbours_excluding_self(index, x, 3)
    rows = np.arange(len(x))
    assert (neighbours != rows[:, None]).all()  # never its own neighbour
    twin = np.where(rows % 2 == 0, rows + 1, rows - 1)[40:]
    assert (neighbours[40:] == twin[:, None]).any(axis=1).all()  # the twin always is
    # the same rule as scikit-learn's kneighbors() on the fitted points
    np.testing.assert_array_equal(neighbours, index.kneighbors(return_distance=False))

    # queries near the origin (no ties among their neighbours); the twins shape the tables
    d = SimpleNamespace(
        name="twins", x_train=x, y_train=y_tr,
        x_val=rng.normal(size=(15, 3)), y_val=y[:15],
        x_test=rng.normal(size=(15, 3)), y_test=y[15:30],
    )  # fmt: skip
    for k in (1, 3):  # k odd: each twin pair is wholly in or out, so no ties to break
        out = ml_knn(d, k=k)
        np.testing.assert_allclose(out.val, slow_mlknn(x, y_tr, d.x_val, k, 1.0), atol=1e-6)
        np.testing.assert_allclose(out.test, slow_mlknn(x, y_tr, d.x_test, k, 1.0), atol=1e-6)

    # many identical copies (more than k + 1): any k of the others will do, never itself
    x_same = np.zeros((6, 2))
    neighbours = _neighbours_excluding_self(NearestNeighbors().fit(x_same), x_same, 2)
    assert neighbours.shape == (6, 2) and (neighbours != np.arange(6)[:, None]).all()


def test_ml_knn_bad_arguments():
    d = random_split(np.random.default_rng(0), n_train=20)
    for k in (0, -1, 20, 25, 2.5, True):
        with pytest.raises(ValueError, match="k"):
            ml_knn(d, k=k)
    ml_knn(d, k=19)  # the largest k: every other training sample
    with pytest.raises(ValueError, match="smoothing"):
        ml_knn(d, smoothing=0.0)


# ---------------------------------------------------------------------------------------------
# Asymmetric loss and the ASL MLP
# ---------------------------------------------------------------------------------------------
def test_asymmetric_loss_without_focusing_or_clip_is_bce():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(16, 7, generator=g) * 5
    logits[0, :4] = torch.tensor([-40.0, 40.0, -40.0, 40.0])  # far into the sigmoid's tails
    y = (torch.rand(16, 7, generator=g) < 0.4).float()
    y[0, :4] = torch.tensor([1.0, 0.0, 0.0, 1.0])
    a = logits.clone().requires_grad_()
    b = logits.clone().requires_grad_()
    asl = asymmetric_loss(a, y, gamma_neg=0.0, gamma_pos=0.0, clip=0.0)
    bce = F.binary_cross_entropy_with_logits(b, y, reduction="sum") / len(y)
    torch.testing.assert_close(asl, bce, rtol=1e-6, atol=0)
    asl.backward()
    bce.backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-7)


def test_asymmetric_loss_formula():
    logits = torch.tensor([[2.0, -1.0, 0.3], [-0.5, 1.5, -3.0]], dtype=torch.float64)
    y = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    gn, gp, m = 3.0, 1.0, 0.1
    p = torch.sigmoid(logits)
    p_m = (p - m).clamp(min=0)
    per = y * (1 - p) ** gp * torch.log(p) + (1 - y) * p_m**gn * torch.log(1 - p_m)
    expected = -per.sum() / 2  # summed over labels, mean over the batch
    torch.testing.assert_close(asymmetric_loss(logits, y, gn, gp, m), expected)


def test_asymmetric_loss_clip_discards_easy_negatives():
    logits = torch.tensor([[-4.0, -3.0, -2.9, 1.0]], requires_grad=True)  # p = .018 .047 .052
    y = torch.zeros(1, 4)
    per_label = [asymmetric_loss(logits[:, [j]], y[:, [j]], clip=0.05) for j in range(4)]
    assert per_label[0].item() == 0.0 and per_label[1].item() == 0.0  # p < clip: exactly 0
    assert per_label[2].item() > 0 and per_label[3].item() > 0
    asymmetric_loss(logits, y, clip=0.05).backward()
    assert logits.grad[0, 0].item() == 0.0 and logits.grad[0, 1].item() == 0.0
    assert logits.grad[0, 3].item() > 0
    # a positive with the same logit is not clipped
    assert asymmetric_loss(logits[:, [0]], torch.ones(1, 1), clip=0.05).item() > 0


def test_asymmetric_loss_focusing_weights_carry_no_gradient():
    # d/dx of -w * log(q) with the weight w held constant (the official code's
    # disable_torch_grad_focal_loss=True); dp/dx = p (1 - p)
    x = torch.tensor([[1.0, -0.5]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    asymmetric_loss(x, y, gamma_neg=4.0, gamma_pos=2.0, clip=0.05).backward()
    p = torch.sigmoid(x.detach())[0]
    p_m = p[0] - 0.05
    neg = p_m**4 * p[0] * (1 - p[0]) / (1 - p_m)  # negative: -p_m^4 log(1 - p_m)
    pos = -((1 - p[1]) ** 2) * (1 - p[1])  # positive: -(1 - p)^2 log(p)
    torch.testing.assert_close(x.grad[0], torch.stack([neg, pos]))
    # with the weight differentiated too, the negative's gradient would be larger
    full = neg + 4 * p_m**3 * p[0] * (1 - p[0]) * -torch.log(1 - p_m)
    assert not torch.isclose(x.grad[0, 0], full)


def test_asymmetric_loss_bad_arguments():
    z = torch.zeros(2, 3)
    for kw in ({"gamma_neg": -1.0}, {"gamma_pos": -0.5}, {"clip": 1.0}, {"clip": -0.1}):
        with pytest.raises(ValueError):
            asymmetric_loss(z, z, **kw)
    with pytest.raises(ValueError, match="clip"):
        asl_mlp_baseline(make_data(n=100), clip=1.5, **ASL_KW)


@pytest.fixture(scope="module")
def separable():
    # labels are half-spaces of the features, no noise
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 6))
    y = (x @ rng.normal(size=(6, 3)) > 0.3).astype(np.float32)
    return from_arrays(x, y, val_fraction=0.2, test_fraction=0.25, seed=0)


def test_asl_mlp_learns_a_separable_problem(separable):
    out = asl_mlp_baseline(separable, **ASL_KW)
    # validation macro-F1 at the threshold the honest protocol would pick (ASL's scores sit
    # high, so t = 0.5, the checkpoint rule, is not where it is best on this toy)
    val_f1 = threshold_sweep(separable.y_val, out.val, PAPER_THRESHOLDS)["macro_f1"]
    assert np.nanmax(val_f1) > 0.9
    honest = evaluate_both(separable.y_val, out.val, separable.y_test, out.test)["honest"]
    assert honest.metrics["macro_f1"] > 0.9
    info = out.info
    assert info["loss"] == "asl"
    assert (info["gamma_neg"], info["gamma_pos"], info["clip"]) == (4.0, 0.0, 0.05)
    assert info["hidden"] == [32] and len(info["history"]) == ASL_KW["epochs"]
    assert info["best_val_macro_f1"] == max(h["val_macro_f1"] for h in info["history"])
    json.dumps(info, allow_nan=False)


def test_asl_mlp_is_deterministic_and_leaves_global_rng_alone(separable):
    state = torch.get_rng_state()
    a = asl_mlp_baseline(separable, **ASL_KW)
    b = asl_mlp_baseline(separable, **ASL_KW)
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(a.val, b.val)
    np.testing.assert_array_equal(a.test, b.test)
    c = asl_mlp_baseline(separable, **{**ASL_KW, "seed": 1})
    assert not np.array_equal(c.test, a.test)
    # the loss is what differs from the BCE MLP
    assert not np.array_equal(mlp_baseline(separable, **ASL_KW).test, a.test)


def test_run_baseline_new_methods(data):
    knn = run_baseline(data, "mlknn", seed=0, k=7)
    asl = run_baseline(data, "asl", seed=0, keep_scores=False, epochs=2, progress=False)
    for rec, method in ((knn, "mlknn"), (asl, "asl")):
        json.dumps(rec, allow_nan=False)
        assert rec["method"] == method
        assert set(rec["protocols"]) == {"paper", "honest", "honest-per-metric", "t=0.5"}
    assert knn["params"]["k"] == 7
    assert np.asarray(knn["scores_test"]).shape == data.y_test.shape
    assert asl["params"]["loss"] == "asl" and asl["params"]["epochs"] == 2
    for method in ("mlknn", "asl"):
        with pytest.raises(ValueError, match="C_grid"):
            run_baseline(data, method, C_grid=(1.0,))
