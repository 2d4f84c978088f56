"""``train`` (registered datasets and your own CSV or ARFF files) and ``predict``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..argcheck import CommandLineError
from .common import (
    DATA_FORMATS,
    PREDICTOR_FILE,
    check_dataset,
    check_device,
    check_file,
    load_data,
    parse_settings,
    setup_process,
    summary_table,
    write_json,
)


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
    if args.out and Path(args.out).exists() and not Path(args.out).is_dir():
        raise CommandLineError(
            f"--out {args.out} is a file; give a folder (train writes metrics.json, the "
            "checkpoints and predictor.pt into it)."
        )
    if args.patience is not None:
        if "patience" in overrides:
            raise CommandLineError("Give the patience once: --patience or --set patience=...")
        overrides["patience"] = args.patience
    if (args.dataset is None) == (args.data is None):
        raise CommandLineError("Give --dataset NAME (a registered dataset) or --data FILE.")
    if args.dataset is not None:
        given = [o for o, v in _own_data_options(args).items() if v not in (None, False)]
        if given:
            raise CommandLineError(f"{', '.join(given)} go with --data, not with --dataset.")
        check_dataset(args.dataset)
    else:
        kind = _data_kind(args.data)
        for option, path in (("--data", args.data), ("--test-data", args.test_data)):
            check_file(path, option)
        if args.test_data is not None and _data_kind(args.test_data) != kind:
            raise CommandLineError("--data and --test-data must be of the same format.")
        check_file(args.xml, "--xml")
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
    check_device(args.device)
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
        return load_data(args)
    split = {
        "val_fraction": args.val_fraction,
        "test_fraction": args.test_fraction,
        "seed": args.split_seed,
        "standardize": not args.raw,
    }
    if _data_kind(args.data) == "csv":
        from ..data.csvio import load_csv_dataset

        data = load_csv_dataset(
            args.data,
            args.test_data,
            label_columns=args.label_columns,
            n_labels=args.n_labels,
            **split,
        )
    else:
        from ..data.datasets import load_arff_dataset

        data = load_arff_dataset(
            args.data,
            args.test_data,
            n_labels=args.n_labels,
            xml_path=args.xml,
            label_names=args.label_columns,
            stratify=True,
            **split,
        )
    test = f"--test-data {args.test_data}" if args.test_data else f"{args.test_fraction:g} of it"
    data.info["source"] = f"--data {args.data}; test: {test}; validation carved from train"
    return data


def _check_split(data: Any, args: argparse.Namespace) -> None:
    """Every protocol needs validation and test samples: say so before training."""
    from ..errors import DataValueError

    for part, n, how in (
        ("validation", len(data.x_val), "a larger --val-fraction"),
        ("test", len(data.x_test), "--test-data FILE or a larger --test-fraction"),
    ):
        if n == 0:
            raise DataValueError(
                f"The {part} part of {data.name!r} is empty ({len(data.x_train)} training "
                f"samples): the protocols need {part} samples. Give more rows, or {how}."
            )


def _save_predictor(best: Any, data: Any, out: Path) -> dict[str, Any]:
    """Write ``out/predictor.pt`` from the seed with the best validation score (its fit, in
    memory), with the threshold the honest protocol chose on validation for it."""
    from ..predictor import Predictor

    select_by = best.train_config.select_by
    threshold = best.extra["threshold"]
    info = {
        "seed": best.train_config.seed,
        "best_epoch": best.best_epoch,
        "best_val_score": best.best_score,
        "select_by": select_by,
        "threshold_rule": f"honest protocol: best validation {select_by} over 0.1..0.9",
        "checkpoint": f"seed-{best.train_config.seed}.pt",
    }
    predictor = Predictor.from_split_data(best.model, data, threshold, best.train_config, info)
    path = predictor.save(out / PREDICTOR_FILE)
    return {"file": path.name, "bytes": path.stat().st_size, "threshold": threshold, **info}


def _settings(args: argparse.Namespace, data: Any, overrides: dict[str, Any]) -> Any:
    """The reproduction's settings for a registered dataset; for your own data the ones
    recommended for new data (``minicgmvae.estimator.SETTINGS``, whose comment says why),
    or the reproduction's with ``--settings paper``."""
    from dataclasses import fields

    from ..config import ModelConfig, Settings, TrainConfig, paper_settings

    name = args.settings or ("paper" if args.dataset is not None else "new-data")
    if name == "paper":
        return paper_settings(data.name, data.n_features, data.n_labels, **overrides)
    names = {f.name for f in fields(ModelConfig)}
    model = {k: v for k, v in overrides.items() if k in names}
    train = {k: v for k, v in overrides.items() if k not in names}
    note = "the settings for new data (the authors' code defaults); --settings paper: the script's"
    model_config = ModelConfig(data.n_features, data.n_labels, **model)
    return Settings(model_config, TrainConfig(**train), note)


def _report_data(data: Any, args: argparse.Namespace) -> None:
    """How an own CSV file was read, and the labels a part lacks, on stderr."""
    from ..data.values import label_coverage

    csv_info = data.info.get("csv")
    if csv_info:
        sep = "tab" if csv_info["delimiter"] == "\t" else repr(csv_info["delimiter"])
        index = "; its first column, pandas' index, left out" if csv_info["index_column"] else ""
        print(f"read {args.data}: {sep}-separated{index}", file=sys.stderr)
    for part, labels in (("training", data.y_train), ("validation", data.y_val)):
        problem = label_coverage(labels, data.label_names, part)
        if problem:
            print(f"warning: {problem}", file=sys.stderr)


def cmd_train(args: argparse.Namespace) -> int:
    overrides = _check_train(args)
    from ..studies.experiments import train_seeds

    setup_process(args.threads)
    data = _load_training_data(args)
    _check_split(data, args)
    _report_data(data, args)
    s = _settings(args, data, overrides)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    out = Path(args.out) if args.out else None
    if out is None:
        print(
            "note: no --out, so nothing will be saved (no predictor.pt, checkpoints or "
            "metrics.json); add --out DIR to keep the model.",
            file=sys.stderr,
        )
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
        checkpoint_seconds=60.0 * args.checkpoint_minutes,
        keep_best=out is not None,
    )
    best = result.pop("best_fit", None)
    if args.data is not None:  # the record says which file(s), not "MULAN"
        result["split"]["source"] = data.info["source"]
    for r in result["runs"]:
        print(
            f"seed {r['seed']}: best epoch {r['best_epoch']} (val {result['select_by']} "
            f"{r['best_val_score']:.3f}), {r['seconds']:.0f} s"
        )
    print(summary_table(result, honest_first=args.data is not None))
    if out:
        result["predictor"] = _save_predictor(best, data, out)
        print(
            f"wrote {out / PREDICTOR_FILE} (seed {result['predictor']['seed']}, threshold "
            f"{result['predictor']['threshold']:g})"
        )
        print(f"wrote {write_json(out / 'metrics.json', result)}")
    return 0


# ------------------------------------------------------------------------------ predict
def _write_predictions(path: Path | None, header: list[str], values: Any, fmt: str) -> None:
    if path is not None:
        from ..data.csvio import write_csv

        write_csv(path, header, values, fmt)
        return
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([fmt % v for v in row] for row in values)


def cmd_predict(args: argparse.Namespace) -> int:
    if args.proba and args.threshold is not None:
        raise CommandLineError("--threshold turns probabilities into 0/1 labels; drop --proba.")
    check_file(args.model, "--model")
    check_file(args.input, "--input")
    if args.out is not None and args.out.is_dir():
        raise CommandLineError(
            f"--out {args.out} is a folder; give the CSV file to write, e.g. --out "
            f"{args.out / 'labels.csv'}."
        )
    from ..data.csvio import read_csv_features
    from ..predictor import load_predictor

    setup_process(args.threads)
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


