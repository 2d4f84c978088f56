"""minicgmvae: C-GMVAE for multi-label classification, rebuilt step by step.

The public API is what this module exports (``__all__``), listed once, by the module that
defines each name, in the stub ``__init__.pyi`` beside this file: type checkers read it, and
so does this module, which serves each name on first use (``import minicgmvae`` imports
neither PyTorch nor scikit-learn). The book's chapters and the course assignments import
from here or from the submodules named after each idea (``metrics``, ``protocols``,
``prior``, ``kl``, ``model``, ``training``, ...); ``data``, ``studies`` and ``baselines``
re-export their public names the same way.
"""

from __future__ import annotations

from ._compat import attach_stub

# ``_LAZY_NAMES``: each public name -> the submodule that defines it ("" for a submodule).
__getattr__, __dir__, __all__, _LAZY_NAMES = attach_stub(__name__, __file__)
