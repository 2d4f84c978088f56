"""Write the project's home and release (``minicgmvae/_home.py``) into every file that names
them, or check that they agree.

    python tools/home.py            # check: list what disagrees, exit 1 if anything does
    python tools/home.py --write    # rewrite it from minicgmvae/_home.py

What it owns: each notebook's *Open in Colab* badge (its first markdown cell) and install
cell (the code cell that installs the package), ``_config.yml``'s ``repository:`` keys, the
README's install commands and GitHub links, ``pyproject.toml``'s ``[project.urls]`` and
``CITATION.cff``'s version and links.
Nothing else in those files is touched. ``tests/test_home.py`` runs the check.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # the checkout's package, not an installed one
    sys.path.insert(0, str(REPO))

from minicgmvae import _home  # noqa: E402
from minicgmvae._version import __version__  # noqa: E402

BADGE_IMG = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_RE = re.compile(
    r"\[!\[Open In Colab\]\(" + re.escape(BADGE_IMG) + r"\)\]\([^)\s]*\)"
)
SPEC_RE = re.compile(r"minicgmvae @ git\+https://github\.com/[\w.-]+/[\w.-]+?@[\w.-]*\w")
GITHUB_RE = re.compile(r"https://github\.com/[\w.-]+/minicgmvae\b(?!\.)")
INSTALL_MARKERS = ("%pip", '"pip"', "SPEC =")


def notebooks(repo: Path = REPO) -> list[Path]:
    """The book's notebooks (``book/**/*.ipynb``) and the course's source notebooks
    (``course/source/*/*.ipynb``), without build copies or checkpoints."""
    skip = {"_build", ".ipynb_checkpoints", ".jupyter_cache"}
    found = [*(repo / "book").rglob("*.ipynb"), *(repo / "course" / "source").glob("*/*.ipynb")]
    return sorted(p for p in found if not skip & set(p.relative_to(repo).parts))


def opened_as(relpath: str) -> str:
    """The path a notebook's badge opens: a course source notebook (it holds the solutions)
    opens as its student release in the book, ``book/assignments/<name>.ipynb``."""
    parts = relpath.split("/")
    if parts[:2] == ["course", "source"]:
        return f"book/assignments/{parts[-1]}"
    return relpath


def badge(path: str) -> str:
    """The *Open in Colab* badge of the notebook at ``path`` (from the repository root)."""
    return f"[![Open In Colab]({BADGE_IMG})]({_home.colab_url(path)})"


def install_cell() -> str:
    """The source of every notebook's install cell."""
    return (
        "# Install this book's release of minicgmvae where it is missing (in Colab, for\n"
        "# instance). Where that version is importable already (a checkout, CI), do nothing.\n"
        f'RELEASE = "{__version__}"\n'
        "try:\n"
        "    import minicgmvae\n"
        "\n"
        "    installed = minicgmvae.__version__\n"
        "except ImportError:\n"
        "    installed = None\n"
        "if installed != RELEASE:\n"
        f'    SPEC = "{_home.INSTALL_SPEC}"\n'
        "    get_ipython().run_line_magic(\"pip\", f'install -q \"{SPEC}\"')\n"
        "    if installed is not None:\n"
        '        print(f"minicgmvae {installed} was imported: restart the kernel to use {RELEASE}")'
    )


def course_install_cell() -> str:
    """The install cell of the course's assignments: the same, except that it never
    installs while nbgrader grades (the grading machine's installation is the one used)."""
    return install_cell().replace(
        "# instance). Where that version is importable already (a checkout, CI), do nothing.\n",
        "# instance). Where that version is importable already (a checkout, CI), do nothing;\n"
        "# under nbgrader never: grading uses the grading machine's installation as it is.\n"
        "import os\n\n",
    ).replace(
        "if installed != RELEASE:\n",
        'if installed != RELEASE and "NBGRADER_EXECUTION" in os.environ:\n'
        '    print(f"minicgmvae {RELEASE} is not installed here (found {installed}): "\n'
        '          "install it on the grading machine")\n'
        "elif installed != RELEASE:\n",
    )


def _expected_install_cell(relpath: str) -> str:
    return course_install_cell() if relpath.startswith("book/assignments/") else install_cell()


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _set_source(cell: dict, text: str) -> None:
    lines = text.splitlines(keepends=True)
    cell["source"] = lines


def fix_notebook(nb: dict, relpath: str) -> list[str]:
    """Rewrite ``nb``'s badge and install cell in place; return what was wrong."""
    problems = []
    cells = nb.get("cells", [])
    first_md = next((c for c in cells if c.get("cell_type") == "markdown"), None)
    if first_md is None or not BADGE_RE.search(_source(first_md)):
        problems.append(f"{relpath}: no Open in Colab badge in the first markdown cell")
    else:
        src = _source(first_md)
        new = BADGE_RE.sub(lambda m: badge(relpath), src, count=1)
        if new != src:
            problems.append(f"{relpath}: the Colab badge does not point at {_home.RELEASE}")
            _set_source(first_md, new)
    install = [
        c for c in cells
        if c.get("cell_type") == "code" and any(m in _source(c) for m in INSTALL_MARKERS)
    ]
    if len(install) != 1:
        problems.append(f"{relpath}: {len(install)} install cells, expected 1")
    elif _source(install[0]) != _expected_install_cell(relpath):
        problems.append(f"{relpath}: the install cell differs from tools/home.py's")
        _set_source(install[0], _expected_install_cell(relpath))
        install[0]["outputs"] = []
    return problems


def _replace_keys(text: str, block: str, values: dict[str, str]) -> str:
    """Set ``values`` (two-space indented keys) inside the top-level YAML ``block:``."""
    out, current = [], None
    for line in text.splitlines(keepends=True):
        if line and not line[0].isspace() and not line.startswith("#"):
            current = line.split(":", 1)[0]
        m = re.match(r"^  (\w+):", line)
        if current == block and m and m.group(1) in values:
            comment = re.search(r"\s+#.*$", line.rstrip("\n"))
            line = f"  {m.group(1)}: {values[m.group(1)]}{comment.group(0) if comment else ''}\n"
        out.append(line)
    return "".join(out)


def fix_config(text: str) -> str:
    """``_config.yml`` with the repository's URL and the release's tag."""
    return _replace_keys(text, "repository", {"url": _home.HOME, "branch": _home.RELEASE})


def fix_readme(text: str) -> str:
    """The README with this release's install spec and this home's GitHub links."""
    text = SPEC_RE.sub(_home.INSTALL_SPEC, text)
    return GITHUB_RE.sub(_home.HOME, text)


def project_urls() -> dict[str, str]:
    """``pyproject.toml``'s ``[project.urls]``."""
    return {
        "Homepage": _home.HOME,
        "Source": _home.HOME,
        "Issues": f"{_home.HOME}/issues",
        "Changelog": f"{_home.HOME}/blob/main/CHANGELOG.md",
    }


def fix_pyproject(text: str) -> str:
    """``pyproject.toml`` with its ``[project.urls]`` table from :func:`project_urls`."""
    table = "[project.urls]\n" + "".join(f'{k} = "{v}"\n' for k, v in project_urls().items())
    pattern = re.compile(r"^\[project\.urls\]\n(?:[^\[\n].*\n|\n)*?(?=\n*^\[|\Z)", re.M)
    if pattern.search(text):
        return pattern.sub(table, text, count=1)
    return text.replace("\n[project.optional-dependencies]", f"\n{table}\n"
                        "[project.optional-dependencies]", 1)


def fix_citation(text: str) -> str:
    """``CITATION.cff`` with this version and home (its top-level keys only)."""
    values = {"version": __version__, "repository-code": _home.HOME, "url": _home.HOME}
    for key, value in values.items():
        text = re.sub(rf"^{re.escape(key)}: .*$", f"{key}: {value}", text, flags=re.M)
    return text


def _text_files() -> list[tuple[str, Callable[[str], str]]]:
    return [("_config.yml", fix_config), ("README.md", fix_readme),
            ("pyproject.toml", fix_pyproject), ("CITATION.cff", fix_citation)]


def sync(repo: Path = REPO, write: bool = False) -> list[str]:
    """What disagrees with ``minicgmvae/_home.py``; with ``write``, fix it on disk too."""
    problems = []
    for path in notebooks(repo):
        rel = path.relative_to(repo).as_posix()
        nb = json.loads(path.read_text(encoding="utf-8"))
        found = fix_notebook(nb, opened_as(rel))
        problems += found
        if write and found:
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, fix in _text_files():
        path = repo / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        text = path.read_text(encoding="utf-8")
        new = fix(text)
        if new != text:
            problems.append(f"{name}: differs from minicgmvae/_home.py")
            if write:
                path.write_text(new, encoding="utf-8")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the files")
    args = parser.parse_args(argv)
    problems = sync(write=args.write)
    for p in problems:
        print(("fixed: " if args.write else "") + p)
    if not problems:
        print(f"home: every file agrees with {_home.HOME} at {_home.RELEASE}")
    return 0 if args.write or not problems else 1


if __name__ == "__main__":
    sys.exit(main())
