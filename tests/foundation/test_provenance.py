"""Provenance records a git commit only when the package runs from a minicgmvae checkout;
installed anywhere else (a wheel, a copy inside another repository) it records no commit,
and the installed version says which code ran."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import minicgmvae
from minicgmvae import provenance as prov
from minicgmvae._version import __version__
from minicgmvae.studies.book_results import describe_provenance

PACKAGE = Path(minicgmvae.__file__).resolve().parent
GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="git is not installed")


def git_repo(root: Path, project: str) -> str:
    """A git repository at ``root`` with a pyproject naming ``project``; returns HEAD."""
    (root / "minicgmvae").mkdir(parents=True, exist_ok=True)
    (root / "minicgmvae" / "__init__.py").touch()
    (root / "pyproject.toml").write_text(f'[project]\nname = "{project}"\nversion = "1"\n')
    git = [GIT, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=root, check=True)
    return subprocess.run([GIT, "rev-parse", "HEAD"], cwd=root, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_a_checkout_records_its_commit(tmp_path):
    head = git_repo(tmp_path, "minicgmvae")
    assert prov.checkout_root(tmp_path / "minicgmvae") == tmp_path.resolve()
    assert prov.package_commit(tmp_path / "minicgmvae") == (head, False)
    (tmp_path / "minicgmvae" / "model.py").write_text("x = 1\n")
    assert prov.package_commit(tmp_path / "minicgmvae") == (head, True)


def test_a_package_inside_another_repository_records_no_commit(tmp_path):
    git_repo(tmp_path, "someone-elses-project")
    assert prov.checkout_root(tmp_path / "minicgmvae") is None
    assert prov.package_commit(tmp_path / "minicgmvae") == (None, None)


def test_a_package_elsewhere_in_a_checkout_records_no_commit(tmp_path):
    # e.g. a wheel installed into a virtual environment inside a checkout
    git_repo(tmp_path, "minicgmvae")
    site = tmp_path / ".venv" / "lib" / "site-packages" / "minicgmvae"
    site.mkdir(parents=True)
    assert prov.package_commit(site) == (None, None)
    assert prov.package_commit(tmp_path / "outside") == (None, None)  # no such folder


def test_a_copy_of_the_package_in_another_repository_end_to_end(tmp_path):
    other = tmp_path / "other"
    git_repo(other, "someone-elses-project")
    shutil.rmtree(other / "minicgmvae")
    shutil.copytree(PACKAGE, other / "minicgmvae",
                    ignore=shutil.ignore_patterns("__pycache__", "results"))
    code = ("import json, minicgmvae, minicgmvae.provenance as p; "
            "print(json.dumps([minicgmvae.__file__, p.provenance('cpu')]))")
    env = {**os.environ, "PYTHONPATH": str(other)}
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    where, record = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(where).resolve().is_relative_to(other.resolve())
    assert record["commit"] is None and record["package_dirty"] is None
    assert record["package_source"] == "installed" and record["minicgmvae"] == __version__
    assert "no commit" in describe_provenance({"provenance": record})


def test_this_checkout_records_its_commit():
    root = prov.checkout_root()
    if root is None:
        pytest.skip("the package under test is not a checkout (an installed wheel)")
    commit, dirty = prov.package_commit()
    assert commit and len(commit) == 40 and dirty in (True, False)
