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

from .common import BaselineScores, SplitData, check_splits
from .linear import LR_MAX_ITER, binary_relevance, classifier_chain
from .mlknn import ml_knn
from .mlp import MLP, MLPSettings, asl_mlp_baseline, asymmetric_loss, mlp_baseline
from .run import BASELINES, run_baseline

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
    "MLP",
    "MLPSettings",
    "LR_MAX_ITER",
    "check_splits",
]
