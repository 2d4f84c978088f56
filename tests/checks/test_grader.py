"""The grader, ``python -m minicgmvae.checks NOTEBOOK...`` (:mod:`minicgmvae.checks.grader`)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import minicgmvae
from minicgmvae import checks
from minicgmvae.checks import grader


def tiny_notebook(path: Path, body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import minicgmvae\nfrom minicgmvae import checks"),
        nbformat.v4.new_code_cell(body),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def test_the_collector_cell_hands_the_recorded_results_to_the_grader() -> None:
    checks.clear_results()
    ok = checks.check_kl_gaussians(minicgmvae.kl_gaussians, verbose=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(grader._COLLECT_SOURCE, {})
    cell = {"outputs": [{"output_type": "stream", "text": "noise\n" + out.getvalue()}]}
    assert grader._collected_results(cell) == [ok]
    checks.clear_results()


@pytest.mark.slow
def test_grader_cli(tmp_path: Path, kernel_env: None) -> None:
    good = tiny_notebook(tmp_path / "good.ipynb",
                         "checks.check_kl_gaussians(minicgmvae.kl_gaussians)")
    bad = tiny_notebook(tmp_path / "bad.ipynb",
                        "checks.check_log_normal(lambda z, mu, lv: z.sum(-1))\n1 / 0")
    proc = subprocess.run([sys.executable, "-m", "minicgmvae.checks", str(good)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 of 1 checks pass" in proc.stdout
    assert "deprecated: grade with nbgrader" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "minicgmvae.checks", "--json", str(bad)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (grade,) = json.loads(proc.stdout)
    assert grade["assignment"] is None and grade["n_checks"] == 1
    assert "Wrong value" in grade["results"][0]["messages"][0]
    assert grade["errors"] == ["cell 1: ZeroDivisionError: division by zero"]
