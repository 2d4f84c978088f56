"""The book runs from an installed wheel alone: Colab without the GPU.

One test (``slow``), in steps:

1. ``python -m build`` makes the sdist and the wheel (the wheel from the sdist), and
   ``twine check`` checks both; the wheel must hold the book's stored results and
   ``py.typed``.
2. The wheel goes into a fresh virtual environment, with the exact pins of
   ``constraints.txt`` (from the pip cache or the registry), plus a kernel and nbclient. The
   environment is kept in ``_build/standalone-venv`` (or ``$MINICGMVAE_STANDALONE_VENV``)
   and reused while ``constraints.txt`` and the dependencies are unchanged; the wheel is
   reinstalled every time.
3. The chosen notebooks are copied, alone, into an empty folder. The dataset mirror
   (``$MINICGMVAE_DATA_MIRROR`` if it is a folder, else ``../shared/data`` beside the checkout)
   is served by an HTTP server on 127.0.0.1, and ``MINICGMVAE_DATA_MIRROR`` points at it.
   Every other address is unreachable (a dead proxy), so an install cell that tried to reach
   GitHub, or a loader that downloaded results, would fail.
4. nbclient runs each notebook there with the fresh environment's kernel, one thread, and a
   last cell that fails unless ``minicgmvae`` was imported from the fresh environment.

``MINICGMVAE_STANDALONE_NOTEBOOKS`` chooses the notebooks (comma-separated paths under
``book/``, or ``all``); the default is :data:`DEFAULT_NOTEBOOKS`. Timings go to the test's
output and ``<tmp>/standalone.json``. Measured on 2 shared CPU cores: build 9 s, first
install of the environment 175 s (a reinstall of the wheel alone: seconds), notebooks 291 s
(index 6, ch. 1 34, ch. 6 171, ch. 9 25, ch. 10 43, assignment 1 10). With ``all`` on a quiet
machine: install 64 s, all 18 notebooks 344 s (the longest: ch. 5 67 s, ch. 8 52 s, ch. 6 51 s).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: Chapters that load stored results (6, 9, 10), the first chapter and the preface, and an
#: assignment.
DEFAULT_NOTEBOOKS = (
    "index.ipynb",
    "01_multilabel.ipynb",
    "06_evaluation.ipynb",
    "09_data_efficiency.ipynb",
    "10_scale.ipynb",
    "assignments/a1_reparam_kl.ipynb",
)

RUNNER = r'''
"""Run notebooks with nbclient in this environment; write standalone.json."""
import json, sys, time, traceback
import nbformat
from nbclient import NotebookClient

venv = sys.argv[1]
CHECK = f"""
import sys
from pathlib import Path
import minicgmvae
where = Path(minicgmvae.__file__).resolve()
assert Path(sys.prefix).resolve() == Path({venv!r}).resolve(), sys.prefix
assert where.is_relative_to(Path(sys.prefix).resolve()), where
print("standalone: minicgmvae", minicgmvae.__version__, "from", where)
"""
results = {}
for name in sys.argv[2:]:
    nb = nbformat.read(name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CHECK))
    start = time.perf_counter()
    error = None
    try:
        NotebookClient(nb, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": "."}}).execute()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[-4000:]
    seconds = time.perf_counter() - start
    nbformat.write(nb, "executed-" + name.replace("/", "-"))
    results[name] = {"seconds": round(seconds, 1), "error": error}
    print(f"{name}: {seconds:.0f} s{'  FAILED' if error else ''}", flush=True)
json.dump(results, open("standalone.json", "w"), indent=1)
'''


def mirror_folder() -> Path | None:
    env = os.environ.get("MINICGMVAE_DATA_MIRROR", "").strip()
    for candidate in ([Path(env)] if env and "://" not in env else []) + [
        REPO.parent / "shared" / "data"
    ]:
        if (candidate / "yeast" / "yeast.xml").is_file():
            return candidate
    return None


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    command = " ".join(map(str, cmd))
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def chosen_notebooks() -> list[str]:
    env = os.environ.get("MINICGMVAE_STANDALONE_NOTEBOOKS", "").strip()
    if env == "all":
        skip = {"_build", ".ipynb_checkpoints"}
        return sorted(p.relative_to(REPO / "book").as_posix()
                      for p in (REPO / "book").rglob("*.ipynb") if not skip & set(p.parts))
    return [n.strip() for n in env.split(",") if n.strip()] if env else list(DEFAULT_NOTEBOOKS)


@pytest.fixture
def mirror_url():
    folder = mirror_folder()
    if folder is None:
        pytest.skip("no local dataset mirror (../shared/data or MINICGMVAE_DATA_MIRROR)")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep the test's output readable
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fresh_venv(wheel: Path, env: dict[str, str]) -> Path:
    """A virtual environment with the wheel and its pinned dependencies (reused when the
    pins are unchanged)."""
    venv = Path(os.environ.get("MINICGMVAE_STANDALONE_VENV", REPO / "_build" / "standalone-venv"))
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        requires = [line for line in z.read(meta).decode().splitlines()
                    if line.startswith("Requires-Dist:") and "extra ==" not in line]
    key = hashlib.sha256(
        ((REPO / "constraints.txt").read_text() + "\n".join(requires) + sys.version).encode()
    ).hexdigest()[:16]
    stamp = venv / f".standalone-{key}"
    python = venv / "bin" / "python"
    constraints = str(REPO / "constraints.txt")
    if not stamp.exists():
        shutil.rmtree(venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", str(venv)])
        run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "-c", constraints, str(wheel), "ipykernel", "nbclient", "nbformat"],
            env=env, timeout=1800)
        stamp.touch()
    run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "--no-deps", "--force-reinstall", str(wheel)], env=env, timeout=600)
    return venv


@pytest.mark.slow
def test_the_book_runs_from_the_installed_wheel_alone(tmp_path, mirror_url):
    start = time.perf_counter()
    base_env = {k: v for k, v in os.environ.items()
                if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}

    # 1. sdist and wheel, checked.
    dist = tmp_path / "dist"
    egg_info = REPO / "minicgmvae.egg-info"
    had_egg_info = egg_info.exists()
    run([sys.executable, "-m", "build", "--outdir", str(dist), str(REPO)],
        env={**base_env, "PIP_CONSTRAINT": str(REPO / "constraints.txt")}, timeout=900)
    if not had_egg_info:  # left in the checkout by the sdist step
        shutil.rmtree(egg_info, ignore_errors=True)
    [wheel] = dist.glob("minicgmvae-*.whl")
    [sdist] = dist.glob("minicgmvae-*.tar.gz")
    run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)])
    with zipfile.ZipFile(wheel) as z:
        files = set(z.namelist())
    assert "minicgmvae/py.typed" in files
    assert "minicgmvae/results/yeast/metrics.json" in files
    assert any(n.endswith("/licenses/LICENSE") for n in files)
    built = time.perf_counter()

    # 2. A fresh environment with the wheel.
    venv = fresh_venv(wheel, base_env)
    installed = time.perf_counter()

    # 3. The notebooks alone, in an empty folder.
    work = tmp_path / "work"
    work.mkdir()
    names = chosen_notebooks()
    copies = []
    for name in names:
        copy = name.replace("/", "-")
        shutil.copy(REPO / "book" / name, work / copy)
        copies.append(copy)
    (work / "runner.py").write_text(RUNNER)
    env = {
        **base_env,
        "PATH": f"{venv / 'bin'}{os.pathsep}{base_env.get('PATH', '')}",
        "MINICGMVAE_DATA_MIRROR": mirror_url,
        "MINICGMVAE_DATA_DIR": str(tmp_path / "data-cache"),
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        # Nothing but the loopback mirror is reachable: a dead proxy for everything else.
        "http_proxy": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "no_proxy": "127.0.0.1,localhost",
        "NO_PROXY": "127.0.0.1,localhost",
        "PIP_NO_INDEX": "1",
        "MPLBACKEND": "agg",
    }
    # 4. Run them with the fresh environment's kernel.
    done = subprocess.run([str(venv / "bin" / "python"), "runner.py", str(venv), *copies],
                          cwd=work, env=env, capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((work / "standalone.json").read_text())
    report = (f"standalone: build {built - start:.0f} s, install {installed - built:.0f} s, "
              f"notebooks {time.perf_counter() - installed:.0f} s; wheel "
              f"{wheel.stat().st_size / 1e3:.0f} kB, {len(files)} files\n"
              + "\n".join(f"  {n}: {r['seconds']:.0f} s" for n, r in results.items()))
    print(report)
    failed = {n: r["error"] for n, r in results.items() if r["error"]}
    assert not failed, report + "\n" + "\n\n".join(f"{n}:\n{e}" for n, e in failed.items())
