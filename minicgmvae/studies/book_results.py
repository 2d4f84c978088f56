"""The book's stored results: JSON files under ``minicgmvae/results/``, written by the
commands that produce them (``python -m minicgmvae train|ablate|efficiency|benchmark ...
--out``), and shipped inside the package.

A chapter reads them with :func:`load_book_result`, which reads them from the installed
package (a checkout, a wheel, Colab: the same files, with no network), and
:func:`describe_provenance` prints where and how a file was made, and
:func:`result_summary` gives the same in brief, with the compute it took, for a table of
every stored result (the appendix *Where the numbers come from*).
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


def _seed_text(seeds: list[int]) -> str:
    """``seed 2``, ``seeds 1-3`` (a run of consecutive seeds) or ``seeds 1, 4, 7``."""
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    if list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"seeds {seeds[0]}-{seeds[-1]}"
    return "seeds " + ", ".join(map(str, seeds))


def _seconds_and_runs(node: Any) -> tuple[float, int]:
    """The ``seconds`` of every entry of every ``runs`` list under ``node``, summed, and the
    number of those entries."""
    seconds, runs = 0.0, 0
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "runs" and isinstance(value, list):
                runs += len(value)
                seconds += sum(r.get("seconds", 0.0) for r in value if isinstance(r, dict))
            else:
                s, n = _seconds_and_runs(value)
                seconds, runs = seconds + s, runs + n
    elif isinstance(node, list):
        for value in node:
            s, n = _seconds_and_runs(value)
            seconds, runs = seconds + s, runs + n
    return seconds, runs


def _what(record: dict[str, Any]) -> str:
    """What a record holds, in a few words: its kind, dataset, seeds and epochs."""
    if "rows" in record:  # a benchmark: timed epochs, no trained model kept
        rows = record["rows"]
        names = list(dict.fromkeys(r["dataset"] for r in rows))
        labels = sorted({r["n_labels"] for r in rows})
        parts = [
            "benchmark",
            " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names),
        ]
        if len(names) == 1 and len(labels) > 1:
            parts.append(f"{labels[0]} to {labels[-1]} labels")
        epochs = rows[0]["timed_epochs"]
        parts.append(f"{epochs} timed epoch{'s' * (epochs != 1)}")
        return ", ".join(parts)
    if "method" in record:  # one baseline fitted once
        return f"baseline {record['method']}, {record['dataset']}, seed {record['seed']}"
    if "variants" in record:
        kind, count = "ablation study", f"{len(record['variants'])} variants"
    elif "cells" in record:
        kind, count = "data-efficiency study", f"{len(record['cells'])} cells"
    elif "configs" in record:
        kind, count = "latent-space study", f"{len(record['configs'])} configurations"
    else:
        kind, count = "C-GMVAE", ""
    seeds = record.get("seeds") or record.get("train_config", {}).get("seed")
    epochs = record.get("epochs") or record.get("train_config", {}).get("epochs")
    parts = [
        kind,
        record.get("dataset", ""),
        count,
        _seed_text(list(seeds)) if seeds else "",
        f"{epochs} epochs" if epochs else "",
    ]
    return ", ".join(p for p in parts if p)


def result_summary(relpath: str, record: dict[str, Any] | None = None) -> dict[str, Any]:
    """One stored result in brief, for a table of them all: what it is, how it was made,
    what it cost.

    Args:
        relpath: the file's path under ``minicgmvae/results/`` (as for
            :func:`load_book_result`).
        record: the file's contents, if loaded already; ``None`` loads it.

    Returns:
        ``{"file", "what", "command", "date", "commit", "dirty", "device", "cpu",
        "threads", "seconds", "runs", "later"}``: ``what`` names the kind of record, the
        dataset, seeds and epochs where the record has them; ``command`` is the command line
        stored with it (``None`` where none is); ``date`` and ``commit`` are the provenance's
        (``commit`` ``None`` for an installed package); ``seconds`` is the training time of
        its runs, summed (a baseline's fit-and-evaluate time), ``None`` where the record
        holds none (a benchmark's timings are its result, not a cost); ``runs`` counts the
        trained models behind it; ``later`` lists in words the steps that changed the file
        after it was first written (resumed, merged, re-scored).
    """
    if record is None:
        record = load_book_result(relpath)
    p = record["provenance"]
    seconds, runs = _seconds_and_runs(record)
    if "wall_time_s" in record:  # a baseline: one fit, timed as a whole
        seconds, runs = seconds + record["wall_time_s"], runs + 1
    later = []
    for earlier in record.get("earlier_provenance", []):
        later.append(
            f"resumed; an earlier part was written {earlier['date'][:10]}, "
            f"commit {(earlier.get('commit') or 'unknown')[:7]}"
        )
    for other in record.get("merged_provenance", []):
        later.append(f"merged with a part written {other['date'][:10]}")
    for step in record.get("rescored", []):
        added = ", ".join(step.get("added", [])) or "nothing"
        later.append(f"re-scored {step['provenance']['date'][:10]}, added {added}")
    return {
        "file": relpath,
        "what": _what(record),
        "command": p.get("command") or record.get("command"),
        "date": p["date"],
        "commit": p.get("commit"),
        "dirty": bool(p.get("package_dirty")),
        "device": p["device"],
        "cpu": p.get("cpu"),
        "threads": p.get("torch_threads"),
        "seconds": seconds if runs and seconds > 0 else None,
        "runs": runs,
        "later": later,
    }


__all__ = [
    "RAW_URL",
    "describe_provenance",
    "list_book_results",
    "load_book_result",
    "result_summary",
    "results_dir",
    "results_root",
]
