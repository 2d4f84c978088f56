"""Sphinx extension: execute the book's notebooks in parallel, cached on their code and on the
package's source, so that ``jupyter-book build book/`` is fast cold and warm and never stale.

With ``execute_notebooks: cache`` (``_config.yml``) myst-nb looks each notebook up in a
jupyter-cache, keyed on its code cells and their metadata, and executes it only when it is
missing, one notebook at a time. This extension adds two things:

1. **The package is part of the key.** At ``config-inited`` it sets ``nb_execution_cache_path``
   to ``<build>/.jupyter_cache/minicgmvae-<fingerprint>``, where the fingerprint
   (:func:`source_fingerprint`) hashes what the notebooks' outputs depend on besides their own
   code: the package's source (``minicgmvae/**/*.py``), the stored results they read
   (``minicgmvae/results/**``), ``pyproject.toml`` and ``constraints.txt``, the versions of
   Python and of the libraries that compute, and the number of threads per kernel. That path is
   a Sphinx config value with ``rebuild="env"``: when it changes, Sphinx re-reads every page, no
   page is in the new cache, and every page executes again. Caches of other fingerprints are
   removed. After an edit to one notebook only that page is re-read; it executes again only if
   its code cells changed (a prose edit reuses the cached outputs).

2. **Cold builds use every core.** At ``env-before-read-docs``, before myst-nb reads the pages,
   the notebooks about to be read that are not in the cache are executed ``jobs`` at a time
   (longest first), each in its own process with its kernel limited to ``threads`` threads,
   and stored in the cache. myst-nb then finds every page there. ``threads`` is
   ``$OMP_NUM_THREADS`` (default 1: the stored runs were made with one thread, and chapter 8
   compares bit for bit); ``jobs`` is ``$MINICGMVAE_BOOK_JOBS``, by default the usable cores
   divided by ``threads``, so that threads never outnumber the cores. A notebook that fails
   there runs once more, and the log says why it failed (the end of the cell's traceback, or
   the worker's exit status): a build that hits a passing hiccup (two notebooks racing for
   one resource, a kernel that did not start under load) still takes every page from the
   cache, and a person can read that it happened. A notebook that fails twice is not
   stored: myst-nb executes it again and reports the error as before (a failed build).

Each build that executes notebooks writes ``<build>/.jupyter_cache/last-run.json``: the
fingerprint, jobs, threads, and every executed notebook's wall time (``tools/book_bench.py``
prints it). Run as a script, this file executes one notebook (the worker of step 2).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime
from pathlib import Path

PACKAGE = "minicgmvae"
CACHE_PREFIX = f"{PACKAGE}-"
LAST_RUN = "last-run.json"
TIMINGS = "timings.json"  # seconds per notebook from earlier builds: longest-first ordering
JOBS_ENV = "MINICGMVAE_BOOK_JOBS"
BOOK_BUILD_ENV = "MINICGMVAE_BOOK_BUILD"  # minicgmvae.glue.BOOK_BUILD_ENV (tested equal)
# Libraries whose version can change what a notebook prints (numbers, figures, warnings).
DISTRIBUTIONS = ("torch", "numpy", "scipy", "scikit-learn", "matplotlib", "seaborn",
                 "liac-arff", "tqdm", "ipykernel", "nbclient")


# ------------------------------------------------------------------------------ the key


def package_dir(repo: Path) -> Path:
    """The ``minicgmvae`` folder that a kernel started here would import, found without
    importing it (``sys.path`` order: ``$PYTHONPATH`` first, then an editable install);
    ``<repo>/minicgmvae`` when it is not importable."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))).resolve()
    return (repo / PACKAGE).resolve()


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def source_fingerprint(repo: Path, package: Path | None = None, threads: int = 1) -> str:
    """A 16-hex-digit hash of everything besides a notebook's own code that its outputs
    depend on: the package's ``**/*.py`` files (names and contents), the files under
    ``<package>/results/`` (the stored results), ``<repo>/pyproject.toml`` and
    ``<repo>/constraints.txt``, the Python and library versions, and the kernels' thread count.

    Any other file (the notebooks, the README, the tests, data downloads, ``__pycache__``)
    leaves it unchanged; the notebooks are keyed one by one by jupyter-cache.
    """
    repo = Path(repo)
    package = Path(package) if package is not None else package_dir(repo)
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(label.encode() + b"\0" + len(data).to_bytes(8, "little") + data)

    for path in sorted(package.rglob("*.py")):
        add(f"package/{path.relative_to(package).as_posix()}", path.read_bytes())
    results = package / "results"  # the stored results the chapters load (package data)
    if results.is_dir():
        for path in sorted(p for p in results.rglob("*") if p.is_file()):
            add(f"results/{path.relative_to(results).as_posix()}", path.read_bytes())
    for name in ("pyproject.toml", "constraints.txt"):
        if (repo / name).is_file():
            add(name, (repo / name).read_bytes())
    add("python", sys.version.encode())
    for dist in DISTRIBUTIONS:
        add(f"version/{dist}", _version(dist).encode())
    add("threads", str(threads).encode())
    return digest.hexdigest()[:16]


def kernel_threads(environ: dict | None = None) -> int:
    """Threads per kernel: ``$OMP_NUM_THREADS``, else 1."""
    value = (os.environ if environ is None else environ).get("OMP_NUM_THREADS", "")
    try:
        return max(1, int(value))
    except ValueError:
        return 1


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def parallel_jobs(n_notebooks: int, threads: int, environ: dict | None = None) -> int:
    """How many notebooks execute at once: ``$MINICGMVAE_BOOK_JOBS`` if set, else the
    usable cores divided by the threads per kernel; at least 1, at most ``n_notebooks``."""
    value = (os.environ if environ is None else environ).get(JOBS_ENV, "")
    try:
        jobs = int(value)
    except ValueError:
        jobs = usable_cores() // threads
    return max(1, min(n_notebooks, jobs))


def stored_seconds(nb) -> float:
    """How long the notebook's stored outputs took to compute, from the cells' recorded
    ``execution`` timestamps (0 when they were not recorded): the ordering guess for a
    first build."""
    total = 0.0
    for cell in nb.get("cells", []):
        stamps = cell.get("metadata", {}).get("execution", {})
        start, end = stamps.get("iopub.execute_input"), stamps.get("iopub.status.idle")
        if start and end:
            try:
                total += (datetime.fromisoformat(end.replace("Z", "+00:00"))
                          - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
            except ValueError:
                pass
    return max(total, 0.0)


# ------------------------------------------------------------------------- the worker


def execute_one(source: Path, target: Path, cwd: Path | None, timeout: int | None,
                allow_errors: bool) -> dict:
    """Execute the notebook ``source`` as myst-nb's cache mode does (same function, same
    arguments) and write it, outputs included, to ``target``. Returns the seconds and the
    error (``None`` if it ran through)."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    nb = nbformat.read(source, as_version=4)
    with tempfile.TemporaryDirectory() if cwd is None else _nullcontext(str(cwd)) as folder:
        result = single_nb_execution(nb, cwd=os.path.abspath(folder), timeout=timeout,
                                     allow_errors=allow_errors, meta_override=True)
    nbformat.write(result.nb, target)
    return {"seconds": result.time,
            "error": None if result.err is None else type(result.err).__name__,
            "traceback": result.exc_string}


class _nullcontext:
    def __init__(self, value):
        self.value = value

    def __enter__(self):
        return self.value

    def __exit__(self, *exc):
        return False


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute one notebook (worker of "
                                     "book/_ext/notebook_cache.py); prints a JSON result.")
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--cwd", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--timeout", type=int, default=None)
    parser.add_argument("--allow-errors", action="store_true")
    args = parser.parse_args(argv)
    result = execute_one(args.source, args.target, args.cwd, args.timeout, args.allow_errors)
    # The result goes to a file as well as to stdout: a process that crashes while it shuts
    # its kernel down, after the notebook has run and been written, still reports it.
    staged = result_path(args.target)
    staged.with_suffix(".tmp").write_text(json.dumps(result), encoding="utf-8")
    os.replace(staged.with_suffix(".tmp"), staged)
    print(json.dumps(result))
    return 0


def result_path(target: Path) -> Path:
    """Where the worker writing ``target`` leaves its JSON result."""
    return target.with_name(target.name + ".result.json")


def read_outcome(target: Path, returncode: int, stderr: str) -> tuple[dict | None, str]:
    """What a worker reported: ``(result, "")`` when it ran the notebook through and wrote it,
    else ``(None, why)``; ``why`` names a cell error and the end of its traceback, or the
    exit status and the end of stderr."""
    try:
        result = json.loads(result_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        result = None
    if result is None:
        tail = stderr.strip()[-2000:]
        return None, f"exit status {returncode}" + (f": {tail}" if tail else "")
    if result["error"] is not None:  # the end of the traceback names the cell's error
        lines = [ln for ln in (result.get("traceback") or "").splitlines() if ln.strip()]
        return None, ": ".join([str(result["error"]), *lines[-3:]])[:1000]
    if not target.is_file():
        return None, f"exit status {returncode}, and no executed notebook was written"
    return result, ""


# ---------------------------------------------------------------------- the extension


def _cache_root(app, config) -> Path:
    configured = config.nb_execution_cache_path
    if configured:
        root = Path(configured)
        if not root.is_absolute():
            root = Path(app.confdir) / root
        return root.resolve()
    return (Path(app.outdir).parent / ".jupyter_cache").resolve()


def _key_cache_on_package(app, config) -> None:
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    threads = kernel_threads()
    # Kernels that myst-nb starts itself (a notebook that failed here) get the same threads.
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("MKL_NUM_THREADS", str(threads))
    # Every kernel of the build (here or myst-nb's own) shows glued figures only where the
    # page places them: minicgmvae.glue.BOOK_BUILD_ENV.
    os.environ[BOOK_BUILD_ENV] = "1"
    repo = Path(app.srcdir).parent
    package = package_dir(repo)
    fingerprint = source_fingerprint(repo, package, threads)
    root = _cache_root(app, config)
    current = root / f"{CACHE_PREFIX}{fingerprint}"
    if root.is_dir():
        for old in root.glob(f"{CACHE_PREFIX}*"):
            if old != current and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
                logger.info("notebook_cache: removed %s (another package source)", old.name)
    config.nb_execution_cache_path = str(current)
    app._notebook_cache = {"root": root, "path": current, "fingerprint": fingerprint,
                           "threads": threads, "package": package}
    logger.info("notebook_cache: key %s (package %s, %d thread(s) per kernel)",
                fingerprint, package, threads)


def _excluded(path: Path, patterns) -> bool:
    from pathlib import PurePosixPath

    posix = PurePosixPath(path.as_posix())
    return any(posix.match(pattern) for pattern in patterns or ())


def _execute_missing(app, env, docnames) -> None:
    """Execute the notebooks about to be read that the cache lacks, in parallel."""
    import nbformat
    from jupyter_cache import get_cache
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    state = getattr(app, "_notebook_cache", None)
    nb_config = getattr(env, "mystnb_config", None)
    if state is None or nb_config is None or nb_config.execution_mode != "cache":
        return
    cache = get_cache(nb_config.execution_cache_path)
    root: Path = state["root"]
    try:
        timings = json.loads((root / TIMINGS).read_text())
    except (OSError, ValueError):
        timings = {}

    todo = []
    for docname in docnames:
        path = Path(env.doc2path(docname))
        if path.suffix != ".ipynb" or _excluded(path, nb_config.execution_excludepatterns):
            continue
        nb = nbformat.read(path, as_version=4)
        mode = nb.metadata.get("mystnb", {}).get("execution_mode", "cache")
        if mode != "cache":
            continue
        try:
            cache.match_cache_notebook(nb)
            continue
        except KeyError:
            pass
        guess = timings.get(docname, stored_seconds(nb))
        todo.append((guess, docname, path, nb))
    todo.sort(key=lambda item: -item[0])  # longest first: the last to finish is short
    threads = state["threads"]
    jobs = parallel_jobs(len(todo), threads)
    done: dict[str, float] = {}
    started = time.monotonic()
    if todo:
        logger.info("notebook_cache: executing %d notebook(s), %d at a time, %d thread(s) each",
                    len(todo), jobs, threads)
        _run_parallel(todo, jobs, threads, nb_config, cache, root, done, logger)
    wall = time.monotonic() - started
    if todo:
        logger.info("notebook_cache: %d notebook(s) executed in %.1f s (sum %.1f s, "
                    "%d at a time)", len(done), wall, sum(done.values()), jobs)
    timings.update(done)
    record = {"fingerprint": state["fingerprint"], "jobs": jobs, "threads": threads,
              "wall_seconds": round(wall, 2), "to_execute": [item[1] for item in todo],
              "notebooks": {k: round(v, 2) for k, v in done.items()}}
    root.mkdir(parents=True, exist_ok=True)
    for name, data in ((TIMINGS, timings), (LAST_RUN, record)):
        (root / name).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def _run_parallel(todo, jobs, threads, nb_config, cache, root, done, logger) -> None:
    """Execute ``todo`` (guess, docname, path, notebook) in ``jobs`` worker processes and
    store each notebook that ran through in ``cache``; ``done`` gets their seconds."""
    import nbformat
    from jupyter_cache.base import CacheBundleIn

    kernel_env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="staging-", dir=root))

    def run(docname: str, path: Path):
        target = staging / (docname.replace("/", "__") + ".ipynb")
        cmd = [sys.executable, str(Path(__file__).resolve()), str(path), str(target)]
        if not nb_config.execution_in_temp:
            cmd += ["--cwd", str(path.parent)]
        if nb_config.execution_timeout is not None and nb_config.execution_timeout >= 0:
            cmd += ["--timeout", str(nb_config.execution_timeout)]
        if nb_config.execution_allow_errors:
            cmd.append("--allow-errors")
        result, why = None, ""
        for attempt in (1, 2):
            for stale in (target, result_path(target)):  # nothing left from a first attempt
                stale.unlink(missing_ok=True)
            proc = subprocess.run(cmd, env=kernel_env, capture_output=True, text=True)
            result, why = read_outcome(target, proc.returncode, proc.stderr)
            if result is not None or attempt == 2:
                break
            logger.info("notebook_cache: %s failed (%s); executing it once more", docname, why)
        return target, result, why

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(run, docname, path): (docname, path)
                       for _, docname, path, _ in todo}
            for future in as_completed(futures):
                docname, path = futures[future]
                target, result, why = future.result()
                if result is None:
                    logger.info("notebook_cache: %s failed (%s); myst-nb executes it "
                                "again and reports the error", docname, why)
                    continue
                executed = nbformat.read(target, as_version=4)
                cache.cache_notebook_bundle(
                    CacheBundleIn(executed, str(path),
                                  data={"execution_seconds": result["seconds"]}),
                    check_validity=False, overwrite=True)
                done[docname] = result["seconds"]
                logger.info("notebook_cache: [%d/%d] %s executed in %.1f s",
                            len(done), len(todo), docname, result["seconds"])
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def setup(app):
    # After myst-nb's own handlers (default priority 500): the config is read, and the
    # environment's myst-nb config exists by env-before-read-docs.
    app.connect("config-inited", _key_cache_on_package, priority=900)
    app.connect("env-before-read-docs", _execute_missing, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    sys.exit(_main())
