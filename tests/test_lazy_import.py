"""``import minicgmvae`` is fast: it imports neither PyTorch nor scikit-learn, and every
public name still works, loaded on first use (PEP 562)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import minicgmvae


def in_fresh_interpreter(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a new Python, where nothing of the package is imported yet."""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    return run


def test_import_loads_neither_torch_nor_sklearn():
    code = (
        "import sys, minicgmvae\n"
        "heavy = sorted(m for m in ('torch', 'sklearn', 'numpy', 'scipy', 'matplotlib')"
        " if m in sys.modules)\n"
        "assert not heavy, heavy\n"
        "print(minicgmvae.__version__)\n"
    )
    run = in_fresh_interpreter(code)
    assert run.stdout.strip() == minicgmvae.__version__


def test_every_public_name_is_the_object_of_its_module():
    lazy = minicgmvae._LAZY_NAMES
    for name in minicgmvae.__all__:
        value = getattr(minicgmvae, name)
        if lazy.get(name):  # "" marks a submodule (checks)
            module = importlib.import_module(f"minicgmvae.{lazy[name]}")
            assert value is getattr(module, name), name
    assert set(lazy) == set(minicgmvae.__all__)  # one list: the stub


def test_subpackages_re_export_their_public_names_lazily():
    code = ("import sys, minicgmvae.data as data, minicgmvae.studies as studies\n"
            "assert 'minicgmvae.data.csvio' not in sys.modules\n"
            "from minicgmvae.data.datasets import load_dataset\n"
            "from minicgmvae.studies.experiments import train_seeds\n"
            "assert data.load_dataset is load_dataset and studies.train_seeds is train_seeds\n"
            "assert 'load_dataset' in data.__all__ and 'load_dataset' in dir(data)\n")
    in_fresh_interpreter(code)


def test_dir_and_star_import_list_every_public_name():
    assert set(minicgmvae.__all__) <= set(dir(minicgmvae))
    namespace: dict = {}
    exec("from minicgmvae import *", namespace)
    assert set(minicgmvae.__all__) - {"__version__"} <= set(namespace)


def test_submodules_are_attributes_after_a_plain_import():
    code = ("import minicgmvae\n"
            "assert minicgmvae.metrics.example_f1 is minicgmvae.example_f1\n"
            "assert minicgmvae.protocols.__name__ == 'minicgmvae.protocols'\n"
            "try:\n    minicgmvae.no_such_name\nexcept AttributeError as e:\n"
            "    assert 'no_such_name' in str(e)\nelse:\n    raise SystemExit('no error')\n")
    in_fresh_interpreter(code)


def test_no_public_name_shadows_a_submodule():
    # ``from minicgmvae.studies import headline`` must give the module, not a function of it
    from pathlib import Path

    from minicgmvae._compat import read_stub

    for package in ("minicgmvae", "minicgmvae.data", "minicgmvae.studies"):
        init = importlib.import_module(package).__file__
        folder = Path(init).parent
        submodules = {p.stem for p in folder.glob("*.py")} | {
            p.name for p in folder.iterdir() if (p / "__init__.py").exists()}
        shadowing = {n for n, home in read_stub(init).items() if home and n in submodules}
        assert not shadowing, (package, shadowing)
