"""The benchmark: profile_step splits a step's time into its operator groups."""

from __future__ import annotations

import math

import pytest
import torch


def test_profile_step_splits_a_step_into_its_groups():
    from minicgmvae.studies.benchmark import profile_step

    a = torch.randn(128, 128)

    def step() -> None:
        (a @ a).relu_()  # a matrix product, then an elementwise operation
        torch.empty(4096).bernoulli_(0.5)  # dropout's random numbers

    step()
    ms = profile_step(step, torch.device("cpu"), n_steps=3)
    assert ms["matrix products"] > 0 and ms["dropout's random numbers"] > 0
    assert ms["Adam update"] == 0 and ms["everything else"] > 0
    parts = sum(v for k, v in ms.items() if k != "total")
    assert math.isclose(parts, ms["total"], rel_tol=1e-9)


def test_time_ms_warms_up_once_and_averages_the_timed_calls(monkeypatch):
    from minicgmvae.studies import benchmark

    clock = iter([10.0, 10.6])  # the two readings around the timed calls: 0.6 s in all
    monkeypatch.setattr(benchmark.time, "perf_counter", lambda: next(clock))
    calls = []
    ms = benchmark.time_ms(lambda: calls.append(1), torch.device("cpu"), reps=3)
    assert len(calls) == 4  # one warm-up call, then three timed ones
    assert ms == pytest.approx(200.0)
    with pytest.raises(ValueError, match="reps"):
        benchmark.time_ms(lambda: None, torch.device("cpu"), reps=0)
