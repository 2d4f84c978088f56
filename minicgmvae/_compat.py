"""Old public names that keep working: the deprecation mechanism of the public API.

Course assignments and readers' notebooks ``import minicgmvae`` and use its names for years;
a rename must not break them. When a public name changes, add ``"old": "new"`` to
:data:`RENAMED` (``new`` dotted from the package, e.g. ``"kl_gaussians"`` or
``"metrics.example_f1"``). ``minicgmvae.old`` then still returns the object, with a
``DeprecationWarning`` that names the replacement:

    minicgmvae.old is deprecated; use minicgmvae.new

The package's module-level ``__getattr__`` (PEP 562) calls :func:`resolve`; it runs only
for names that are not found in the usual way, so current names cost nothing once loaded.
It also serves the package's public names on first use (``import minicgmvae`` imports
neither PyTorch nor scikit-learn; ``minicgmvae.fit`` imports what ``fit`` needs), and
imports :mod:`minicgmvae.checks` on first use: ``minicgmvae.checks.check_...`` works after a
plain ``import minicgmvae``.

No public name has been renamed yet, so :data:`RENAMED` is empty. Modules that moved into
subpackages before the first release keep no old path: nothing released ever used one.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

#: Old public name of ``minicgmvae`` -> its replacement, dotted from the package.
RENAMED: dict[str, str] = {}

#: Submodules that ``minicgmvae.<name>`` imports on first use.
LAZY_SUBMODULES: tuple[str, ...] = ("checks",)


def _lookup(package: str, dotted: str) -> Any:
    """The object at ``package.dotted``, importing submodules on the way."""
    obj: Any = importlib.import_module(package)
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(f"{package}.{'.'.join(parts[: i + 1])}")
    return obj


def resolve(
    package: str,
    name: str,
    renamed: Mapping[str, str] | None = None,
    lazy: tuple[str, ...] = LAZY_SUBMODULES,
    lazy_names: Mapping[str, str] | None = None,
) -> Any:
    """Serve ``package.name`` for a module-level ``__getattr__``.

    In this order: a public name that loads on first use (``lazy_names``: name -> the
    submodule that defines it, dotted from the package; the object is then set on the
    package, so the next access costs nothing), a lazy submodule, a renamed name, any other
    submodule of the package (``minicgmvae.metrics`` after a plain ``import minicgmvae``).

    Args:
        package: the module's ``__name__``.
        name: the attribute asked for.
        renamed: old name -> new dotted name (default: :data:`RENAMED`).
        lazy: submodules imported on first use.
        lazy_names: public names imported from their submodule on first use.

    Returns:
        The object, the submodule, or the object the old name now lives at (after a
        DeprecationWarning).

    Raises:
        AttributeError: for any other name, as for a plain module.
    """
    table = RENAMED if renamed is None else renamed
    if lazy_names and name in lazy_names:
        home = lazy_names[name]  # "" for a submodule listed as ``from . import name``
        module = importlib.import_module(f"{package}.{home or name}")
        value = getattr(module, name) if home else module
        setattr(sys.modules[package], name, value)
        return value
    if name in lazy:
        return importlib.import_module(f"{package}.{name}")
    if name in table:
        new = table[name]
        warnings.warn(
            f"{package}.{name} is deprecated; use {package}.{new}",
            DeprecationWarning,
            stacklevel=3,  # the caller of the module's __getattr__
        )
        return _lookup(package, new)
    if _is_submodule(package, name):
        return importlib.import_module(f"{package}.{name}")
    raise AttributeError(f"module {package!r} has no attribute {name!r}")


def _is_submodule(package: str, name: str) -> bool:
    """Whether ``package.name`` is a submodule that has not been imported yet."""
    if not name.isidentifier() or name.startswith("__"):
        return False
    try:
        return importlib.util.find_spec(f"{package}.{name}") is not None
    except (ImportError, ValueError):
        return False


def read_stub(init_file: str) -> dict[str, str]:
    """The public names of a package, from the stub beside its ``__init__.py``.

    Args:
        init_file: the package's ``__init__.py`` (its ``__file__``); the stub is
            ``__init__.pyi`` in the same folder.

    Returns:
        Each name of the stub's relative imports (``from .metrics import macro_f1 as
        macro_f1``) -> the submodule that defines it, dotted from the package (``""`` for
        ``from . import checks as checks``), in the stub's order.
    """
    stub = Path(init_file).with_suffix(".pyi")
    names: dict[str, str] = {}
    for node in ast.parse(stub.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            for alias in node.names:
                names[alias.asname or alias.name] = node.module or ""
    return names


def attach_stub(
    package: str, init_file: str
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str], dict[str, str]]:
    """A package's ``__getattr__``, ``__dir__`` and ``__all__``, from its stub: every name
    of the stub loads on first use (:func:`resolve`), and the names are ``__all__``.

    Args:
        package: the package's ``__name__``.
        init_file: its ``__init__.py`` (its ``__file__``).

    Returns:
        ``(__getattr__, __dir__, __all__, names)``, ``names`` being :func:`read_stub`'s map.
    """
    names = read_stub(init_file)
    renamed = RENAMED if "." not in package else {}  # old names belong to the top level

    def __getattr__(name: str) -> Any:
        return resolve(package, name, renamed=renamed, lazy=(), lazy_names=names)

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__, list(names), names
