"""The book's stored results: JSON files under ``minicgmvae/results/``, written by the
commands that produce them (``python -m minicgmvae train|ablate|efficiency|benchmark ...
--out``), and shipped inside the package.

A chapter reads them with :func:`load_book_result`, which reads them from the installed
package (a checkout, a wheel, Colab: the same files, with no network), and
:func:`describe_provenance` prints where and how a file was made.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._home import RELEASE, REPOSITORY
from ..errors import ResultNotFoundError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

#: The same files online, at this release (for reading them in a browser).
RAW_URL = f"https://raw.githubusercontent.com/{REPOSITORY}/{RELEASE}/minicgmvae/results"


def results_root() -> Traversable:
    """The folder of stored results inside the installed package."""
    return resources.files("minicgmvae") / "results"


def results_dir() -> Path | None:
    """:func:`results_root` as a filesystem path (None if the package is not on disk)."""
    root = results_root()
    return root if isinstance(root, Path) and root.is_dir() else None


def list_book_results() -> list[str]:
    """Every stored result, as the ``relpath`` that :func:`load_book_result` takes."""
    found: list[str] = []

    def walk(node: Traversable, prefix: str) -> None:
        for child in node.iterdir():
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif child.name.endswith(".json"):
                found.append(prefix + child.name)

    root = results_root()
    if root.is_dir():
        walk(root, "")
    return sorted(found)


def load_book_result(relpath: str) -> dict[str, Any]:
    """``minicgmvae/results/<relpath>`` (e.g. ``"yeast/metrics.json"``) as a dict.

    Args:
        relpath: the file's path under ``minicgmvae/results/``, with ``/`` separators.

    Raises:
        ResultNotFoundError: the package holds no such file; the message lists those it has.
    """
    node = results_root()
    for part in relpath.strip("/").split("/"):
        node = node / part
    if not node.is_file():
        have = list_book_results()
        raise ResultNotFoundError(
            f"no stored result {relpath!r} in the installed minicgmvae "
            f"(looked in {results_root()}); it has {len(have)}: {', '.join(have) or 'none'}"
        )
    return json.loads(node.read_text(encoding="utf-8"))


def describe_provenance(record: dict[str, Any], what: str = "") -> str:
    """Two or three lines: when, from which commit, with which versions, on what device.

    Args:
        record: a record with ``"provenance"`` (:func:`~minicgmvae.provenance.provenance`).
        what: what the record is, put at the start (e.g. ``"yeast, 3 seeds"``).

    Returns:
        The lines, joined with newlines.
    """
    p = record["provenance"]
    if p.get("commit"):
        source = f"commit {p['commit'][:10]}"
    elif p.get("package_source") == "installed":
        source = f"installed minicgmvae {p['minicgmvae']}, no commit"
    else:
        source = "commit unknown"
    dirty = " (package modified)" if p.get("package_dirty") else ""
    lines = [
        f"{what + ': ' if what else ''}written {p['date']}, {source}{dirty}",
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


__all__ = [
    "RAW_URL",
    "describe_provenance",
    "list_book_results",
    "load_book_result",
    "results_dir",
    "results_root",
]
