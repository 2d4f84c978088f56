"""Fixtures of the baselines tests: the synthetic set, and each baseline fitted on it once."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from minicgmvae.baselines import (
    BaselineScores,
    asl_mlp_baseline,
    binary_relevance,
    classifier_chain,
    ml_knn,
    mlp_baseline,
)

from helpers.baselines import ASL_KW, MLP_KW, make_data


@pytest.fixture(scope="session")
def data() -> SimpleNamespace:
    return make_data()


class _Fitted(dict):
    """Each baseline fitted on ``data`` on first use, then kept: the test files of the folder
    may run in different workers, and each fits only the methods it looks at."""

    def __init__(self, data: SimpleNamespace) -> None:
        super().__init__()
        self.fits = {
            "br": lambda: binary_relevance(data),
            "cc": lambda: classifier_chain(data),
            "mlp": lambda: mlp_baseline(data, **MLP_KW),
            "mlknn": lambda: ml_knn(data),
            "asl": lambda: asl_mlp_baseline(data, **ASL_KW),
        }

    def __missing__(self, method: str) -> BaselineScores:
        self[method] = self.fits[method]()
        return self[method]


@pytest.fixture(scope="session")
def fitted(data) -> dict[str, BaselineScores]:
    return _Fitted(data)
