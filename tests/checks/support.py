"""What the tests of every assignment's checks share: a function not written yet, one that
raises, and the assertions each check must pass (imported as ``support``; pytest puts this
folder on ``sys.path``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from minicgmvae import checks

#: (id, check, broken function, substrings the report must contain)
Broken = tuple[str, str, Callable[..., Any], list[str]]


def todo(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("TODO: write me")


def raises(*args: Any, **kwargs: Any) -> Any:
    raise ValueError("something went wrong\nsecond line of the message")


def assert_covers(assignment: str, references: Mapping[str, Any],
                  broken: Sequence[Broken]) -> None:
    """The tests of one assignment cover all its checks, each with a reference and broken
    examples, and the checks are public."""
    assert set(references) == set(checks.ASSIGNMENTS[assignment].checks)
    assert set(references) <= set(checks.__all__)
    assert {b[1] for b in broken} == set(references)


def assert_passes_the_reference(check: str, reference: Callable[..., Any]) -> None:
    result = getattr(checks, check)(reference, device="cpu", verbose=False)
    assert result.passed, str(result)
    assert result.messages == []
    assert len(result.cases) >= 1
    assert str(result).startswith(checks.PASS_MARK)


def assert_reports_not_implemented(check: str) -> None:
    result = getattr(checks, check)(todo, verbose=False)
    assert not result.passed and result.not_implemented
    assert result.messages == [
        f"`{result.function}` is not implemented yet: replace the line "
        "`raise NotImplementedError(...)` with your code, run its cell, then run this check "
        "again."
    ]
    assert result.headline() == f"{checks.TODO_MARK} {result.function} is not implemented yet."


def assert_reports_an_exception_in_one_line(check: str) -> None:
    result = getattr(checks, check)(raises, verbose=False)
    assert not result.passed and not result.not_implemented
    message = result.messages[0]
    assert "raised ValueError" in message and "something went wrong." in message
    assert "second line" not in message and "Traceback" not in str(result)
    assert re.search(r"at line \d+ of support\.py", message)


def assert_explains(check: str, fn: Callable[..., Any], expected: list[str]) -> None:
    """The check fails ``fn`` and its report contains every string of ``expected``."""
    result = getattr(checks, check)(fn, device="cpu", verbose=False)
    assert not result.passed and not result.not_implemented
    assert result.messages, "a failed check must say why"
    text = str(result)
    missing = [s for s in expected if s not in text]
    assert not missing, f"{missing} not in the report:\n{result}"
    assert str(result).startswith(checks.FAIL_MARK)
