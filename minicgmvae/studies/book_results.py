"""The book's stored results: JSON files under ``book/results/``, written by the commands
that produce them (``python -m minicgmvae train|ablate|efficiency|benchmark ... --out``).

A chapter reads them with :func:`load_book_result`, which looks in the checkout first (run
from the repository root or from ``book/``) and otherwise downloads the file from the
project's repository (in Colab, where there is no checkout), and :func:`describe_provenance`
prints where and how a file was made.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

#: Where the stored results are read from outside a checkout (e.g. in Colab).
RAW_URL = "https://raw.githubusercontent.com/minicgmvae/minicgmvae/main/book/results"


def results_dir() -> Path | None:
    """``results/`` when run from ``book/``, ``book/results/`` from the root, else None."""
    for candidate in (Path("results"), Path("book") / "results"):
        if candidate.is_dir():
            return candidate
    return None


def load_book_result(relpath: str) -> dict[str, Any]:
    """``book/results/<relpath>`` as a dict, from the checkout or from the repository.

    Args:
        relpath: the file below ``book/results/``, e.g. ``"yeast/metrics.json"``.

    Returns:
        The parsed JSON.

    Raises:
        OSError: not in the checkout, and the download from :data:`RAW_URL` failed.
    """
    root = results_dir()
    if root is not None and (root / relpath).is_file():
        return json.loads((root / relpath).read_text())
    with urllib.request.urlopen(f"{RAW_URL}/{relpath}", timeout=60) as f:
        return json.load(f)


def describe_provenance(record: dict[str, Any], what: str = "") -> str:
    """Two or three lines: when, from which commit, with which versions, on what device.

    Args:
        record: a record with ``"provenance"`` (:func:`~minicgmvae.provenance.provenance`).
        what: what the record is, put at the start (e.g. ``"yeast, 3 seeds"``).

    Returns:
        The lines, joined with newlines.
    """
    p = record["provenance"]
    commit = (p.get("commit") or "unknown")[:10]
    dirty = " (package modified)" if p.get("package_dirty") else ""
    lines = [
        f"{what + ': ' if what else ''}written {p['date']}, commit {commit}{dirty}",
        f"  minicgmvae {p['minicgmvae']}, torch {p['torch']}, numpy {p['numpy']}, "
        f"python {p['python']}",
        f"  device {p['device']} ({p['cpu']}, {p['cores']} cores, "
        f"{p['torch_threads']} torch threads)",
    ]
    if "wall_seconds" in record:
        lines[-1] += f"; {record['wall_seconds'] / 60:.1f} min of training"
    for earlier in record.get("earlier_provenance", []):
        lines.append(
            f"  resumed: earlier parts written up to {earlier['date']}, "
            f"commit {(earlier.get('commit') or 'unknown')[:10]}"
        )
    return "\n".join(lines)


__all__ = ["RAW_URL", "describe_provenance", "load_book_result", "results_dir"]
