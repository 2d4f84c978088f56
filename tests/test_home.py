"""One home, set once: the repository and the release (``minicgmvae/_home.py``) agree with
every notebook's badge and install cell, ``_config.yml``, the README and ``pyproject.toml``;
``python tools/home.py --write`` puts them right."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from minicgmvae import _home
from minicgmvae._version import __version__

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def home_tool():
    spec = importlib.util.spec_from_file_location("minicgmvae_home_tool", REPO / "tools/home.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_the_release_is_the_tag_of_the_version():
    assert _home.RELEASE == f"v{__version__}"
    assert _home.INSTALL_SPEC.endswith(f"@v{__version__}")
    assert _home.HOME == f"https://github.com/{_home.REPOSITORY}"


def test_every_file_agrees_with_the_home(home_tool):
    problems = home_tool.sync(REPO)
    assert not problems, (
        "these disagree with minicgmvae/_home.py; run `python tools/home.py --write`:\n"
        + "\n".join(problems)
    )


def test_every_notebook_is_covered(home_tool):
    names = {p.relative_to(REPO).as_posix() for p in home_tool.notebooks(REPO)}
    assert "book/10_scale.ipynb" in names and "book/assignments/a1_reparam_kl.ipynb" in names
    assert len(names) >= 16


def test_nothing_points_at_a_moving_branch():
    files = [*REPO.glob("book/**/*.ipynb"), REPO / "README.md", REPO / "_config.yml"]
    moving = re.compile(r"(git\+https://github\.com/\S+@main\b|/blob/main/book/|branch: main)")
    hits = [f"{f.relative_to(REPO)}: {m.group(0)}" for f in files
            if "_build" not in f.parts for m in moving.finditer(f.read_text(encoding="utf-8"))]
    assert not hits, hits


def test_the_writer_puts_a_stale_copy_right(home_tool, tmp_path):
    (tmp_path / "book").mkdir()
    nb_path = tmp_path / "book" / "01_multilabel.ipynb"
    shutil.copy(REPO / "book" / "01_multilabel.ipynb", nb_path)
    for name in ("_config.yml", "README.md", "pyproject.toml", "CITATION.cff"):
        shutil.copy(REPO / name, tmp_path / name)
    # Make each one stale the way the files were before: @main, another owner.
    nb_path.write_text(nb_path.read_text().replace(f"/blob/{_home.RELEASE}/", "/blob/main/"))
    nb = json.loads(nb_path.read_text())
    install = next(c for c in nb["cells"] if "RELEASE =" in "".join(c["source"]))
    install["source"] = ['SPEC = "minicgmvae @ git+https://github.com/old/minicgmvae@main"\n']
    nb_path.write_text(json.dumps(nb, indent=1) + "\n")
    config = tmp_path / "_config.yml"
    config.write_text(config.read_text().replace(f"branch: {_home.RELEASE}", "branch: main"))
    readme = tmp_path / "README.md"
    readme.write_text(readme.read_text().replace(_home.INSTALL_SPEC,
                                                 "minicgmvae @ git+https://github.com/old/minicgmvae@main"))
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(_home.HOME, "https://example.org"))

    problems = home_tool.sync(tmp_path)
    assert len(problems) == 5, problems
    home_tool.sync(tmp_path, write=True)
    assert home_tool.sync(tmp_path) == []
    text = "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    assert "@main" not in text and "github.com/old/" not in text
    # The rest of the files stays as it was.
    assert config.read_text() == (REPO / "_config.yml").read_text()
    assert pyproject.read_text() == (REPO / "pyproject.toml").read_text()
    assert json.loads(nb_path.read_text()) == json.loads(
        (REPO / "book" / "01_multilabel.ipynb").read_text())


def test_the_install_cell_skips_an_installed_release(home_tool):
    # Run the cell's code with a fake IPython: the package is importable at this version
    # (it is: this test imports it), so nothing is installed.
    calls = []

    class FakeIPython:
        def run_line_magic(self, *args):
            calls.append(args)

    namespace = {"get_ipython": FakeIPython}
    exec(home_tool.install_cell(), namespace)
    assert calls == [] and namespace["installed"] == __version__
