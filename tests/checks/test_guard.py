"""The guard (:mod:`minicgmvae.checks.guard`): a check fails a function that runs the package's
own version of it, however it gets there, and passes the student's own code at no cost;
:func:`~minicgmvae.checks.grading` follows the environment nbgrader starts the kernel with."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import types

import pytest
import torch

import minicgmvae
from minicgmvae import checks
from minicgmvae.checks import guard

from helpers import cheats

CHECK_OF = {f: c for a in checks.ASSIGNMENTS.values() for f, c in zip(a.functions, a.checks)}


@pytest.fixture
def package_versions_allowed() -> None:
    """Overrides the folder's fixture: here the guard is on."""


def run(function: str, fn: object) -> checks.CheckResult:
    return getattr(checks, CHECK_OF[function])(fn, device="cpu", verbose=False)


def assert_caught(result: checks.CheckResult, function: str) -> None:
    assert not result.passed and not result.not_implemented
    assert len(result.messages) == 1, result.messages
    assert result.messages[0].startswith(
        f"`{function}` calls minicgmvae's own version (minicgmvae."), result.messages[0]
    assert "write it yourself" in result.messages[0]


def test_every_assigned_function_has_its_package_versions() -> None:
    assert set(guard.OWN_VERSIONS) == set(CHECK_OF) == set(cheats.PACKAGE_VERSION)
    for names in guard.OWN_VERSIONS.values():
        for dotted in names:
            code = guard._code_of(dotted)
            # a copy is recognised by its docstring among other things: every one has one
            assert isinstance(code.co_consts[0], str), dotted


@pytest.mark.parametrize("kind", cheats.KINDS)
@pytest.mark.parametrize("function", list(CHECK_OF))
def test_a_check_fails_the_package_doing_the_work(
    function: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fn = cheats.define(kind, function)
    assert_caught(run(function, fn), function)
    # the same answer is right: without the guard it passes, so the guard alone fails it
    with monkeypatch.context() as m:
        m.setattr(guard, "OWN_VERSIONS", {})
        assert run(function, fn).passed


def test_the_message_names_the_function_and_the_version() -> None:
    result = run("kl_gaussians", minicgmvae.kl_gaussians)
    assert result.messages == [
        "`kl_gaussians` calls minicgmvae's own version (minicgmvae.kl.kl_gaussians): write it "
        "yourself. The check compares your `kl_gaussians` with that version, so calling it "
        "proves nothing."
    ]
    assert str(result).startswith(f"{checks.FAIL_MARK} kl_gaussians: 1 problem found.")


def test_a_path_through_another_package_function_is_caught() -> None:
    # kl_monte_carlo draws its sample with the package's reparameterize
    def reparameterize(mu, logvar):
        y = torch.ones(*mu.shape[:-1], 1)
        minicgmvae.kl_monte_carlo(mu.reshape(-1, mu.shape[-1]), logvar.reshape(-1, mu.shape[-1]),
                                  y.reshape(-1, 1), mu.reshape(-1, mu.shape[-1])[:1],
                                  logvar.reshape(-1, mu.shape[-1])[:1])
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    assert_caught(run("reparameterize", reparameterize), "reparameterize")


def test_copies_of_the_package_code_are_caught() -> None:
    import inspect

    ref = minicgmvae.kl_gaussians
    moved = types.FunctionType(ref.__code__.replace(co_filename="mine.py", co_firstlineno=1),
                               ref.__globals__)
    assert_caught(run("kl_gaussians", moved), "kl_gaussians")
    namespace: dict = {}
    exec(inspect.getsource(minicgmvae.kl.kl_gaussians), {"torch": torch}, namespace)
    assert_caught(run("kl_gaussians", namespace["kl_gaussians"]), "kl_gaussians")


def test_a_thread_started_during_the_call_is_watched() -> None:
    def kl_gaussians(*args):
        out = []
        worker = threading.Thread(target=lambda: out.append(minicgmvae.kl_gaussians(*args)))
        worker.start()
        worker.join()
        return out[0]

    assert_caught(run("kl_gaussians", kl_gaussians), "kl_gaussians")


def test_switching_the_watch_off_fails_the_check() -> None:
    def kl_gaussians(*args):
        sys.setprofile(None)
        return minicgmvae.kl_gaussians(*args)

    result = run("kl_gaussians", kl_gaussians)
    assert not result.passed
    assert result.messages == ["`kl_gaussians` switches off what the check watches "
                               "(sys.setprofile): remove that, and write the function yourself."]


def test_own_code_passes_and_may_use_the_rest_of_the_package() -> None:
    def kl_gaussians(mu1, logvar1, mu2, logvar2):
        # log_normal is another function's reference, and free to use here
        minicgmvae.log_normal(mu1, mu2, logvar2)
        ratio, mean = torch.exp(logvar1 - logvar2), (mu1 - mu2) ** 2 / torch.exp(logvar2)
        return 0.5 * (logvar2 - logvar1 + ratio + mean - 1).sum(-1)

    assert run("kl_gaussians", kl_gaussians).passed


def test_the_hook_is_only_there_during_the_call_and_a_profiler_is_given_back() -> None:
    seen = []

    def profiler(frame, event, arg):
        seen.append(event)

    inside = []

    def kl_gaussians(mu1, logvar1, mu2, logvar2):
        inside.append(sys.getprofile())
        ratio, mean = torch.exp(logvar1 - logvar2), (mu1 - mu2) ** 2 / torch.exp(logvar2)
        return 0.5 * (logvar2 - logvar1 + ratio + mean - 1).sum(-1)

    previous_thread_hook = threading.getprofile()
    sys.setprofile(profiler)
    try:
        assert run("kl_gaussians", kl_gaussians).passed
        assert sys.getprofile() is profiler
    finally:
        sys.setprofile(None)
    assert inside and all(hook is guard._profile for hook in inside)
    assert threading.getprofile() is previous_thread_hook
    assert not guard._ACTIVE


def test_grading_follows_the_environment_nbgrader_starts_the_kernel_with(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(guard.GRADING_ENV, raising=False)
    in_test_process = guard.GRADING_ENV in guard._initial_environment()
    assert guard.grading() is in_test_process
    monkeypatch.setenv(guard.GRADING_ENV, "validate")
    assert checks.grading()
    # a notebook that removes the variable does not switch grading off (Linux)
    code = ("import os; os.environ.pop('NBGRADER_EXECUTION'); "
            "from minicgmvae.checks import grading; print(grading())")
    env = {**os.environ, guard.GRADING_ENV: "autograde"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == ("True" if sys.platform == "linux" else "False"), out.stderr
    env.pop(guard.GRADING_ENV)
    untouched = code.replace("NBGRADER_EXECUTION')", "X', 0)")
    out = subprocess.run([sys.executable, "-c", untouched], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
