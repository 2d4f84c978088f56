"""The datasets: the registry, downloads, ARFF and CSV reading, values, subsets.

Each public name of the stub ``__init__.pyi`` (the one list) loads from its module on first
use, as scikit-learn's subpackages re-export theirs: ``minicgmvae.data.MultiLabelData`` is
``minicgmvae.data.datasets.MultiLabelData``.
"""

from __future__ import annotations

from .._compat import attach_stub

__getattr__, __dir__, __all__, _ = attach_stub(__name__, __file__)
