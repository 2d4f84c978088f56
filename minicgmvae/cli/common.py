"""What every command shares: process set-up, checks of names and files, the results table,
and the ``--set KEY=VALUE`` settings. Its public names are for the command modules;
:mod:`minicgmvae.cli` exports two of them, :func:`parse_settings` and :func:`summary_table`."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from ..argcheck import CommandLineError, fraction, int_at_least

POSITIVE = int_at_least(1)
NON_NEGATIVE = int_at_least(0)
VAL_FRACTION = fraction(zero=True, one=False)
SUBSET_FRACTION = fraction(zero=False, one=True)

#: Config fields that ``--set`` may not change, and what sets them instead.
FIXED_SETTINGS = {
    "n_features": "the data",
    "n_labels": "the data",
    "seed": "--seeds and --first-seed",
}
#: File name endings and the reader of each (``train --data``).
DATA_FORMATS = {".csv": "csv", ".tsv": "csv", ".arff": "arff", ".arff.gz": "arff"}
PREDICTOR_FILE = "predictor.pt"


# ------------------------------------------------------------------------------ helpers
def setup_process(n: int | None) -> None:
    """Set up this process for training: ``n`` torch threads (if given), freed memory reused."""
    from ..device import keep_freed_memory

    keep_freed_memory()
    if n:
        import torch

        torch.set_num_threads(n)


def command_line() -> str:
    """The command line that is running, for the provenance of the JSON it writes."""
    return "python -m minicgmvae " + " ".join(sys.argv[1:])


def write_json(path: Path, obj: Any) -> Path:
    from ..atomic import atomic_write

    if isinstance(obj.get("provenance"), dict):
        obj["provenance"].setdefault("command", command_line())

    return atomic_write(path, lambda f: f.write(json.dumps(obj, indent=1) + "\n"), binary=False)


def check_dataset(name: str) -> Any:
    """The registry's spec of ``name`` (no download); an unknown or unloadable name fails."""
    from ..data.registry import get_spec
    from ..errors import DataValueError

    spec = get_spec(name)
    if not spec.supported:
        raise DataValueError(f"Dataset {spec.name!r} cannot be loaded: {spec.unsupported_reason}")
    return spec


def check_device(device: str) -> None:
    from ..device import get_device

    get_device(device)


def check_file(path: Path | None, option: str) -> None:
    if path is not None and not path.is_file():
        raise CommandLineError(f"{option} {path}: no such file.")


def load_data(args: argparse.Namespace) -> Any:
    """The registered dataset ``--dataset`` names, split and scaled as the options say."""
    from ..data.datasets import load_dataset

    return load_dataset(
        args.dataset, val_fraction=args.val_fraction, seed=args.split_seed, standardize=not args.raw
    )


def main_metrics() -> tuple[str, ...]:
    from ..metrics import MAIN_METRICS

    return MAIN_METRICS


def _mean_pm_std(stats: dict[str, Any]) -> str:
    """``"0.512±0.004"`` from a summary's ``{"mean", "std"}``, or ``"-"``."""
    mean, std = stats.get("mean"), stats.get("std")
    if mean is None or not math.isfinite(mean):
        return "-"
    return f"{mean:.3f}±{std:.3f}"


def summary_table(result: dict[str, Any], honest_first: bool = False) -> str:
    """Mean ± std per protocol, with the paper's row and the authors' code on this split.

    Args:
        result: the record of :func:`~minicgmvae.studies.experiments.train_seeds`.
        honest_first: put the honest protocols first (own data: the numbers to expect on
            new rows), and mark the paper's as tuned on the test set.
    """
    from ..protocols import METRIC_LABELS
    from ..studies.paper_table import AUTHORS_CODE_ON_MULAN, PAPER

    main = main_metrics()
    rows = [["run"] + [METRIC_LABELS[m] for m in main]]
    protocols = list(result["summary"])
    if honest_first:
        protocols.sort(key=lambda p: not p.startswith("honest"))
    for proto in protocols:
        name = f"{proto} (thresholds tuned on test)" if honest_first and proto == "paper" else proto
        stats = result["summary"][proto]
        rows.append([f"minicgmvae, {name}"] + [_mean_pm_std(stats[m]) for m in main])
    ds = result["dataset"]
    for proto, row in AUTHORS_CODE_ON_MULAN.get(ds, {}).items():
        rows.append(
            [f"authors' code (this split, 1 seed), {proto}"] + [f"{row[m]:.3f}" for m in main]
        )
    if ds in PAPER["C-GMVAE"]:
        rows.append(
            ["paper (own split, 3 seeds), paper"] + [f"{PAPER['C-GMVAE'][ds][m]:.3f}" for m in main]
        )
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    return "\n".join(
        "  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])])
        for r in rows
    )


# ------------------------------------------------------------------------------ --set
def _setting_types() -> dict[str, Any]:
    import typing

    from ..config import ModelConfig, TrainConfig

    return {**typing.get_type_hints(ModelConfig), **typing.get_type_hints(TrainConfig)}


def _parse_setting(key: str, text: str, kind: Any) -> Any:
    """``text`` as a value of the config field ``key`` of type ``kind``."""
    text = text.strip()
    options = [k for k in getattr(kind, "__args__", ()) if k is not type(None)]
    if len(options) == 1 and type(None) in getattr(kind, "__args__", ()):  # X | None
        return None if text.lower() == "none" else _parse_setting(key, text, options[0])
    try:
        if kind is bool:
            words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
            return words[text.lower()]
        if kind is int:
            return int(text)
        if kind is float:
            value = float(text)
            if not math.isfinite(value):
                raise ValueError(text)
            return value
        if getattr(kind, "__origin__", None) is tuple:
            return tuple(int(h) for h in text.strip("()[] ").split(",") if h.strip())
        return text  # a string: checked by the configuration itself
    except (KeyError, ValueError):
        expected = {bool: "true or false", int: "an integer", float: "a number"}.get(
            kind, "comma-separated integers, e.g. 256,512,256"
        )
        raise CommandLineError(f"--set {key}={text}: {key} must be {expected}.") from None


def parse_settings(pairs: list[str]) -> dict[str, Any]:
    """``--set KEY=VALUE`` pairs as config overrides, each parsed to its field's type.

    Raises:
        CommandLineError: no ``=``, a key that no config has (the valid keys are listed), a
            key set elsewhere (``n_labels``, ``seed``, ...), a value of the wrong type, or
            a value the configurations refuse (e.g. ``dropout=1.5``).
    """
    from ..config import paper_settings

    types = _setting_types()
    valid = ", ".join(sorted(k for k in types if k not in FIXED_SETTINGS))
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep:
            raise CommandLineError(f"--set expects KEY=VALUE, got {pair!r}. Valid keys: {valid}.")
        if key in FIXED_SETTINGS:
            raise CommandLineError(f"--set {key}: set by {FIXED_SETTINGS[key]}, not by --set.")
        if key not in types:
            raise CommandLineError(f"--set: unknown key {key!r}. Valid keys: {valid}.")
        out[key] = _parse_setting(key, text, types[key])
    try:  # the configurations' own checks (ranges, choices), with placeholder sizes
        paper_settings("custom", 1, 1, **out)
    except ValueError as exc:
        raise CommandLineError(f"--set: {exc}") from None
    return out


