"""Speed benchmark: seconds per epoch (training + validation) and peak memory.

Run ``python -m minicgmvae benchmark`` (see ``--help``). Each dataset runs in a fresh
process, so that its peak memory is its own. For each it reports

* seconds per epoch, split into training steps and validation, as the median over the
  timed epochs (the first epoch is a warm-up and is not counted), and the fastest epoch;
* peak memory: the process's maximum resident set size on the CPU, or the peak CUDA memory
  allocated on a GPU, and the page faults per epoch (see ``device.keep_freed_memory``, which
  the benchmark applies as the training commands do unless ``--default-malloc`` is given);
* the floor: FLOPs of one epoch (counted by ``torch.utils.flop_counter`` on the real
  training step and validation pass) divided by the machine's measured matmul throughput
  at the same thread count. No implementation of this model can beat it on this machine.

Benchmark on a quiet machine and keep threads <= cores: two processes with 2 threads each
on 2 cores run many times slower. ``--repeat N`` lets the datasets take turns N times, so
that a slow spell of a shared machine falls on all of them.

:func:`time_ms` times a call of a function after a warm-up call (chapter 10 uses it), and
:func:`profile_step` splits the time of one training step by groups of operators (matrix
products, the Adam update, dropout's random numbers, the rest); chapter 5 uses it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch

from ..argcheck import CommandLineError, int_at_least
from ..config import paper_settings
from ..data.registry import get_spec
from ..device import get_device, keep_freed_memory
from ..errors import DataValueError, MiniCGMVAEError

POSITIVE = int_at_least(1)


def matmul_gflops(device: torch.device, n: int = 1024, repeats: int = 20) -> float:
    """Measured float32 matmul throughput (GFLOP/s) of an n x n x n product.

    Args:
        device: where to measure.
        n: the matrices' size.
        repeats: products timed together (after three warm-up products).

    Returns:
        GFLOP/s.
    """
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    for _ in range(3):
        a @ b
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ b
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return 2 * n**3 * repeats / (time.perf_counter() - t0) / 1e9


def time_ms(f: Callable[[], Any], device: torch.device, reps: int = 3) -> float:
    """Milliseconds per call of ``f``: the mean of ``reps`` calls after one warm-up call.

    On a GPU the clock waits for the queued kernels (``torch.cuda.synchronize``) before it
    starts and before it stops, so the time is the work's, not the launch's. Chapter 10 times
    the label-dependent parts of a training step with it.

    Args:
        f: the work to time, called with no arguments.
        device: where ``f`` runs (a CUDA device is synchronised around the clock).
        reps: the timed calls, at least 1.

    Returns:
        The mean milliseconds per timed call.

    Raises:
        ValueError: ``reps`` is below 1.
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    on_gpu = device.type == "cuda"
    f()
    if on_gpu:
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    for _ in range(reps):
        f()
    if on_gpu:
        torch.cuda.synchronize(device)
    return (time.perf_counter() - t0) / reps * 1e3


def epoch_flops(model: torch.nn.Module, data: Any, batch_size: int, device: torch.device) -> float:
    """FLOPs of one epoch: every training step (forward + backward) and the validation pass.

    Args:
        model: the model, on ``device``.
        data: the dataset (its training and validation sizes count).
        batch_size: the training minibatch size.
        device: where the model lives.

    Returns:
        The floating-point operations of one epoch, as counted by PyTorch's FLOP counter.
    """
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.as_tensor(data.x_train[:batch_size], device=device)
    y = torch.as_tensor(data.y_train[:batch_size], device=device)
    n = len(data.x_train)
    full, rest = divmod(n, batch_size)

    def step_flops(b: int) -> int:
        model.train()
        with FlopCounterMode(display=False) as counter:
            model.loss(model(x[:b], y[:b]), y[:b]).total.backward()
        model.zero_grad(set_to_none=True)
        return counter.get_total_flops()

    total = full * step_flops(batch_size) + (step_flops(rest) if rest else 0)
    with FlopCounterMode(display=False) as counter:
        model.predict_logits(torch.as_tensor(data.x_val, device=device))
    return float(total + counter.get_total_flops())


# operator names (as the profiler reports them) of the groups in :func:`profile_step`
STEP_GROUPS: dict[str, tuple[str, ...]] = {
    "matrix products": ("aten::mm", "aten::addmm", "aten::bmm"),
    "Adam update": ("aten::_fused_adam_",),  # fused, as training.make_adam builds it
    "dropout's random numbers": ("aten::bernoulli_",),
}


@contextlib.contextmanager
def _silence_fd2() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null: the profiler's C++ library writes a line there
    at every start and stop, which Python's ``sys.stderr`` cannot catch."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def profile_step(
    step: Callable[[], None],
    device: torch.device,
    n_steps: int = 10,
    groups: dict[str, tuple[str, ...]] = STEP_GROUPS,
) -> dict[str, float]:
    """Milliseconds per call of ``step`` spent in each group of operators, under ``torch.profiler``.

    Times are the operators' own ("self") time: CPU time on a CPU, GPU kernel time on CUDA.
    The profiler adds a little to every operator, so the total exceeds an unprofiled step.
    Warm ``step`` up before calling this.

    Args:
        step: one training step, called ``n_steps`` times.
        device: where the step runs.
        n_steps: the calls profiled.
        groups: ``{group name: operator names}``.

    Returns:
        ``{group name: ms per step}``, plus ``"everything else"`` and ``"total"``.
    """
    from torch.profiler import ProfilerActivity, profile

    on_gpu = device.type == "cuda"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if on_gpu else [])
    with _silence_fd2(), profile(activities=activities) as prof:
        for _ in range(n_steps):
            step()
        if on_gpu:
            torch.cuda.synchronize(device)
    attr = "self_device_time_total" if on_gpu else "self_cpu_time_total"
    per_op = {e.key: getattr(e, attr) / n_steps / 1e3 for e in prof.key_averages()}
    total = sum(per_op.values())
    out = {g: sum(per_op.get(op, 0.0) for op in ops) for g, ops in groups.items()}
    out["everything else"] = total - sum(out.values())
    out["total"] = total
    return out


def _peak_memory_mib(dev: torch.device) -> tuple[float, str]:
    """The run's peak memory in MiB, and what was measured: CUDA's allocated memory on a
    GPU, the process's maximum resident set elsewhere."""
    if dev.type == "cuda":
        return torch.cuda.max_memory_allocated(dev) / 2**20, "CUDA memory allocated"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "process max RSS"


def _data_and_settings(
    dataset: str, epochs: int, embed_dim: int | None, labels: int | None
) -> tuple[Any, Any]:
    """The dataset (its ``labels`` most frequent labels, if given) and the reproduction's
    settings for it, with ``epochs`` and ``embed_dim`` (if given) replaced."""
    from ..data.datasets import load_dataset
    from ..data.subsets import most_frequent_labels

    data = load_dataset(dataset, progress=False)
    data = most_frequent_labels(data, labels) if labels else data
    overrides: dict[str, Any] = {"epochs": epochs}
    if embed_dim:
        overrides["embed_dim"] = embed_dim
    return data, paper_settings(dataset, data.n_features, data.n_labels, **overrides)


def run_one(
    dataset: str, epochs: int, device: str, embed_dim: int | None, labels: int | None = None
) -> dict[str, Any]:
    """Benchmark one dataset in this process.

    Args:
        dataset: the dataset's name.
        epochs: the timed epochs (after one warm-up epoch).
        device: where to train.
        embed_dim: the embedding size, or None for the reproduction's.
        labels: keep only this many most frequent labels, or None for all.

    Returns:
        A JSON-friendly dict: seconds per epoch (median and fastest), training and validation
        time, peak memory, page faults, FLOPs and the matmul floor.
    """
    from ..model import CGMVAE
    from ..training import fit

    dev = get_device(device)
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    data, s = _data_and_settings(dataset, epochs + 1, embed_dim, labels)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    faults: list[int] = []  # page faults so far, read at the end of each epoch

    def count_faults(epoch: int, model: torch.nn.Module) -> None:
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)

    res = fit(data, s.model, s.train, device=dev, progress=False, on_epoch_end=count_faults)
    seconds = res.history["seconds"][1:]  # epoch 1 is a warm-up
    val_seconds = res.history["val_seconds"][1:]
    peak, peak_kind = _peak_memory_mib(dev)
    flops = epoch_flops(CGMVAE(s.model).to(dev), data, s.train.batch_size, dev)
    gflops = matmul_gflops(dev)
    epoch_s = statistics.median(seconds)
    return {
        "dataset": dataset,
        "device": str(dev),
        "threads": torch.get_num_threads(),
        "n_train": len(data.x_train),
        "n_val": len(data.x_val),
        "n_labels": data.n_labels,
        "embed_dim": s.model.embed_dim,
        "batch_size": s.train.batch_size,
        "timed_epochs": len(seconds),
        "epoch_seconds": epoch_s,
        "epoch_seconds_min": min(seconds),
        "train_seconds": statistics.median(a - b for a, b in zip(seconds, val_seconds)),
        "val_seconds": statistics.median(val_seconds),
        "peak_memory_mib": peak,
        "peak_memory_kind": peak_kind,
        "rss_after_import_mib": rss_start,
        "page_faults_per_epoch": (faults[-1] - faults[0]) / max(len(faults) - 1, 1),
        "epoch_gflop": flops / 1e9,
        "matmul_gflops": gflops,
        "floor_seconds": flops / 1e9 / gflops,
        "floor_ratio": epoch_s / (flops / 1e9 / gflops),
    }


def format_rows(rows: list[dict[str, Any]]) -> str:
    """The benchmark's rows as an aligned plain-text table, one line per run.

    Args:
        rows: the dicts :func:`run_one` returns.

    Returns:
        The table, with a header line.
    """
    head = (
        f"{'dataset':<10} {'labels':>6} {'device':<6} {'thr':>3} {'s/epoch':>8} {'fastest':>8} "
        f"{'train':>7} {'val':>7} {'peak MiB':>9} {'faults/ep':>9} "
        f"{'GFLOP/ep':>9} {'GFLOP/s':>8} {'floor s':>8} {'x floor':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['dataset']:<10} {r['n_labels']:>6} {r['device']:<6} {r['threads']:>3} "
            f"{r['epoch_seconds']:>8.3f} {r.get('epoch_seconds_min', float('nan')):>8.3f} "
            f"{r['train_seconds']:>7.3f} {r['val_seconds']:>7.3f} {r['peak_memory_mib']:>9.0f} "
            f"{r.get('page_faults_per_epoch', float('nan')):>9.0f} "
            f"{r['epoch_gflop']:>9.2f} {r['matmul_gflops']:>8.1f} {r['floor_seconds']:>8.3f} "
            f"{r['floor_ratio']:>7.1f}"
        )
    return "\n".join(lines)


def summarize_runs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Repeated runs of each dataset (and label count) in one dict.

    The median over the runs of each run's median epoch, validation time, floor and floor
    ratio; the fastest epoch.

    Args:
        rows: the dicts :func:`run_one` returns, several per dataset.

    Returns:
        One dict per dataset (and label count), in the order first seen.
    """
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["dataset"], r["n_labels"]), []).append(r)
    return [
        {
            "dataset": name,
            "n_labels": n_labels,
            "runs": len(rs),
            "run_epoch_seconds": [r["epoch_seconds"] for r in rs],
            "fastest_epoch_seconds": min(r["epoch_seconds_min"] for r in rs),
            **{
                key: statistics.median(r[key] for r in rs)
                for key in ("epoch_seconds", "val_seconds", "floor_seconds", "floor_ratio")
            },
        }
        for (name, n_labels), rs in groups.items()
    ]


def format_summary(rows: list[dict[str, Any]]) -> str:
    """One line per dataset (and label count) over repeated runs of it.

    Args:
        rows: the dicts :func:`summarize_runs` returns.

    Returns:
        The table, with a header line.
    """
    return "\n".join(
        f"{g['dataset']:<10} {g['n_labels']:>6} labels: {g['epoch_seconds']:.3f} s/epoch "
        f"(runs: {', '.join(f'{t:.3f}' for t in g['run_epoch_seconds'])}); fastest epoch "
        f"{g['fastest_epoch_seconds']:.3f} s; x floor {g['floor_ratio']:.1f}"
        for g in summarize_runs(rows)
    )


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's command line (``python -m minicgmvae benchmark --help``)."""
    p = argparse.ArgumentParser(
        prog="python -m minicgmvae benchmark",
        description="Seconds per epoch and peak memory of C-GMVAE at the paper settings.",
    )
    p.add_argument("--datasets", nargs="+", default=["yeast", "scene", "delicious"])
    p.add_argument("--epochs", type=POSITIVE, default=5, help="timed epochs (after one warm-up)")
    p.add_argument(
        "--repeat", type=POSITIVE, default=1, help="run each dataset this many times, taking turns"
    )
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--threads", type=POSITIVE, default=None, help="torch threads (default: all)")
    p.add_argument("--embed-dim", type=POSITIVE, default=None, help="override the embedding size")
    p.add_argument(
        "--labels",
        nargs="+",
        type=POSITIVE,
        default=None,
        help="also time subsets of the K most frequent labels (one run per K)",
    )
    p.add_argument(
        "--default-malloc",
        action="store_true",
        help="leave the C allocator's settings alone (to measure what keep_freed_memory saves)",
    )
    p.add_argument("--out", default=None, help="write the results as JSON here")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: child process
    return p


def _check(args: argparse.Namespace) -> None:
    """Dataset names, label counts and the device, before any child process starts."""
    for name in args.datasets:
        spec = get_spec(name)
        if not spec.supported:
            raise DataValueError(
                f"Dataset {spec.name!r} cannot be benchmarked: {spec.unsupported_reason}"
            )
        too_many = [k for k in args.labels or [] if k > spec.n_labels]
        if too_many:
            raise CommandLineError(
                f"--labels {too_many[0]}: {spec.name} has only {spec.n_labels} labels."
            )
    get_device(args.device)


def _child_command(args: argparse.Namespace, name: str, k: int | None) -> list[str]:
    """The command line that benchmarks ``name`` (``k`` labels) in a fresh process."""
    cmd = [sys.executable, "-m", "minicgmvae.studies.benchmark", "--one", name]
    cmd += ["--epochs", str(args.epochs), "--device", args.device]
    for option, value in (
        ("--threads", args.threads),
        ("--embed-dim", args.embed_dim),
        ("--labels", k),
    ):
        if value:
            cmd += [option, str(value)]
    if args.default_malloc:
        cmd += ["--default-malloc"]
    return cmd


def _run_child(cmd: list[str]) -> dict[str, Any]:
    """Run one child; its row, or its error: one line for the package's own errors (status
    2), its whole stderr for anything else."""
    out = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    if out.returncode == 2:
        lines = [x for x in out.stderr.splitlines() if x.startswith("error: ")]
        raise ChildError(lines[-1].removeprefix("error: ") if lines else out.stderr.strip())
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        raise SystemExit(out.returncode)
    return json.loads(out.stdout.strip().splitlines()[-1])


class ChildError(MiniCGMVAEError):
    """A benchmark child process stopped on one of the package's errors."""


def _run_child_mode(args: argparse.Namespace) -> int:
    if not args.default_malloc:
        keep_freed_memory()  # as the training commands do (see minicgmvae.device)
    k = args.labels[0] if args.labels else None
    print(json.dumps(run_one(args.one, args.epochs, args.device, args.embed_dim, k)))
    return 0


def _report(rows: list[dict[str, Any]], args: argparse.Namespace, argv: list[str]) -> None:
    print(format_rows(rows))
    if args.repeat > 1:
        print(f"\nover {args.repeat} runs each (median of the runs' medians; fastest epoch):")
        print(format_summary(rows))
    print(
        f"\ntorch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; median of {args.epochs} epochs after a warm-up."
    )
    if args.out:
        from ..atomic import atomic_write
        from ..provenance import provenance

        record = {
            "rows": rows,
            "command": "python -m minicgmvae benchmark "
            + " ".join(a for a in argv if a != "benchmark"),
            "provenance": provenance(args.device),
        }
        atomic_write(args.out, lambda f: f.write(json.dumps(record, indent=1) + "\n"), binary=False)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the package's errors (here or in a child) are one line, status 2.

    Args:
        argv: the command-line arguments (see ``python -m minicgmvae benchmark --help``);
            ``None`` for ``sys.argv[1:]``.

    Returns:
        The exit status: 0, or 2 after one of the package's errors.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        if args.threads:
            torch.set_num_threads(args.threads)
        if args.one:
            return _run_child_mode(args)
        _check(args)
        # with --repeat, the datasets take turns, so that a slow spell of the machine is shared
        jobs = [
            (name, k)
            for _ in range(args.repeat)
            for name in args.datasets
            for k in (args.labels or [None])
        ]
        rows = []
        for name, k in jobs:
            print(
                f"benchmarking {name} {f'({k} labels) ' if k else ''}...",
                file=sys.stderr,
                flush=True,
            )
            rows.append(_run_child(_child_command(args, name, k)))
        _report(rows, args, argv)
    except MiniCGMVAEError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
