"""The public names of ``minicgmvae``, listed once.

Type checkers and IDEs read this stub instead of ``__init__.py``. At run time
:func:`minicgmvae._compat.attach_stub` reads it too: each name below becomes an attribute of
the package that imports its module on first use (so that ``import minicgmvae`` imports
neither PyTorch nor scikit-learn), and together they are ``__all__``. A public name is
added, moved or removed here and nowhere else.
"""
# ruff: noqa: I001  (grouped by layer, from the foundation up, as the README lists them)

from . import checks as checks
from ._version import __version__ as __version__
from .errors import (
    CheckpointError as CheckpointError,
    ChecksumError as ChecksumError,
    DataFormatError as DataFormatError,
    DatasetNotFoundError as DatasetNotFoundError,
    DataValueError as DataValueError,
    DeviceError as DeviceError,
    DownloadError as DownloadError,
    MiniCGMVAEError as MiniCGMVAEError,
)
from .device import get_device as get_device, keep_freed_memory as keep_freed_memory
from .data.datasets import (
    dataset_info as dataset_info,
    from_arrays as from_arrays,
    list_datasets as list_datasets,
    load_arff_dataset as load_arff_dataset,
    load_dataset as load_dataset,
    MultiLabelData as MultiLabelData,
)
from .config import (
    ModelConfig as ModelConfig,
    paper_settings as paper_settings,
    TrainConfig as TrainConfig,
)
from .gaussian import log_normal as log_normal, reparameterize as reparameterize
from .kl import kl_gaussians as kl_gaussians, kl_monte_carlo as kl_monte_carlo
from .prior import (
    label_set_gaussian as label_set_gaussian,
    mixture_log_density as mixture_log_density,
    prior_log_density as prior_log_density,
)
from .label_embeddings import LabelEmbeddings as LabelEmbeddings
from .encoders import FeatureEncoder as FeatureEncoder, LabelEncoder as LabelEncoder
from .decoder import Decoder as Decoder
from .losses import bce_from_logits as bce_from_logits, contrastive_loss as contrastive_loss
from .model import CGMVAE as CGMVAE
from .checkpoint import (
    load_checkpoint as load_checkpoint,
    model_from_checkpoint as model_from_checkpoint,
    save_checkpoint as save_checkpoint,
)
from .metrics import (
    all_metrics as all_metrics,
    example_f1 as example_f1,
    hamming_accuracy as hamming_accuracy,
    macro_f1 as macro_f1,
    micro_f1 as micro_f1,
    precision_at_k as precision_at_k,
    subset_accuracy as subset_accuracy,
)
from .protocols import (
    evaluate_both as evaluate_both,
    honest_per_metric_protocol as honest_per_metric_protocol,
    honest_protocol as honest_protocol,
    paper_protocol as paper_protocol,
)
from .trainer import FitResult as FitResult
from .training import fit as fit, predict_proba as predict_proba
from .estimator import CGMVAEClassifier as CGMVAEClassifier
from .predictor import load_predictor as load_predictor, Predictor as Predictor
from .baselines import (
    binary_relevance as binary_relevance,
    classifier_chain as classifier_chain,
    mlp_baseline as mlp_baseline,
    run_baseline as run_baseline,
)
from .studies.experiments import (
    evaluate_model as evaluate_model,
    merge_seed_records as merge_seed_records,
    rescore_runs as rescore_runs,
    train_seeds as train_seeds,
)
