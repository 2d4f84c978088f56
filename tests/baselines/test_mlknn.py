"""ML-kNN against a sample-by-sample reference, on clusters, with duplicates, and bad arguments."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from minicgmvae.baselines.mlknn import _neighbours_excluding_self, ml_knn
from minicgmvae.data.datasets import from_arrays
from minicgmvae.metrics import all_metrics


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
