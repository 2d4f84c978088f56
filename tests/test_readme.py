"""The README's *Layout* names every module of the package, each in its subpackage, and no
module that is not there: a module added, moved or removed fails here until the list says so.
"""

from __future__ import annotations

import re
from pathlib import Path

import minicgmvae

PACKAGE = Path(minicgmvae.__file__).resolve().parent
README = PACKAGE.parent / "README.md"

# The layer column is 13 characters wide; a subpackage is named there ("data/") or at the
# start of the next column ("cli/").
_LAYER_WIDTH = 13
_MODULE = re.compile(r"(?<![\w.])([A-Za-z_]\w*\.py)\b")
_SUBPACKAGE = re.compile(r"^([a-z_]+)/(?:\s|$)")


def layout_block(readme: str) -> list[str]:
    """The lines of the code block that lists the layers."""
    after = readme.split("The package is built in layers.", 1)[1]
    block = after.split("```", 2)[1]
    return block.strip("\n").splitlines()


def listed_modules(lines: list[str]) -> set[str]:
    """``"data/datasets.py"``, ``"metrics.py"``, ...: each module the block names, with the
    subpackage of the line (or of the line it continues)."""
    found, package = set(), ""
    for line in lines:
        layer, rest = line[:_LAYER_WIDTH].strip(), line[_LAYER_WIDTH:]
        if layer:  # a new layer: a subpackage ("data/") or top-level modules ("model")
            package = layer[:-1] if layer.endswith("/") else ""
        sub = _SUBPACKAGE.match(rest)
        if sub:
            package = sub.group(1)
        found |= {f"{package}/{m}" if package else m for m in _MODULE.findall(rest)}
    return found


def package_modules(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    }


def test_the_layout_lists_every_module_and_only_those():
    listed = listed_modules(layout_block(README.read_text(encoding="utf-8")))
    actual = package_modules(PACKAGE)
    assert not actual - listed, f"add to the README's Layout: {sorted(actual - listed)}"
    assert not listed - actual, f"the README's Layout names what is gone: {sorted(listed - actual)}"


def test_the_check_reads_subpackages_and_continued_lines():
    lines = [
        "foundation   errors.py        the exceptions",
        "             _home.py         the home",
        "data/        registry.py      the datasets (_cells.py: cells)",
        "             csvio.py         files",
        "model        config.py        settings",
        "interfaces   cli/             parser.py (options),",
        "                              common.py, train.py",
        "             checks/          harness.py",
    ]
    assert listed_modules(lines) == {
        "errors.py", "_home.py", "data/registry.py", "data/_cells.py", "data/csvio.py",
        "config.py", "cli/parser.py", "cli/common.py", "cli/train.py", "checks/harness.py",
    }
