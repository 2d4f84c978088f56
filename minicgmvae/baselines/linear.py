"""Logistic-regression baselines: binary relevance (the paper's BR row) and classifier chains."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.multioutput import ClassifierChain, MultiOutputClassifier

from .common import BaselineScores, SplitData, check_splits

#: The most lbfgs iterations of each logistic regression (enough to converge on z-scored
#: yeast and scene).
LR_MAX_ITER = 2000

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

    Args:
        data: the splits (features should be standardised; see :func:`check_splits`).
        C: inverse L2 regularisation of each logistic regression.
        seed: the solvers' ``random_state``.

    Returns:
        :class:`BaselineScores` with (N_val, L) and (N_test, L) probabilities.
    """
    check_splits(data)
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
    check_splits(data)
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


