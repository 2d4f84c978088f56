"""The commands that run the package's studies: ``datasets``, ``baseline``, ``evaluate``,
``ablate``, ``efficiency`` and ``benchmark``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..argcheck import CommandLineError
from .common import (
    check_dataset,
    check_device,
    command_line,
    load_data,
    main_metrics,
    setup_process,
    summary_table,
    write_json,
)


# ------------------------------------------------------------------------------ datasets
def cmd_datasets(args: argparse.Namespace) -> int:
    from ..data.datasets import dataset_info, list_datasets

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
    check_dataset(args.dataset)
    from ..baselines import run_baseline
    from ..protocols import format_table

    setup_process(args.threads)
    data = load_data(args)
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
        path = write_json(Path(args.out) / f"baseline-{args.dataset}-{args.method}.json", record)
        print(f"wrote {path}")
    return 0


# ------------------------------------------------------------------------------ evaluate
def cmd_evaluate(args: argparse.Namespace) -> int:
    spec = check_dataset(args.dataset)
    if args.checkpoint.is_dir():
        return _rescore_folder(args)
    predictor = _read_predictor(args.checkpoint)
    if predictor is not None:
        return _evaluate_predictor(args, spec, predictor)
    from ..checkpoint import load_checkpoint, model_from_checkpoint
    from ..config import ModelConfig
    from ..device import get_device
    from ..errors import DataValueError
    from ..protocols import format_table
    from ..studies.experiments import evaluate_model

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
    data = load_data(args)
    select_by = (ckpt.get("train_config") or {}).get("select_by", "macro_f1")
    protocols = evaluate_model(model, data, select_by)
    print(
        f"{args.checkpoint} (trained on {ckpt.get('dataset', '?')}, best epoch "
        f"{ckpt.get('best_epoch')}) on {data.name} test ({len(data.x_test)} samples)"
    )
    print(format_table([(p, r["metrics"]) for p, r in protocols.items()]))
    return 0


def _read_predictor(path: Path) -> Any:
    """The predictor in ``path`` if it holds one, else None: the checkpoint loader then says
    what the file is. A file that cannot be read safely is refused here, in one line."""
    from ..checkpoint import load_safely
    from ..predictor import FORMAT, Predictor

    payload = load_safely(path, "checkpoint or predictor", "Give a checkpoint or "
                          "predictor.pt written by minicgmvae.")
    if isinstance(payload, dict) and payload.get("format") == FORMAT:
        return Predictor.from_payload(payload, str(path))
    return None


def _evaluate_predictor(args: argparse.Namespace, spec: Any, predictor: Any) -> int:
    """``evaluate predictor.pt``: the predictor's model on the dataset's raw features,
    standardised as the predictor does."""
    from dataclasses import replace

    from ..data.datasets import load_dataset
    from ..errors import DataValueError
    from ..protocols import format_table
    from ..studies.experiments import evaluate_model

    if (predictor.n_features, predictor.n_labels) != (spec.n_features, spec.n_labels):
        raise DataValueError(
            f"{args.checkpoint} is a predictor of {predictor.n_features} features and "
            f"{predictor.n_labels} labels; {spec.name!r} has {spec.n_features} and "
            f"{spec.n_labels}. Evaluate it on the dataset it was trained on, or apply it to "
            "your own rows with 'predict'."
        )
    raw = load_dataset(args.dataset, val_fraction=args.val_fraction, seed=args.split_seed,
                       standardize=False)
    parts = {k: predictor.standardize(getattr(raw, k)) for k in ("x_train", "x_val", "x_test")}
    protocols = evaluate_model(predictor.model, replace(raw, **parts))
    print(
        f"{args.checkpoint} (predictor from {predictor.info.get('dataset', '?')}, threshold "
        f"{predictor.threshold:g}) on {raw.name} test ({len(raw.x_test)} samples)"
    )
    print(format_table([(p, r["metrics"]) for p, r in protocols.items()]))
    return 0


def _rescore_device(args: argparse.Namespace, made: dict[str, Any]) -> str:
    """By default, the device the run was scored on (the same float sums, so no probability
    can land on the other side of a threshold)."""
    from ..device import get_device
    from ..errors import DeviceError

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
    from ..errors import CheckpointError
    from ..studies.experiments import rescore_runs

    path = args.checkpoint / "metrics.json"
    if not path.is_file():
        raise CheckpointError(f"{args.checkpoint} holds no metrics.json from 'train --out'.")
    record = json.loads(path.read_text())
    if record.get("dataset") != args.dataset:
        raise CheckpointError(f"{path} is a {record.get('dataset')!r} run, not {args.dataset!r}.")
    made = record.get("provenance", {})
    setup_process(args.threads or made.get("torch_threads"))
    device = _rescore_device(args, made)
    result = rescore_runs(record, load_data(args), args.checkpoint, device=device)
    result["rescored"][-1]["provenance"]["command"] = command_line()
    added = result["rescored"][-1]["added"]
    print(
        f"{args.checkpoint}: the checkpoints of seeds {[r['seed'] for r in result['runs']]} "
        f"reproduce their stored protocols; added: {', '.join(added) or 'none'}"
    )
    print(summary_table(result))
    if args.update and added:
        print(f"wrote {write_json(path, result)}")
    return 0


# ------------------------------------------------------------------------------ studies
def _check_study(args: argparse.Namespace) -> tuple[Path | None, dict[str, Any] | None]:
    """The checks of ``ablate`` and ``efficiency``; returns ``--out`` and, with
    ``--resume``, the unfinished record there (checked against this command)."""
    if args.epochs is None:
        from ..studies.ablations import ABLATION_EPOCHS

        args.epochs = ABLATION_EPOCHS
    check_dataset(args.dataset)
    check_device(args.device)
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
    from ..studies.ablations import run_ablation, seed_values

    setup_process(args.threads)
    data = load_data(args)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    record = run_ablation(
        data,
        args.variants,
        seeds,
        args.epochs,
        device=args.device,
        progress=not args.quiet,
        previous=previous,
        on_variant=(lambda r: write_json(out, r)) if out else None,
    )
    main = main_metrics()
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
        print(f"wrote {write_json(out, record)}")
    return 0


def cmd_efficiency(args: argparse.Namespace) -> int:
    out, previous = _check_study(args)
    from ..studies.data_efficiency import run_data_efficiency

    setup_process(args.threads)
    data = load_data(args)
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
        on_cell=(lambda r: write_json(out, r)) if out else None,
    )
    main = main_metrics()
    print(f"{data.name}: C-GMVAE {args.epochs} epochs, seeds {seeds}; paper protocol")
    print(
        f"{'method':<8} {'fraction':>8} {'mode':<7} {'n':>5} "
        + " ".join(f"{m[:11]:>11}" for m in main)
    )
    for c in record["cells"].values():
        cells = _metric_cells([c["summary"]["paper"][m]["mean"] for m in main])
        print(f"{c['method']:<8} {c['fraction']:>8g} {c['mode']:<7} {c['n_train']:>5} {cells}")
    if out:
        print(f"wrote {write_json(out, record)}")
    return 0


def cmd_benchmark(rest: list[str]) -> int:
    from ..studies.benchmark import main as bench

    return bench(rest)


