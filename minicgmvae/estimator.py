"""C-GMVAE as a scikit-learn estimator: ``CGMVAEClassifier().fit(X, Y).predict(X)``.

``X`` is a feature matrix ``(N, d)`` (dense or scipy sparse, or a DataFrame), ``Y`` a 0/1
label indicator matrix ``(N, L)`` (dense or scipy sparse, or a DataFrame whose columns name
the labels). The estimator works wherever scikit-learn expects a multi-label classifier:
``Pipeline`` (e.g. after a ``StandardScaler``), ``GridSearchCV``, ``cross_val_score`` with
multi-label scorers (``"f1_micro"``, ``"f1_macro"``, ``"f1_samples"``), ``clone`` and pickle.

What ``fit`` does, in order:

1. **Validation split.** ``validation_fraction`` of the rows (drawn with a seed from
   ``random_state``) are held out, as :func:`~minicgmvae.data.datasets.from_arrays` does
   with ``stratify=True``: every label value (1, and 0) is kept at least once, and held out
   at least once if found in two rows or more. A label with no positive or no negative
   example in either part gets a :class:`LabelCoverageWarning` that names it.
2. **Standardisation** (``standardize=True``): features are z-scored with the mean and
   standard deviation of the remaining training rows (a constant column is divided by 1).
   The statistics are kept, so ``predict`` takes raw features.
3. **Training**: :func:`minicgmvae.training.fit` with the hyperparameters given to the
   constructor; the weights of the epoch with the best validation ``select_by`` are kept
   (the authors' checkpoint rule).
4. **Threshold.** With ``threshold=None``, the threshold among 0.1, 0.2, ..., 0.9 that
   maximises ``select_by`` (macro-F1 by default) on the validation rows, ties going to the
   one closest to 0.5: :func:`minicgmvae.protocols.choose_threshold`, the rule of the honest
   protocol. With no validation row it is 0.5. A
   number given as ``threshold`` is used as it is.

The hyperparameters' defaults are the authors' code defaults, the defaults of
:class:`~minicgmvae.config.ModelConfig` and :class:`~minicgmvae.config.TrainConfig` (this
module reads them from there): the settings recommended for new data, ``SETTINGS["new-data"]``,
which ``train --data`` uses too (:data:`SETTINGS` says why). ``SETTINGS["paper"]`` holds
the reproduction's settings for a dataset without published ones (embedding 2048, BCE
weight 0.5, lr 2e-3): ``CGMVAEClassifier(**SETTINGS["paper"])``. Hyperparameters are
checked when ``fit`` starts, as scikit-learn's own estimators check theirs.

The fitted model is kept as a :class:`~minicgmvae.predictor.Predictor` (``predictor_``):
``save(path)`` writes it as one small file that :func:`minicgmvae.load_predictor` and
``python -m minicgmvae predict`` read back.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import MISSING, fields
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, MultiOutputMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from .config import KL_ANNEALING, KL_ESTIMATORS, PRIORS, ModelConfig, TrainConfig, paper_settings
from .data.datasets import from_arrays
from .data.values import label_coverage
from .errors import DataValueError
from .metrics import score_sweep
from .predictor import Predictor
from .protocols import choose_threshold
from .training import fit as fit_model

__all__ = ["CGMVAEClassifier", "MODEL_PARAMS", "SETTINGS", "TRAIN_PARAMS", "LabelCoverageWarning"]

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


def _paper_params() -> dict[str, Any]:
    """The fields in which the reproduction's settings for a dataset without published
    settings (:func:`~minicgmvae.config.paper_settings`) differ from the defaults."""
    s = paper_settings("custom", 1, 1)
    given = {**s.model.to_dict(), **s.train.to_dict()}
    return {k: v for k, v in given.items() if k in _DEFAULTS and v != _DEFAULTS[k]}


#: The two named settings for new data. ``"new-data"``, the recommended one and the
#: constructor's defaults, is the authors' code defaults: embedding 512, BCE weight 0.1, lr
#: 1e-3. ``"paper"`` is what :func:`~minicgmvae.config.paper_settings` gives a dataset with
#: no published settings: the authors' mirflickr script (embedding 2048, BCE weight 0.5,
#: eta_min 2e-4) with lr 2e-3, MPVAE's value for scene. Why ``"new-data"``: it is what the
#: authors' code applies to any data, while the script's values were tuned for one dataset
#: (mirflickr) and lr 2e-3 for another (scene); at 512 the decoder's output layer, four
#: fifths of an epoch's arithmetic at 2048, costs a quarter, an epoch takes about a quarter
#: of the time and the predictor file is 2.5 times smaller (4.3 against 10.7 MB on
#: emotions). The price, measured by ``tools/csv_bench.py`` (emotions, one seed, honest
#: protocol on the test file): macro-F1 0.699 against 0.717 with ``"paper"``. Where that
#: gap matters more than four times the training time, use ``"paper"``:
#: ``CGMVAEClassifier(**SETTINGS["paper"])``, or ``train --settings paper``.
SETTINGS: dict[str, dict[str, Any]] = {"new-data": {}, "paper": _paper_params()}


class LabelCoverageWarning(UserWarning):
    """A label with no positive or no negative example in the training or validation part
    (:func:`~minicgmvae.data.values.label_coverage` words it)."""


_INT1 = [Interval(Integral, 1, None, closed="left")]
_NON_NEGATIVE = [Interval(Real, 0, None, closed="left")]
_POSITIVE = [Interval(Real, 0, None, closed="neither")]
#: scikit-learn's parameter constraints (``InvalidParameterError`` names the parameter and
#: the values it takes); the configurations check the combinations.
_CONSTRAINTS: dict[str, list[Any]] = {
    "latent_dim": _INT1, "embed_dim": _INT1, "decoder_hidden": _INT1,
    "feature_hidden": [tuple, list], "label_hidden": [tuple, list],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "prior": [StrOptions(set(PRIORS))], "kl_estimator": [StrOptions(set(KL_ESTIMATORS))],
    "kl_weight": _NON_NEGATIVE, "bce_weight": _NON_NEGATIVE,
    "contrastive_weight": _NON_NEGATIVE, "temperature": _POSITIVE,
    "decoder_sees_x": ["boolean"], "kl_annealing": [StrOptions(set(KL_ANNEALING))],
    "kl_anneal_epochs": [Interval(Integral, 0, None, closed="left")],
    "free_bits": _NON_NEGATIVE, "min_rate": _NON_NEGATIVE,
    "lr": _POSITIVE, "epochs": _INT1, "batch_size": _INT1, "weight_decay": _NON_NEGATIVE,
    "t0": _INT1, "t_mult": _INT1, "eta_min": _NON_NEGATIVE,
    "select_by": [StrOptions({"macro_f1", "micro_f1", "example_f1"})],
    "patience": [Interval(Integral, 1, None, closed="left"), None],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "threshold": [Interval(Real, 0, 1, closed="neither"), None],
    "standardize": ["boolean"], "random_state": ["random_state"], "device": [str],
    "verbose": ["verbose"],
}


def _check_label_lists(Y: Any) -> None:
    """A list of label lists (``[["a", "b"], ["c"]]``) gets a hint, not numpy's error."""
    if hasattr(Y, "shape") or not isinstance(Y, (list, tuple)):
        return
    try:
        np.asarray(Y, dtype=float)
    except (ValueError, TypeError):
        rows = [r for r in Y if isinstance(r, (list, tuple, set, frozenset))]
        if rows:
            raise ValueError(
                "Y looks like a list of label lists (e.g. [['a', 'b'], ['c']]); it must be "
                "a 0/1 label indicator matrix (n_samples, n_labels). Turn it into one with "
                "sklearn.preprocessing.MultiLabelBinarizer().fit_transform(Y)."
            ) from None


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
        kl_annealing, kl_anneal_epochs, free_bits, min_rate: the remedies for posterior
            collapse (:mod:`minicgmvae.collapse`), off by default.
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
        kl_annealing: str = _DEFAULTS["kl_annealing"],
        kl_anneal_epochs: int = _DEFAULTS["kl_anneal_epochs"],
        free_bits: float = _DEFAULTS["free_bits"],
        min_rate: float = _DEFAULTS["min_rate"],
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
        # scikit-learn's rule: every argument stored unchanged, under its own name
        for name, value in list(locals().items()):
            if name != "self":
                setattr(self, name, value)

    _parameter_constraints: dict[str, list[Any]] = _CONSTRAINTS

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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, Y: Any) -> CGMVAEClassifier:
        """Train on features ``X`` ``(N, d)`` and 0/1 labels ``Y`` ``(N, L)``; returns self.

        Args:
            X: raw features, (N, d): an array, a scipy sparse matrix or a DataFrame (whose
                column names become ``feature_names_in_``).
            Y: 0/1 labels, (N, L): an array, a scipy sparse matrix or a DataFrame (whose
                column names become ``label_names_``).

        Returns:
            The fitted estimator.

        Warns:
            LabelCoverageWarning: a label with no positive or no negative example in the
                training or the validation part (one warning per part, naming them).

        Raises:
            sklearn.utils._param_validation.InvalidParameterError: a hyperparameter of the
                wrong type or out of range (a ``ValueError``; the message names it).
            ValueError: ``Y`` is not a 0/1 label indicator matrix (continuous, multiclass,
                1-D, or a list of label lists), or ``X`` and ``Y`` have different numbers of
                rows.
            DataValueError: bad values or splits (see
                :func:`~minicgmvae.data.datasets.from_arrays`).
        """
        _check_label_lists(Y)
        label_names = [str(c) for c in Y.columns] if hasattr(Y, "columns") else None
        X, Y = validate_data(self, X, Y, multi_output=True, accept_sparse=_ACCEPT_SPARSE)
        X = X.toarray() if hasattr(X, "toarray") else X
        Y = _check_indicator(Y.toarray() if hasattr(Y, "toarray") else np.asarray(Y))
        rng = check_random_state(self.random_state)
        split_seed, train_seed = (int(s) for s in rng.randint(0, 2**31 - 1, size=2))
        data = self._split(X, Y, label_names, split_seed)
        for part, labels in (("training", data.y_train), ("validation", data.y_val)):
            problem = label_coverage(labels, data.label_names, part)
            if problem:
                warnings.warn(problem[0].upper() + problem[1:], LabelCoverageWarning, stacklevel=3)
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
            stratify=True,
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
        val = score_sweep(data.y_val, p_val)
        try:
            curve = [None if np.isnan(v) else float(v) for v in val.curves[self.select_by]]
            return choose_threshold(val, self.select_by), curve
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
