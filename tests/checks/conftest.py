"""The course checks' tests (one file per assignment, and the harness and the grader)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def checks_run_strictly(strict_checks: None) -> None:
    """Every test here runs the checks strictly: a bug inside a check raises."""
