"""C-GMVAE as a scikit-learn estimator: ``CGMVAEClassifier().fit(X, Y).predict(X)``.

``X`` is a feature matrix ``(N, d)`` (dense or scipy sparse, or a DataFrame), ``Y`` a 0/1
label indicator matrix ``(N, L)`` (dense or scipy sparse, or a DataFrame whose columns name
the labels). The estimator works wherever scikit-learn expects a multi-label classifier:
``Pipeline`` (e.g. after a ``StandardScaler``), ``GridSearchCV``, ``cross_val_score`` with
multi-label scorers (``"f1_micro"``, ``"f1_macro"``, ``"f1_samples"``), ``clone`` and pickle.

What ``fit`` does, in order:

1. **Validation split.** ``validation_fraction`` of the rows (drawn with a seed from
   ``random_state``) are held out, as :func:`~minicgmvae.data.datasets.from_arrays` does.
2. **Standardisation** (``standardize=True``): features are z-scored with the mean and
   standard deviation of the remaining training rows (a constant column is divided by 1).
   The statistics are kept, so ``predict`` takes raw features.
3. **Training**: :func:`minicgmvae.training.fit` with the hyperparameters given to the
   constructor; the weights of the epoch with the best validation ``select_by`` are kept
   (the authors' checkpoint rule).
4. **Threshold.** With ``threshold=None``, the threshold among 0.1, 0.2, ..., 0.9 that
   maximises ``select_by`` (macro-F1 by default) on the validation rows, ties going to the
   one closest to 0.5: the rule of the honest protocol
   (:func:`minicgmvae.protocols.honest_protocol`). With no validation row it is 0.5. A
   number given as ``threshold`` is used as it is.

The hyperparameters' defaults are the authors' code defaults, the defaults of
:class:`~minicgmvae.config.ModelConfig` and :class:`~minicgmvae.config.TrainConfig` (this
module reads them from there). :func:`minicgmvae.config.paper_settings` gives the settings
of the book's reproduction (embedding 2048, BCE weight 0.5, per-dataset learning rate and
epochs); pass them as keyword arguments to use them here.

The fitted model is kept as a :class:`~minicgmvae.predictor.Predictor` (``predictor_``):
``save(path)`` writes it as one small file that :func:`minicgmvae.load_predictor` and
``python -m minicgmvae predict`` read back.
"""

from __future__ import annotations

import os
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, MultiOutputMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from .config import ModelConfig, TrainConfig
from .data.datasets import from_arrays
from .errors import DataValueError
from .predictor import Predictor
from .protocols import honest_protocol
from .training import fit as fit_model

__all__ = ["CGMVAEClassifier", "MODEL_PARAMS", "TRAIN_PARAMS", "choose_threshold"]

#: The constructor's arguments that go to :class:`ModelConfig` (the sizes come from the data).
MODEL_PARAMS: tuple[str, ...] = tuple(
    f.name for f in fields(ModelConfig) if f.name not in ("n_features", "n_labels")
)
#: The constructor's arguments that go to :class:`TrainConfig` (the seed comes from
#: ``random_state``).
TRAIN_PARAMS: tuple[str, ...] = tuple(f.name for f in fields(TrainConfig) if f.name != "seed")

_DEFAULTS: dict[str, Any] = {
    f.name: f.default
    for cls in (ModelConfig, TrainConfig)
    for f in fields(cls)
    if f.default is not MISSING
}
_ACCEPT_SPARSE = ("csr", "csc", "coo")


def choose_threshold(y_val: Any, p_val: Any, select_by: str = "macro_f1") -> tuple[float, Any]:
    """The threshold among 0.1..0.9 that maximises ``select_by`` on validation.

    The honest protocol's rule (:func:`~minicgmvae.protocols.honest_protocol`): ties go to
    the threshold closest to 0.5, then the lower.

    Args:
        y_val: the validation rows' 0/1 labels, (N, L).
        p_val: their predicted probabilities, (N, L).
        select_by: the metric to maximise: ``"macro_f1"``, ``"micro_f1"`` or
            ``"example_f1"``.

    Returns:
        ``(threshold, curve)``, ``curve`` being the validation ``select_by`` at each
        candidate (a list; ``None`` where undefined).

    Raises:
        ValueError: ``select_by`` is not a threshold metric.
        DataValueError: ``select_by`` is undefined at every threshold (see
            :func:`~minicgmvae.protocols.honest_protocol`).
    """
    chosen = honest_protocol(y_val, p_val, y_val, p_val, select_by=select_by)
    return float(chosen.thresholds[select_by]), chosen.details[f"val_{select_by}"]


def _check_indicator(Y: np.ndarray) -> np.ndarray:
    """``Y`` if it is a 2-D label matrix; a scikit-learn style ValueError if it is not (the
    0/1 values are checked by :func:`~minicgmvae.data.datasets.from_arrays`)."""
    kind = type_of_target(Y, input_name="Y", raise_unknown=True)
    if kind.startswith("continuous"):
        raise ValueError(
            f"Unknown label type: {kind}. Y must be a 0/1 label indicator matrix "
            "(n_samples, n_labels); a continuous target is a regression problem."
        )
    if kind.startswith("multiclass"):
        raise ValueError(
            f"Only binary classification is supported: each column of Y is one label, 0 "
            f"or 1. The type of the target is {kind}; turn classes into indicator columns "
            "first (sklearn.preprocessing.MultiLabelBinarizer or LabelBinarizer)."
        )
    if Y.ndim != 2:
        raise ValueError(
            f"Y must be a 2-D 0/1 label indicator matrix (n_samples, n_labels), got shape "
            f"{Y.shape}; for one binary label use Y.reshape(-1, 1)."
        )
    return Y


class CGMVAEClassifier(MultiOutputMixin, ClassifierMixin, BaseEstimator):
    """C-GMVAE, the Gaussian-mixture VAE with contrastive learning, as a multi-label
    scikit-learn classifier (see the module docstring for what ``fit`` does).

    The network, its loss and its training take the fields of
    :class:`~minicgmvae.config.ModelConfig` and :class:`~minicgmvae.config.TrainConfig` (their
    defaults too), except the sizes, which come from the data, and the seed, which comes from
    ``random_state``. A default written ``_DEFAULTS['name']`` in the signature is the default
    of that field there.

    Args:
        latent_dim: size of z.
        embed_dim: e, size of the label embeddings and the decoder output.
        feature_hidden: widths of the feature encoder's hidden layers.
        label_hidden: widths of the label encoder's hidden layers.
        decoder_hidden: width of the decoder's hidden layer.
        dropout: the probability of zeroing a unit in the encoders (the decoder has none).
        prior: ``"mixture"`` (C-GMVAE), ``"label_gaussian"`` or ``"standard_normal"``.
        kl_estimator: ``"monte_carlo"`` (the authors') or ``"closed_form"`` (unimodal
            priors only).
        kl_weight: beta, the weight of the KL term.
        bce_weight: lambda, the weight of the three BCE terms.
        contrastive_weight: alpha, the weight of the contrastive loss (0 switches it off).
        temperature: tau of the contrastive softmax.
        decoder_sees_x: the decoder reads ``[x; z]`` (the authors' code), or ``z`` alone.
        lr: Adam's learning rate (and the cosine schedule's maximum).
        epochs: the number of epochs.
        batch_size: the minibatch size.
        weight_decay: Adam's weight decay.
        t0: the length in epochs of the first cosine cycle.
        t_mult: each cycle is this many times longer than the one before.
        eta_min: the learning rate at the bottom of each cycle.
        select_by: the validation metric (``"macro_f1"``, ``"micro_f1"`` or
            ``"example_f1"``) that chooses the best epoch, and the threshold when
            ``threshold`` is ``None``.
        patience: early stopping: stop after this many epochs without a better validation
            score, keeping the best epoch (``None``: run every epoch).
        validation_fraction: the share of rows held out to pick the best epoch and the
            threshold, in [0, 1).
        threshold: ``None`` (chosen on validation) or a number in (0, 1).
        standardize: z-score the features with the training rows' statistics.
        random_state: seed of the validation split and of training (int, RandomState or
            None). On the CPU the same integer gives the same model, bit for bit.
        device: "auto" (cuda, then mps, then cpu) or a named device; predictions run on the
            CPU.
        verbose: show a progress bar over epochs.

    Attributes:
        predictor_: the fitted :class:`~minicgmvae.predictor.Predictor` (weights,
            standardisation, names, threshold).
        threshold_: the threshold ``predict`` applies.
        validation_curve_: validation ``select_by`` at 0.1..0.9 (``None`` if not chosen).
        classes_: ``arange(L)``, the label indices.
        label_names_: the label names (the columns of a DataFrame ``Y``, else ``label0..``).
        best_epoch_, history_: the epoch whose weights were kept, and the training curves.
        n_features_in_, feature_names_in_: as in scikit-learn.
    """

    def __init__(
        self,
        *,
        latent_dim: int = _DEFAULTS["latent_dim"],
        embed_dim: int = _DEFAULTS["embed_dim"],
        feature_hidden: tuple[int, ...] = _DEFAULTS["feature_hidden"],
        label_hidden: tuple[int, ...] = _DEFAULTS["label_hidden"],
        decoder_hidden: int = _DEFAULTS["decoder_hidden"],
        dropout: float = _DEFAULTS["dropout"],
        prior: str = _DEFAULTS["prior"],
        kl_estimator: str = _DEFAULTS["kl_estimator"],
        kl_weight: float = _DEFAULTS["kl_weight"],
        bce_weight: float = _DEFAULTS["bce_weight"],
        contrastive_weight: float = _DEFAULTS["contrastive_weight"],
        temperature: float = _DEFAULTS["temperature"],
        decoder_sees_x: bool = _DEFAULTS["decoder_sees_x"],
        lr: float = _DEFAULTS["lr"],
        epochs: int = _DEFAULTS["epochs"],
        batch_size: int = _DEFAULTS["batch_size"],
        weight_decay: float = _DEFAULTS["weight_decay"],
        t0: int = _DEFAULTS["t0"],
        t_mult: int = _DEFAULTS["t_mult"],
        eta_min: float = _DEFAULTS["eta_min"],
        select_by: str = _DEFAULTS["select_by"],
        patience: int | None = _DEFAULTS["patience"],
        validation_fraction: float = 0.1,
        threshold: float | None = None,
        standardize: bool = True,
        random_state: int | np.random.RandomState | None = None,
        device: str = "auto",
        verbose: bool = False,
    ) -> None:
        self.latent_dim = latent_dim
        self.embed_dim = embed_dim
        self.feature_hidden = feature_hidden
        self.label_hidden = label_hidden
        self.decoder_hidden = decoder_hidden
        self.dropout = dropout
        self.prior = prior
        self.kl_estimator = kl_estimator
        self.kl_weight = kl_weight
        self.bce_weight = bce_weight
        self.contrastive_weight = contrastive_weight
        self.temperature = temperature
        self.decoder_sees_x = decoder_sees_x
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.t0 = t0
        self.t_mult = t_mult
        self.eta_min = eta_min
        self.select_by = select_by
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.threshold = threshold
        self.standardize = standardize
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.classifier_tags.multi_class = False  # labels are 0/1 columns, not classes
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False  # Y is a 2-D indicator matrix
        tags.input_tags.sparse = True  # densified
        return tags

    # ------------------------------------------------------------------------------- fit
    def _configs(
        self, n_features: int, n_labels: int, seed: int
    ) -> tuple[ModelConfig, TrainConfig]:
        model = {k: getattr(self, k) for k in MODEL_PARAMS}
        train = {k: getattr(self, k) for k in TRAIN_PARAMS}
        for key in ("feature_hidden", "label_hidden"):
            model[key] = tuple(model[key])
        mc = ModelConfig(n_features=n_features, n_labels=n_labels, **model)
        return mc, TrainConfig(seed=seed, **train)

    def fit(self, X: Any, Y: Any) -> CGMVAEClassifier:
        """Train on features ``X`` ``(N, d)`` and 0/1 labels ``Y`` ``(N, L)``; returns self.

        Args:
            X: raw features, (N, d): an array, a scipy sparse matrix or a DataFrame (whose
                column names become ``feature_names_in_``).
            Y: 0/1 labels, (N, L): an array, a scipy sparse matrix or a DataFrame (whose
                column names become ``label_names_``).

        Returns:
            The fitted estimator.

        Raises:
            ValueError: ``Y`` is not a 0/1 label indicator matrix (continuous, multiclass or
                1-D), ``X`` and ``Y`` have different numbers of rows, or ``threshold`` is not
                ``None`` or in (0, 1).
            DataValueError: bad values or splits (see
                :func:`~minicgmvae.data.datasets.from_arrays`).
        """
        label_names = [str(c) for c in Y.columns] if hasattr(Y, "columns") else None
        X, Y = validate_data(self, X, Y, multi_output=True, accept_sparse=_ACCEPT_SPARSE)
        X = X.toarray() if hasattr(X, "toarray") else X
        Y = _check_indicator(Y.toarray() if hasattr(Y, "toarray") else np.asarray(Y))
        if self.threshold is not None and not 0.0 < float(self.threshold) < 1.0:
            raise ValueError(f"threshold must be None or in (0, 1), got {self.threshold!r}.")
        rng = check_random_state(self.random_state)
        split_seed, train_seed = (int(s) for s in rng.randint(0, 2**31 - 1, size=2))
        data = self._split(X, Y, label_names, split_seed)
        mc, tc = self._configs(data.n_features, data.n_labels, train_seed)
        result = fit_model(data, mc, tc, device=self.device, progress=bool(self.verbose))
        model = result.model.cpu()
        threshold, self.validation_curve_ = self._threshold(model, data)
        info = self._fit_info(result, data)
        self.predictor_ = Predictor.from_split_data(model, data, threshold, tc, info)
        self.threshold_ = threshold
        self.label_names_ = list(data.label_names)
        self.classes_ = np.arange(data.n_labels)
        self.label_dtype_ = Y.dtype
        self.best_epoch_ = result.best_epoch
        self.history_ = result.history
        return self

    def _split(self, X: Any, Y: Any, label_names: list[str] | None, seed: int) -> Any:
        """The training and validation split of ``(X, Y)``, standardised as configured."""
        feature_names = getattr(self, "feature_names_in_", None)
        return from_arrays(
            X,
            Y,
            test_fraction=0.0,
            val_fraction=self.validation_fraction,
            seed=seed,
            standardize=self.standardize,
            label_names=label_names,
            feature_names=None if feature_names is None else list(feature_names),
            name="CGMVAEClassifier",
        )

    def _fit_info(self, result: Any, data: Any) -> dict[str, Any]:
        """What the saved predictor records about this fit."""
        rule = f"best validation {self.select_by} over 0.1..0.9"
        return {
            "source": "CGMVAEClassifier",
            "best_epoch": result.best_epoch,
            "best_val_score": result.best_score,
            "select_by": self.select_by,
            "threshold_rule": "given" if self.threshold is not None else rule,
            "n_train": len(data.x_train),
            "n_val": len(data.x_val),
        }

    def _threshold(self, model: Any, data: Any) -> tuple[float, Any]:
        """The given threshold, or the one chosen on validation (0.5 without validation);
        and the validation curve it was chosen from (or None)."""
        if self.threshold is not None:
            return float(self.threshold), None
        if not len(data.x_val):
            return 0.5, None
        p_val = model.predict_proba(torch.from_numpy(data.x_val)).numpy()
        try:
            return choose_threshold(data.y_val, p_val, self.select_by)
        except DataValueError:  # select_by undefined at every threshold on validation
            return 0.5, None

    # ------------------------------------------------------------------------------- predict
    def predict_proba(self, X: Any) -> np.ndarray:
        """``p(y_i = 1 | x)``, a float32 ``(N, L)`` array, from raw features ``X``.

        Args:
            X: raw features, (N, d), in the form ``fit`` took (standardised here as in
                training).

        Raises:
            sklearn.exceptions.NotFittedError: ``fit`` has not been called.
        """
        check_is_fitted(self, "predictor_")
        X = validate_data(self, X, reset=False, accept_sparse=_ACCEPT_SPARSE)
        return self.predictor_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        """0/1 labels ``(N, L)``: ``predict_proba(X) >= threshold_``, in ``Y``'s dtype.

        Args:
            X: raw features, (N, d).
        """
        proba = self.predict_proba(X)
        return (proba >= self.threshold_).astype(self.label_dtype_)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted model as a predictor file (see :mod:`minicgmvae.predictor`).

        The file takes what ``fit`` was given: in a ``Pipeline``, the output of the steps
        before this one. To save a model that reads the raw columns, fit the estimator on
        them (it standardises them itself, ``standardize=True``).

        Args:
            path: the file to write (atomically).

        Returns:
            The path written.
        """
        check_is_fitted(self, "predictor_")
        return self.predictor_.save(path)
