"""Old public names that keep working: the deprecation mechanism of the public API.

Course assignments and readers' notebooks ``import minicgmvae`` and use its names for years;
a rename must not break them. When a public name changes, add ``"old": "new"`` to
:data:`RENAMED` (``new`` dotted from the package, e.g. ``"kl_gaussians"`` or
``"metrics.example_f1"``). ``minicgmvae.old`` then still returns the object, with a
``DeprecationWarning`` that names the replacement:

    minicgmvae.old is deprecated; use minicgmvae.new

The package's module-level ``__getattr__`` (PEP 562) calls :func:`resolve`; it runs only
for names that are not found in the usual way, so current names cost nothing. It also
imports :mod:`minicgmvae.checks` on first use: ``minicgmvae.checks.check_...`` works after a
plain ``import minicgmvae``, and ``python -m minicgmvae.checks`` runs a module that the
package has not imported already.

No public name has been renamed yet, so :data:`RENAMED` is empty.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping
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
) -> Any:
    """Serve ``package.name`` for a module-level ``__getattr__``.

    Args:
        package: the module's ``__name__``.
        name: the attribute asked for.
        renamed: old name -> new dotted name (default: :data:`RENAMED`).
        lazy: submodules imported on first use.

    Returns:
        The submodule, or the object the old name now lives at (after a DeprecationWarning).

    Raises:
        AttributeError: for any other name, as for a plain module.
    """
    table = RENAMED if renamed is None else renamed
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
    raise AttributeError(f"module {package!r} has no attribute {name!r}")
