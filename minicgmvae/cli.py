"""The command line: ``python -m minicgmvae <command>`` (or ``minicgmvae <command>``).

Commands: ``datasets``, ``baseline``, ``train``, ``evaluate``, ``ablate``, ``efficiency``,
``benchmark``. Each prints a plain-text table; ``baseline``, ``train``, ``ablate`` and
``efficiency`` also write JSON to ``--out``. Errors raised on
purpose by the package (bad names, missing files, a GPU that isn't there) are printed as one
clear message and exit with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from .errors import MiniCGMVAEError

MAIN = ("example_f1", "micro_f1", "macro_f1", "hamming_accuracy")


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


def _load(args: argparse.Namespace) -> Any:
    from .data.datasets import load_dataset

    return load_dataset(
        args.dataset, val_fraction=args.val_fraction, seed=args.split_seed, standardize=not args.raw
    )


def cmd_baseline(args: argparse.Namespace) -> int:
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


def _pm(stats: dict[str, Any]) -> str:
    mean, std = stats.get("mean"), stats.get("std")
    if mean is None or not math.isfinite(mean):
        return "-"
    return f"{mean:.3f}±{std:.3f}"


def summary_table(result: dict[str, Any]) -> str:
    """Mean ± std per protocol, with the paper's row and the authors' code on this split."""
    from .studies.paper_table import AUTHORS_CODE_ON_MULAN, PAPER

    labels = {
        "example_f1": "ex-F1",
        "micro_f1": "mi-F1",
        "macro_f1": "ma-F1",
        "hamming_accuracy": "HA",
    }
    rows = [["run"] + [labels[m] for m in MAIN]]
    for proto, stats in result["summary"].items():
        rows.append([f"minicgmvae, {proto}"] + [_pm(stats[m]) for m in MAIN])
    ds = result["dataset"]
    for proto, row in AUTHORS_CODE_ON_MULAN.get(ds, {}).items():
        rows.append(
            [f"authors' code (this split, 1 seed), {proto}"] + [f"{row[m]:.3f}" for m in MAIN]
        )
    if ds in PAPER["C-GMVAE"]:
        rows.append(
            ["paper (own split, 3 seeds), paper"] + [f"{PAPER['C-GMVAE'][ds][m]:.3f}" for m in MAIN]
        )
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    return "\n".join(
        "  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])])
        for r in rows
    )


def _overrides(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise SystemExit(f"--set expects KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value  # a bare string such as prior=mixture
    return out


def cmd_train(args: argparse.Namespace) -> int:
    from .config import paper_settings
    from .studies.experiments import train_seeds

    _setup_process(args.threads)
    data = _load(args)
    over = _overrides(args.set)
    if args.epochs:
        over["epochs"] = args.epochs
    s = paper_settings(data.name, data.n_features, data.n_labels, **over)
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
    )
    for r in result["runs"]:
        print(
            f"seed {r['seed']}: best epoch {r['best_epoch']} (val {result['select_by']} "
            f"{r['best_val_score']:.3f}), {r['seconds']:.0f} s"
        )
    print(summary_table(result))
    if out:
        print(f"wrote {_write_json(out / 'metrics.json', result)}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .checkpoint import load_checkpoint, model_from_checkpoint
    from .device import get_device
    from .errors import DataValueError
    from .protocols import format_table
    from .studies.experiments import evaluate_model

    if args.checkpoint.is_dir():
        return _rescore_folder(args)
    ckpt = load_checkpoint(args.checkpoint)
    model = model_from_checkpoint(ckpt, str(args.checkpoint)).to(get_device(args.device))
    data = _load(args)
    cfg = model.config
    if (cfg.n_features, cfg.n_labels) != (data.n_features, data.n_labels):
        raise DataValueError(
            f"{args.checkpoint} was trained on {ckpt.get('dataset', '?')!r} with "
            f"{cfg.n_features} features and {cfg.n_labels} labels; {data.name!r} has "
            f"{data.n_features} and {data.n_labels}. Evaluate it on the dataset it was trained on."
        )
    protocols = evaluate_model(model, data)
    print(
        f"{args.checkpoint} (trained on {ckpt.get('dataset', '?')}, best epoch "
        f"{ckpt.get('best_epoch')}) on {data.name} test ({len(data.x_test)} samples)"
    )
    print(format_table([(p, r["metrics"]) for p, r in protocols.items()]))
    return 0


def _rescore_folder(args: argparse.Namespace) -> int:
    """``evaluate FOLDER``: the checkpoints of a ``train --out FOLDER`` run, scored again."""
    from .device import get_device
    from .errors import CheckpointError, DeviceError
    from .studies.experiments import rescore_runs

    path = args.checkpoint / "metrics.json"
    if not path.is_file():
        raise CheckpointError(f"{args.checkpoint} holds no metrics.json from 'train --out'.")
    record = json.loads(path.read_text())
    if record.get("dataset") != args.dataset:
        raise CheckpointError(f"{path} is a {record.get('dataset')!r} run, not {args.dataset!r}.")
    # By default, score where the run was scored (device, threads): the same float sums, so
    # no probability can land on the other side of a threshold.
    made = record.get("provenance", {})
    _setup_process(args.threads or made.get("torch_threads"))
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


def _resume_record(path: Path | None, resume: bool) -> dict[str, Any] | None:
    """The unfinished record at ``path`` when resuming, else None."""
    if path is None or not resume or not path.exists():
        return None
    return json.loads(path.read_text())


def cmd_ablate(args: argparse.Namespace) -> int:
    from .studies.ablations import run_ablation, seed_values

    _setup_process(args.threads)
    data = _load(args)
    out = Path(args.out) if args.out else None
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    record = run_ablation(
        data,
        args.variants,
        seeds,
        args.epochs,
        device=args.device,
        progress=not args.quiet,
        previous=_resume_record(out, args.resume),
        on_variant=(lambda r: _write_json(out, r)) if out else None,
    )
    print(f"{data.name}: {args.epochs} epochs, seeds {seeds}; paper protocol, mean over seeds")
    print(f"{'variant':<28} " + " ".join(f"{m[:11]:>11}" for m in MAIN) + "  active  z_effect")
    for key, v in record["variants"].items():
        cells = " ".join(f"{sum(seed_values(v, m)) / len(v['runs']):>11.3f}" for m in MAIN)
        diag = v["diagnostics"]
        print(
            f"{key:<28} {cells}  {diag['active_units']['mean']:>6.1f}  "
            f"{diag['z_effect']['mean']:>8.4f}"
        )
    if out:
        print(f"wrote {_write_json(out, record)}")
    return 0


def cmd_efficiency(args: argparse.Namespace) -> int:
    from .studies.data_efficiency import run_data_efficiency

    _setup_process(args.threads)
    data = _load(args)
    out = Path(args.out) if args.out else None
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
        previous=_resume_record(out, args.resume),
        on_cell=(lambda r: _write_json(out, r)) if out else None,
    )
    print(f"{data.name}: C-GMVAE {args.epochs} epochs, seeds {seeds}; paper protocol")
    print(
        f"{'method':<8} {'fraction':>8} {'mode':<7} {'n':>5} "
        + " ".join(f"{m[:11]:>11}" for m in MAIN)
    )
    for c in record["cells"].values():
        cells = " ".join(f"{c['summary']['paper'][m]['mean']:>11.3f}" for m in MAIN)
        print(f"{c['method']:<8} {c['fraction']:>8g} {c['mode']:<7} {c['n_train']:>5} {cells}")
    if out:
        print(f"wrote {_write_json(out, record)}")
    return 0


def cmd_benchmark(args: argparse.Namespace, rest: list[str]) -> int:
    from .studies.benchmark import main as bench

    return bench(rest)


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", required=True, help="yeast, scene, emotions or delicious")
    p.add_argument("--val-fraction", type=float, default=0.1, help="validation carve-out (0.1)")
    p.add_argument("--split-seed", type=int, default=0, help="seed of the carve-out (0)")
    p.add_argument("--raw", action="store_true", help="do not standardise the features")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _study_args(p: argparse.ArgumentParser) -> None:
    from .studies.ablations import ABLATION_EPOCHS

    p.add_argument("--seeds", type=int, default=3, help="number of seeds (3)")
    p.add_argument("--first-seed", type=int, default=1, help="first seed (1)")
    p.add_argument(
        "--epochs", type=int, default=ABLATION_EPOCHS, help=f"epochs ({ABLATION_EPOCHS})"
    )
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--out", default=None, help="JSON file, rewritten after each finished part")
    p.add_argument("--resume", action="store_true", help="keep the finished parts already in --out")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m minicgmvae",
        description="C-GMVAE for multi-label classification: datasets, baselines, training, "
        "evaluation under the paper's and the honest protocol, and a speed benchmark.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("datasets", help="list the datasets: sizes, cardinality, cached or not")
    d.add_argument("--json", action="store_true")

    b = sub.add_parser("baseline", help="train a baseline and print every protocol")
    _data_args(b)
    b.add_argument(
        "--method",
        required=True,
        choices=["br", "cc", "mlp", "mlknn", "asl"],
        help="br: binary relevance, cc: classifier chain (logistic regressions), mlp: MLP "
        "with BCE, mlknn: ML-kNN (k=10), asl: the MLP with the asymmetric loss",
    )
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--out", default=None, help="folder for the JSON record")

    t = sub.add_parser("train", help="train C-GMVAE for several seeds and print every protocol")
    _data_args(t)
    t.add_argument("--seeds", type=int, default=3, help="number of seeds (3)")
    t.add_argument("--first-seed", type=int, default=1, help="first training seed (1)")
    t.add_argument("--epochs", type=int, default=None, help="override the paper setting's epochs")
    t.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    t.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override any ModelConfig/TrainConfig field, e.g. --set prior=standard_normal",
    )
    t.add_argument("--out", default=None, help="folder for metrics.json and the checkpoints")

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

    a = sub.add_parser("ablate", help="train the ablation variants for several seeds")
    _data_args(a)
    _study_args(a)
    a.add_argument("--variants", nargs="+", default=None, help="variant keys (default: all)")

    f = sub.add_parser("efficiency", help="C-GMVAE, MLP and BR on fractions of the train split")
    _data_args(f)
    _study_args(f)
    f.add_argument("--fractions", nargs="+", type=float, default=[0.1, 0.25, 0.5, 0.75, 1.0])
    f.add_argument("--methods", nargs="+", default=["cgmvae", "mlp", "br"])
    f.add_argument("--no-first-half", action="store_true", help="skip the authors' first 50%%")

    sub.add_parser(
        "benchmark", help="seconds per epoch and peak memory (see its --help)", add_help=False
    )
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] == "benchmark":
        return cmd_benchmark(argparse.Namespace(), argv[1:])
    args = parser.parse_args(argv)
    handlers = {
        "datasets": cmd_datasets,
        "baseline": cmd_baseline,
        "train": cmd_train,
        "evaluate": cmd_evaluate,
        "ablate": cmd_ablate,
        "efficiency": cmd_efficiency,
    }
    try:
        return handlers[args.command](args)
    except MiniCGMVAEError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
