"""Print the package's size figures: the longest modules and functions, and the wide ones.

    python tools/code_stats.py [--limit 60] [--params 9] [ROOT]

A measurement for reviews of the layout (README, *Layout*), not a test. Lines are counted
from ``def`` to the last line of the body, docstrings and comments included; parameters are
positional and keyword ones (``self``, ``*args`` and ``**kwargs`` are not counted apart).
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _n_params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    a = fn.args
    return len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=REPO / "minicgmvae")
    parser.add_argument("--limit", type=int, default=60, help="function length to report over")
    parser.add_argument("--params", type=int, default=9, help="parameter count to report from")
    args = parser.parse_args()

    modules: list[tuple[int, str]] = []
    functions: list[tuple[int, int, str]] = []  # (lines, parameters, module:name)
    for path in sorted(args.root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        where = path.relative_to(args.root).as_posix()
        modules.append((len(source.splitlines()), where))
        for fn in _functions(ast.parse(source)):
            assert fn.end_lineno is not None
            functions.append((fn.end_lineno - fn.lineno + 1, _n_params(fn), f"{where}:{fn.name}"))

    modules.sort(reverse=True)
    functions.sort(reverse=True)
    print(f"{len(modules)} modules, {sum(n for n, _ in modules)} lines, "
          f"{len(functions)} functions")
    print("longest modules:  " + ", ".join(f"{m} {n}" for n, m in modules[:5]))
    print("longest functions: " + ", ".join(f"{f} {n}" for n, _, f in functions[:5]))
    long = [(n, f) for n, _, f in functions if n > args.limit]
    print(f"functions over {args.limit} lines: {len(long)}"
          + "".join(f"\n  {f} {n}" for n, f in long))
    wide = sorted(((p, f) for _, p, f in functions if p >= args.params), reverse=True)
    print(f"functions with {args.params} or more parameters: {len(wide)}"
          + "".join(f"\n  {f} {p}" for p, f in wide))


if __name__ == "__main__":
    main()
