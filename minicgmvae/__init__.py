"""minicgmvae: C-GMVAE for multi-label classification, rebuilt step by step.

The public API is what this module exports (``__all__``); the book's chapters and course
assignments import from here or from the submodules named after each idea:

=====================  ===============================================================
``datasets``           load_dataset, from_arrays, load_arff_dataset, MultiLabelData
``metrics``            example_f1, micro_f1, macro_f1, hamming_accuracy, precision_at_k
``protocols``          paper_protocol, honest_protocol, honest_per_metric_protocol,
                       evaluate_both
``baselines``          binary_relevance, classifier_chain, mlp_baseline, ml_knn,
                       asl_mlp_baseline
``gaussian``, ``kl``   reparameterize, log_normal, kl_monte_carlo, kl_gaussians
``prior``              mixture_log_density, label_set_gaussian, prior_log_density
``encoders``           FeatureEncoder, LabelEncoder
``label_embeddings``   LabelEmbeddings
``decoder``            Decoder
``losses``             bce_from_logits, contrastive_loss
``model``              CGMVAE
``config``             ModelConfig, TrainConfig, paper_settings
``training``           fit, predict_proba
``estimator``          CGMVAEClassifier (scikit-learn)
``predictor``          Predictor, load_predictor (a saved model that predicts)
``experiments``        train_seeds, evaluate_model, rescore_runs, merge_seed_records
``diagnostics``        latent_usage, collapse_report, embedding_cooccurrence
``subsets``            training_subset, most_frequent_labels
``ablations``          VARIANTS, run_ablation, seed_ranges_separate
``data_efficiency``    run_data_efficiency, learning_curve
``benchmark``          seconds per epoch and peak memory (``python -m minicgmvae benchmark``)
``checks``             check_kl_gaussians, ..., summary, grading (course kit)
=====================  ===============================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._compat import install_moved_finder
from ._version import __version__
from .errors import (
    CheckpointError,
    ChecksumError,
    DataFormatError,
    DatasetNotFoundError,
    DataValueError,
    DeviceError,
    DownloadError,
    MiniCGMVAEError,
)

#: The public names that load on first use, each with the submodule that defines it, so
#: that ``import minicgmvae`` stays fast: it imports neither PyTorch nor scikit-learn until a
#: name that needs them is used (PEP 562; see ``_compat.resolve``).
_LAZY_NAMES: dict[str, str] = {
    **dict.fromkeys(
        ["binary_relevance", "classifier_chain", "mlp_baseline", "run_baseline"], "baselines"
    ),
    **dict.fromkeys(["load_checkpoint", "model_from_checkpoint", "save_checkpoint"],
                    "checkpoint"),
    **dict.fromkeys(["ModelConfig", "TrainConfig", "paper_settings"], "config"),
    **dict.fromkeys(
        ["MultiLabelData", "dataset_info", "from_arrays", "list_datasets",
         "load_arff_dataset", "load_dataset"],
        "data.datasets",
    ),
    "Decoder": "decoder",
    **dict.fromkeys(["get_device", "keep_freed_memory"], "device"),
    **dict.fromkeys(["FeatureEncoder", "LabelEncoder"], "encoders"),
    **dict.fromkeys(["log_normal", "reparameterize"], "gaussian"),
    **dict.fromkeys(["kl_gaussians", "kl_monte_carlo"], "kl"),
    "LabelEmbeddings": "label_embeddings",
    **dict.fromkeys(["bce_from_logits", "contrastive_loss"], "losses"),
    **dict.fromkeys(
        ["all_metrics", "example_f1", "hamming_accuracy", "macro_f1", "micro_f1",
         "precision_at_k", "subset_accuracy"],
        "metrics",
    ),
    "CGMVAE": "model",
    "CGMVAEClassifier": "estimator",
    **dict.fromkeys(["Predictor", "load_predictor"], "predictor"),
    **dict.fromkeys(["label_set_gaussian", "mixture_log_density", "prior_log_density"],
                    "prior"),
    **dict.fromkeys(
        ["evaluate_both", "honest_per_metric_protocol", "honest_protocol", "paper_protocol"],
        "protocols",
    ),
    **dict.fromkeys(
        ["evaluate_model", "merge_seed_records", "rescore_runs", "train_seeds"],
        "studies.experiments",
    ),
    **dict.fromkeys(["FitResult", "fit", "predict_proba"], "training"),
}

if TYPE_CHECKING:  # what type checkers and IDEs see: the same names, imported eagerly
    from . import checks
    from .baselines import binary_relevance, classifier_chain, mlp_baseline, run_baseline
    from .checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
    from .config import ModelConfig, TrainConfig, paper_settings
    from .data.datasets import (
        MultiLabelData,
        dataset_info,
        from_arrays,
        list_datasets,
        load_arff_dataset,
        load_dataset,
    )
    from .decoder import Decoder
    from .device import get_device, keep_freed_memory
    from .encoders import FeatureEncoder, LabelEncoder
    from .estimator import CGMVAEClassifier
    from .gaussian import log_normal, reparameterize
    from .kl import kl_gaussians, kl_monte_carlo
    from .label_embeddings import LabelEmbeddings
    from .losses import bce_from_logits, contrastive_loss
    from .metrics import (
        all_metrics,
        example_f1,
        hamming_accuracy,
        macro_f1,
        micro_f1,
        precision_at_k,
        subset_accuracy,
    )
    from .model import CGMVAE
    from .predictor import Predictor, load_predictor
    from .prior import label_set_gaussian, mixture_log_density, prior_log_density
    from .protocols import (
        evaluate_both,
        honest_per_metric_protocol,
        honest_protocol,
        paper_protocol,
    )
    from .studies.experiments import evaluate_model, merge_seed_records, rescore_runs, train_seeds
    from .training import FitResult, fit, predict_proba

__all__ = [
    "CGMVAE",
    "CGMVAEClassifier",
    "CheckpointError",
    "ChecksumError",
    "DataFormatError",
    "DataValueError",
    "DatasetNotFoundError",
    "Decoder",
    "DeviceError",
    "DownloadError",
    "FeatureEncoder",
    "FitResult",
    "LabelEmbeddings",
    "LabelEncoder",
    "MiniCGMVAEError",
    "ModelConfig",
    "MultiLabelData",
    "Predictor",
    "TrainConfig",
    "__version__",
    "all_metrics",
    "bce_from_logits",
    "binary_relevance",
    "checks",
    "classifier_chain",
    "contrastive_loss",
    "dataset_info",
    "evaluate_both",
    "evaluate_model",
    "example_f1",
    "fit",
    "from_arrays",
    "get_device",
    "hamming_accuracy",
    "honest_per_metric_protocol",
    "honest_protocol",
    "keep_freed_memory",
    "kl_gaussians",
    "kl_monte_carlo",
    "label_set_gaussian",
    "list_datasets",
    "load_arff_dataset",
    "load_checkpoint",
    "load_dataset",
    "load_predictor",
    "log_normal",
    "macro_f1",
    "merge_seed_records",
    "micro_f1",
    "mixture_log_density",
    "mlp_baseline",
    "model_from_checkpoint",
    "paper_protocol",
    "paper_settings",
    "precision_at_k",
    "predict_proba",
    "prior_log_density",
    "reparameterize",
    "rescore_runs",
    "run_baseline",
    "save_checkpoint",
    "subset_accuracy",
    "train_seeds",
]


install_moved_finder(__name__)


def __getattr__(name: str) -> object:
    """The public names of ``__all__`` on first use (``_LAZY_NAMES``), the ``checks``
    submodule and any other submodule, and old public names and moved modules' old paths,
    with a DeprecationWarning (``_compat.RENAMED`` and ``_compat.MOVED``)."""
    from ._compat import resolve

    return resolve(__name__, name, lazy_names=_LAZY_NAMES)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
