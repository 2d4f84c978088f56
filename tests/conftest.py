"""Shared fixtures: where the real datasets come from in tests, and a cache that never
touches the user's ``data/`` folder or ``~/.cache``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _find_mirror() -> Path | None:
    """A local folder laid out as ``<mirror>/<dataset>/<file>``, if there is one.

    ``MINICGMVAE_TEST_MIRROR`` wins; else the project's verified copy ``<repo>/../shared/data``;
    else ``None`` (tests then fetch from the public origin, which needs the network).
    """
    env = os.environ.get("MINICGMVAE_TEST_MIRROR", "").strip()
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for c in candidates:
        if (c / "yeast" / "yeast.xml").is_file():
            return c
    return None


@pytest.fixture(scope="session")
def shared_mirror() -> Path | None:
    """The local mirror folder of the real datasets (or ``None``)."""
    return _find_mirror()


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the whole session, so each real dataset is parsed once."""
    return tmp_path_factory.mktemp("minicgmvae-data")


@pytest.fixture
def data_env(monkeypatch: pytest.MonkeyPatch, shared_mirror: Path | None,
             session_data_dir: Path) -> Path:
    """Point ``MINICGMVAE_DATA_MIRROR`` at the local mirror and ``MINICGMVAE_DATA_DIR`` at the
    session cache; returns the cache folder."""
    if shared_mirror is not None:
        monkeypatch.setenv("MINICGMVAE_DATA_MIRROR", str(shared_mirror))
    monkeypatch.setenv("MINICGMVAE_DATA_DIR", str(session_data_dir))
    return session_data_dir


@pytest.fixture
def fresh_data_env(monkeypatch: pytest.MonkeyPatch, shared_mirror: Path | None,
                   tmp_path: Path) -> Path:
    """Like ``data_env`` but with an empty cache of this test's own; returns the cache."""
    cache = tmp_path / "cache"
    if shared_mirror is not None:
        monkeypatch.setenv("MINICGMVAE_DATA_MIRROR", str(shared_mirror))
    monkeypatch.setenv("MINICGMVAE_DATA_DIR", str(cache))
    return cache


@pytest.fixture
def kernel_env(data_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Notebook kernels inherit the data mirror, the cache and one thread."""
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    monkeypatch.setenv("MKL_NUM_THREADS", os.environ.get("MKL_NUM_THREADS", "1"))


@pytest.fixture
def strict_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug inside a course check raises here instead of becoming a message."""
    from minicgmvae.checks import STRICT_ENV

    monkeypatch.setenv(STRICT_ENV, "1")
