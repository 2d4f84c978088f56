"""Time the book's build: cold, warm after touching one chapter, and after editing its code.

    bash .ci/book-bench                  # the same, with .ci/setup and .ci/env first
    .venv/bin/python tools/book_bench.py [--chapter book/09_data_efficiency.ipynb] [--warm-only]

A benchmark, not a test: it rebuilds the book in this checkout with exactly
``jupyter-book build book/`` (the README's book command, without the set-up), and prints

1. the **cold build**: ``_build/html``, ``_build/.doctrees`` and the execution cache
   ``_build/.jupyter_cache`` removed first, so every notebook executes (skipped with
   ``--warm-only``);
2. the **warm rebuild** after touching one chapter (its file's time changes, not its content):
   Sphinx re-reads that page and takes its outputs from the cache;
3. the rebuild after **editing one code cell** of that chapter (a comment line appended): only
   that notebook executes again; the edit is then undone, and the rebuild after it (outputs
   of the original code, still in the cache) is timed as well;
4. each notebook's execution time in the cold build (from
   ``_build/.jupyter_cache/last-run.json``, written by ``book/_ext/notebook_cache.py``).

The load of the machine (``os.getloadavg``) is printed before and after: on a shared machine,
other work makes the times longer.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "_build"
CACHE_ROOT = BUILD / ".jupyter_cache"


def jupyter_book() -> str:
    beside = Path(sys.executable).with_name("jupyter-book")
    return str(beside) if beside.exists() else (shutil.which("jupyter-book") or "jupyter-book")


CPU: dict[str, float] = {}  # CPU seconds of each build, kernels included


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(label: str) -> float:
    """Run `jupyter-book build book/` from the repository root; return its wall time.

    Its CPU time (this process's waited-for descendants: the build, the workers and their
    kernels) goes to ``CPU[label]``: unlike the wall time, it hardly grows with other load.
    """
    cpu = children_cpu()
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", env["OMP_NUM_THREADS"])
    started = time.monotonic()
    proc = subprocess.run([jupyter_book(), "build", "book/"], cwd=REPO, env=env,
                          capture_output=True, text=True)
    seconds = time.monotonic() - started
    CPU[label] = children_cpu() - cpu
    BUILD.mkdir(exist_ok=True)
    log = BUILD / f"bench-{label}.log"
    log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-4000:]
        sys.exit(f"book_bench: the {label} build failed (exit {proc.returncode}, log {log}):\n"
                 f"{tail}")
    return seconds


def last_run() -> dict:
    try:
        return json.loads((CACHE_ROOT / "last-run.json").read_text())
    except (OSError, ValueError):
        return {}


def executed(record: dict) -> str:
    names = sorted(record.get("notebooks", {}))
    return ", ".join(names) if names else "none"


def load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def edit_code(path: Path) -> bytes:
    """Append a comment line to the notebook's last code cell; return the original bytes.
    The comment is new each time, so that the cache cannot hold the edited code already."""
    original = path.read_bytes()
    comment = f"# book_bench: an edit ({time.time_ns()})"
    nb = json.loads(original)
    cell = [c for c in nb["cells"] if c["cell_type"] == "code"][-1]
    source = cell["source"]
    if isinstance(source, str):
        cell["source"] = source + "\n" + comment
    else:
        if source:
            source[-1] = source[-1] if source[-1].endswith("\n") else source[-1] + "\n"
        source.append(comment)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return original


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapter", type=Path, default=Path("book/09_data_efficiency.ipynb"),
                        help="the notebook touched and edited (default: %(default)s)")
    parser.add_argument("--warm-only", action="store_true",
                        help="keep _build as it is (no cold build)")
    args = parser.parse_args(argv)
    chapter = (REPO / args.chapter).resolve()
    if not chapter.is_file():
        parser.error(f"no notebook {chapter}")
    rel = chapter.relative_to(REPO)
    print(f"book_bench: {os.cpu_count()} CPUs, OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset (1 is used)')}, {load()}", flush=True)

    rows = []
    cold_record = {}
    if not args.warm_only:
        for sub in ("html", ".doctrees", ".jupyter_cache", "jupyter_execute"):
            shutil.rmtree(BUILD / sub, ignore_errors=True)
        seconds = build("cold")
        cold_record = last_run()
        rows.append(("cold build (empty _build)", seconds, executed(cold_record), "cold"))
        print(f"  cold build: {seconds:.1f} s", flush=True)
    else:
        seconds = build("warm-up")
        rows.append(("build with _build as it was", seconds, executed(last_run()), "warm-up"))

    os.utime(chapter)
    seconds = build("touched")
    rows.append((f"after touching {rel}", seconds, executed(last_run()), "touched"))

    original = edit_code(chapter)
    try:
        seconds = build("edited")
        rows.append((f"after editing a code cell of {rel}", seconds, executed(last_run()),
                     "edited"))
    finally:
        chapter.write_bytes(original)
    seconds = build("restored")
    rows.append(("after undoing that edit", seconds, executed(last_run()), "restored"))

    print(f"\n{'build':60s} {'wall s':>7s} {'CPU s':>7s}   notebooks executed")
    for label, seconds, names, key in rows:
        print(f"{label:60s} {seconds:7.1f} {CPU[key]:7.1f}   {names}")

    if cold_record.get("notebooks"):
        times = cold_record["notebooks"]
        print(f"\ncold build: {len(times)} notebooks executed {cold_record['jobs']} at a time, "
              f"{cold_record['threads']} thread(s) each: {cold_record['wall_seconds']:.1f} s "
              f"of wall time for {sum(times.values()):.1f} s of notebook time")
        print(f"\n{'notebook':40s} {'s':>7s}")
        for name, seconds in sorted(times.items(), key=lambda item: -item[1]):
            print(f"{name:40s} {seconds:7.1f}")
        print(f"{'sum':40s} {sum(times.values()):7.1f}")
    print(f"\nbook_bench: done, {load()}; logs in {BUILD}/bench-*.log")
    return 0


if __name__ == "__main__":
    sys.exit(main())
