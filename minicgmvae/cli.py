"""The command line: ``python -m minicgmvae <command>`` (or ``minicgmvae <command>``).

Commands: ``datasets``, ``baseline``, ``train``, ``predict``, ``evaluate``, ``ablate``,
``efficiency``, ``benchmark``. Each prints a plain-text table; ``baseline``, ``train``,
``ablate`` and ``efficiency`` also write JSON to ``--out``, and ``train --out`` writes the
checkpoints and ``predictor.pt``, the model that ``predict`` applies to a CSV file.

Every value is checked before any work starts: numbers against their ranges while the
arguments are parsed (:mod:`minicgmvae.argcheck`), then ``--set`` keys against the
configurations, file names, dataset names against the registry and a checkpoint's sizes
against the dataset's, without downloading anything. Errors raised on purpose by the
package (bad names, missing or malformed files, a GPU that isn't there) are printed as one
clear line and exit with status 2, without a traceback.

This module imports neither torch nor scikit-learn at its top, so that ``--help`` and
``--version`` answer at once; each command imports what it needs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from ._version import __version__
from .argcheck import CommandLineError, LazyChoices, fraction, int_at_least, probability
from .errors import MiniCGMVAEError

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
def _setup_process(n: int | None) -> None:
    """Set up this process for training: ``n`` torch threads (if given), freed memory reused."""
    from .device import keep_freed_memory

    keep_freed_memory()
    if n:
        import torch

        torch.set_num_threads(n)


def _command() -> str:
    """The command line that is running, for the provenance of the JSON it writes."""
    return "python -m minicgmvae " + " ".join(sys.argv[1:])


def _write_json(path: Path, obj: Any) -> Path:
    from .atomic import atomic_write

    if isinstance(obj.get("provenance"), dict):
        obj["provenance"].setdefault("command", _command())

    return atomic_write(path, lambda f: f.write(json.dumps(obj, indent=1) + "\n"), binary=False)


def _check_dataset(name: str) -> Any:
    """The registry's spec of ``name`` (no download); an unknown or unloadable name fails."""
    from .data.registry import get_spec
    from .errors import DataValueError

    spec = get_spec(name)
    if not spec.supported:
        raise DataValueError(f"Dataset {spec.name!r} cannot be loaded: {spec.unsupported_reason}")
    return spec


def _check_device(device: str) -> None:
    from .device import get_device

    get_device(device)


def _check_file(path: Path | None, option: str) -> None:
    if path is not None and not path.is_file():
        raise CommandLineError(f"{option} {path}: no such file.")


def _load(args: argparse.Namespace) -> Any:
    from .data.datasets import load_dataset

    return load_dataset(
        args.dataset, val_fraction=args.val_fraction, seed=args.split_seed, standardize=not args.raw
    )


def _main_metrics() -> tuple[str, ...]:
    from .metrics import MAIN_METRICS

    return MAIN_METRICS


def _mean_pm_std(stats: dict[str, Any]) -> str:
    """``"0.512±0.004"`` from a summary's ``{"mean", "std"}``, or ``"-"``."""
    mean, std = stats.get("mean"), stats.get("std")
    if mean is None or not math.isfinite(mean):
        return "-"
    return f"{mean:.3f}±{std:.3f}"


def summary_table(result: dict[str, Any]) -> str:
    """Mean ± std per protocol, with the paper's row and the authors' code on this split."""
    from .protocols import METRIC_LABELS
    from .studies.paper_table import AUTHORS_CODE_ON_MULAN, PAPER

    main = _main_metrics()
    rows = [["run"] + [METRIC_LABELS[m] for m in main]]
    for proto, stats in result["summary"].items():
        rows.append([f"minicgmvae, {proto}"] + [_mean_pm_std(stats[m]) for m in main])
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

    from .config import ModelConfig, TrainConfig

    return {**typing.get_type_hints(ModelConfig), **typing.get_type_hints(TrainConfig)}


def _parse_setting(key: str, text: str, kind: Any) -> Any:
    """``text`` as a value of the config field ``key`` of type ``kind``."""
    text = text.strip()
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
    from .config import paper_settings

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


# ------------------------------------------------------------------------------ datasets
def cmd_datasets(args: argparse.Namespace) -> int:
    from .data.datasets import dataset_info, list_datasets

    infos = [dataset_info(n) for n in list_datasets()]
    if args.json:
        print(json.dumps(infos, indent=1))
        return 0
    head = (
        f"{'name':<10} {'samples':>7} {'train':>6} {'test':>6} {'features':>8} "
        f"{'labels':>6} {'card.':>6}  cached"
    )
    print(head)
    print("-" * len(head))
    for i in infos:
        cached = "yes" if i["cached"] else "no"
        if not i["supported"]:
            cached += " (not loadable: no numeric features)"
        print(
            f"{i['name']:<10} {i['samples']:>7} {i['train'] or '-':>6} {i['test'] or '-':>6} "
            f"{i['features'] or '-':>8} {i['labels']:>6} {i['cardinality']:>6.3f}  {cached}"
        )
    print(f"\ncache: {Path(infos[0]['cache_dir']).parent}")
    return 0


# ------------------------------------------------------------------------------ baseline
def cmd_baseline(args: argparse.Namespace) -> int:
    _check_dataset(args.dataset)
    from .baselines import run_baseline
    from .protocols import format_table

    _setup_process(args.threads)
    data = _load(args)
    kw: dict[str, Any] = {}
    if args.method in ("mlp", "asl"):
        kw["progress"] = not args.quiet
    record = run_baseline(data, args.method, seed=args.seed, keep_scores=False, **kw)
    rows = [(f"{args.method} {p}", record["protocols"][p]["metrics"]) for p in record["protocols"]]
    print(
        f"{args.method} on {args.dataset} (train {len(data.x_train)}, val {len(data.x_val)}, "
        f"test {len(data.x_test)}; seed {args.seed}; {record['wall_time_s']:.1f} s)"
    )
    print(format_table(rows))
    if args.out:
        path = _write_json(Path(args.out) / f"baseline-{args.dataset}-{args.method}.json", record)
        print(f"wrote {path}")
    return 0


# ------------------------------------------------------------------------------ train
def _data_kind(path: Path) -> str:
    name = path.name.lower()
    for ending, kind in DATA_FORMATS.items():
        if name.endswith(ending):
            return kind
    raise CommandLineError(
        f"--data {path}: cannot tell its format from its name; use a file ending in "
        f"{', '.join(DATA_FORMATS)}."
    )


def _check_train(args: argparse.Namespace) -> dict[str, Any]:
    """Every check of ``train`` that needs no data; returns the config overrides."""
    overrides = parse_settings(args.set)
    if args.epochs is not None:
        if "epochs" in overrides:
            raise CommandLineError("Give the epochs once: --epochs or --set epochs=..., not both.")
        overrides["epochs"] = args.epochs
    if args.resume and not args.out:
        raise CommandLineError("--resume continues the checkpoints in --out: give --out.")
    if (args.dataset is None) == (args.data is None):
        raise CommandLineError("Give --dataset NAME (a registered dataset) or --data FILE.")
    if args.dataset is not None:
        given = [o for o, v in _own_data_options(args).items() if v not in (None, False)]
        if given:
            raise CommandLineError(f"{', '.join(given)} go with --data, not with --dataset.")
        _check_dataset(args.dataset)
    else:
        kind = _data_kind(args.data)
        for option, path in (("--data", args.data), ("--test-data", args.test_data)):
            _check_file(path, option)
        if args.test_data is not None and _data_kind(args.test_data) != kind:
            raise CommandLineError("--data and --test-data must be of the same format.")
        _check_file(args.xml, "--xml")
        if kind == "csv" and args.xml is not None:
            raise CommandLineError(
                "--xml names the labels of ARFF files; for CSV use --label-columns or --n-labels."
            )
        if args.label_columns and args.n_labels is not None:
            raise CommandLineError("Give --label-columns or --n-labels, not both.")
        if kind == "csv" and not args.label_columns and args.n_labels is None:
            raise CommandLineError(
                f"Say which columns of {args.data} are labels: --label-columns NAME ... or "
                "--n-labels K (the last K columns)."
            )
    _check_device(args.device)
    return overrides


def _own_data_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "--test-data": args.test_data,
        "--label-columns": args.label_columns,
        "--n-labels": args.n_labels,
        "--xml": args.xml,
    }


def _load_training_data(args: argparse.Namespace) -> Any:
    """The registered ``--dataset``, or the file(s) of ``--data`` (CSV or ARFF)."""
    if args.dataset is not None:
        return _load(args)
    split = {
        "val_fraction": args.val_fraction,
        "test_fraction": args.test_fraction,
        "seed": args.split_seed,
        "standardize": not args.raw,
    }
    if _data_kind(args.data) == "csv":
        from .data.csvio import load_csv_dataset

        data = load_csv_dataset(
            args.data,
            args.test_data,
            label_columns=args.label_columns,
            n_labels=args.n_labels,
            **split,
        )
    else:
        from .data.datasets import load_arff_dataset

        data = load_arff_dataset(
            args.data,
            args.test_data,
            n_labels=args.n_labels,
            xml_path=args.xml,
            label_names=args.label_columns,
            **split,
        )
    test = f"--test-data {args.test_data}" if args.test_data else f"{args.test_fraction:g} of it"
    data.info["source"] = f"--data {args.data}; test: {test}; validation carved from train"
    return data


def _check_split(data: Any, args: argparse.Namespace) -> None:
    """Every protocol needs validation and test samples: say so before training."""
    from .errors import DataValueError

    for part, n, how in (
        ("validation", len(data.x_val), "a larger --val-fraction"),
        ("test", len(data.x_test), "--test-data FILE or a larger --test-fraction"),
    ):
        if n == 0:
            raise DataValueError(
                f"The {part} part of {data.name!r} is empty ({len(data.x_train)} training "
                f"samples): the protocols need {part} samples. Give more rows, or {how}."
            )


def _save_predictor(result: dict[str, Any], data: Any, out: Path) -> dict[str, Any]:
    """Write ``out/predictor.pt`` from the seed with the best validation score, with the
    threshold the honest protocol chose on validation for it."""
    from .checkpoint import load_checkpoint, model_from_checkpoint
    from .config import TrainConfig
    from .predictor import Predictor

    best = max(result["runs"], key=lambda r: r["best_val_score"])
    honest = best["protocols"]["honest"]
    threshold = honest["thresholds"][honest["select_by"]]
    source = out / f"seed-{best['seed']}.pt"
    ckpt = load_checkpoint(source)
    info = {
        "seed": best["seed"],
        "best_epoch": best["best_epoch"],
        "best_val_score": best["best_val_score"],
        "select_by": result["select_by"],
        "threshold_rule": f"honest protocol: best validation {honest['select_by']} over 0.1..0.9",
        "checkpoint": source.name,
    }
    predictor = Predictor.from_split_data(
        model_from_checkpoint(ckpt, str(source)),
        data,
        threshold,
        TrainConfig.from_dict(ckpt["train_config"]),
        info,
    )
    path = predictor.save(out / PREDICTOR_FILE)
    return {"file": path.name, "bytes": path.stat().st_size, "threshold": threshold, **info}


def cmd_train(args: argparse.Namespace) -> int:
    from .config import paper_settings

    overrides = _check_train(args)
    from .studies.experiments import train_seeds

    _setup_process(args.threads)
    data = _load_training_data(args)
    _check_split(data, args)
    s = paper_settings(data.name, data.n_features, data.n_labels, **overrides)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    out = Path(args.out) if args.out else None
    print(
        f"training C-GMVAE on {data.name}: seeds {seeds}, {s.train.epochs} epochs, "
        f"lr {s.train.lr:g}, embedding {s.model.embed_dim}; {s.note}",
        file=sys.stderr,
    )
    result = train_seeds(
        data,
        seeds,
        s.model,
        s.train,
        device=args.device,
        out_dir=out,
        progress=not args.quiet,
        note=s.note,
        checkpoint_every=args.checkpoint_every,
        resume=args.resume,
    )
    if args.data is not None:  # the record says which file(s), not "MULAN"
        result["split"]["source"] = data.info["source"]
    for r in result["runs"]:
        print(
            f"seed {r['seed']}: best epoch {r['best_epoch']} (val {result['select_by']} "
            f"{r['best_val_score']:.3f}), {r['seconds']:.0f} s"
        )
    print(summary_table(result))
    if out:
        result["predictor"] = _save_predictor(result, data, out)
        print(
            f"wrote {out / PREDICTOR_FILE} (seed {result['predictor']['seed']}, threshold "
            f"{result['predictor']['threshold']:g})"
        )
        print(f"wrote {_write_json(out / 'metrics.json', result)}")
    return 0


# ------------------------------------------------------------------------------ predict
def _write_predictions(path: Path | None, header: list[str], values: Any, fmt: str) -> None:
    if path is not None:
        from .data.csvio import write_csv

        write_csv(path, header, values, fmt)
        return
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([fmt % v for v in row] for row in values)


def cmd_predict(args: argparse.Namespace) -> int:
    if args.proba and args.threshold is not None:
        raise CommandLineError("--threshold turns probabilities into 0/1 labels; drop --proba.")
    _check_file(args.model, "--model")
    _check_file(args.input, "--input")
    from .data.csvio import read_csv_features
    from .predictor import load_predictor

    _setup_process(args.threads)
    predictor = load_predictor(args.model)
    x, ignored = read_csv_features(args.input, predictor.feature_names)
    if ignored:
        print(f"{args.input}: columns not read by the model: {', '.join(ignored)}", file=sys.stderr)
    if args.proba:
        values, fmt, what = predictor.predict_proba(x), "%.9g", "probabilities"
    else:
        threshold = predictor.threshold if args.threshold is None else args.threshold
        values, fmt = predictor.predict(x, threshold), "%d"
        what = f"0/1 labels (threshold {threshold:g})"
    _write_predictions(args.out, predictor.label_names, values, fmt)
    if args.out is not None:
        print(
            f"wrote {args.out}: {len(values)} rows, {predictor.n_labels} labels, {what}",
            file=sys.stderr,
        )
    return 0


# ------------------------------------------------------------------------------ evaluate
def cmd_evaluate(args: argparse.Namespace) -> int:
    spec = _check_dataset(args.dataset)
    if args.checkpoint.is_dir():
        return _rescore_folder(args)
    from .checkpoint import load_checkpoint, model_from_checkpoint
    from .config import ModelConfig
    from .device import get_device
    from .errors import DataValueError
    from .protocols import format_table
    from .studies.experiments import evaluate_model

    ckpt = load_checkpoint(args.checkpoint)
    cfg = ModelConfig.from_dict(dict(ckpt["model_config"]))
    if (cfg.n_features, cfg.n_labels) != (spec.n_features, spec.n_labels):  # before a download
        raise DataValueError(
            f"{args.checkpoint} was trained on {ckpt.get('dataset', '?')!r} with "
            f"{cfg.n_features} features and {cfg.n_labels} labels; {spec.name!r} has "
            f"{spec.n_features} and {spec.n_labels}. Evaluate it on the dataset it was trained on."
        )
    device = get_device(args.device)
    model = model_from_checkpoint(ckpt, str(args.checkpoint)).to(device)
    data = _load(args)
    protocols = evaluate_model(model, data)
    print(
        f"{args.checkpoint} (trained on {ckpt.get('dataset', '?')}, best epoch "
        f"{ckpt.get('best_epoch')}) on {data.name} test ({len(data.x_test)} samples)"
    )
    print(format_table([(p, r["metrics"]) for p, r in protocols.items()]))
    return 0


def _rescore_device(args: argparse.Namespace, made: dict[str, Any]) -> str:
    """By default, the device the run was scored on (the same float sums, so no probability
    can land on the other side of a threshold)."""
    from .device import get_device
    from .errors import DeviceError

    device = args.device
    if device == "auto" and made.get("device"):
        device = made["device"]
        try:
            get_device(device)
        except DeviceError as exc:
            raise DeviceError(
                f"{args.checkpoint} was scored on {device!r}, which this machine does not have. "
                "Pass --device cpu (or another device) to score it here: the float sums then "
                "run in another order, and nothing is written unless every stored number "
                "comes out the same."
            ) from exc
    return device


def _rescore_folder(args: argparse.Namespace) -> int:
    """``evaluate FOLDER``: the checkpoints of a ``train --out FOLDER`` run, scored again."""
    from .errors import CheckpointError
    from .studies.experiments import rescore_runs

    path = args.checkpoint / "metrics.json"
    if not path.is_file():
        raise CheckpointError(f"{args.checkpoint} holds no metrics.json from 'train --out'.")
    record = json.loads(path.read_text())
    if record.get("dataset") != args.dataset:
        raise CheckpointError(f"{path} is a {record.get('dataset')!r} run, not {args.dataset!r}.")
    made = record.get("provenance", {})
    _setup_process(args.threads or made.get("torch_threads"))
    device = _rescore_device(args, made)
    result = rescore_runs(record, _load(args), args.checkpoint, device=device)
    result["rescored"][-1]["provenance"]["command"] = _command()
    added = result["rescored"][-1]["added"]
    print(
        f"{args.checkpoint}: the checkpoints of seeds {[r['seed'] for r in result['runs']]} "
        f"reproduce their stored protocols; added: {', '.join(added) or 'none'}"
    )
    print(summary_table(result))
    if args.update and added:
        print(f"wrote {_write_json(path, result)}")
    return 0


# ------------------------------------------------------------------------------ studies
def _check_study(args: argparse.Namespace) -> tuple[Path | None, dict[str, Any] | None]:
    """The checks of ``ablate`` and ``efficiency``; returns ``--out`` and, with
    ``--resume``, the unfinished record there (checked against this command)."""
    if args.epochs is None:
        from .studies.ablations import ABLATION_EPOCHS

        args.epochs = ABLATION_EPOCHS
    _check_dataset(args.dataset)
    _check_device(args.device)
    out = Path(args.out) if args.out else None
    if args.resume and out is None:
        raise CommandLineError("--resume keeps the finished parts of --out: give --out.")
    if out is None or not args.resume or not out.exists():
        return out, None
    try:
        previous = json.loads(out.read_text())
    except (OSError, ValueError) as exc:
        raise CommandLineError(f"--resume: cannot read {out} ({exc}).") from None
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    theirs = (previous.get("dataset"), previous.get("epochs"), previous.get("seeds"))
    if theirs != (args.dataset, args.epochs, seeds):
        raise CommandLineError(
            f"--resume: {out} holds dataset {theirs[0]!r}, {theirs[1]} epochs, seeds "
            f"{theirs[2]}; this command asks for {args.dataset!r}, {args.epochs} epochs, seeds "
            f"{seeds}. Use the same values, or another --out."
        )
    return out, previous


def _metric_cells(values: list[float]) -> str:
    return " ".join(f"{v:>11.3f}" for v in values)


def cmd_ablate(args: argparse.Namespace) -> int:
    out, previous = _check_study(args)
    from .studies.ablations import run_ablation, seed_values

    _setup_process(args.threads)
    data = _load(args)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    record = run_ablation(
        data,
        args.variants,
        seeds,
        args.epochs,
        device=args.device,
        progress=not args.quiet,
        previous=previous,
        on_variant=(lambda r: _write_json(out, r)) if out else None,
    )
    main = _main_metrics()
    print(f"{data.name}: {args.epochs} epochs, seeds {seeds}; paper protocol, mean over seeds")
    print(f"{'variant':<28} " + " ".join(f"{m[:11]:>11}" for m in main) + "  active  z_effect")
    for key, v in record["variants"].items():
        means = [sum(seed_values(v, m)) / len(v["runs"]) for m in main]
        diag = v["diagnostics"]
        print(
            f"{key:<28} {_metric_cells(means)}  {diag['active_units']['mean']:>6.1f}  "
            f"{diag['z_effect']['mean']:>8.4f}"
        )
    if out:
        print(f"wrote {_write_json(out, record)}")
    return 0


def cmd_efficiency(args: argparse.Namespace) -> int:
    out, previous = _check_study(args)
    from .studies.data_efficiency import run_data_efficiency

    _setup_process(args.threads)
    data = _load(args)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    record = run_data_efficiency(
        data,
        args.fractions,
        seeds,
        args.methods,
        args.epochs,
        first_half=not args.no_first_half,
        device=args.device,
        progress=not args.quiet,
        previous=previous,
        on_cell=(lambda r: _write_json(out, r)) if out else None,
    )
    main = _main_metrics()
    print(f"{data.name}: C-GMVAE {args.epochs} epochs, seeds {seeds}; paper protocol")
    print(
        f"{'method':<8} {'fraction':>8} {'mode':<7} {'n':>5} "
        + " ".join(f"{m[:11]:>11}" for m in main)
    )
    for c in record["cells"].values():
        cells = _metric_cells([c["summary"]["paper"][m]["mean"] for m in main])
        print(f"{c['method']:<8} {c['fraction']:>8g} {c['mode']:<7} {c['n_train']:>5} {cells}")
    if out:
        print(f"wrote {_write_json(out, record)}")
    return 0


def cmd_benchmark(rest: list[str]) -> int:
    from .studies.benchmark import main as bench

    return bench(rest)


# ------------------------------------------------------------------------------ the parser
def _data_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    from .data.registry import dataset_names

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
    _seed_args(t, None, "epochs (default: the paper setting's)")
    t.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a ModelConfig/TrainConfig field, e.g. --set prior=standard_normal",
    )
    t.add_argument("--out", default=None, help="folder for metrics.json, checkpoints, predictor")
    t.add_argument(
        "--checkpoint-every",
        type=NON_NEGATIVE,
        default=10,
        help="with --out: save each seed's checkpoint every N epochs (10; 0: at the end only)",
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


HANDLERS = {
    "datasets": cmd_datasets,
    "baseline": cmd_baseline,
    "train": cmd_train,
    "predict": cmd_predict,
    "evaluate": cmd_evaluate,
    "ablate": cmd_ablate,
    "efficiency": cmd_efficiency,
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "benchmark":
            return cmd_benchmark(argv[1:])
        args = build_parser().parse_args(argv)
        return HANDLERS[args.command](args)
    except MiniCGMVAEError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
