"""The own-data path end to end: each dataset from a pandas-written CSV, through the estimator.

For each dataset, MULAN's train and test files are written as pandas writes a DataFrame
(``df.to_csv(path)``: the index as a first, unnamed column; labels as 0/1 integers, or as
True/False with ``--bool-labels``), read back with :func:`minicgmvae.data.csvio.read_csv_dataset`
(timed: the CSV path's cost), and ``CGMVAEClassifier`` is fitted on the train file with
the named settings (``minicgmvae.estimator.SETTINGS``). The scores are honest: the
threshold is the one the estimator chose on its validation split, applied to the test
file. It prints one row per dataset and settings, and with ``--out`` writes them as JSON.

    python tools/csv_bench.py                                   # four datasets, new-data
    python tools/csv_bench.py --datasets yeast scene emotions --settings new-data paper
    python tools/csv_bench.py --datasets delicious --epochs 20

Timings depend on the machine and its load; state the thread count (``--threads``). On a
shared machine the process's CPU seconds (``fit cpu``; with one thread, about the wall time
of an idle machine) say more than the wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def write_pandas_csv(path: Path, x: np.ndarray, y: np.ndarray, features: list[str],
                     labels: list[str], bool_labels: bool) -> float:
    """Write ``x`` and ``y`` as ``df.to_csv(path)`` does (index included); the seconds."""
    import pandas as pd

    values = y.astype(bool if bool_labels else int)
    frame = pd.concat([pd.DataFrame(x, columns=features), pd.DataFrame(values, columns=labels)],
                      axis=1)
    t = time.perf_counter()
    frame.to_csv(path)
    return time.perf_counter() - t


def honest_scores(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Example-, micro- and macro-F1 and Hamming accuracy of 0/1 predictions."""
    import minicgmvae as mc

    return {m: float(getattr(mc, m)(y, pred))
            for m in ("example_f1", "micro_f1", "macro_f1", "hamming_accuracy")}


def run_one(name: str, settings: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Write, read and train on one dataset; the record of the run."""
    import warnings

    import minicgmvae as mc
    from minicgmvae.data.csvio import read_csv_dataset
    from minicgmvae.estimator import SETTINGS, LabelCoverageWarning

    d = mc.load_dataset(name, standardize=False, val_fraction=0.0, progress=False)
    paths = {part: tmp / f"{name}-{part}.csv" for part in ("train", "test")}
    for part, (x, y) in {"train": (d.x_train, d.y_train), "test": (d.x_test, d.y_test)}.items():
        write_pandas_csv(paths[part], x, y, d.feature_names, d.label_names, args.bool_labels)
    t, c = time.perf_counter(), time.process_time()
    train = read_csv_dataset(paths["train"], label_columns=d.label_names)
    test = read_csv_dataset(paths["test"], label_columns=d.label_names)
    read_s, read_cpu = time.perf_counter() - t, time.process_time() - c
    assert train.index_column and train.features.shape == d.x_train.shape
    params = {**SETTINGS[settings], "random_state": args.seed, "device": "cpu"}
    if args.epochs:
        params["epochs"] = args.epochs
    if args.patience:
        params["patience"] = args.patience
    est = mc.CGMVAEClassifier(**params)
    t, c = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelCoverageWarning)  # delicious: rare labels
        est.fit(train.features, train.labels)
    fit_s, fit_cpu = time.perf_counter() - t, time.process_time() - c
    size = est.save(tmp / "predictor.pt").stat().st_size
    return {
        "dataset": name, "settings": settings, "rows": [len(train.features), len(test.features)],
        "csv_mb": round(sum(p.stat().st_size for p in paths.values()) / 2**20, 1),
        "read_s": round(read_s, 2), "fit_s": round(fit_s, 1),
        "read_cpu_s": round(read_cpu, 2), "fit_cpu_s": round(fit_cpu, 1),
        "epochs_run": len(est.history_["epoch"]), "best_epoch": est.best_epoch_,
        "threshold": est.threshold_, "predictor_mb": round(size / 2**20, 1),
        "honest_test": honest_scores(test.labels, est.predict(test.features)),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="+", default=["yeast", "scene", "emotions", "delicious"])
    p.add_argument("--settings", nargs="+", default=["new-data"], choices=["new-data", "paper"])
    p.add_argument("--epochs", type=int, default=None, help="default: the settings' (200)")
    p.add_argument("--patience", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--bool-labels", action="store_true", help="labels as True/False")
    p.add_argument("--out", type=Path, default=None, help="JSON file of the rows")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    rows = []
    print(f"{'dataset':<10} {'settings':<9} {'read s':>7} {'fit s':>7} {'fit cpu':>7} "
          f"{'epochs':>6} {'t':>4} {'MB':>5}  ex-F1  mi-F1  ma-F1  Hamming")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.datasets:
            for settings in args.settings:
                r = run_one(name, settings, args, Path(tmp))
                rows.append(r)
                s = r["honest_test"]
                print(f"{name:<10} {settings:<9} {r['read_s']:>7.2f} {r['fit_s']:>7.1f} "
                      f"{r['fit_cpu_s']:>7.1f} "
                      f"{r['epochs_run']:>6} {r['threshold']:>4.1f} {r['predictor_mb']:>5.1f}  "
                      f"{s['example_f1']:.3f}  {s['micro_f1']:.3f}  {s['macro_f1']:.3f}  "
                      f"{s['hamming_accuracy']:.3f}", flush=True)
    if args.out:
        args.out.write_text(json.dumps({"argv": sys.argv[1:], "threads": args.threads,
                                        "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
