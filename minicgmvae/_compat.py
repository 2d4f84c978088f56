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

No public name has been renamed yet, so :data:`RENAMED` is empty.

Moved modules work the same way. When a module moves into a subpackage, add
``"old": "new"`` to :data:`MOVED` (both dotted from the package, e.g.
``"datasets": "data.datasets"``). ``import minicgmvae.old`` and ``minicgmvae.old`` then give
the *same module object* as ``minicgmvae.new`` (so that ``monkeypatch.setattr`` on either
path acts on the one module), after one ``DeprecationWarning`` per process that names the
new path; ``python -m minicgmvae.old`` runs the new module's code.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings
from collections.abc import Mapping
from typing import Any

#: Old public name of ``minicgmvae`` -> its replacement, dotted from the package.
RENAMED: dict[str, str] = {}

#: Old module path of ``minicgmvae`` -> where the module lives now, dotted from the package.
MOVED: dict[str, str] = {
    "registry": "data.registry",
    "download": "data.download",
    "arffio": "data.arffio",
    "datasets": "data.datasets",
    "subsets": "data.subsets",
    "experiments": "studies.experiments",
    "ablations": "studies.ablations",
    "data_efficiency": "studies.data_efficiency",
    "benchmark": "studies.benchmark",
    "paper_table": "studies.paper_table",
    "book_results": "studies.book_results",
}

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
    package, so the next access costs nothing), a lazy submodule, a moved module's old path,
    a renamed name, any other submodule of the package (``minicgmvae.metrics`` after a plain
    ``import minicgmvae``).

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
        value = getattr(importlib.import_module(f"{package}.{lazy_names[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value
    if name in lazy:
        return importlib.import_module(f"{package}.{name}")
    if name in MOVED:  # ``package.old`` before any ``import package.old``
        return _moved_module(package, name)
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


def _moved_module(package: str, name: str) -> Any:
    """The module at ``package.name``'s new path, after one DeprecationWarning; the old path
    is then registered, so that later imports of it find the module and do not warn."""
    new = f"{package}.{MOVED[name]}"
    warnings.warn(
        f"{package}.{name} has moved; import {new} instead", DeprecationWarning, stacklevel=4
    )
    module = importlib.import_module(new)
    sys.modules[f"{package}.{name}"] = module
    setattr(sys.modules[package], name, module)
    return module


def _is_submodule(package: str, name: str) -> bool:
    """Whether ``package.name`` is a submodule that has not been imported yet."""
    if not name.isidentifier() or name.startswith("__"):
        return False
    try:
        return importlib.util.find_spec(f"{package}.{name}") is not None
    except (ImportError, ValueError):
        return False


class _MovedSpec(importlib.machinery.ModuleSpec):
    """The spec of an old path. Its ``parent`` is the new module's package, so that the
    module's relative imports resolve when ``python -m <old path>`` runs its code."""

    @property
    def parent(self) -> str:
        return self.loader.new.rpartition(".")[0]  # type: ignore[union-attr]


class _MovedModuleLoader(importlib.abc.Loader):
    """Loads an old module path as the module that now lives at ``new``."""

    def __init__(self, new: str) -> None:
        self.new = new
        self._own_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        # The real module, not a copy. importlib will set its __spec__ to the old path's;
        # exec_module puts its own back.
        module = importlib.import_module(self.new)
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run (the module ran under its new path); restore its own spec."""
        if self._own_spec is not None:
            module.__spec__ = self._own_spec

    def get_code(self, fullname: str) -> types.CodeType | None:
        """The new module's code, for ``python -m <old path>`` (runpy asks for it)."""
        spec = importlib.util.find_spec(self.new)
        loader = spec.loader if spec is not None else None
        return loader.get_code(self.new) if loader is not None else None  # type: ignore[attr-defined]


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Finds the old paths of moved modules (``package.old`` in ``moved``)."""

    def __init__(self, package: str, moved: Mapping[str, str]) -> None:
        self.package = package
        self.moved = dict(moved)

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        prefix, _, name = fullname.rpartition(".")
        if prefix != self.package or name not in self.moved:
            return None
        new = f"{self.package}.{self.moved[name]}"
        warnings.warn(
            f"{fullname} has moved; import {new} instead",
            DeprecationWarning,
            stacklevel=2,  # importlib's own frames are skipped: this names the import line
        )
        return _MovedSpec(fullname, _MovedModuleLoader(new))


def install_moved_finder(package: str, moved: Mapping[str, str] = MOVED) -> None:
    """Serve the old paths of ``package``'s moved modules (once per process)."""
    if not any(
        isinstance(f, MovedModuleFinder) and f.package == package for f in sys.meta_path
    ):
        sys.meta_path.append(MovedModuleFinder(package, moved))
