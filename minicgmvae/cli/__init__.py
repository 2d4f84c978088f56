"""The command line: ``python -m minicgmvae <command>`` (or ``minicgmvae <command>``).

Commands: ``datasets``, ``baseline``, ``train``, ``predict``, ``evaluate``, ``ablate``,
``efficiency``, ``benchmark``. Each prints a plain-text table; ``baseline``, ``train``,
``ablate`` and ``efficiency`` also write JSON to ``--out``, and ``train --out`` writes the
checkpoints and ``predictor.pt``, the model that ``predict`` applies to a CSV file.

Every value is checked before any work starts: numbers against their ranges while the
arguments are parsed (:mod:`minicgmvae.argcheck`), then ``--set`` keys against the
configurations, file names, dataset names against the registry and a checkpoint's sizes
against the dataset's, without downloading anything. Errors raised on purpose by the
package (bad names, missing or malformed files, a GPU that isn't there) are printed as one
clear line and exit with status 2, without a traceback.

The package has one module per kind of work: ``common`` (the helpers every command shares
and the ``--set`` settings), ``parser`` (every option and its range), ``train`` (``train``
and ``predict``) and ``commands`` (the others). None imports torch or scikit-learn at its
top, so that ``--help`` and ``--version`` answer at once; each command imports what it needs.
"""

from __future__ import annotations

import sys

from ..errors import MiniCGMVAEError
from .commands import (
    cmd_ablate,
    cmd_baseline,
    cmd_benchmark,
    cmd_datasets,
    cmd_efficiency,
    cmd_evaluate,
)
from .common import parse_settings, summary_table
from .parser import build_parser
from .train import cmd_predict, cmd_train

__all__ = ["HANDLERS", "build_parser", "main", "parse_settings", "summary_table"]

#: The function that runs each command (``benchmark`` parses its own arguments).
HANDLERS = {
    "datasets": cmd_datasets,
    "baseline": cmd_baseline,
    "train": cmd_train,
    "predict": cmd_predict,
    "evaluate": cmd_evaluate,
    "ablate": cmd_ablate,
    "efficiency": cmd_efficiency,
}


def main(argv: list[str] | None = None) -> int:
    """Run one command; the package's errors are one line on stderr and exit status 2.

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 2 for a bad value or input.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "benchmark":
            return cmd_benchmark(argv[1:])
        args = build_parser().parse_args(argv)
        return HANDLERS[args.command](args)
    except MiniCGMVAEError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path that cannot be read or written: one line, no traceback
        print(f"error: {exc.strerror or exc}: {exc.filename}", file=sys.stderr)
        return 2
