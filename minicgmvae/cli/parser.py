"""The argument parser: every command's options and the ranges their values must be in."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._version import __version__
from ..argcheck import LazyChoices, probability
from .common import NON_NEGATIVE, POSITIVE, SUBSET_FRACTION, VAL_FRACTION


# ------------------------------------------------------------------------------ the parser
def _data_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    from ..data.registry import dataset_names

    names = ", ".join(dataset_names(supported_only=True))
    p.add_argument("--dataset", required=required, help=f"a registered dataset: {names}")
    p.add_argument(
        "--val-fraction", type=VAL_FRACTION, default=0.1, help="validation carve-out, [0, 1) (0.1)"
    )
    p.add_argument("--split-seed", type=NON_NEGATIVE, default=0, help="seed of the carve-out (0)")
    p.add_argument("--raw", action="store_true", help="do not standardise the features")
    p.add_argument("--threads", type=POSITIVE, default=None, help="torch threads (default: all)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _seed_args(p: argparse.ArgumentParser, default_epochs: int | None, epochs_help: str) -> None:
    p.add_argument("--seeds", type=POSITIVE, default=3, help="number of seeds (3)")
    p.add_argument("--first-seed", type=NON_NEGATIVE, default=1, help="first seed (1)")
    p.add_argument("--epochs", type=POSITIVE, default=default_epochs, help=epochs_help)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")


def _add_baseline(sub: Any) -> None:
    b = sub.add_parser("baseline", help="train a baseline and print every protocol")
    _data_args(b)
    b.add_argument(
        "--method",
        required=True,
        choices=LazyChoices("minicgmvae.baselines", "BASELINES"),
        metavar="METHOD",
        help="one of %(choices)s (minicgmvae.baselines.BASELINES: binary relevance, "
        "classifier chain, MLP, ML-kNN, MLP with the asymmetric loss)",
    )
    b.add_argument("--seed", type=NON_NEGATIVE, default=0, help="the run's seed (0)")
    b.add_argument("--out", default=None, help="folder for the JSON record")


def _add_train(sub: Any) -> None:
    t = sub.add_parser(
        "train",
        help="train C-GMVAE (a registered dataset or your own file) for several seeds",
        description="Train C-GMVAE for several seeds and print every protocol. With --out, "
        "write metrics.json, the checkpoints (seed-N.pt) and predictor.pt, the model of the "
        "seed with the best validation score, for 'predict'.",
    )
    _data_args(t, required=False)
    t.add_argument("--data", type=Path, help="your own CSV or ARFF training file (or --dataset)")
    t.add_argument("--test-data", type=Path, help="a test file for --data (same columns)")
    t.add_argument(
        "--test-fraction",
        type=VAL_FRACTION,
        default=0.2,
        help="without --test-data: the share of --data held out for testing, [0, 1) (0.2)",
    )
    t.add_argument("--label-columns", nargs="+", metavar="NAME", help="label columns by name")
    t.add_argument(
        "--n-labels", type=POSITIVE, help="the number of labels: the last columns (attributes)"
    )
    t.add_argument("--xml", type=Path, help="ARFF: the MULAN .xml file naming the labels")
    _seed_args(t, None, "epochs (default: the settings')")
    t.add_argument(
        "--settings",
        choices=("new-data", "paper"),
        default=None,
        help="new-data: recommended for your own data (embedding 512, BCE weight 0.1, lr "
        "1e-3; the default with --data); paper: the reproduction's (embedding 2048, BCE "
        "weight 0.5; the default with --dataset)",
    )
    t.add_argument(
        "--patience",
        type=POSITIVE,
        default=None,
        help="early stopping: stop after N epochs without a better validation score, "
        "keeping the best epoch (default: every epoch runs)",
    )
    t.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a ModelConfig/TrainConfig field, e.g. --set prior=standard_normal",
    )
    t.add_argument("--out", default=None, help="folder for metrics.json, checkpoints, predictor")
    _checkpoint_args(t)


def _checkpoint_args(t: argparse.ArgumentParser) -> None:
    """When ``train --out`` saves each seed's checkpoint (always at the end), and resuming."""
    t.add_argument(
        "--checkpoint-every",
        type=NON_NEGATIVE,
        default=0,
        help="with --out: also save each seed's checkpoint every N epochs (0: not by count)",
    )
    t.add_argument(
        "--checkpoint-minutes",
        type=NON_NEGATIVE,
        default=10,
        help="with --out: also save each seed's checkpoint after N minutes of training since "
        "its last save, so --resume loses at most that (10; 0: at the end only)",
    )
    t.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run from the checkpoints in --out (same settings)",
    )


def _add_predict(sub: Any) -> None:
    p = sub.add_parser(
        "predict",
        help="predict the labels of the rows of a CSV file with a saved predictor",
        description="Apply predictor.pt (from 'train --out' or CGMVAEClassifier.save) to the "
        "rows of a CSV file of raw features; write one row per input row, with the label "
        "names as header.",
    )
    p.add_argument("--model", type=Path, required=True, help="the predictor file")
    p.add_argument(
        "--input",
        type=Path,
        required=True,
        help="CSV of raw features: with a header, columns are found by name (others are "
        "left out); without, one column per feature in the training order",
    )
    p.add_argument("--out", type=Path, default=None, help="CSV to write (default: stdout)")
    p.add_argument("--proba", action="store_true", help="write probabilities, not 0/1 labels")
    p.add_argument(
        "--threshold",
        type=probability,
        default=None,
        help="threshold in (0, 1) (default: the predictor's, chosen on validation)",
    )
    p.add_argument("--threads", type=POSITIVE, default=None, help="torch threads")


def _add_evaluate(sub: Any) -> None:
    e = sub.add_parser(
        "evaluate",
        help="evaluate a checkpoint under every protocol, or re-score a 'train --out' folder",
    )
    e.add_argument(
        "checkpoint",
        type=Path,
        help="a checkpoint, or a folder from 'train --out': its checkpoints are scored again "
        "(by default on the run's device and thread count) and must reproduce the protocols "
        "in its metrics.json",
    )
    _data_args(e)
    e.add_argument(
        "--device",
        default="auto",
        help="auto, cpu, cuda, ...; with a folder, auto means the device the run was scored on",
    )
    e.add_argument(
        "--update",
        action="store_true",
        help="with a folder: add the protocols its metrics.json lacks, and rewrite it",
    )


def _add_studies(sub: Any) -> None:
    for name, help_text in (
        ("ablate", "train the ablation variants for several seeds"),
        ("efficiency", "C-GMVAE, MLP and BR on fractions of the train split"),
    ):
        p = sub.add_parser(name, help=help_text)
        _data_args(p)
        _seed_args(p, None, "epochs (default: minicgmvae.studies.ablations.ABLATION_EPOCHS)")
        p.add_argument("--out", default=None, help="JSON file, rewritten after each part")
        p.add_argument("--resume", action="store_true", help="keep the finished parts of --out")
        if name == "ablate":
            p.add_argument(
                "--variants",
                nargs="+",
                default=None,
                metavar="VARIANT",
                choices=LazyChoices("minicgmvae.studies.ablations", "VARIANT_KEYS"),
                help="variant keys, from %(choices)s (default: all)",
            )
            continue
        p.add_argument(
            "--fractions",
            nargs="+",
            type=SUBSET_FRACTION,
            default=[0.1, 0.25, 0.5, 0.75, 1.0],
            help="fractions of the train split, each in (0, 1]",
        )
        p.add_argument(
            "--methods",
            nargs="+",
            default=["cgmvae", "mlp", "br"],
            metavar="METHOD",
            choices=LazyChoices("minicgmvae.studies.data_efficiency", "METHODS"),
            help="from %(choices)s",
        )
        p.add_argument("--no-first-half", action="store_true", help="skip the authors' first 50%%")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command (``benchmark`` parses its own arguments)."""
    p = argparse.ArgumentParser(
        prog="python -m minicgmvae",
        description="C-GMVAE for multi-label classification: datasets, baselines, training "
        "(on registered datasets or your own CSV/ARFF files), prediction, evaluation under "
        "the paper's and the honest protocol, and a speed benchmark.",
    )
    p.add_argument("--version", action="version", version=f"minicgmvae {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    d = sub.add_parser("datasets", help="list the datasets: sizes, cardinality, cached or not")
    d.add_argument("--json", action="store_true")
    _add_baseline(sub)
    _add_train(sub)
    _add_predict(sub)
    _add_evaluate(sub)
    _add_studies(sub)
    sub.add_parser(
        "benchmark", help="seconds per epoch and peak memory (see its --help)", add_help=False
    )
    return p


