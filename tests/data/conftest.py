"""Fixtures of the data tests: the local mirror of the real datasets."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def mirror(shared_mirror: Path | None) -> Path:
    if shared_mirror is None:
        pytest.skip("no local mirror of the datasets (set MINICGMVAE_TEST_MIRROR)")
    return shared_mirror
