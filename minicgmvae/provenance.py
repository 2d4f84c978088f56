"""Where a result came from: the package version, the commit, the machine and the date.

Every record the package writes (``train``, ``baseline``, the studies, the benchmark) carries
:func:`provenance`, so that a number in the book can be traced to the code and the machine
that produced it.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent


def _git(args: list[str], cwd: Path) -> str:
    """``git args`` in ``cwd``: its stripped stdout, or "" when git fails or is missing."""
    try:
        run = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return run.stdout.strip() if run.returncode == 0 else ""


def checkout_root(package_dir: Path | None = None) -> Path | None:
    """The minicgmvae checkout that ``package_dir`` is the package of, or None.

    A checkout is a git work tree whose top level holds a ``pyproject.toml`` naming the
    project ``minicgmvae`` and whose ``minicgmvae/`` folder is ``package_dir``. A package
    installed anywhere else (a wheel in a virtual environment, a copy inside another
    repository, even a venv inside a checkout) has no commit of its own.

    Args:
        package_dir: the package's folder; ``None`` for this package's own.

    Returns:
        The checkout's top-level folder, or None (not in a git work tree, git not
        installed, or a work tree that is not this package's checkout).
    """
    package_dir = PACKAGE_DIR if package_dir is None else package_dir
    top = _git(["rev-parse", "--show-toplevel"], package_dir)
    if not top:
        return None
    root = Path(top).resolve()
    if package_dir.resolve() != root / "minicgmvae":
        return None
    pyproject = root / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    if not re.search(r'^name\s*=\s*["\']minicgmvae["\']\s*$', text, re.M):
        return None
    return root


def package_commit(package_dir: Path | None = None) -> tuple[str | None, bool | None]:
    """(commit, whether the package differs from it) of the checkout the package runs
    from; (None, None) for an installed package (see :func:`checkout_root`).

    Args:
        package_dir: the package's folder; ``None`` for this package's own.

    Returns:
        ``(commit, dirty)``: the checkout's ``HEAD`` commit and whether the files under its
        ``minicgmvae/`` differ from it (uncommitted or untracked changes); ``(None, None)``
        outside a checkout.
    """
    root = checkout_root(package_dir)
    if root is None:
        return None, None
    commit = _git(["rev-parse", "HEAD"], root) or None
    if commit is None:
        return None, None
    dirty = bool(_git(["status", "--porcelain", "--", "minicgmvae"], root))
    return commit, dirty


def provenance(device: str | None = None) -> dict[str, Any]:
    """Where a result came from: commit, package versions, device, threads, date.

    Args:
        device: the device the result was computed on, as text (``"cpu"``, ``"cuda"``), or
            None if it does not apply.

    Returns:
        A JSON-ready dict: ``commit`` and ``package_dirty`` (the package folder has
        uncommitted changes) only when the package runs from a minicgmvae checkout, else
        None, with ``package_source``; the versions of ``minicgmvae`` (which code ran, for an
        installed package), ``python``, ``torch``, ``numpy`` and ``sklearn``, ``device``,
        ``cpu``, ``cores``, ``torch_threads`` and the UTC ``date``.
    """
    import numpy as np  # imported here: the module itself stays light
    import sklearn
    import torch

    from ._version import __version__

    commit, dirty = package_commit()
    return {
        "commit": commit,
        "package_dirty": dirty,
        "package_source": "checkout" if commit else "installed",
        "minicgmvae": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "device": device,
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
