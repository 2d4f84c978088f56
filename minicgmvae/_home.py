"""The project's home and release: the one place they are written.

Everything that points at the project derives from :data:`REPOSITORY` and the package's
version (``minicgmvae/_version.py``): the *Open in Colab* badges and the install cell of every
notebook, ``_config.yml``'s repository and launch settings, the README's install commands and
``pyproject.toml``'s ``[project.urls]``. ``python tools/home.py --write`` rewrites those from
here, and ``tests/test_home.py`` fails when any of them disagrees.

The release is the git tag of the version, ``v<version>``: a notebook opened from a badge,
and the package its install cell installs, are those of one tagged release, never a moving
branch.
"""

from __future__ import annotations

from ._version import __version__

#: ``owner/name`` of the project on GitHub.
REPOSITORY = "minicgmvae/minicgmvae"

#: The project's home page.
HOME = f"https://github.com/{REPOSITORY}"

#: The git tag of this version of the package.
RELEASE = f"v{__version__}"

#: What ``pip install`` takes to install this release from its tag.
INSTALL_SPEC = f"minicgmvae @ git+{HOME}@{RELEASE}"


def colab_url(path: str) -> str:
    """The Colab page of ``path`` (relative to the repository root) at this release."""
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{RELEASE}/{path}"


def source_url(path: str = "") -> str:
    """``path`` (relative to the repository root) on GitHub at this release."""
    return f"{HOME}/tree/{RELEASE}/{path}" if path else f"{HOME}/tree/{RELEASE}"


__all__ = ["HOME", "INSTALL_SPEC", "RELEASE", "REPOSITORY", "colab_url", "source_url"]
