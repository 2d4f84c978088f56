"""The book's stored results travel with the package: every chapter loads them through
``minicgmvae.studies.book_results.load_book_result``, from the installed package, with no
checkout and no network."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import minicgmvae
from minicgmvae import _home
from minicgmvae.errors import MiniCGMVAEError, ResultNotFoundError
from minicgmvae.studies import book_results

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((REPO / "book").rglob("*.ipynb"))


def code_of(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def test_the_results_live_in_the_package():
    root = Path(minicgmvae.__file__).parent / "results"
    assert book_results.results_dir() == root
    have = book_results.list_book_results()
    assert "yeast/metrics.json" in have and "delicious/scaling.json" in have
    assert len(have) == len(list(root.rglob("*.json")))
    assert not (REPO / "book" / "results").exists()


def test_a_result_loads_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    record = book_results.load_book_result("yeast/metrics.json")
    assert record["provenance"]["minicgmvae"]
    assert "written" in book_results.describe_provenance(record, "yeast")


def test_a_missing_result_names_itself_and_what_exists():
    with pytest.raises(ResultNotFoundError) as err:
        book_results.load_book_result("yeast/nothing.json")
    msg = str(err.value)
    assert "'yeast/nothing.json'" in msg and "yeast/metrics.json" in msg
    assert isinstance(err.value, FileNotFoundError) and isinstance(err.value, MiniCGMVAEError)


def test_the_online_copy_is_this_release():
    assert book_results.RAW_URL.startswith(
        f"https://raw.githubusercontent.com/{_home.REPOSITORY}/{_home.RELEASE}/")


def test_every_result_a_chapter_names_is_stored():
    have = set(book_results.list_book_results())
    named = set()
    for nb in CHAPTERS:
        code = code_of(nb)
        named |= set(re.findall(r'load_book_result\("([^"{}]+)"\)', code))
    assert named, "no chapter loads a stored result by a literal name"
    assert named <= have, sorted(named - have)


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_chapters_use_the_one_loader(nb):
    code = code_of(nb)
    assert "urllib" not in code and "raw.githubusercontent" not in code, nb.name
    assert not re.search(r"""["'](book/)?results/?["']""", code), nb.name
    if "results" in code and "json" in code and "metrics.json" in code:
        assert "load_book_result" in code, nb.name


def test_a_summary_says_what_a_record_is_and_what_it_cost():
    record = book_results.load_book_result("yeast-seeds-4-6/metrics.json")
    row = book_results.result_summary("yeast-seeds-4-6/metrics.json")
    assert row["what"] == f"C-GMVAE, yeast, seeds 4-6, {record['train_config']['epochs']} epochs"
    assert row["command"] == record["provenance"]["command"]
    assert row["commit"] == record["provenance"]["commit"]
    assert row["threads"] == record["provenance"]["torch_threads"]
    assert row["runs"] == 3
    assert row["seconds"] == pytest.approx(sum(r["seconds"] for r in record["runs"]))
    assert [s.startswith("re-scored") for s in row["later"]] == [True] * len(record["rescored"])


def test_a_summary_of_a_benchmark_or_a_baseline():
    prov = {"date": "2026-01-02T03:04:05+00:00", "commit": None, "device": "cpu",
            "torch_threads": 2}
    bench = {"rows": [{"dataset": "yeast", "n_labels": 14, "timed_epochs": 1, "epoch_seconds": 1.0},
                      {"dataset": "scene", "n_labels": 6, "timed_epochs": 1, "epoch_seconds": 1.0}],
             "command": "python -m minicgmvae benchmark", "provenance": prov}
    row = book_results.result_summary("b.json", bench)
    assert row["what"] == "benchmark, yeast and scene, 1 timed epoch"
    assert row["command"] == "python -m minicgmvae benchmark"  # stored beside the provenance
    assert row["seconds"] is None and row["runs"] == 0 and row["commit"] is None
    base = {"dataset": "yeast", "method": "br", "seed": 0, "wall_time_s": 2.5,
            "provenance": {**prov, "command": "python -m minicgmvae baseline"}}
    row = book_results.result_summary("a.json", base)
    assert row["what"] == "baseline br, yeast, seed 0"
    assert row["seconds"] == 2.5 and row["runs"] == 1


def test_every_stored_result_has_a_summary():
    for relpath in book_results.list_book_results():
        row = book_results.result_summary(relpath)
        assert row["file"] == relpath and row["what"] and row["date"], relpath
        assert row["seconds"] is None or row["seconds"] > 0, relpath
