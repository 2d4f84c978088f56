"""Packaging conventions: licence, typing marker, citation, changelog, the two set-up
commands, and CI running exactly the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from minicgmvae import _home
from minicgmvae._version import __version__

REPO = Path(__file__).resolve().parents[1]


def test_licence_is_mit_with_spdx_metadata():
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    assert "The minicgmvae authors" in (REPO / "LICENSE").read_text()
    pyproject = (REPO / "pyproject.toml").read_text()
    assert re.search(r'^license = "MIT"$', pyproject, re.M)
    assert re.search(r'^license-files = \["LICENSE"\]$', pyproject, re.M)
    assert 'requires = ["setuptools>=77"]' in pyproject  # the first to read SPDX licences


def test_the_package_is_typed_and_carries_its_results():
    assert (REPO / "minicgmvae" / "py.typed").is_file()
    pyproject = (REPO / "pyproject.toml").read_text()
    data = pyproject.split("[tool.setuptools.package-data]\n", 1)[1].split("\n[", 1)[0]
    assert '"py.typed"' in data and '"results/**/*.json"' in data


def test_citation_names_the_paper_and_this_project():
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["version"] == __version__
    assert cff["repository-code"] == _home.HOME
    paper = cff["preferred-citation"]
    assert [a["family-names"] for a in paper["authors"]] == ["Bai", "Kong", "Gomes"]
    assert paper["year"] == 2022 and "2112.00976" in paper["url"]


def test_changelog_has_an_unreleased_section_and_this_version():
    text = (REPO / "CHANGELOG.md").read_text()
    assert "## Unreleased" in text and f"## {__version__}" in text
    assert "subpackage" in text


def test_make_runs_the_ci_scripts_and_ci_runs_the_readmes_test_command():
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^book:.*\n\tbash \.ci/book$", makefile, re.M)
    assert re.search(r"^test:.*\n\tbash \.ci/test$", makefile, re.M)
    readme = (REPO / "README.md").read_text()
    setup = readme.split("## Set-up", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    test_command = next(line.split("#")[0].strip() for line in setup.splitlines()
                        if "test" in line)
    assert test_command == "make test"
    run = [line for line in (REPO / ".ci/run").read_text().splitlines()
           if line and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert run == [test_command]
