"""Multi-label datasets as numpy arrays: the public loading API.

>>> data = load_dataset("yeast")                     # doctest: +SKIP
>>> data.x_train.shape, data.y_train.shape           # doctest: +SKIP
((1350, 103), (1350, 14))

The split is MULAN's: the ``-test`` file is the test set; the ``-train`` file is split into
train and validation with ``rng = np.random.default_rng(seed); perm = rng.permutation(n)``,
the first ``int(n * val_fraction)`` indices of ``perm`` going to validation (yeast
1350/150/917, scene 1090/121/1196 with the defaults). Both parts keep the file's row order.
Features are standardised with the mean and standard deviation of the *training part only*
(after the carve-out), so no statistic leaks from validation or test.

This is close to, but not the same as, the paper's setting: its own npy splits are not public.

Parsed arrays are cached as ``<cache>/<name>/parsed-<hash>.npz`` (the hash covers the source
files' sha256; :mod:`minicgmvae.data.parsed_cache`), so only the first load parses ARFF; see
:mod:`minicgmvae.data.download` for where the cache is and where files come from.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import DataFormatError, DataValueError
from ._stratify import cover_labels
from .arffio import read_arff, read_mulan_xml
from .download import resolve_cache_dir
from .parsed_cache import parse_registered, parsed_path, read_parsed, write_parsed
from .registry import dataset_names, get_spec
from .values import non_binary, non_finite

__all__ = [
    "MultiLabelData",
    "load_dataset",
    "load_arff_dataset",
    "from_arrays",
    "validate_arrays",
    "list_datasets",
    "dataset_info",
]



# --------------------------------------------------------------------------- the container


class SplitData(Protocol):
    """What training and the baselines need of a dataset; :class:`MultiLabelData` has it.

    A :class:`typing.Protocol`: any object with these attributes will do.

    Attributes:
        name: the dataset's name.
        x_train, x_val, x_test: float32 features, ``(N_split, d)``.
        y_train, y_val, y_test: 0/1 labels, ``(N_split, L)``.
    """

    name: str
    x_train: np.ndarray  # (N_train, d) float32
    y_train: np.ndarray  # (N_train, L) 0/1
    x_val: np.ndarray  # (N_val, d)
    y_val: np.ndarray  # (N_val, L)
    x_test: np.ndarray  # (N_test, d)
    y_test: np.ndarray  # (N_test, L)



@dataclass(eq=False, repr=False)
class MultiLabelData:
    """A multi-label dataset split into train, validation and test.

    Attributes:
        name: the dataset's name.
        x_train, x_val, x_test: float32 features, ``(N_split, d)``; standardised when
            ``standardized`` is true.
        y_train, y_val, y_test: float32 labels in {0, 1}, ``(N_split, L)``.
        feature_names: the ``d`` feature names.
        label_names: the ``L`` label names, in the order of the label columns.
        standardized: whether features were standardised with the train statistics.
        feature_mean, feature_std: those statistics, ``(d,)`` float32, or ``None``; a raw
            feature is ``x * feature_std + feature_mean``.
        seed: the seed of the validation (and, for own data, test) carve-out.
        val_fraction: the fraction of the training file held out for validation.
        info: where the data came from (source, citation, label subset, ...), JSON-ready.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    label_names: list[str]
    standardized: bool
    feature_mean: np.ndarray | None
    feature_std: np.ndarray | None
    seed: int
    val_fraction: float
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        """``d``, the number of features."""
        return int(self.x_train.shape[1])

    @property
    def n_labels(self) -> int:
        """``L``, the number of labels."""
        return int(self.y_train.shape[1])

    def splits(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{"train": (x, y), "val": (x, y), "test": (x, y)}``."""
        return {"train": (self.x_train, self.y_train), "val": (self.x_val, self.y_val),
                "test": (self.x_test, self.y_test)}

    def summary(self) -> dict[str, Any]:
        """Figures per split: samples, label cardinality and density, samples with no label.

        Cardinality is the mean number of positive labels per sample, density that divided
        by ``L``; both are ``nan`` for an empty split.
        """
        samples: dict[str, int] = {}
        card: dict[str, float] = {}
        dens: dict[str, float] = {}
        empty: dict[str, int] = {}
        for split, (_, y) in self.splits().items():
            per_sample = y.sum(axis=1) if len(y) else np.zeros(0)
            samples[split] = int(len(y))
            card[split] = float(per_sample.mean()) if len(y) else float("nan")
            dens[split] = card[split] / self.n_labels
            empty[split] = int((per_sample == 0).sum())
        return {"name": self.name, "features": self.n_features, "labels": self.n_labels,
                "standardized": self.standardized, "samples": samples, "cardinality": card,
                "density": dens, "no_label": empty}

    def __repr__(self) -> str:
        return (f"MultiLabelData(name={self.name!r}, train={len(self.x_train)}, "
                f"val={len(self.x_val)}, test={len(self.x_test)}, features={self.n_features}, "
                f"labels={self.n_labels}, standardized={self.standardized}, seed={self.seed})")


# --------------------------------------------------------------------------- validation


def _as_2d_numeric(arr: Any, what: str, kind: str, dims: str) -> np.ndarray:
    """``arr`` as a 2-D numeric numpy array (a scipy sparse matrix densified), or an error."""
    if hasattr(arr, "toarray"):  # scipy.sparse
        arr = arr.toarray()
    arr = np.asarray(arr)
    if arr.dtype.kind not in "biuf":
        raise DataValueError(
            f"{what} {kind} must be numeric, got dtype {arr.dtype} (convert strings or "
            "categories to numbers first)."
        )
    if arr.ndim != 2:
        raise DataValueError(
            f"{what} {kind} must be a 2-D array {dims}, got shape {arr.shape}"
            + (" (use .reshape(-1, 1) for a single column)" if arr.ndim == 1 else "") + "."
        )
    return arr


def validate_arrays(x: Any, y: Any, *, what: str = "data") -> tuple[np.ndarray, np.ndarray]:
    """Check a feature matrix and a label matrix; return them as float32 and uint8.

    Args:
        x: features, ``(N, d)``, any real dtype (a scipy sparse matrix is densified).
        y: labels, ``(N, L)``, only 0 and 1 (bool, int or float).
        what: a word for messages (``"train"``, ``"test"``).

    Returns:
        ``(x, y)`` as ``(N, d)`` float32 and ``(N, L)`` uint8 arrays.

    Raises:
        DataValueError: not 2-D, different row counts, no sample/feature/label, a
            non-numeric dtype, NaN/inf features (how many and the first position) or a label
            other than 0/1 (the value and its position).
    """
    xa = _as_2d_numeric(x, what, "features", "(N, d)")
    ya = _as_2d_numeric(y, what, "labels", "(N, L)")
    if xa.shape[0] != ya.shape[0]:
        raise DataValueError(
            f"{what} features and labels have different numbers of rows: {xa.shape[0]} "
            f"vs {ya.shape[0]} (shapes {xa.shape} and {ya.shape})."
        )
    if xa.shape[0] == 0 or xa.shape[1] == 0 or ya.shape[1] == 0:
        raise DataValueError(
            f"{what} needs at least 1 sample, 1 feature and 1 label; got features "
            f"{xa.shape} and labels {ya.shape}."
        )
    with np.errstate(over="ignore"):
        xf = xa.astype(np.float32, copy=False)
    bad = non_finite(xf)
    if bad is not None:
        n, (r, c) = bad
        raise DataValueError(
            f"{what} features hold {n} NaN or infinite value(s) (after conversion "
            f"to float32); the first is {xa[r, c]!r} at row {r}, column {c}. Impute or drop "
            "them first."
        )
    bad = non_binary(ya)
    if bad is not None:
        n, (r, c) = bad
        raise DataValueError(
            f"{what} labels must be 0 or 1, but {n} entries are not; the first "
            f"is {ya[r, c]!r} at row {r}, column {c}."
        )
    return xf, ya.astype(np.uint8)


def _check_split_args(val_fraction: float, seed: int, test_fraction: float | None = None) -> None:
    for label, frac in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if frac is None:
            continue
        if not isinstance(frac, (int, float, np.floating)) or not 0.0 <= float(frac) < 1.0:
            raise DataValueError(f"{label} must be a number in [0, 1), got {frac!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataValueError(f"seed must be a non-negative integer, got {seed!r}.")


def _split_off(n: int, fraction: float, seed: int, what: str,
               labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Split ``range(n)`` into (kept, held-out) index arrays, both in increasing order.

    ``perm = default_rng(seed).permutation(n)``; the first ``int(n * fraction)`` entries are
    held out. Sorting keeps the file's row order inside each part. With ``labels`` (N, L),
    the held-out rows are then changed by
    :func:`~minicgmvae.data._stratify.cover_labels`.
    """
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    k = int(n * fraction)
    if n - k < 1:
        raise DataValueError(
            f"holding out {k} of {n} samples for {what} leaves no training sample."
        )
    if labels is None or k == 0:
        return np.sort(perm[k:]), np.sort(perm[:k])
    held = cover_labels(labels.astype(bool), perm, k)
    return np.flatnonzero(~held), np.flatnonzero(held)


def _names(names: Sequence[str] | None, n: int, prefix: str, kind: str) -> list[str]:
    if names is None:
        return [f"{prefix}{i}" for i in range(n)]
    out = [str(s) for s in names]
    if len(out) != n:
        raise DataValueError(f"{len(out)} {kind} names given for {n} {kind}s.")
    return out


def _assemble(name: str, x_tr: np.ndarray, y_tr: np.ndarray, x_te: np.ndarray,
              y_te: np.ndarray, feature_names: list[str], label_names: list[str], *,
              val_fraction: float, seed: int, standardize: bool,
              info: dict[str, Any] | None = None, stratify: bool = False) -> MultiLabelData:
    """Carve validation out of train, standardise with train statistics, build the object.

    ``x_tr``/``x_te`` float32 ``(N, d)``; ``y_tr``/``y_te`` uint8 ``(N, L)``, validated.
    """
    keep, held = _split_off(len(x_tr), val_fraction, seed, "validation",
                            y_tr if stratify else None)
    x_train, y_train = x_tr[keep], y_tr[keep]
    x_val, y_val = x_tr[held], y_tr[held]
    x_test, y_test = x_te, y_te
    mean = std = None
    if standardize:
        mean64 = x_train.mean(axis=0, dtype=np.float64)
        std64 = x_train.std(axis=0, dtype=np.float64)
        # A column constant on train has std 0 (or float dust): divide by 1 instead.
        constant = x_train.max(axis=0) == x_train.min(axis=0)
        std64[constant | (std64 == 0)] = 1.0
        mean, std = mean64.astype(np.float32), std64.astype(np.float32)
        # Applied in float32: half the memory traffic of float64, same result to ~1e-7.
        x_train, x_val, x_test = ((a - mean) / std for a in (x_train, x_val, x_test))
    return MultiLabelData(
        name=name,
        x_train=np.ascontiguousarray(x_train, dtype=np.float32),
        y_train=y_train.astype(np.float32), x_val=np.ascontiguousarray(x_val, dtype=np.float32),
        y_val=y_val.astype(np.float32), x_test=np.ascontiguousarray(x_test, dtype=np.float32),
        y_test=y_test.astype(np.float32), feature_names=list(feature_names),
        label_names=list(label_names), standardized=bool(standardize), feature_mean=mean,
        feature_std=std, seed=int(seed), val_fraction=float(val_fraction), info=info or {},
    )


# --------------------------------------------------------------------------- public API


def list_datasets() -> list[str]:
    """The names of the registered datasets (``load_dataset`` loads all but ``sider``)."""
    return dataset_names()


def dataset_info(name: str, cache_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """What the registry knows about ``name`` and whether it is cached (no download).

    Args:
        name: a dataset name (:func:`list_datasets`), case-insensitive.
        cache_dir: the cache folder to look in; by default as in :func:`load_dataset`.

    Returns:
        A dict with ``name``, ``description``, ``samples``, ``train``, ``test``,
        ``features``, ``labels``, ``cardinality``, ``sparse``, ``supported`` (and
        ``unsupported_reason``), ``citation``, ``files`` (filename, role, size, sha256, url),
        ``cache_dir``, ``cached`` (parsed arrays or all needed files present) and
        ``cached_parsed`` (the parsed npz is present).

    Raises:
        ~minicgmvae.errors.DatasetNotFoundError: an unknown name.
    """
    spec = get_spec(name)
    root = resolve_cache_dir(cache_dir)
    needed = spec.load_files if spec.supported else spec.files

    def present(f: Any) -> bool:
        p = root / spec.name / f.filename
        return p.is_file() and p.stat().st_size == f.size

    parsed = spec.supported and parsed_path(spec, root).is_file()
    return {
        "name": spec.name, "description": spec.description, "samples": spec.n_samples,
        "train": spec.n_train, "test": spec.n_test, "features": spec.n_features,
        "labels": spec.n_labels, "cardinality": spec.cardinality, "sparse": spec.sparse,
        "supported": spec.supported, "unsupported_reason": spec.unsupported_reason,
        "citation": spec.citation,
        "files": [{"filename": f.filename, "role": f.role, "size": f.size, "sha256": f.sha256,
                   "url": f.url} for f in spec.files],
        "cache_dir": str(root / spec.name),
        "cached": bool(parsed or all(present(f) for f in needed)),
        "cached_parsed": bool(parsed),
    }


def load_dataset(name: str, *, val_fraction: float = 0.1, seed: int = 0,
                 standardize: bool = True, cache_dir: str | os.PathLike[str] | None = None,
                 mirror: str | os.PathLike[str] | None = None,
                 progress: bool = True) -> MultiLabelData:
    """Load a registered dataset with MULAN's train/test split and a validation carve-out.

    Args:
        name: ``"yeast"``, ``"scene"``, ``"emotions"`` or ``"delicious"`` (see
            :func:`list_datasets`).
        val_fraction: the fraction of the train file held out for validation, in [0, 1);
            0 gives empty ``(0, d)`` / ``(0, L)`` validation arrays.
        seed: seed of the carve-out (``np.random.default_rng(seed).permutation``).
        standardize: z-score features with the training part's mean and std (std 0 -> 1).
        cache_dir: cache folder (default: ``$MINICGMVAE_DATA_DIR``, the checkout's
            ``data/``, or ``~/.cache/minicgmvae``).
        mirror: folder or URL laid out as ``<mirror>/<dataset>/<file>`` (default:
            ``$MINICGMVAE_DATA_MIRROR``); tried before the public origin.
        progress: show download progress bars.

    Returns:
        A :class:`MultiLabelData`, e.g. yeast: train ``(1350, 103)``/``(1350, 14)``, val
        150, test 917.

    Raises:
        DatasetNotFoundError: unknown name (the message lists the known ones).
        DataValueError: a dataset that cannot be loaded yet (sider), bad arguments.
        DownloadError, ChecksumError: the files could not be fetched intact.
        DataFormatError: a file that does not parse.
    """
    spec = get_spec(name)
    if not spec.supported:
        raise DataValueError(f"Dataset {spec.name!r} cannot be loaded: {spec.unsupported_reason}")
    _check_split_args(val_fraction, seed)
    root = resolve_cache_dir(cache_dir)
    npz = parsed_path(spec, root)
    arrays = read_parsed(npz, spec)
    if arrays is None:
        arrays = parse_registered(spec, root, mirror, progress)
        write_parsed(npz, arrays)
    x_tr, y_tr = validate_arrays(arrays["x_train"], arrays["y_train"], what=f"{spec.name} train")
    x_te, y_te = validate_arrays(arrays["x_test"], arrays["y_test"], what=f"{spec.name} test")
    return _assemble(spec.name, x_tr, y_tr, x_te, y_te, arrays["feature_names"].tolist(),
                     arrays["label_names"].tolist(), val_fraction=val_fraction, seed=seed,
                     standardize=standardize,
                     info={"source": "MULAN train/test files", "citation": spec.citation})


def from_arrays(x: Any, y: Any, *, x_test: Any = None, y_test: Any = None,
                name: str = "custom", label_names: Sequence[str] | None = None,
                feature_names: Sequence[str] | None = None, val_fraction: float = 0.1,
                test_fraction: float = 0.2, seed: int = 0,
                standardize: bool = True, stratify: bool = False) -> MultiLabelData:
    """Build a :class:`MultiLabelData` from your own arrays.

    Args:
        x: features, ``(N, d)``.
        y: labels in {0, 1}, ``(N, L)``.
        x_test, y_test: a test set of your own (both or neither). Without it, a test part
            of ``int(N * test_fraction)`` samples is drawn first with
            ``default_rng(seed).permutation(N)`` (``test_fraction=0`` gives an empty test set).
        name, label_names, feature_names: names (defaults ``f0..``, ``label0..``).
        val_fraction, seed, standardize: as in :func:`load_dataset`; validation is carved
            out of what remains for training.
        test_fraction: the fraction of ``x`` drawn as the test set when no test set is given.
        stratify: keep every label in each part where the data allow: each label value (1,
            and 0) is kept at least once, and held out at least once if found in two rows or
            more (``minicgmvae.data._stratify``). Off for the registered datasets, whose
            split is MULAN's and the reproduction's.

    Returns:
        The dataset, split and (by default) standardised with the training statistics.

    Raises:
        ~minicgmvae.errors.DataValueError: see :func:`validate_arrays`; also a missing half of
            the test pair and name lists of the wrong length.
    """
    _check_split_args(val_fraction, seed, test_fraction)
    xa, ya = validate_arrays(x, y, what="train" if x_test is not None else "data")
    if (x_test is None) != (y_test is None):
        raise DataValueError("Give both x_test and y_test, or neither.")
    if x_test is not None:
        xt, yt = validate_arrays(x_test, y_test, what="test")
        if xt.shape[1] != xa.shape[1] or yt.shape[1] != ya.shape[1]:
            raise DataValueError(
                f"test arrays have {xt.shape[1]} features and {yt.shape[1]} labels, train "
                f"arrays {xa.shape[1]} and {ya.shape[1]}."
            )
    else:
        keep, held = _split_off(len(xa), test_fraction, seed, "test", ya if stratify else None)
        xa, ya, xt, yt = xa[keep], ya[keep], xa[held], ya[held]
    return _assemble(name, xa, ya, xt, yt, _names(feature_names, xa.shape[1], "f", "feature"),
                     _names(label_names, ya.shape[1], "label", "label"),
                     val_fraction=val_fraction, seed=seed, standardize=standardize,
                     stratify=stratify)


def load_arff_dataset(train_path: str | os.PathLike[str],
                      test_path: str | os.PathLike[str] | None = None, *,
                      n_labels: int | None = None, xml_path: str | os.PathLike[str] | None = None,
                      label_names: Sequence[str] | None = None, name: str | None = None,
                      val_fraction: float = 0.1, test_fraction: float = 0.2, seed: int = 0,
                      standardize: bool = True, stratify: bool = False) -> MultiLabelData:
    """Load your own multi-label ARFF file(s) (MULAN layout: labels are the last attributes).

    Args:
        train_path: the training ARFF (or the only one; a test part is then drawn with
            ``test_fraction`` as in :func:`from_arrays`).
        test_path: an optional test ARFF with the same attributes.
        n_labels, xml_path, label_names: how to find the labels (give one): their number, a
            MULAN ``.xml`` naming them, or the names (checked as a set). MEKA files
            (``@relation 'x: -C n'``) need none.
        name: the dataset's name (default: the file name without ``-train``/``.arff``).
        val_fraction, test_fraction, seed, standardize, stratify: as in :func:`from_arrays`.

    Returns:
        The dataset, as :func:`from_arrays` builds it.

    Raises:
        ~minicgmvae.errors.DataFormatError: a malformed file (see
            :func:`~minicgmvae.data.arffio.read_arff`).
        ~minicgmvae.errors.DataValueError: bad values, or train and test files that differ.
    """
    if xml_path is not None:
        if label_names is not None:
            raise DataValueError("Give xml_path or label_names, not both.")
        label_names = read_mulan_xml(xml_path)
    train = read_arff(train_path, n_labels=n_labels, label_names=label_names)
    x_test = y_test = None
    if test_path is not None:
        test = read_arff(test_path, n_labels=train.labels.shape[1], label_names=label_names)
        if test.feature_names != train.feature_names or test.label_names != train.label_names:
            raise DataFormatError(f"{train_path} and {test_path} declare different attributes "
                                  "(names or order).")
        x_test, y_test = test.features, test.labels
    if name is None:
        name = Path(train_path).name
        for suffix in (".gz", ".arff", "-train", "_train"):
            name = name.removesuffix(suffix)
    return from_arrays(train.features, train.labels, x_test=x_test, y_test=y_test, name=name,
                       label_names=train.label_names, feature_names=train.feature_names,
                       val_fraction=val_fraction, test_fraction=test_fraction, seed=seed,
                       standardize=standardize, stratify=stratify)
