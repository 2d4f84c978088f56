"""Helpers shared by more than one test file, each defined once.

* :mod:`helpers.model`: the small model settings and the toy data the model, training,
  evaluation and studies tests train on.
* :mod:`helpers.datasets`: a learnable toy :class:`~minicgmvae.data.datasets.MultiLabelData`
  and a writer of small MULAN-style ARFF files.
* :mod:`helpers.baselines`: the synthetic set and the settings the baselines are fitted with.

Tests import them as ``from helpers.model import small_config``: ``tests/`` has no
``__init__.py``, so pytest (its default ``prepend`` import mode) puts ``tests/`` on
``sys.path`` when it loads ``tests/conftest.py``, before any test module. Fixtures live in the
``conftest.py`` of the folder that uses them (``tests/conftest.py`` for the whole suite).
"""
