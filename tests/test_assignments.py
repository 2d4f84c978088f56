"""The course kit: assignments in book/assignments/, their checks, solutions and stable API.

1. Every assignment notebook is run twice (``@pytest.mark.slow``), through the grader
   (:func:`minicgmvae.checks.grade_notebook`): as handed out (the book's copy, nbgrader's
   student release), it runs to the end and every check reports "not implemented yet"; the
   instructor's version, ``course/source/<name>/<name>.ipynb`` with the reference solutions,
   passes every check. (``tests/test_course.py`` runs the same two through nbgrader.)
2. The checks themselves: each passes the package's reference implementation and fails,
   with the intended plain-words message, on deliberately broken functions.
3. The stable API: every name in ``minicgmvae.__all__`` and every name an assignment uses
   (``ASSIGNMENTS[...].api``) resolves, the notebooks use no other name of the package, and
   a renamed name keeps working with a DeprecationWarning.
"""

from __future__ import annotations

import ast
import importlib
import json
import math
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
import yaml

import minicgmvae
from minicgmvae import _compat, checks
from minicgmvae.gaussian import log_standard_normal
from minicgmvae.metrics import MAIN_METRICS, PAPER_THRESHOLDS, all_metrics, threshold_sweep
from minicgmvae.protocols import honest_protocol, paper_protocol

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT_DIR = REPO / "book" / "assignments"
COURSE_SOURCE = REPO / "course" / "source"  # the nbgrader source notebooks: the solutions
NAMES = list(checks.ASSIGNMENTS)
CELL_TIMEOUT_S = 600


@pytest.fixture(autouse=True)
def strict_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug inside a check raises here instead of becoming a message."""
    monkeypatch.setenv(checks.STRICT_ENV, "1")


@pytest.fixture
def kernel_env(data_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Notebook kernels inherit the data mirror, the cache and one thread."""
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    monkeypatch.setenv("MKL_NUM_THREADS", os.environ.get("MKL_NUM_THREADS", "1"))


# ============================================================== notebooks and solutions
def read_notebook(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ASSIGNMENT_DIR / f"{name}.ipynb", as_version=4)


def read_source_notebook(name: str) -> nbformat.NotebookNode:
    return nbformat.read(COURSE_SOURCE / name / f"{name}.ipynb", as_version=4)


def solution_cells(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    """The cells students write in: nbgrader's "autograded answer" cells."""
    return [(i, c) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def only_function(source: str) -> ast.FunctionDef:
    defs = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    assert len(defs) == 1, f"a solution cell must define exactly one function:\n{source}"
    return defs[0]


def body_without_docstring(fn: ast.FunctionDef) -> list[ast.stmt]:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return body


def solution_functions(name: str) -> tuple[str, dict[str, ast.FunctionDef]]:
    """The reference solutions: the solution cells of the nbgrader source notebook, as one
    Python source after the import lines of its setup cell."""
    nb = read_source_notebook(name)
    setup = next(c.source for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    imports = [ast.get_source_segment(setup, n) for n in ast.parse(setup).body
               if isinstance(n, (ast.Import, ast.ImportFrom))]
    source = "\n".join(imports) + "\n\n\n" + "\n\n\n".join(c.source for _, c in solution_cells(nb))
    tree = ast.parse(source)
    return source, {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def load_solution_module(name: str) -> ModuleType:
    source, _ = solution_functions(name)
    module = ModuleType(f"solution_{name}")
    exec(compile(source, f"course/source/{name}/{name}.ipynb", "exec"), module.__dict__)
    return module


@pytest.mark.parametrize("name", NAMES)
def test_handed_out_notebook_is_well_formed(name: str) -> None:
    nb = read_notebook(name)
    assignment = checks.ASSIGNMENTS[name]
    assert nb.metadata.get("minicgmvae", {}).get("assignment") == name
    assert checks.assignment_of(nb, f"renamed_by_student_{name}.ipynb") == name
    head = nb.cells[0].source
    assert head.startswith("# Assignment ")
    assert f"blob/main/book/assignments/{name}.ipynb" in head, "wrong Colab badge link"
    index = nbformat.read(REPO / "book" / "index.ipynb", as_version=4)
    install = next(c.source for c in index.cells if "google.colab" in c.source)
    assert nb.cells[1].source == install, "the install cell must be the preface's"

    cells = solution_cells(nb)
    names = [only_function(c.source).name for _, c in cells]
    assert tuple(names) == assignment.functions
    for (i, cell), check in zip(cells, assignment.checks):
        fn = only_function(cell.source)
        assert ast.get_docstring(fn), f"{fn.name}: the student copy needs a docstring"
        body = body_without_docstring(fn)
        assert len(body) == 1 and isinstance(body[0], ast.Raise), (
            f"{fn.name}: the handed-out body must be exactly raise NotImplementedError(...)"
        )
        exc = body[0].exc
        assert isinstance(exc, ast.Call) and getattr(exc.func, "id", "") == "NotImplementedError"
        hint = cell.source.splitlines()[body[0].lineno - 2].strip()
        assert hint.startswith("# TODO: "), f"{fn.name}: a # TODO: hint above the stub"
        nxt = nb.cells[i + 1]
        assert nxt.cell_type == "code" and f"checks.{check}({fn.name})" in nxt.source

    text = "\n".join(c.source for c in nb.cells)
    labels = re.findall(r"\$\$\s*\((eq-[\w-]+)\)", text)
    assert all(re.match(r"eq-a\d-", lab) for lab in labels), labels
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert images, f"{name}: the stored outputs have no figure (execute the notebook)"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.parametrize("name", NAMES)
def test_solutions_have_the_notebooks_signatures(name: str) -> None:
    _, functions = solution_functions(name)
    for _, cell in solution_cells(read_notebook(name)):
        fn = only_function(cell.source)
        assert fn.name in functions, f"no solution for {fn.name} in course/source/{name}"
        assert ast.dump(fn.args) == ast.dump(functions[fn.name].args), (
            f"{fn.name}: the solution's parameters differ from the notebook's"
        )
    assert set(functions) == set(checks.ASSIGNMENTS[name].functions)


@pytest.mark.parametrize("name", NAMES)
def test_solutions_pass_their_checks_directly(name: str) -> None:
    module = load_solution_module(name)
    assignment = checks.ASSIGNMENTS[name]
    for function, check in zip(assignment.functions, assignment.checks):
        result = getattr(checks, check)(getattr(module, function), device="cpu", verbose=False)
        assert result.passed, str(result)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_handed_out_notebook_runs_and_reports_not_implemented(
    name: str, kernel_env: None
) -> None:
    grade = checks.grade_notebook(ASSIGNMENT_DIR / f"{name}.ipynb", timeout=CELL_TIMEOUT_S)
    assert not grade.errors, grade.errors
    assert grade.assignment == name
    assert not grade.missing, f"checks that never ran: {grade.missing}"
    assert [r.check for r in grade.results] == list(checks.ASSIGNMENTS[name].checks)
    for r in grade.results:
        assert not r.passed and r.not_implemented, str(r)
        assert checks.NOT_IMPLEMENTED in r.messages[0]
        assert "Traceback" not in str(r)
    assert not grade.passed


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_with_solutions_passes_every_check(name: str, kernel_env: None) -> None:
    solved = read_source_notebook(name)
    assert "NotImplementedError" not in "\n".join(c.source for _, c in solution_cells(solved))
    path = COURSE_SOURCE / name / f"{name}.ipynb"
    grade = checks.grade_notebook(path, timeout=CELL_TIMEOUT_S, cwd=ASSIGNMENT_DIR)
    assert not grade.errors, grade.errors
    assert not grade.missing, grade.missing
    assert grade.passed, str(grade)


# ============================================================== the checks themselves
REFERENCES: dict[str, Callable[..., Any]] = {
    "check_reparameterize": minicgmvae.reparameterize,
    "check_kl_gaussians": minicgmvae.kl_gaussians,
    "check_log_normal": minicgmvae.log_normal,
    "check_mixture_log_density": minicgmvae.mixture_log_density,
    "check_bce_from_logits": lambda logits, y: minicgmvae.bce_from_logits(logits, y),
    "check_contrastive_loss": minicgmvae.contrastive_loss,
    "check_total_loss": lambda model, outputs, y: model.loss(outputs, y).total,
    "check_training_step": checks._reference_training_step,
    "check_train_epoch": lambda *a: checks._reference_train_epoch(*a)[0],
    "check_example_f1": minicgmvae.example_f1,
    "check_paper_protocol": paper_protocol,
    "check_honest_protocol": honest_protocol,
}


def test_every_assignment_check_has_a_reference_test() -> None:
    used = {c for a in checks.ASSIGNMENTS.values() for c in a.checks}
    assert used == set(REFERENCES)
    assert used <= set(checks.__all__)


@pytest.mark.parametrize("check", sorted(REFERENCES))
def test_check_passes_the_reference(check: str) -> None:
    result = getattr(checks, check)(REFERENCES[check], device="cpu", verbose=False)
    assert result.passed, str(result)
    assert result.messages == []
    assert len(result.cases) >= 1
    assert str(result).startswith(checks.PASS_MARK)


def todo(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("TODO: write me")


@pytest.mark.parametrize("check", sorted(REFERENCES))
def test_check_reports_not_implemented(check: str) -> None:
    result = getattr(checks, check)(todo, verbose=False)
    assert not result.passed and result.not_implemented
    assert result.messages == [
        f"`{result.function}` is not implemented yet: replace the line "
        "`raise NotImplementedError(...)` with your code, run its cell, then run this check "
        "again."
    ]
    assert result.headline() == f"{checks.TODO_MARK} {result.function} is not implemented yet."


@pytest.mark.parametrize("check", sorted(REFERENCES))
def test_check_reports_an_exception_in_one_line(check: str) -> None:
    def raises(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("something went wrong\nsecond line of the message")

    result = getattr(checks, check)(raises, verbose=False)
    assert not result.passed and not result.not_implemented
    message = result.messages[0]
    assert "raised ValueError" in message and "something went wrong." in message
    assert "second line" not in message and "Traceback" not in str(result)
    assert re.search(r"at line \d+ of test_assignments\.py", message)


# ------------------------------------------------------------ deliberately broken functions
def mixture_no_fallback(z, y, mu, logvar):
    comp = minicgmvae.log_normal(z[:, None], mu[None], logvar[None])
    masked = comp.masked_fill(y < 0.5, -math.inf)
    return torch.logsumexp(masked, 1) - torch.log(y.sum(1))


def mixture_zero_fallback(z, y, mu, logvar):
    out = minicgmvae.mixture_log_density(z, y, mu, logvar)
    return torch.where(y.sum(1) > 0, out, torch.zeros_like(out))


def mixture_naive_exp(z, y, mu, logvar):
    comp = minicgmvae.log_normal(z[:, None], mu[None], logvar[None])
    mix = torch.log((comp.exp() * y).sum(1) / y.sum(1).clamp(min=1))
    return torch.where(y.sum(1) > 0, mix, log_standard_normal(z))


def mixture_log_of_y(z, y, mu, logvar):
    comp = minicgmvae.log_normal(z[:, None], mu[None], logvar[None])
    mix = torch.logsumexp(comp + torch.log(y), 1) - torch.log(y.sum(1))
    return torch.where(y.sum(1) > 0, mix, log_standard_normal(z))


def mixture_no_log_count(z, y, mu, logvar):
    out = minicgmvae.mixture_log_density(z, y, mu, logvar)
    return out + torch.log(y.sum(1).clamp(min=1)) * (y.sum(1) > 0)


def mixture_all_labels(z, y, mu, logvar):
    comp = minicgmvae.log_normal(z[:, None], mu[None], logvar[None])
    return torch.logsumexp(comp, 1) - math.log(comp.shape[1])


def contrastive_all_anchors(anchors, y, embeddings, temperature=1.0):
    log_prob = F.log_softmax(anchors @ embeddings.t() / temperature, 1)
    return (-(y * log_prob).sum(1) / y.sum(1).clamp(min=1)).mean()


def contrastive_naive(anchors, y, embeddings, temperature=1.0):
    e = torch.exp(anchors @ embeddings.t() / temperature)
    log_prob = torch.log(e / e.sum(1, keepdim=True))
    n = y.sum(1)
    keep = (n > 0).float()
    return ((-(y * log_prob).sum(1) / n.clamp(min=1)) * keep).sum() / keep.sum().clamp(min=1)


def total(model, o, y, *, weights=True, contrastive=True, detach_kl=False):
    c = model.config
    bce = minicgmvae.bce_from_logits(torch.cat([o.label_logits[None], o.feature_logits]), y)
    kl = minicgmvae.kl_monte_carlo(o.feature_mu, o.feature_logvar, y, o.label_mu,
                                   o.label_logvar).mean()
    if detach_kl:
        kl = kl.detach()
    cl = minicgmvae.contrastive_loss(torch.cat([o.label_g, o.feature_g[0]]), torch.cat([y, y]),
                                     model.label_embeddings.weight, c.temperature)
    if not weights:
        return bce + kl + cl
    return c.bce_weight * bce + c.kl_weight * kl + (c.contrastive_weight * cl if contrastive
                                                    else 0.0)


def step(model, optimizer, x, y, *, zero=True, do_step=True, item=True):
    loss = total(model, model(x, y), y)
    if zero:
        optimizer.zero_grad()
    loss.backward()
    if do_step:
        optimizer.step()
    return loss.item() if item else loss


def epoch(model, optimizer, x, y, batch_size, generator, *, drop_last=False, weighted=True,
          train=True, shuffle=True):
    if train:
        model.train()
    idx = torch.randperm(len(x), generator=generator) if shuffle else torch.arange(len(x))
    batches = list(idx.split(batch_size))
    if drop_last and len(batches[-1]) < batch_size:
        batches = batches[:-1]
    losses = [(len(b), step(model, optimizer, x[b], y[b])) for b in batches]
    if weighted:
        return sum(n * v for n, v in losses) / sum(n for n, _ in losses)
    return sum(v for _, v in losses) / len(losses)


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


BROKEN: list[tuple[str, str, Callable[..., Any], list[str]]] = [
    # (id, check, broken function, substrings the report must contain)
    ("reparam std = var", "check_reparameterize",
     lambda mu, lv: mu + torch.exp(lv) * torch.randn_like(mu),
     ["exp(logvar), the variance", "sigma = exp(logvar / 2)"]),
    ("reparam returns mu", "check_reparameterize", lambda mu, lv: mu + 0 * lv,
     ["returned `mu` itself"]),
    ("reparam seeds itself", "check_reparameterize",
     lambda mu, lv: (torch.manual_seed(0), mu + torch.exp(lv / 2) * torch.randn_like(mu))[1],
     ["Two calls returned the same z"]),
    ("reparam detached", "check_reparameterize",
     lambda mu, lv: (mu + torch.exp(lv / 2) * torch.randn_like(mu)).detach(),
     ["no gradient with respect to `mu`", ".detach()"]),
    ("reparam wrong device", "check_reparameterize",
     lambda mu, lv: (mu + torch.exp(lv / 2) * torch.randn_like(mu)).to("meta"),
     ["is on meta but the inputs were on cpu"]),
    ("kl no sum", "check_kl_gaussians",
     lambda m1, l1, m2, l2: 0.5 * (l2 - l1 + (l1.exp() + (m1 - m2) ** 2) / l2.exp() - 1),
     ["returned shape (8, 5)", "expected (8,)", "sum over the latent dimension"]),
    ("kl reversed", "check_kl_gaussians",
     lambda m1, l1, m2, l2: minicgmvae.kl_gaussians(m2, l2, m1, l1),
     ["Wrong value on case", "KL(p || q)"]),
    ("kl no half", "check_kl_gaussians",
     lambda m1, l1, m2, l2: 2 * minicgmvae.kl_gaussians(m1, l1, m2, l2),
     ["factor 1/2"]),
    ("kl .item()", "check_kl_gaussians",
     lambda m1, l1, m2, l2: minicgmvae.kl_gaussians(m1, l1, m2, l2).sum().item(),
     ["returned a float", "torch.Tensor"]),
    ("kl rebuilt tensor", "check_kl_gaussians",
     lambda m1, l1, m2, l2: torch.tensor(minicgmvae.kl_gaussians(m1, l1, m2, l2).tolist()),
     ["no gradient with respect to `mu1`"]),
    ("log_normal without 2 pi", "check_log_normal",
     lambda z, mu, lv: -0.5 * (lv + (z - mu) ** 2 / lv.exp()).sum(-1),
     ["log(2 pi) constant"]),
    ("log_normal no sum", "check_log_normal",
     lambda z, mu, lv: -0.5 * (math.log(2 * math.pi) + lv + (z - mu) ** 2 / lv.exp()),
     ["returned shape (8, 5)", "sum over the last (latent) dimension"]),
    ("log_normal in place", "check_log_normal",
     lambda z, mu, lv: minicgmvae.log_normal(z.sub_(mu), torch.zeros_like(mu), lv),
     ["raised RuntimeError", "in place"]),
    ("mixture NaN on empty", "check_mixture_log_density", mixture_no_fallback,
     ["returned NaN", "'a sample with no positive label'", "falls back", "N(0, I)"]),
    ("mixture wrong value on empty", "check_mixture_log_density", mixture_zero_fallback,
     ["Wrong value on case 'a sample with no positive label'", "got 0 ", "N(0, I)"]),
    ("mixture underflow", "check_mixture_log_density", mixture_naive_exp,
     ["returned -inf", "points far from every component", "torch.logsumexp"]),
    ("mixture NaN gradient", "check_mixture_log_density", mixture_log_of_y,
     ["The value is right", "gradient", "contains NaN"]),
    ("mixture no log|P|", "check_mixture_log_density", mixture_no_log_count,
     ["log |P(y)|"]),
    ("mixture all labels", "check_mixture_log_density", mixture_all_labels,
     ["ALL labels"]),
    ("mixture shape", "check_mixture_log_density",
     lambda z, y, mu, lv: minicgmvae.log_normal(z[:, None], mu[None], lv[None]),
     ["returned shape (8, 5)", "expected (8,): one log-density per sample",
      "combine the components over the labels"]),
    ("bce mean over labels", "check_bce_from_logits",
     lambda logits, y: F.binary_cross_entropy_with_logits(logits, y),
     ["averaged over the labels too"]),
    ("bce log(sigmoid)", "check_bce_from_logits",
     lambda s, y: -(y * torch.log(torch.sigmoid(s))
                    + (1 - y) * torch.log(1 - torch.sigmoid(s))).sum(-1).mean(),
     ["large logits", "binary_cross_entropy_with_logits"]),
    ("contrastive mean over all anchors", "check_contrastive_loss", contrastive_all_anchors,
     ["'two anchors with no positive label'", "ALL anchors"]),
    ("contrastive overflow", "check_contrastive_loss", contrastive_naive,
     ["large logits", "log_softmax"]),
    ("contrastive ignores temperature", "check_contrastive_loss",
     lambda a, y, e, temperature=1.0: minicgmvae.contrastive_loss(a, y, e),
     ["'temperature 0.5'", "ignores `temperature`"]),
    ("contrastive per anchor", "check_contrastive_loss",
     lambda a, y, e, temperature=1.0: -(y * F.log_softmax(a @ e.t() / temperature, 1)).sum(1),
     ["returned shape (6,)", "average over the anchors"]),
    ("total without weights", "check_total_loss",
     lambda m, o, y: total(m, o, y, weights=False), ["without their weights"]),
    ("total without contrastive", "check_total_loss",
     lambda m, o, y: total(m, o, y, contrastive=False), ["contrastive term is missing"]),
    ("total detached KL", "check_total_loss", lambda m, o, y: total(m, o, y, detach_kl=True),
     ["gradient for", "detached"]),
    ("step without zero_grad", "check_training_step",
     lambda m, o, x, y: step(m, o, x, y, zero=False), ["optimizer.zero_grad()"]),
    ("step without step", "check_training_step",
     lambda m, o, x, y: step(m, o, x, y, do_step=False), ["had not changed",
                                                           "optimizer.step()"]),
    ("step returns tensor", "check_training_step",
     lambda m, o, x, y: step(m, o, x, y, item=False), ["loss.item()"]),
    ("epoch drops last batch", "check_train_epoch",
     lambda *a: epoch(*a, drop_last=True), ["took 3 optimizer step(s); expected 4",
                                            "last, smaller batch"]),
    ("epoch unweighted mean", "check_train_epoch", lambda *a: epoch(*a, weighted=False),
     ["Weight each batch's loss by its size"]),
    ("epoch eval mode", "check_train_epoch", lambda *a: epoch(*a, train=False),
     ["model.train()"]),
    ("epoch no shuffle", "check_train_epoch", lambda *a: epoch(*a, shuffle=False),
     ["torch.randperm(len(x), generator=generator)"]),
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
    ("returns None", "check_kl_gaussians", lambda *a: None, ["returned None", "`return`"]),
    ("wrong device", "check_mixture_log_density",
     lambda *a: minicgmvae.mixture_log_density(*a).to("meta"),
     ["is on meta but the inputs were on cpu"]),
]


@pytest.mark.parametrize("check,fn,expected", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_check_explains_a_broken_function(check: str, fn: Callable[..., Any],
                                          expected: list[str]) -> None:
    result = getattr(checks, check)(fn, device="cpu", verbose=False)
    assert not result.passed and not result.not_implemented
    assert result.messages, "a failed check must say why"
    text = str(result)
    missing = [s for s in expected if s not in text]
    assert not missing, f"{missing} not in the report:\n{result}"
    assert str(result).startswith(checks.FAIL_MARK)


def test_every_check_has_broken_examples() -> None:
    assert {b[1] for b in BROKEN} == set(REFERENCES)


def test_checks_are_deterministic_and_leave_the_random_state_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = checks.check_mixture_log_density(mixture_zero_fallback, verbose=False)
    checks.check_reparameterize(minicgmvae.reparameterize, verbose=False)
    assert torch.equal(torch.rand(3), expected)
    second = checks.check_mixture_log_density(mixture_zero_fallback, verbose=False)
    assert first.messages == second.messages


def test_a_non_function_is_explained() -> None:
    result = checks.check_kl_gaussians(minicgmvae.kl_gaussians(torch.zeros(2), torch.zeros(2),
                                                               torch.zeros(2), torch.zeros(2)),
                                       verbose=False)
    assert not result.passed
    assert "needs your function itself" in result.messages[0]


def test_result_reports_and_registry(capsys: pytest.CaptureFixture[str]) -> None:
    checks.clear_results()
    ok = checks.check_kl_gaussians(minicgmvae.kl_gaussians)  # verbose: prints the report
    shown = capsys.readouterr().out
    assert shown.strip() == str(ok) == "✅ kl_gaussians is correct on all 5 cases."
    bad = checks.check_log_normal(lambda z, mu, lv: (z - mu).sum(-1), verbose=False)
    assert bad.headline() == "❌ log_normal: 1 problem found."
    markdown = bad._repr_markdown_()
    assert markdown.startswith("❌ **`log_normal`: 1 problem found.**\n\n- ")
    assert checks.CheckResult.from_dict(json.loads(json.dumps(bad.to_dict()))) == bad
    assert [r.check for r in checks.recorded_results()] == ["check_kl_gaussians",
                                                          "check_log_normal"]
    checks.check_kl_gaussians(todo, verbose=False)  # a re-run replaces the earlier result
    assert [r.check for r in checks.recorded_results()] == ["check_log_normal",
                                                          "check_kl_gaussians"]
    checks.summary("a2_mixture_prior")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "0 of 2 checks pass."
    assert "check_mixture_log_density has not run." in out
    checks.clear_results()


def test_markdown_escapes_outside_code() -> None:
    assert checks._markdown("a * b_c `x * y_z` [1]") == r"a \* b\_c `x * y_z` \[1\]"


# ============================================================== grader
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


@pytest.mark.slow
def test_grader_cli(tmp_path: Path, kernel_env: None) -> None:
    good = tiny_notebook(tmp_path / "good.ipynb",
                         "checks.check_kl_gaussians(minicgmvae.kl_gaussians)")
    bad = tiny_notebook(tmp_path / "bad.ipynb",
                        "checks.check_log_normal(lambda z, mu, lv: z.sum(-1))\n1 / 0")
    proc = subprocess.run([sys.executable, "-m", "minicgmvae.checks", str(good)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 of 1 checks pass" in proc.stdout and "Warning" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "minicgmvae.checks", "--json", str(bad)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (grade,) = json.loads(proc.stdout)
    assert grade["assignment"] is None and grade["n_checks"] == 1
    assert "Wrong value" in grade["results"][0]["messages"][0]
    assert grade["errors"] == ["cell 1: ZeroDivisionError: division by zero"]


# ============================================================== the stable API
def test_every_public_name_is_importable() -> None:
    namespace: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec("from minicgmvae import *", namespace)
    missing = [n for n in minicgmvae.__all__ if n not in namespace]
    assert not missing
    for name in minicgmvae.__all__:
        assert getattr(minicgmvae, name) is namespace[name]


def resolve(dotted: str) -> Any:
    parts = dotted.split(".")
    assert parts[0] == "minicgmvae"
    obj: Any = minicgmvae
    for i, part in enumerate(parts[1:], start=1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[: i + 1]))
    return obj


@pytest.mark.parametrize("name", NAMES)
def test_assignment_api_resolves_without_warnings(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dotted in checks.ASSIGNMENTS[name].api:
            assert resolve(dotted) is not None, dotted


API_REF = re.compile(r"\bminicgmvae(?:\.[A-Za-z_]\w*)+")
CHECKS_REF = re.compile(r"(?<![\w.])checks\.([A-Za-z_]\w*)")


@pytest.mark.parametrize("name", NAMES)
def test_assignments_use_only_the_listed_api(name: str) -> None:
    """Every minicgmvae name in the notebook (code and prose) and its solutions is listed in
    ASSIGNMENTS[name].api: the list is complete, so tests cover every name students use."""
    nb = read_notebook(name)
    texts = [c.source for c in nb.cells] + [solution_functions(name)[0]]
    used = set()
    for text in texts:
        used |= set(API_REF.findall(text))
        used |= {f"minicgmvae.checks.{m}" for m in CHECKS_REF.findall(text)}
    listed = set(checks.ASSIGNMENTS[name].api)
    # a reference may stop at a module, or go on into an attribute of a listed object
    unlisted = sorted(u for u in used if not any(
        u == a or a.startswith(u + ".") or u.startswith(a + ".") for a in listed))
    assert not unlisted, f"add these to ASSIGNMENTS[{name!r}].api: {unlisted}"


def test_renamed_names_keep_working(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(_compat.RENAMED, "old_kl", "kl_gaussians")
    monkeypatch.setitem(_compat.RENAMED, "old_sweep", "metrics.threshold_sweep")
    with pytest.warns(DeprecationWarning,
                      match=r"^minicgmvae\.old_kl is deprecated; use minicgmvae\.kl_gaussians$"
                      ) as caught:
        assert minicgmvae.old_kl is minicgmvae.kl_gaussians
    assert caught[0].filename == __file__, "the warning must point at the caller's line"
    with pytest.warns(DeprecationWarning, match="use minicgmvae.metrics.threshold_sweep"):
        from minicgmvae import old_sweep  # noqa: F401  (from-imports go through __getattr__)
    assert old_sweep is threshold_sweep
    with pytest.raises(AttributeError, match="has no attribute 'never_existed'"):
        minicgmvae.never_existed  # noqa: B018
    assert not hasattr(minicgmvae, "never_existed")


def test_real_renames_resolve_to_current_names() -> None:
    for old, new in _compat.RENAMED.items():
        assert old not in minicgmvae.__all__, f"{old} is deprecated but still exported"
        with pytest.warns(DeprecationWarning):
            assert getattr(minicgmvae, old) is resolve(f"minicgmvae.{new}")


def test_checks_is_loaded_on_demand() -> None:
    code = ("import sys, minicgmvae; assert 'minicgmvae.checks' not in sys.modules; "
            "minicgmvae.checks.check_kl_gaussians; print('ok')")
    proc = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.strip() == "ok", proc.stderr


# ============================================================== the book's course kit part
def test_course_kit_is_in_the_toc_and_the_instructor_page_is_complete() -> None:
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    part = next(p for p in toc["parts"] if p.get("caption") == "Course kit")
    files = [c["file"] for c in part["chapters"]]
    assert files == ["assignments/instructor"] + [f"assignments/{n}" for n in NAMES]
    page = (ASSIGNMENT_DIR / "instructor.md").read_text(encoding="utf-8")
    for a in checks.ASSIGNMENTS.values():
        assert a.name in page, a.name
        for check in a.checks:
            assert check in page, check
    assert "nbgrader autograde" in page and "course/source/" in page
    assert not (ASSIGNMENT_DIR / "solutions").exists(), "solutions must stay out of book/"
    assert "assignments/instructor" in Path(REPO / "tests" / "test_book.py").read_text()
