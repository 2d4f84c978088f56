"""Where a result came from: the package version, the commit, the machine and the date.

Every record the package writes (``train``, ``baseline``, the studies, the benchmark) carries
:func:`provenance`, so that a number in the book can be traced to the code and the machine
that produced it.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
from pathlib import Path
from typing import Any


def provenance(device: str | None = None) -> dict[str, Any]:
    """Where a result came from: commit, package versions, device, threads, date.

    Args:
        device: the device the result was computed on, as text (``"cpu"``, ``"cuda"``), or
            None if it does not apply.

    Returns:
        A JSON-ready dict: ``commit`` (None outside a git checkout), ``package_dirty`` (the
        package folder has uncommitted changes), the versions of ``minicgmvae``, ``python``,
        ``torch``, ``numpy`` and ``sklearn``, ``device``, ``cpu``, ``cores``,
        ``torch_threads`` and the UTC ``date``.
    """
    import numpy as np  # imported here: the module itself stays light
    import sklearn
    import torch

    from ._version import __version__

    try:
        here = Path(__file__).resolve().parent
        commit = (
            subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
            ).stdout.strip()
            or None
        )
        dirty = (
            bool(
                subprocess.run(
                    ["git", "status", "--porcelain", "--", "minicgmvae"],
                    cwd=here.parent,
                    capture_output=True,
                    text=True,
                    timeout=5,
                ).stdout.strip()
            )
            if commit
            else None
        )
    except (OSError, subprocess.SubprocessError):
        commit, dirty = None, None
    return {
        "commit": commit,
        "package_dirty": dirty,
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
