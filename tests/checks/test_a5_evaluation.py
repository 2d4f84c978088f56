"""Assignment 5's checks: check_example_f1, check_paper_protocol and check_honest_protocol. Each
passes the package's reference implementation and fails, with the intended plain-words
message, on deliberately broken functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import support

import minicgmvae
from minicgmvae.metrics import MAIN_METRICS, PAPER_THRESHOLDS, all_metrics, threshold_sweep
from minicgmvae.protocols import honest_protocol, paper_protocol

ASSIGNMENT = "a5_evaluation"

REFERENCES: dict[str, Callable[..., Any]] = {
    "check_example_f1": minicgmvae.example_f1,
    "check_paper_protocol": paper_protocol,
    "check_honest_protocol": honest_protocol,
}


def protocol_one_threshold(y, s, thresholds=PAPER_THRESHOLDS):
    sweep = threshold_sweep(y, s, thresholds)
    i = int(np.argmax(sweep["macro_f1"]))
    return {m: float(sweep[m][i]) for m in MAIN_METRICS}


def honest_on_test(yv, sv, yt, st, thresholds=PAPER_THRESHOLDS, select_by="macro_f1"):
    return honest_protocol(yt, st, yt, st, thresholds, select_by).metrics


def example_f1_empty_is_one(t, p):
    tp, size = (t & p).sum(1), t.sum(1) + p.sum(1)
    return float(np.where(size > 0, 2 * tp / np.maximum(size, 1), 1.0).mean())


def example_f1_zero_when_undefined(t, p):
    tp, size = (t & p).sum(1), t.sum(1) + p.sum(1)
    kept = size > 0
    return float((2 * tp[kept] / size[kept]).mean()) if kept.any() else 0.0


BROKEN: list[support.Broken] = [
    ("example-F1 empty counts 1", "check_example_f1", example_f1_empty_is_one,
     ["'a sample with no true and no predicted label", "perfect 1", "drops"]),
    ("example-F1 undefined is 0", "check_example_f1", example_f1_zero_when_undefined,
     ["expected nan", "return nan"]),
    ("paper one threshold", "check_paper_protocol", protocol_one_threshold,
     ["one threshold (t = 0.5) for every metric", "EACH metric"]),
    ("paper ignores thresholds", "check_paper_protocol",
     lambda y, s, thresholds=PAPER_THRESHOLDS: paper_protocol(y, s).metrics,
     ["'other candidate thresholds", "`thresholds` argument"]),
    ("paper returns list", "check_paper_protocol",
     lambda y, s, thresholds=PAPER_THRESHOLDS: [0.5, 0.5], ["returned a list", "dict"]),
    ("paper missing key", "check_paper_protocol",
     lambda y, s, thresholds=PAPER_THRESHOLDS: {"example_f1": 0.5},
     ["no 'micro_f1' entry"]),
    ("honest chosen on test", "check_honest_protocol", honest_on_test,
     ["chose the threshold on the TEST set"]),
    ("honest = paper", "check_honest_protocol",
     lambda yv, sv, yt, st, thresholds=PAPER_THRESHOLDS, select_by="macro_f1":
     paper_protocol(yt, st, thresholds).metrics, ["that is the paper's protocol"]),
    ("honest at 0.5", "check_honest_protocol",
     lambda yv, sv, yt, st, thresholds=PAPER_THRESHOLDS, select_by="macro_f1":
     all_metrics(yt, st, 0.5), ["You used t = 0.5"]),
    ("honest ignores select_by", "check_honest_protocol",
     lambda yv, sv, yt, st, thresholds=PAPER_THRESHOLDS, select_by="macro_f1":
     honest_protocol(yv, sv, yt, st, thresholds).metrics, ["`select_by`"]),
]


def test_the_tests_cover_the_assignments_checks() -> None:
    support.assert_covers(ASSIGNMENT, REFERENCES, BROKEN)


@pytest.mark.parametrize("check", sorted(REFERENCES))
def test_check_passes_the_reference(check: str) -> None:
    support.assert_passes_the_reference(check, REFERENCES[check])


@pytest.mark.parametrize("check", sorted(REFERENCES))
def test_check_reports_not_implemented(check: str) -> None:
    support.assert_reports_not_implemented(check)


@pytest.mark.parametrize("check", sorted(REFERENCES))
def test_check_reports_an_exception_in_one_line(check: str) -> None:
    support.assert_reports_an_exception_in_one_line(check)


@pytest.mark.parametrize("check,fn,expected", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_check_explains_a_broken_function(check: str, fn: Callable[..., Any],
                                          expected: list[str]) -> None:
    support.assert_explains(check, fn, expected)
