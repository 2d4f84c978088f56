"""What all the course checks share: the layout of ``minicgmvae.checks``, the report, the
record of results, the random state, and a check called with something that is not a
function."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import support
import torch

import minicgmvae
from minicgmvae import checks
from minicgmvae.checks import a1_reparam_kl, guard, harness, results
from minicgmvae.checks.results import _markdown

HERE = Path(__file__).resolve().parent
CHECKS_DIR = Path(checks.__file__).resolve().parent


def mixture_zero_fallback(z, y, mu, logvar):
    out = minicgmvae.mixture_log_density(z, y, mu, logvar)
    return torch.where(y.sum(1) > 0, out, torch.zeros_like(out))


def test_every_assignment_has_a_test_file_here() -> None:
    # Each file asserts that it covers its assignment's checks (support.assert_covers).
    for name in checks.ASSIGNMENTS:
        assert (HERE / f"test_{name}.py").is_file(), f"no tests/checks/test_{name}.py"


def test_the_package_serves_the_modules_objects() -> None:
    assert checks.check_kl_gaussians is a1_reparam_kl.check_kl_gaussians
    assert checks.CheckResult is results.CheckResult
    assert checks.grading is guard.grading
    assert checks.STRICT_ENV == harness.STRICT_ENV
    for name in checks.__all__:
        assert hasattr(checks, name), name


def test_the_checks_modules_and_functions_stay_short() -> None:
    long = []
    for path in sorted(CHECKS_DIR.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > 500:
            long.append(f"{path.name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno >= 60:
                long.append(f"{path.name}:{node.lineno} {node.name}")
    assert not long, "split these:\n" + "\n".join(long)


def test_checks_are_deterministic_and_leave_the_random_state_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = checks.check_mixture_log_density(mixture_zero_fallback, verbose=False)
    checks.check_reparameterize(minicgmvae.reparameterize, verbose=False)
    assert torch.equal(torch.rand(3), expected)
    second = checks.check_mixture_log_density(mixture_zero_fallback, verbose=False)
    assert first.messages == second.messages


def test_a_non_function_is_explained() -> None:
    result = checks.check_kl_gaussians(minicgmvae.kl_gaussians(torch.zeros(2), torch.zeros(2),
                                                               torch.zeros(2), torch.zeros(2)),
                                       verbose=False)
    assert not result.passed
    assert "needs your function itself" in result.messages[0]


def test_result_reports_and_registry(capsys: pytest.CaptureFixture[str]) -> None:
    checks.clear_results()
    ok = checks.check_kl_gaussians(minicgmvae.kl_gaussians)  # verbose: prints the report
    shown = capsys.readouterr().out
    assert shown.strip() == str(ok) == "✅ kl_gaussians is correct on all 5 cases."
    bad = checks.check_log_normal(lambda z, mu, lv: (z - mu).sum(-1), verbose=False)
    assert bad.headline() == "❌ log_normal: 1 problem found."
    markdown = bad._repr_markdown_()
    assert markdown.startswith("❌ **`log_normal`: 1 problem found.**\n\n- ")
    assert checks.CheckResult.from_dict(json.loads(json.dumps(bad.to_dict()))) == bad
    assert [r.check for r in checks.recorded_results()] == ["check_kl_gaussians",
                                                          "check_log_normal"]
    # a re-run replaces the earlier result
    checks.check_kl_gaussians(support.todo, verbose=False)
    assert [r.check for r in checks.recorded_results()] == ["check_log_normal",
                                                          "check_kl_gaussians"]
    checks.summary("a2_mixture_prior")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "0 of 2 checks pass."
    assert "check_mixture_log_density has not run." in out
    checks.clear_results()


def test_markdown_escapes_outside_code() -> None:
    assert _markdown("a * b_c `x * y_z` [1]") == r"a \* b\_c `x * y_z` \[1\]"
