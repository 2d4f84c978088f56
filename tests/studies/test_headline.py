"""The headline table: one computation of C-GMVAE against the MLP and BR, from stored results."""

import numpy as np
import pytest

from minicgmvae.studies import findings, headline
from minicgmvae.studies.book_results import load_book_result


@pytest.mark.parametrize("dataset", headline.HEADLINE_DATASETS)
def test_headline_reads_nine_seeds_and_three_baseline_seeds(dataset):
    row = headline.headline(dataset, "honest")
    assert set(row) == set(findings.MAIN)
    for r in row.values():
        assert (r["n_cgmvae"], r["n_mlp"], r["n_br"]) == (9, 3, 3)
        assert r["minus_mlp"] == pytest.approx(r["cgmvae"] - r["mlp"])
        assert r["minus_br"] == pytest.approx(r["cgmvae"] - r["br"])


def test_headline_matches_the_stored_mlp_runs():
    mlp = load_book_result("efficiency/yeast.json")["cells"]["mlp|1|random"]
    want = np.mean([r["protocols"]["paper"]["metrics"]["macro_f1"] for r in mlp["runs"]])
    assert headline.headline("yeast", "paper")["macro_f1"]["mlp"] == pytest.approx(want)
    # the findings page's older function agrees with the headline on the difference
    assert findings.versus_mlp("yeast", "honest")["hamming_accuracy"]["diff"] == pytest.approx(
        headline.headline("yeast", "honest")["hamming_accuracy"]["minus_mlp"])


def test_headline_markdown_has_a_row_per_method_and_a_difference_row():
    table = headline.headline_table(("scene",), ("paper",))
    text = headline.headline_markdown(table, {m: m for m in findings.MAIN})
    lines = text.splitlines()
    assert len(lines) == 2 + len(headline.METHODS) + 1
    assert "C-GMVAE (9 seeds)" in text and "MLP (3 seeds)" in text
    assert lines[-1].count("**") == 2 * (len(findings.MAIN) + 1)
