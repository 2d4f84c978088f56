"""The studies behind the book's results: seeds, ablations, data efficiency, speed, findings.

Each public name of the stub ``__init__.pyi`` (the one list) loads from its module on first
use, as scikit-learn's subpackages re-export theirs: ``minicgmvae.studies.train_seeds`` is
``minicgmvae.studies.experiments.train_seeds``.
"""

from __future__ import annotations

from .._compat import attach_stub

__getattr__, __dir__, __all__, _ = attach_stub(__name__, __file__)
