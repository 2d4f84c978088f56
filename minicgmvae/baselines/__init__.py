"""Baselines to put C-GMVAE's numbers in context.

* :func:`binary_relevance` (BR, the paper's "BR" row): one independent logistic regression per
  label, ``p(y_l = 1 | x) = sigmoid(w_l . x + b_l)``.
* :func:`classifier_chain` (CC): logistic regressions in a chain, label ``l`` also sees the
  (predicted) labels before it in the chain order.
* :func:`mlp_baseline`: a plain PyTorch MLP, ``x -> [Linear -> ReLU -> Dropout] x k -> Linear(L)``,
  trained with BCE on logits; the checkpoint with the best validation macro-F1 at t = 0.5 wins
  (the same checkpoint rule as the authors' C-GMVAE).
* :func:`ml_knn` (ML-kNN, Zhang & Zhou 2007): k nearest neighbours in feature space plus a
  per-label Bayes rule on how many of them carry the label.
* :func:`asl_mlp_baseline`: the same MLP trained with the asymmetric loss
  (:func:`asymmetric_loss`, Ridnik et al. 2021) instead of BCE.

Each returns :class:`BaselineScores`: probabilities on the validation and test sets. The data
object only needs ``x_train, y_train, x_val, y_val, x_test, y_test`` (float arrays; labels 0/1)
and ``name``, like :class:`minicgmvae.data.datasets.MultiLabelData`. Features are used as given:
standardise them when loading.
"""

from __future__ import annotations

import copy
import functools
import math
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.multioutput import ClassifierChain, MultiOutputClassifier
from sklearn.neighbors import NearestNeighbors
from torch import nn
from torch.nn import functional as F
from tqdm.std import tqdm  # a text bar: works in terminals, notebooks and the built book

from ..data.datasets import SplitData
from ..device import get_device
from ..errors import DataValueError
from ..metrics import PAPER_THRESHOLDS, threshold_sweep, torch_macro_f1
from ..protocols import evaluate_both
from ..provenance import provenance

__all__ = [
    "SplitData",
    "BaselineScores",
    "binary_relevance",
    "classifier_chain",
    "mlp_baseline",
    "ml_knn",
    "asymmetric_loss",
    "asl_mlp_baseline",
    "run_baseline",
    "BASELINES",
]

#: lbfgs iterations for the logistic regressions: enough to converge on z-scored yeast/scene.
LR_MAX_ITER = 2000


class BaselineScores(NamedTuple):
    """Probabilities of a fitted baseline.

    Attributes:
        val: (N_val, L) float32 scores in [0, 1].
        test: (N_test, L) float32 scores in [0, 1].
        info: JSON-friendly facts about the fit (hyper-parameters, best epoch, ...).
    """

    val: np.ndarray
    test: np.ndarray
    info: dict[str, Any]


def _check_data(data: SplitData) -> None:
    """Shapes agree and labels are 0/1 (features finite)."""
    for split in ("train", "val", "test"):
        x = np.asarray(getattr(data, f"x_{split}"))
        y = np.asarray(getattr(data, f"y_{split}"))
        if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
            raise DataValueError(
                f"{getattr(data, 'name', 'data')}: x_{split} {x.shape} and y_{split} {y.shape} "
                "must be 2-D with the same number of rows."
            )
        if not np.isfinite(x).all():
            raise DataValueError(f"{getattr(data, 'name', 'data')}: x_{split} has NaN or inf.")
        if not ((y == 0) | (y == 1)).all():
            raise DataValueError(f"{getattr(data, 'name', 'data')}: y_{split} is not 0/1.")
    if len(data.y_val) == 0:
        raise DataValueError(
            f"{getattr(data, 'name', 'data')}: the validation split is empty; baselines choose "
            "C, the MLP checkpoint and the honest threshold on it (load with val_fraction > 0)."
        )
    if not (data.x_train.shape[1] == data.x_val.shape[1] == data.x_test.shape[1]) or not (
        data.y_train.shape[1] == data.y_val.shape[1] == data.y_test.shape[1]
    ):
        raise DataValueError(
            f"{getattr(data, 'name', 'data')}: feature or label counts differ between splits."
        )


# ---------------------------------------------------------------------------------------------
# Logistic-regression baselines
# ---------------------------------------------------------------------------------------------
class _SafeLogisticRegression(LogisticRegression):
    """Logistic regression that accepts a label with a single class in the training data.

    Such a label (never, or always, positive in train) has no decision boundary to learn; it
    gets the constant probability seen in training (0 or 1) instead of sklearn's error.
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _SafeLogisticRegression:
        y = np.asarray(y)
        values = np.unique(y)
        if values.size < 2:
            self.constant_ = float(values[0]) if values.size else 0.0
            self.classes_ = np.array([0.0, 1.0])
            self.n_features_in_ = np.shape(X)[1]
            return self
        self.constant_ = None
        return super().fit(X, y, sample_weight=sample_weight)

    def predict_proba(self, X: Any) -> np.ndarray:
        if getattr(self, "constant_", None) is None:
            return super().predict_proba(X)
        p = np.full(np.shape(X)[0], self.constant_)
        return np.stack([1.0 - p, p], axis=1)

    def decision_function(self, X: Any) -> np.ndarray:
        if getattr(self, "constant_", None) is None:
            return super().decision_function(X)
        return np.full(np.shape(X)[0], np.inf if self.constant_ else -np.inf)

    def predict(self, X: Any) -> np.ndarray:
        if getattr(self, "constant_", None) is None:
            return super().predict(X)
        return np.full(np.shape(X)[0], self.constant_)


def _logreg(C: float, seed: int) -> _SafeLogisticRegression:
    return _SafeLogisticRegression(C=C, max_iter=LR_MAX_ITER, random_state=seed)


def _fit_quietly(model: Any, x: np.ndarray, y: np.ndarray) -> tuple[Any, bool]:
    """Fit, recording (not printing) whether lbfgs failed to converge."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(x, y)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return model, converged


def binary_relevance(data: SplitData, C: float = 1.0, seed: int = 0) -> BaselineScores:
    """Binary relevance: one L2-regularised logistic regression per label.

    ``p(y_l = 1 | x) = sigmoid(w_l . x + b_l)``, each label fitted on its own
    (:class:`~sklearn.multioutput.MultiOutputClassifier`); ``C`` is sklearn's inverse
    regularisation strength. A label constant in train gets its constant as probability.

    Returns:
        :class:`BaselineScores` with (N_val, L) and (N_test, L) probabilities.
    """
    _check_data(data)
    model = MultiOutputClassifier(_logreg(C, seed))
    model, converged = _fit_quietly(model, data.x_train, data.y_train.astype(int))
    # predict_proba gives one (N, 2) array per label; column 1 is p(y_l = 1).
    val = np.stack([p[:, 1] for p in model.predict_proba(data.x_val)], axis=1)
    test = np.stack([p[:, 1] for p in model.predict_proba(data.x_test)], axis=1)
    info = {"C": float(C), "max_iter": LR_MAX_ITER, "converged": converged}
    return BaselineScores(val.astype(np.float32), test.astype(np.float32), info)


def classifier_chain(
    data: SplitData, C: float = 1.0, seed: int = 0, order: str | Sequence[int] | None = "random"
) -> BaselineScores:
    """Classifier chain of logistic regressions.

    Label ``order[j]`` is predicted from ``x`` and the labels ``order[:j]`` (true labels in
    training, predicted ones at test time): ``p(y_{o_j} = 1 | x, y_{o_<j})``.

    Args:
        data: the splits.
        C: inverse L2 regularisation of each logistic regression.
        seed: seeds the random chain order and the solvers.
        order: ``"random"`` (seeded), ``None`` (label order 0..L-1) or an explicit permutation.

    Returns:
        :class:`BaselineScores` with (N_val, L) and (N_test, L) probabilities.
    """
    _check_data(data)
    chain_order: Any = order
    if order is not None and not isinstance(order, str):
        chain_order = list(order)
    model = ClassifierChain(_logreg(C, seed), order=chain_order, random_state=seed)
    model, converged = _fit_quietly(model, data.x_train, data.y_train.astype(int))
    val = model.predict_proba(data.x_val)
    test = model.predict_proba(data.x_test)
    info = {
        "C": float(C),
        "max_iter": LR_MAX_ITER,
        "order": [int(i) for i in model.order_],
        "converged": converged,
    }
    return BaselineScores(val.astype(np.float32), test.astype(np.float32), info)


# ---------------------------------------------------------------------------------------------
# ML-kNN
# ---------------------------------------------------------------------------------------------
def _neighbours_excluding_self(nn_index: NearestNeighbors, x: np.ndarray, k: int) -> np.ndarray:
    """(n, k) indices of each indexed sample's ``k`` nearest *other* samples.

    Asks for ``k + 1`` neighbours and drops the sample's own index wherever it appears. With
    exact duplicates the sample itself need not come first (its twins are at distance 0 too),
    and with ``k + 1`` or more twins it may be missing altogether: then the last column goes
    (all ``k + 1`` are at distance 0, so any ``k`` of them are the ``k`` nearest). This is what
    ``NearestNeighbors.kneighbors()`` does when called without ``X``.
    """
    idx = nn_index.kneighbors(x, n_neighbors=k + 1, return_distance=False)  # (n, k+1)
    drop = idx == np.arange(len(x))[:, None]
    drop[~drop.any(axis=1), -1] = True
    return idx[~drop].reshape(len(x), k)  # a boolean mask keeps row-major order


def _label_counts(y: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """``c[i, l]`` = how many of sample i's neighbours carry label l; (n, L) int."""
    counts = np.zeros((neighbours.shape[0], y.shape[1]), dtype=np.int64)
    for j in range(neighbours.shape[1]):  # a loop over the k neighbour ranks, not the samples
        counts += y[neighbours[:, j]]
    return counts


def ml_knn(data: SplitData, k: int = 10, smoothing: float = 1.0, seed: int = 0) -> BaselineScores:
    """ML-kNN (Zhang & Zhou, *Pattern Recognition* 40(7), 2007), on euclidean neighbours.

    For label ``l`` let ``H_l`` be "the sample has label l" and ``C_l`` the number of its ``k``
    nearest training samples that have label ``l``. With smoothing ``s`` and ``n`` training
    samples, everything is counted on the training set (each training sample's neighbours are
    its ``k`` nearest *other* training samples):

    * prior: ``P(H_l = 1) = (s + sum_i y_il) / (2 s + n)``, ``P(H_l = 0) = 1 - P(H_l = 1)``;
    * ``kj[l, c]`` = number of training samples with ``y_il = 1`` and ``c_il = c``, ``kjn[l, c]``
      the same with ``y_il = 0``, for ``c = 0..k``;
    * likelihoods: ``P(C_l = c | H_l = 1) = (s + kj[l, c]) / (s (k + 1) + sum_c' kj[l, c'])``,
      and ``P(C_l = c | H_l = 0)`` likewise from ``kjn``.

    A query's score for label ``l``, with ``c`` counted among its ``k`` nearest training
    samples, is ML-kNN's posterior probability::

        P(H_l=1 | C_l=c) = P(H_l=1) P(c|H_l=1) / (P(H_l=1) P(c|H_l=1) + P(H_l=0) P(c|H_l=0))

    ML-kNN predicts the label where this exceeds 1/2; here it is thresholded like any other
    score (the paper protocol, the honest protocol, t = 0.5).

    Written on :class:`sklearn.neighbors.NearestNeighbors` and numpy (vectorised over samples)
    because scikit-multilearn's ``MLkNN`` (0.2.0) is broken with current scikit-learn: it
    passes ``n_neighbors`` positionally, which scikit-learn >= 1.0 rejects with a TypeError.

    Args:
        data: the splits (features standardised: the distance treats them all alike).
        k: number of neighbours, ``1 <= k < n_train``.
        smoothing: the Laplace smoothing ``s > 0`` (1 gives Laplace smoothing, as in the paper).
        seed: recorded only; ML-kNN is deterministic (ties in distance are broken by
            scikit-learn's search, the same way every run).

    Returns:
        :class:`BaselineScores`; ``info`` has ``k``, ``smoothing``, ``metric`` and ``seed``.

    Raises:
        ValueError: ``k`` not an integer in ``[1, n_train)``, or ``smoothing`` not positive.
    """
    _check_data(data)
    x_tr = np.asarray(data.x_train, dtype=np.float64)
    y_tr = np.asarray(data.y_train).astype(np.int64)
    n, n_labels = y_tr.shape
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k < n:
        raise ValueError(
            f"ml_knn: k must be an integer with 1 <= k < n_train = {n} (each training sample "
            f"needs k other training samples as neighbours); got k={k!r}."
        )
    k = int(k)
    s = float(smoothing)
    if not (math.isfinite(s) and s > 0):
        raise ValueError(f"ml_knn: smoothing must be a positive number; got {smoothing!r}.")

    index = NearestNeighbors(n_neighbors=k, metric="euclidean").fit(x_tr)
    counts = _label_counts(y_tr, _neighbours_excluding_self(index, x_tr, k))  # (n, L) in 0..k

    prior1 = (s + y_tr.sum(axis=0)) / (2 * s + n)  # (L,)
    kj = np.zeros((n_labels, k + 1))
    kjn = np.zeros((n_labels, k + 1))
    for c in range(k + 1):  # a loop over the k + 1 possible counts
        at_c = counts == c
        kj[:, c] = (at_c & (y_tr == 1)).sum(axis=0)
        kjn[:, c] = (at_c & (y_tr == 0)).sum(axis=0)
    like1 = (s + kj) / (s * (k + 1) + kj.sum(axis=1, keepdims=True))  # P(C_l = c | H_l = 1)
    like0 = (s + kjn) / (s * (k + 1) + kjn.sum(axis=1, keepdims=True))  # P(C_l = c | H_l = 0)

    def posterior(x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros((0, n_labels), dtype=np.float32)
        neighbours = index.kneighbors(np.asarray(x, dtype=np.float64), return_distance=False)
        c = _label_counts(y_tr, neighbours)  # (m, L)
        rows = np.arange(n_labels)[None, :]
        joint1 = prior1 * like1[rows, c]
        joint0 = (1 - prior1) * like0[rows, c]
        return (joint1 / (joint1 + joint0)).astype(np.float32)

    info = {"k": k, "smoothing": s, "metric": "euclidean", "seed": int(seed)}
    return BaselineScores(posterior(data.x_val), posterior(data.x_test), info)


# ---------------------------------------------------------------------------------------------
# MLP baseline
# ---------------------------------------------------------------------------------------------
class MLP(nn.Module):
    """``x (B, d) -> [Linear -> ReLU -> Dropout] per hidden size -> Linear -> logits (B, L)``."""

    def __init__(
        self, d_in: int, n_labels: int, hidden: Sequence[int] = (256,), dropout: float = 0.5
    ):
        super().__init__()
        layers: list[nn.Module] = []
        width = d_in
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, n_labels))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def mlp_baseline(
    data: SplitData,
    hidden: Sequence[int] = (256,),
    epochs: int = 200,
    lr: float = 1e-3,
    weight_decay: float = 1e-5,
    dropout: float = 0.5,
    batch_size: int = 128,
    seed: int = 0,
    device: str | torch.device | None = "auto",
    progress: bool = True,
) -> BaselineScores:
    """A plain MLP trained with binary cross-entropy, best validation macro-F1 kept.

    Loss per batch: ``mean_b sum_l BCEWithLogits(f(x_b)_l, y_bl)`` (summed over labels like the
    authors' BCE terms). Adam; after every epoch the validation macro-F1 at t = 0.5 is computed
    on the device and the best epoch's weights are kept (earliest on ties).

    The run is seeded and leaves the caller's global RNG state untouched: on the CPU two calls
    with the same seed give identical scores.

    Args:
        data: the splits (features should be standardised).
        hidden: hidden layer widths.
        epochs: passes over the training set (the partial last batch included). The default,
            200, takes ~5 s on yeast on one CPU thread; the best validation epoch there is
            ~150.
        lr, weight_decay: Adam's settings.
        dropout: drop probability after each hidden layer.
        batch_size: mini-batch size.
        seed: seeds initialisation, dropout and shuffling.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ... (see :func:`~minicgmvae.device.get_device`).
        progress: show a tqdm bar over epochs.

    Returns:
        :class:`BaselineScores`; ``info`` has ``best_epoch`` (1-based), ``best_val_macro_f1``
        and the per-epoch ``history``.
    """
    _check_data(data)
    out = _train_mlp_seeded(
        data,
        hidden,
        epochs,
        lr,
        weight_decay,
        dropout,
        batch_size,
        seed,
        device,
        progress,
        loss_fn=_bce_sum_over_labels,
        desc="mlp",
    )
    out.info["loss"] = "bce"
    return out


#: A training loss: ``(logits (B, L), y (B, L)) -> scalar``.
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _bce_sum_over_labels(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``mean_b sum_l BCEWithLogits(logits_bl, y_bl)``: summed over labels, mean over the batch."""
    return F.binary_cross_entropy_with_logits(logits, y, reduction="sum") / len(y)


def _train_mlp_seeded(
    data: SplitData,
    hidden: Sequence[int],
    epochs: int,
    lr: float,
    weight_decay: float,
    dropout: float,
    batch_size: int,
    seed: int,
    device: str | torch.device | None,
    progress: bool,
    loss_fn: LossFn,
    desc: str,
) -> BaselineScores:
    """:func:`_train_mlp` seeded with ``seed``; fork_rng restores the caller's global RNG
    state afterwards, so the seeding is local to the run."""
    dev = get_device(device)
    fork_devices = [dev.index or 0] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=fork_devices):
        torch.manual_seed(seed)
        return _train_mlp(
            data,
            hidden,
            epochs,
            lr,
            weight_decay,
            dropout,
            batch_size,
            seed,
            dev,
            progress,
            loss_fn=loss_fn,
            desc=desc,
        )


def _train_mlp(
    data: SplitData,
    hidden: Sequence[int],
    epochs: int,
    lr: float,
    weight_decay: float,
    dropout: float,
    batch_size: int,
    seed: int,
    dev: torch.device,
    progress: bool,
    loss_fn: LossFn,
    desc: str = "mlp",
) -> BaselineScores:
    """The MLP's training loop, minimising ``loss_fn(logits, y)`` per mini-batch (Adam)."""

    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a, dtype=np.float32), device=dev)

    # Everything lives on the device for the whole run: batches are index slices, no loader.
    x_tr, y_tr = tensor(data.x_train), tensor(data.y_train)
    x_va, y_va = tensor(data.x_val), tensor(data.y_val)
    x_te = tensor(data.x_test)
    n = x_tr.shape[0]
    model = MLP(x_tr.shape[1], y_tr.shape[1], hidden, dropout).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    # Shuffling gets its own CPU generator, so the order does not depend on the device.
    gen = torch.Generator().manual_seed(seed)

    best_f1, best_epoch, best_state = -1.0, 0, copy.deepcopy(model.state_dict())
    history: list[dict[str, float]] = []
    bar = tqdm(range(1, epochs + 1), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        perm = torch.randperm(n, generator=gen).to(dev)
        total = torch.zeros((), device=dev)
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            logits = model(x_tr[idx])  # (B, L)
            loss = loss_fn(logits, y_tr[idx])  # a scalar, e.g. summed over labels, batch mean
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
        model.eval()
        with torch.no_grad():
            # on probabilities, exactly as the returned scores will be thresholded
            val_f1 = float(torch_macro_f1(y_va, torch.sigmoid(model(x_va)), threshold=0.5))
        history.append({"epoch": epoch, "train_loss": float(total) / n, "val_macro_f1": val_f1})
        if val_f1 > best_f1:
            best_f1, best_epoch = val_f1, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        bar.set_postfix(val_maF1=f"{val_f1:.3f}", best=f"{best_f1:.3f}@{best_epoch}")
    bar.close()

    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        val = torch.sigmoid(model(x_va)).cpu().numpy()
        test = torch.sigmoid(model(x_te)).cpu().numpy()
    info = {
        "hidden": [int(h) for h in hidden],
        "epochs": int(epochs),
        "lr": float(lr),
        "weight_decay": float(weight_decay),
        "dropout": float(dropout),
        "batch_size": int(batch_size),
        "device": str(dev),
        "best_epoch": int(best_epoch),
        "best_val_macro_f1": float(best_f1),
        "history": history,
    }
    return BaselineScores(val.astype(np.float32), test.astype(np.float32), info)


# ---------------------------------------------------------------------------------------------
# Asymmetric loss (ASL) and the MLP trained with it
# ---------------------------------------------------------------------------------------------
def _check_asl_args(gamma_neg: float, gamma_pos: float, clip: float) -> None:
    if not (gamma_neg >= 0 and gamma_pos >= 0):  # also rejects NaN
        raise ValueError(f"gamma_neg and gamma_pos must be >= 0; got {gamma_neg}, {gamma_pos}.")
    if not 0 <= clip < 1:
        raise ValueError(f"clip must be in [0, 1); got {clip}.")


def asymmetric_loss(
    logits: torch.Tensor,
    y: torch.Tensor,
    gamma_neg: float = 4.0,
    gamma_pos: float = 0.0,
    clip: float = 0.05,
    eps: float = 1e-8,
) -> torch.Tensor:
    """The asymmetric loss of Ridnik et al., "Asymmetric Loss For Multi-Label Classification"
    (ICCV 2021), summed over labels and averaged over the batch.

    With ``p = sigmoid(logit)`` and the shifted probability ``p_m = max(p - clip, 0)`` (easy
    negatives, ``p < clip``, are discarded entirely)::

        L = mean_b -sum_l [ y (1 - p)^gamma_pos log(p)
                            + (1 - y) p_m^gamma_neg log(1 - p_m) ]

    The same reduction as the BCE baseline. With ``gamma_neg = gamma_pos = 0`` and ``clip = 0``
    it is BCE with logits.

    The focusing weights ``(1 - p)^gamma_pos`` and ``p_m^gamma_neg`` are constants for the
    gradient (computed under ``torch.no_grad``, the official implementation's
    ``disable_torch_grad_focal_loss=True``): the gradient is that of the log terms, each
    scaled by its weight.

    Numerics: ``log(p)`` is ``logsigmoid(logit)``, exact for any logit; ``log(1 - p_m)`` is
    ``logsigmoid(-logit)`` when ``clip = 0`` and ``log(min(sigmoid(-logit) + clip, 1))``
    (``>= log(clip)``, clamped at ``eps`` as in the reference) otherwise. The reference code
    clamps both logs at ``log(eps)``; the two agree unless ``|logit| > ~18``.

    Args:
        logits: (B, L) scores before the sigmoid.
        y: (B, L) targets in {0, 1}, same dtype as ``logits``.
        gamma_neg, gamma_pos: focusing exponents, ``>= 0``.
        clip: the probability margin ``m`` of the shift, in ``[0, 1)``.
        eps: lower clamp of ``1 - p_m`` inside the log.

    Returns:
        A scalar tensor.
    """
    _check_asl_args(gamma_neg, gamma_pos, clip)
    log_p = F.logsigmoid(logits)
    if clip > 0:
        one_minus_pm = (torch.sigmoid(-logits) + clip).clamp(max=1.0)  # 1 - max(p - clip, 0)
        log_1m_pm = torch.log(one_minus_pm.clamp(min=eps))
    else:
        log_1m_pm = F.logsigmoid(-logits)
    pos = y * log_p
    neg = (1 - y) * log_1m_pm
    # Asymmetric focusing; the weights are constants for the gradient (exponent 0: weight 1).
    with torch.no_grad():
        p = torch.sigmoid(logits)
        w_pos = torch.pow(1 - p, gamma_pos) if gamma_pos > 0 else None
        w_neg = torch.pow((p - clip).clamp(min=0), gamma_neg) if gamma_neg > 0 else None
    if w_pos is not None:
        pos = pos * w_pos
    if w_neg is not None:
        neg = neg * w_neg
    return -(pos + neg).sum() / logits.shape[0]


def asl_mlp_baseline(
    data: SplitData,
    gamma_neg: float = 4.0,
    gamma_pos: float = 0.0,
    clip: float = 0.05,
    hidden: Sequence[int] = (256,),
    epochs: int = 200,
    lr: float = 1e-3,
    weight_decay: float = 1e-5,
    dropout: float = 0.5,
    batch_size: int = 128,
    seed: int = 0,
    device: str | torch.device | None = "auto",
    progress: bool = True,
) -> BaselineScores:
    """The :func:`mlp_baseline` MLP and training loop, trained with :func:`asymmetric_loss`.

    Everything but the loss is :func:`mlp_baseline`'s: architecture, Adam, the seeding (local
    to the run, deterministic on the CPU) and the checkpoint with the best validation macro-F1
    at t = 0.5. The defaults ``gamma_neg = 4, gamma_pos = 0, clip = 0.05`` are ASL's
    recommended multi-label setting. ASL down-weights the negatives, so its probabilities are
    not calibrated: they tend to sit higher than BCE's. The honest protocol's validation
    threshold adapts to that; a fixed t = 0.5 does not.

    Args:
        data: the splits (features should be standardised).
        gamma_neg, gamma_pos, clip: the loss's focusing exponents and probability margin.
        hidden, epochs, lr, weight_decay, dropout, batch_size, seed, device, progress: as in
            :func:`mlp_baseline`.

    Returns:
        :class:`BaselineScores`; ``info`` as :func:`mlp_baseline`'s, with ``loss = "asl"``,
        ``gamma_neg``, ``gamma_pos`` and ``clip``.
    """
    _check_data(data)
    _check_asl_args(gamma_neg, gamma_pos, clip)
    loss_fn = functools.partial(
        asymmetric_loss, gamma_neg=gamma_neg, gamma_pos=gamma_pos, clip=clip
    )
    out = _train_mlp_seeded(
        data,
        hidden,
        epochs,
        lr,
        weight_decay,
        dropout,
        batch_size,
        seed,
        device,
        progress,
        loss_fn=loss_fn,
        desc="asl",
    )
    out.info.update(
        loss="asl", gamma_neg=float(gamma_neg), gamma_pos=float(gamma_pos), clip=float(clip)
    )
    return out


# ---------------------------------------------------------------------------------------------
# Running and reporting
# ---------------------------------------------------------------------------------------------
BASELINES = {
    "br": binary_relevance,
    "cc": classifier_chain,
    "mlp": mlp_baseline,
    "mlknn": ml_knn,
    "asl": asl_mlp_baseline,
}

#: The baselines with a logistic regression's ``C`` (the ones ``C_grid`` applies to).
_C_METHODS = ("br", "cc")


def _val_score(data: SplitData, scores_val: np.ndarray, select_by: str) -> float:
    """What a C grid is judged by: the best validation ``select_by`` over the paper thresholds
    (the honest protocol will pick that threshold, so this is the value it would act on)."""
    return float(np.nanmax(threshold_sweep(data.y_val, scores_val, PAPER_THRESHOLDS)[select_by]))


def run_baseline(
    data: SplitData,
    method: str,
    seed: int = 0,
    *,
    C_grid: Sequence[float] | None = None,
    select_by: str = "macro_f1",
    keep_scores: bool = True,
    **kw: Any,
) -> dict[str, Any]:
    """Fit one baseline, evaluate it under every protocol, and return a JSON-friendly record.

    Args:
        data: the splits (with a ``name``).
        method: a key of :data:`BASELINES`: ``"br"``, ``"cc"``, ``"mlp"``, ``"mlknn"`` or
            ``"asl"``.
        seed: the run's seed.
        C_grid: for ``"br"``/``"cc"`` only: try each ``C`` and keep the one with the best
            validation ``select_by`` (maximised over the paper thresholds; ties -> the smaller,
            more regularised ``C``). The test set is never looked at for this choice.
        select_by: the validation metric of the honest protocol (and of the ``C`` grid).
        keep_scores: include the val/test scores as nested lists (set False for big sets).
        **kw: passed to the baseline function (e.g. ``C=0.1``, ``epochs=50``, ``progress=False``,
            ``k=10``).

    Returns:
        ``{"dataset", "method", "seed", "params", "protocols": {"paper", "honest", ...},
        "wall_time_s", "provenance", ["C_search"], ["scores_val", "scores_test"]}``.
    """
    if method not in BASELINES:
        raise ValueError(f"method must be one of {sorted(BASELINES)}; got {method!r}.")
    fn = BASELINES[method]
    t0 = time.perf_counter()
    record: dict[str, Any] = {
        "dataset": getattr(data, "name", None),
        "method": method,
        "seed": seed,
    }
    if C_grid is not None:
        if method not in _C_METHODS:
            raise ValueError("C_grid applies to the logistic-regression baselines 'br' and 'cc'.")
        if "C" in kw:
            raise ValueError("Pass either C or C_grid, not both.")
        search = []
        for C in sorted(float(c) for c in C_grid):
            out = fn(data, C=C, seed=seed, **kw)
            score = _val_score(data, out.val, select_by)
            search.append({"C": C, f"val_{select_by}": score, "out": out})
        # max over validation score; sorted ascending, so max() keeps the smallest C on ties
        best = max(search, key=lambda r: r[f"val_{select_by}"])
        result = best["out"]
        record["C_search"] = [{k: v for k, v in r.items() if k != "out"} for r in search]
    else:
        result = fn(data, seed=seed, **kw)
    protocols = evaluate_both(data.y_val, result.val, data.y_test, result.test, select_by=select_by)
    record["params"] = result.info
    record["protocols"] = {name: r.to_dict() for name, r in protocols.items()}
    record["wall_time_s"] = time.perf_counter() - t0
    device = result.info.get("device", "cpu")  # the torch baselines say where they ran
    record["provenance"] = provenance(str(device))  # package versions, commit, device, date
    if keep_scores:
        record["scores_val"] = result.val.tolist()
        record["scores_test"] = result.test.tolist()
    return record
