"""Sphinx extension: make a plain ``jupyter-book build book/`` fail on warnings.

Jupyter Book 1 passes ``-W``/``--keep-going`` to Sphinx's constructor only from the command
line; no ``_config.yml`` key reaches them. This extension, loaded from ``_config.yml``
(``sphinx: local_extensions``), switches on the same behaviour as ``-W --keep-going``:
every warning is reported, the build goes on to the end, and the exit status is 1 when
there was at least one warning.

It also removes the saved build environment after a build with warnings, so that the next
build re-reads every page (unchanged notebooks take their outputs from the execution cache,
book/_ext/notebook_cache.py) instead of skipping the unchanged pages that warned and
exiting 0.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

ENV_PICKLE = "environment.pickle"


def _forget_env_after_warnings(app: Sphinx, exc: Exception | None) -> None:
    if app._warncount:  # counted by Sphinx's WarningStreamHandler since startup
        Path(app.doctreedir, ENV_PICKLE).unlink(missing_ok=True)
        logger.info("strict_build: %d warning(s) are errors: exit status 1", app._warncount)


def setup(app: Sphinx) -> dict:
    # Same state as Sphinx(warningiserror=True, keep_going=True) in Sphinx 7.x: warnings
    # are counted, not raised, and Sphinx.build() sets statuscode = 1 when any occurred.
    # Jupyter Book turns a non-zero statuscode into sys.exit(statuscode).
    app.keep_going = True
    app.warningiserror = False
    # priority 900: after sphinx-mathjax-offline copies MathJax (default priority 500)
    app.connect("build-finished", _forget_env_after_warnings, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
