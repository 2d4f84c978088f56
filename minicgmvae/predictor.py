"""A trained C-GMVAE as one small file that predicts from raw features.

A training checkpoint (``fit(checkpoint_path=...)``, ``train --out``) is made to *resume*
training: it holds the last and the best weights, Adam's two moment estimates, the schedule
and the random states, about four copies of the model (43 MB for emotions at the paper's
settings). It does not hold what prediction needs besides the weights: the feature
standardisation, the names of the features and labels, and the decision threshold.

A :class:`Predictor` holds exactly that:

* the best weights (one copy) and both configurations;
* the feature standardisation (``feature_mean``, ``feature_std``: a raw feature ``x`` is fed
  to the network as ``(x - mean) / std``), or none when the model was trained on raw features;
* the feature names and the label names;
* the threshold: a label is predicted when ``p(y_i = 1 | x) >= threshold``;
* the package version and a few facts about the run (dataset, best epoch, ...).

:meth:`Predictor.save` writes it atomically with ``torch.save``; :func:`load_predictor`
reads it back with ``torch.load(weights_only=True)``, which refuses pickled code, and
checks every field: a training checkpoint, another model's file or a corrupt file gets a
:class:`~minicgmvae.errors.CheckpointError` that says what the file is and what to do.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._version import __version__
from .checkpoint import FORMAT as CHECKPOINT_FORMAT
from .checkpoint import atomic_torch_save, check_state_dict, load_safely
from .config import ModelConfig, TrainConfig
from .errors import CheckpointError, DataValueError
from .model import CGMVAE

#: The ``"format"`` tag of a predictor file (a training checkpoint has another).
FORMAT = "minicgmvae-predictor"
#: The version of the predictor file's layout that this package writes and reads.
VERSION = 1

__all__ = ["FORMAT", "VERSION", "Predictor", "load_predictor"]


@dataclass(eq=False)
class Predictor:
    """A trained model that predicts labels from raw features (see the module docstring).

    Attributes:
        model: the network, in eval mode, on the CPU.
        feature_mean, feature_std: ``(d,)`` float32 standardisation, or both ``None``.
        feature_names: the ``d`` feature names, in the order the model reads them.
        label_names: the ``L`` label names, in the order of the model's outputs.
        threshold: a label is predicted when its probability is ``>= threshold``.
        train_config: how the model was trained (kept for the record), or ``None``.
        info: JSON-friendly facts about the run (dataset, best epoch, how the threshold
            was chosen, ...).
        version: the minicgmvae version that made the predictor.
    """

    model: CGMVAE
    feature_mean: np.ndarray | None
    feature_std: np.ndarray | None
    feature_names: list[str]
    label_names: list[str]
    threshold: float = 0.5
    train_config: TrainConfig | None = None
    info: dict[str, Any] = field(default_factory=dict)
    version: str = __version__

    def __post_init__(self) -> None:
        self.model = self.model.cpu().eval()
        config = self.model.config
        d, n_labels = config.n_features, config.n_labels
        if (self.feature_mean is None) != (self.feature_std is None):
            raise DataValueError("Give both feature_mean and feature_std, or neither.")
        if self.feature_mean is not None and self.feature_std is not None:
            self.feature_mean = np.asarray(self.feature_mean, dtype=np.float32).reshape(-1)
            self.feature_std = np.asarray(self.feature_std, dtype=np.float32).reshape(-1)
            if self.feature_mean.shape != (d,) or self.feature_std.shape != (d,):
                raise DataValueError(
                    f"feature_mean and feature_std must have {d} entries (the model's "
                    f"features), got {self.feature_mean.shape} and {self.feature_std.shape}."
                )
        self.feature_names = [str(s) for s in self.feature_names]
        self.label_names = [str(s) for s in self.label_names]
        if len(self.feature_names) != d or len(self.label_names) != n_labels:
            raise DataValueError(
                f"the model has {d} features and {n_labels} labels, but {len(self.feature_names)} "
                f"feature names and {len(self.label_names)} label names were given."
            )
        self.threshold = float(self.threshold)
        if not 0.0 < self.threshold < 1.0:
            raise DataValueError(f"threshold must be in (0, 1), got {self.threshold}.")

    @classmethod
    def from_split_data(
        cls,
        model: CGMVAE,
        data: Any,
        threshold: float = 0.5,
        train_config: TrainConfig | None = None,
        info: dict[str, Any] | None = None,
    ) -> Predictor:
        """The predictor of ``model`` trained on ``data`` (a
        :class:`~minicgmvae.data.datasets.MultiLabelData`): its standardisation and names.

        Args:
            model: the trained network (moved to the CPU, eval mode).
            data: the data it was trained on; its ``feature_mean``, ``feature_std``,
                ``feature_names``, ``label_names`` and ``name`` are kept.
            threshold: the decision threshold, in (0, 1).
            train_config: how the model was trained, or ``None``.
            info: facts about the run, kept after ``{"dataset": data.name}``.

        Raises:
            DataValueError: names or standardisation that do not fit the model's sizes, or
                a threshold outside (0, 1).
        """
        return cls(
            model,
            data.feature_mean,
            data.feature_std,
            list(data.feature_names),
            list(data.label_names),
            threshold,
            train_config,
            {"dataset": str(getattr(data, "name", "custom")), **(info or {})},
        )

    # ----------------------------------------------------------------------------- sizes
    @property
    def n_features(self) -> int:
        """``d``, the number of raw features a row must have."""
        return int(self.model.config.n_features)

    @property
    def n_labels(self) -> int:
        """``L``, the number of labels predicted."""
        return int(self.model.config.n_labels)

    @property
    def model_config(self) -> ModelConfig:
        """The network's :class:`~minicgmvae.config.ModelConfig`."""
        return self.model.config

    # ----------------------------------------------------------------------------- predicting
    def standardize(self, x: Any) -> np.ndarray:
        """Raw features ``(N, d)`` as the network reads them: float32, standardised.

        A DataFrame whose column names are all strings is read by name, in any column order
        (as :class:`~minicgmvae.estimator.CGMVAEClassifier` and ``predict`` read it); an
        array, or a DataFrame with unnamed (integer) columns, is read by position, in the
        training order.

        Args:
            x: raw features, (N, d): an array, a DataFrame or a scipy sparse matrix.

        Returns:
            ``(x - feature_mean) / feature_std`` (or ``x`` for a model trained on raw
            features), float32, (N, d).

        Raises:
            DataValueError: a DataFrame that lacks some of the model's features or has
                columns it does not know (both listed), non-numeric features, another shape
                than (N, d), or a NaN or infinite value (the message says where the first
                one is).
        """
        if hasattr(x, "columns"):  # a DataFrame
            x = _frame_values(self._by_name(x))
        if hasattr(x, "toarray"):  # scipy.sparse
            x = x.toarray()
        xa = np.asarray(x)
        if xa.dtype.kind not in "biuf":
            raise DataValueError(
                f"features must be numeric, got dtype {xa.dtype} (convert text to numbers)."
            )
        if xa.ndim != 2 or xa.shape[1] != self.n_features:
            raise DataValueError(
                f"features must be an (N, {self.n_features}) array (the model's features: "
                f"{_preview(self.feature_names)}), got shape {xa.shape}."
            )
        xf = xa.astype(np.float32)
        bad = ~np.isfinite(xf)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise DataValueError(
                f"features hold {int(bad.sum())} NaN or infinite value(s); the first is at row "
                f"{r}, column {c} ({self.feature_names[c]!r}). Impute or drop them first."
            )
        if self.feature_mean is not None and self.feature_std is not None:
            xf = (xf - self.feature_mean) / self.feature_std
        return np.ascontiguousarray(xf, dtype=np.float32)

    def _by_name(self, frame: Any) -> Any:
        """``frame``'s columns in the model's order, found by name; a frame whose columns
        are not all strings (e.g. ``pd.DataFrame(array)``) is read by position, as
        scikit-learn does."""
        names = list(frame.columns)
        if not names or not all(isinstance(n, str) for n in names):
            return frame
        have, wanted = set(names), set(self.feature_names)
        missing = [n for n in self.feature_names if n not in have]
        unknown = [n for n in names if n not in wanted]
        if missing or unknown or len(have) != len(names):
            parts = [f"lacks {len(missing)}: {_preview(missing)}"] if missing else []
            if unknown:
                parts.append(f"has {len(unknown)} it does not know: {_preview(unknown)}")
            if len(have) != len(names):
                parts.append("repeats a column name")
            raise DataValueError(
                f"the DataFrame's columns are not the model's {self.n_features} features (it "
                f"{'; it '.join(parts)}). The model reads {_preview(self.feature_names)} by "
                "name; rename or drop columns, or pass df.to_numpy() to go by position."
            )
        return frame.loc[:, list(self.feature_names)]

    def predict_proba(self, x: Any) -> np.ndarray:
        """``p(y_i = 1 | x)`` for raw features ``x`` ``(N, d)``: a float32 ``(N, L)`` array.

        Args:
            x: raw features, (N, d) (see :meth:`standardize`).
        """
        xs = torch.from_numpy(self.standardize(x))
        return self.model.predict_proba(xs).numpy()

    def predict(self, x: Any, threshold: float | None = None) -> np.ndarray:
        """0/1 labels ``(N, L)`` (uint8): ``predict_proba(x) >= threshold``.

        Args:
            x: raw features, (N, d) (see :meth:`standardize`).
            threshold: the decision threshold; ``None`` for the predictor's own.
        """
        t = self.threshold if threshold is None else float(threshold)
        return (self.predict_proba(x) >= t).astype(np.uint8)

    # ----------------------------------------------------------------------------- files
    def to_payload(self) -> dict[str, Any]:
        """The dict that :meth:`save` writes: tensors, numbers, strings, lists and dicts."""
        standardized = self.feature_mean is not None
        return {
            "format": FORMAT,
            "version": VERSION,
            "minicgmvae": self.version,
            "model_config": self.model.config.to_dict(),
            "train_config": self.train_config.to_dict() if self.train_config else None,
            "state_dict": {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()},
            "feature_mean": torch.from_numpy(self.feature_mean) if standardized else None,
            "feature_std": torch.from_numpy(self.feature_std) if standardized else None,
            "feature_names": list(self.feature_names),
            "label_names": list(self.label_names),
            "threshold": self.threshold,
            "info": dict(self.info),
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the predictor to ``path`` (atomically); returns the path.

        Args:
            path: the file to write (conventionally ``predictor.pt``).
        """
        return atomic_torch_save(self.to_payload(), path)

    @classmethod
    def from_payload(cls, payload: dict[str, Any], source: str = "predictor") -> Predictor:
        """Rebuild a predictor from :meth:`to_payload`'s dict, checking every field.

        Args:
            payload: the dict, as :meth:`to_payload` made it (e.g. read by ``torch.load``).
            source: what the dict was read from (a path), for the error messages.

        Raises:
            CheckpointError: a training checkpoint, a dict without the predictor tag, another
                file version, missing fields, or fields that do not fit together.
        """
        return _from_payload(payload, source)

    def __repr__(self) -> str:
        standardized = "standardised" if self.feature_mean is not None else "raw"
        return (
            f"Predictor({self.n_features} {standardized} features -> {self.n_labels} labels "
            f"{_preview(self.label_names)}, threshold {self.threshold:g}, minicgmvae "
            f"{self.version})"
        )


def _frame_values(frame: Any) -> np.ndarray:
    """A DataFrame's values as float (bool columns as 0/1, pandas' missing values as NaN),
    or an error naming its first non-numeric column."""
    for name, dtype in frame.dtypes.items():
        if getattr(dtype, "kind", "O") not in "biuf":
            raise DataValueError(
                f"features must be numeric; the column {name!r} holds {dtype} values (convert "
                "text or categories to numbers, e.g. one column per category)."
            )
    return frame.to_numpy(dtype=np.float64, na_value=np.nan)


def _preview(names: Sequence[str], k: int = 4) -> str:
    shown = ", ".join(repr(n) for n in names[:k])
    return f"[{shown}{', ...' if len(names) > k else ''}]"


_REQUIRED = ("model_config", "state_dict", "feature_names", "label_names", "threshold")


def _from_payload(payload: Any, source: str) -> Predictor:
    if isinstance(payload, dict) and payload.get("format") == CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{source} is a training checkpoint (for resuming 'fit'), not a saved predictor: it "
            "lacks the feature standardisation, the names and the threshold. 'python -m "
            "minicgmvae train --out DIR' writes DIR/predictor.pt; in Python, fit "
            "CGMVAEClassifier and call .save(path)."
        )
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(
            f"{source} is not a minicgmvae predictor (no '{FORMAT}' tag): it may be a bare "
            "state_dict or another project's file."
        )
    if payload.get("version") != VERSION:
        raise CheckpointError(
            f"{source} is a version {payload.get('version')} predictor; this minicgmvae reads "
            f"version {VERSION}. Use the minicgmvae release that wrote it "
            f"({payload.get('minicgmvae', '?')}), or train again."
        )
    missing = [k for k in _REQUIRED if k not in payload]
    if missing:
        raise CheckpointError(f"{source} lacks {missing}; the file is incomplete.")
    try:
        config = ModelConfig.from_dict(dict(payload["model_config"]))
        train = payload.get("train_config")
        train_config = TrainConfig.from_dict(dict(train)) if train else None
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{source}: its configuration is not valid here: {exc}") from exc
    model = CGMVAE(config)
    check_state_dict(model, payload["state_dict"], source)
    model.load_state_dict(payload["state_dict"])
    mean, std = payload.get("feature_mean"), payload.get("feature_std")
    try:
        return Predictor(
            model=model,
            feature_mean=None if mean is None else mean.numpy(),
            feature_std=None if std is None else std.numpy(),
            feature_names=list(payload["feature_names"]),
            label_names=list(payload["label_names"]),
            threshold=float(payload["threshold"]),
            train_config=train_config,
            info=dict(payload.get("info") or {}),
            version=str(payload.get("minicgmvae", "?")),
        )
    except (DataValueError, AttributeError, TypeError) as exc:
        raise CheckpointError(f"{source} does not hold a consistent predictor: {exc}") from exc


def load_predictor(path: str | os.PathLike[str]) -> Predictor:
    """Read a predictor written by :meth:`~minicgmvae.predictor.Predictor.save`
    (``weights_only=True``: no code runs).

    Args:
        path: the predictor file.

    Returns:
        The predictor, its model on the CPU in eval mode.

    Raises:
        CheckpointError: no such file; a corrupt or truncated file; a training checkpoint or
            another project's file; a version this package cannot read; fields that do not
            fit together (weights, standardisation and names of other sizes).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No predictor at {path}.")
    payload = load_safely(path, "predictor", "Use the predictor.pt that 'train --out' or "
                          "CGMVAEClassifier.save writes.")
    return _from_payload(payload, str(path))
