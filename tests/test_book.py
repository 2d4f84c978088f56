"""The book builds with exactly `jupyter-book build book/`, and every chapter renders.

1. The build runs once per module (fixture ``built_book``): from a clean ``_build/html``,
   ``_build/.doctrees`` and execution cache ``_build/.jupyter_cache`` it runs the venv's
   ``jupyter-book build book/`` from the repository root, which executes every notebook (in
   parallel, one kernel per core: ``book/_ext/notebook_cache.py``) and fails on any warning
   (``book/_ext/strict_build.py``). This takes minutes once the chapters train models.
2. ``@pytest.mark.browser`` tests open each page of ``_toc.yml`` in headless Debian Chromium
   after MathJax has run and check the rendered DOM: a title, a figure (except on the pages
   in ``PAGES_WITHOUT_FIGURES``), and typeset math wherever the page has math. One screenshot
   goes to ``_build/screenshots/`` for people to look at.

Chromium missing: the browser tests fail when ``CI`` is set and are skipped otherwise; install
it with ``bash .ci/install-browser``.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "_build"
HTML = BUILD / "html"
SCREENSHOTS = BUILD / "screenshots"
TOC = REPO / "_toc.yml"
CHROMIUM = Path("/usr/bin/chromium")

# Pages that need not show a figure: the preface, the instructors' notes, the notation and
# the bibliography (prose and tables only), and every page of the API reference (generated
# from docstrings: REFERENCE_PREFIX). Keep this list short.
#: Pages of text and tables: the preface, the instructors' notes, the notation and glossary,
#: the bibliography, "When to use C-GMVAE" (a table of relatives and the evidence), and the
#: appendix "Where the numbers come from" (a table of the stored results).
PAGES_WITHOUT_FIGURES = {"index", "assignments/instructor", "notation", "bibliography",
                         "when_to_use", "appendix_provenance"}
REFERENCE_PREFIX = "reference/"

BUILD_TIMEOUT_S = 3600  # every notebook runs; each cell may take up to 900 s (_config.yml)
BROWSER_TIMEOUT_S = 120
VIRTUAL_TIME_BUDGET_MS = 5000  # lets MathJax (loaded with `defer`) load and typeset


def toc_docnames(toc: Path = TOC) -> list[str]:
    """Return the pages of a Jupyter Book toc in reading order, without suffixes."""
    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    names: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    names.append(node[key])
            for value in node.values():
                if isinstance(value, (list, dict)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return [re.sub(r"\.(ipynb|md|rst)$", "", name) for name in names]


DOCNAMES = toc_docnames()


def jupyter_book_executable() -> str:
    """The venv's jupyter-book (the one beside this Python), else the one on PATH."""
    beside = Path(sys.executable).with_name("jupyter-book")
    if beside.exists():
        return str(beside)
    found = shutil.which("jupyter-book")
    if found is None:
        pytest.fail("jupyter-book is not installed: install the project with its [book] extra")
    return found


def _tail(text: str, n: int = 6000) -> str:
    return text if len(text) <= n else "...\n" + text[-n:]


@pytest.fixture(scope="module")
def built_book() -> Path:
    """Build the book once, from scratch, exactly as `jupyter-book build book/` does it."""
    # Without the saved environment and the execution cache Sphinx re-reads, and myst-nb
    # re-executes, every page: every notebook runs under test, whatever ran before.
    shutil.rmtree(HTML, ignore_errors=True)
    shutil.rmtree(BUILD / ".doctrees", ignore_errors=True)
    shutil.rmtree(BUILD / ".jupyter_cache", ignore_errors=True)

    env = os.environ.copy()
    # One thread per kernel (the notebooks execute one kernel per core): other tests
    # (xdist) may run notebooks on the same cores.
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"

    started = time.monotonic()
    proc = subprocess.run(
        [jupyter_book_executable(), "build", "book/"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    seconds = time.monotonic() - started
    log = proc.stdout + proc.stderr
    BUILD.mkdir(exist_ok=True)
    (BUILD / "book-build.log").write_text(log, encoding="utf-8")  # for people, and a test
    assert proc.returncode == 0, (
        f"`jupyter-book build book/` exited {proc.returncode} after {seconds:.0f} s "
        f"(warnings count as errors). Its output ends:\n{_tail(log)}"
    )
    print(f"book built in {seconds:.1f} s")
    return HTML


def test_book_builds_with_preface_as_index(built_book: Path) -> None:
    index = built_book / "index.html"
    assert index.is_file(), "the build wrote no _build/html/index.html"
    text = index.read_text(encoding="utf-8")
    assert not re.search(r"<meta[^>]+http-equiv=[\"']?refresh", text, re.IGNORECASE), (
        "_build/html/index.html is a redirect: the toc root must be the page named `index`"
    )
    assert "<h1" in text, "_build/html/index.html has no <h1>: it is not the preface"


def test_every_toc_page_is_built(built_book: Path) -> None:
    missing = [name for name in DOCNAMES if not (built_book / f"{name}.html").is_file()]
    assert not missing, f"pages listed in _toc.yml but not built: {missing}"


def test_notebooks_execute_in_parallel_before_sphinx_reads_them(built_book: Path) -> None:
    """Every notebook ran in book/_ext/notebook_cache.py's parallel step, and myst-nb found
    each one in the cache: none ran again, one at a time, while Sphinx read the pages."""
    log = re.sub(r"\x1b\[[0-9;]*m", "", (BUILD / "book-build.log").read_text(encoding="utf-8"))
    assert "notebook_cache: executing" in log, "the parallel execution step did not run"
    serial = re.findall(r"(\S+\.ipynb): Executing notebook", log)
    why = re.findall(r"notebook_cache: (\S+ failed .*)", log)
    assert not serial, (
        f"myst-nb executed {serial} itself: the parallel step's cache entries did not match. "
        f"The parallel step said: {why or 'nothing of a failure'}"
    )
    if why:  # ran through on the second try: worth a look, not a failed build
        warnings.warn("notebooks that failed once in the parallel step: " + " | ".join(why),
                      stacklevel=1)
    cached = set(re.findall(r"(\S+\.ipynb): Using cached notebook", log))
    assert len(cached) == len([n for n in DOCNAMES if (REPO / "book" / f"{n}.ipynb").exists()])


def test_math_is_served_locally(built_book: Path) -> None:
    """MathJax comes from _static/ (sphinx-mathjax-offline), never from a CDN."""
    text = (built_book / "index.html").read_text(encoding="utf-8")
    sources = re.findall(r"<script[^>]+src=\"([^\"]*mathjax[^\"]*)\"", text, re.IGNORECASE)
    assert sources, "no MathJax <script> in index.html"
    assert all(src.startswith("_static/mathjax/") for src in sources), sources
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").is_file()


# ---------------------------------------------------------------------------- browser


def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"Chromium is missing ({CHROMIUM}): run `bash .ci/install-browser`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def run_chromium(page: Path, extra_args: list[str], profile: Path) -> subprocess.CompletedProcess:
    cmd = [
        str(chromium()),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
        "--window-size=1280,900",
        *extra_args,
        page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S)
    assert proc.returncode == 0, f"chromium exited {proc.returncode}:\n{_tail(proc.stderr)}"
    return proc


def rendered_dom(page: Path, profile: Path) -> str:
    """The page's DOM after its scripts (MathJax included) have run."""
    return run_chromium(page, ["--dump-dom"], profile).stdout


def article_of(dom: str) -> str:
    """The page content: the theme's <article>, without sidebars, header or footer."""
    match = re.search(r"<article\b[^>]*\bbd-article\b[^>]*>(.*)</article>", dom, re.DOTALL)
    assert match, "no <article class='bd-article'> in the rendered page"
    return match.group(1)


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def local_images(fragment: str) -> list[str]:
    """src of the <img> elements that the book itself made (not remote badges)."""
    sources = re.findall(r"<img\b[^>]*\bsrc=\"([^\"]*)\"", fragment, re.IGNORECASE)
    return [src for src in sources if not re.match(r"(https?:)?//", src)]


def math_count(static_html: str) -> int:
    """How many math elements Sphinx wrote into the page (before MathJax runs)."""
    return len(re.findall(r"class=\"math notranslate", static_html))


@pytest.mark.browser
@pytest.mark.parametrize("docname", DOCNAMES)
def test_page_renders(built_book: Path, docname: str, tmp_path: Path) -> None:
    page = built_book / f"{docname}.html"
    assert page.is_file(), f"{docname}.html was not built"
    dom = rendered_dom(page, tmp_path / "profile")
    article = article_of(dom)

    headings = re.findall(r"<h1\b[^>]*>(.*?)</h1>", article, re.DOTALL)
    assert headings, f"{docname}: no <h1> title in the page content"
    title = text_of(headings[0]).rstrip("#¶").strip()
    assert title, f"{docname}: the <h1> title is empty"

    if docname not in PAGES_WITHOUT_FIGURES and not docname.startswith(REFERENCE_PREFIX):
        assert local_images(article), (
            f"{docname} ({title!r}) shows no figure; every chapter has at least one "
            "(or add it to PAGES_WITHOUT_FIGURES in tests/test_book.py, with a reason)"
        )

    n_math = math_count(page.read_text(encoding="utf-8"))
    if n_math:
        n_typeset = len(re.findall(r"<mjx-container\b", dom))
        assert n_typeset >= n_math, (
            f"{docname}: {n_math} math elements, but MathJax typeset {n_typeset}: "
            "is _static/mathjax/ missing, or did MathJax fail to load?"
        )
        assert "<mjx-merror" not in dom, f"{docname}: MathJax reports a TeX error"


@pytest.mark.browser
def test_screenshot_for_people(built_book: Path, tmp_path: Path) -> None:
    """One screenshot, for a person to look at: the first chapter after the preface if any."""
    chapters = [name for name in DOCNAMES if name not in PAGES_WITHOUT_FIGURES]
    docname = (chapters or DOCNAMES)[0]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = SCREENSHOTS / f"{docname.replace('/', '-')}.png"
    out.unlink(missing_ok=True)
    run_chromium(built_book / f"{docname}.html", [f"--screenshot={out}"], tmp_path / "profile")
    assert out.is_file() and out.stat().st_size > 10_000, f"no usable screenshot at {out}"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
