"""Print the package's size figures: the longest modules and functions, and the wide ones.

    python tools/code_stats.py [--limit 60] [--params 9] [ROOT]

A measurement for reviews of the layout (README, *Layout*); ``tests/test_architecture.py``
uses :func:`measure` to hold the limits. Lines are counted from ``def`` to the last line of
the body, docstrings and comments included. Parameters are the named ones, ``self``
included; ``*args`` and ``**kwargs`` are not counted.
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]


class Function(NamedTuple):
    lines: int
    params: int
    where: str  # "module/path.py:name"


def measure(root: Path) -> tuple[list[tuple[int, str]], list[Function]]:
    """Lines of every module under ``root`` as ``(lines, path)``, and every function's size."""
    modules: list[tuple[int, str]] = []
    functions: list[Function] = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        where = path.relative_to(root).as_posix()
        modules.append((len(source.splitlines()), where))
        for fn in ast.walk(ast.parse(source)):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = fn.args
                assert fn.end_lineno is not None
                functions.append(Function(fn.end_lineno - fn.lineno + 1,
                                          len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs),
                                          f"{where}:{fn.name}"))
    return modules, functions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=REPO / "minicgmvae")
    parser.add_argument("--limit", type=int, default=60, help="function length to report over")
    parser.add_argument("--params", type=int, default=9, help="parameter count to report from")
    args = parser.parse_args()

    modules, functions = measure(args.root)
    modules.sort(reverse=True)
    functions.sort(reverse=True)
    print(f"{len(modules)} modules, {sum(n for n, _ in modules)} lines, "
          f"{len(functions)} functions")
    print("longest modules:  " + ", ".join(f"{m} {n}" for n, m in modules[:5]))
    print("longest functions: " + ", ".join(f"{f.where} {f.lines}" for f in functions[:5]))
    long = [f for f in functions if f.lines > args.limit]
    print(f"functions over {args.limit} lines: {len(long)}"
          + "".join(f"\n  {f.where} {f.lines}" for f in long))
    wide = sorted((f for f in functions if f.params >= args.params), key=lambda f: -f.params)
    print(f"functions with {args.params} or more parameters: {len(wide)}"
          + "".join(f"\n  {f.where} {f.params}" for f in wide))


if __name__ == "__main__":
    main()
