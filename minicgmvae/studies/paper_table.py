"""Published numbers to compare against, quoted, never computed here.

``PAPER`` holds rows of the paper's table (Bai, Kong, Gomes, ICML 2022; mean of 3 seeds,
std 0.000-0.002) for the datasets this package can load. They come from the authors' own
data splits, which are not public: compare with care.

``AUTHORS_CODE_SECONDS_PER_EPOCH`` is the authors' code's speed on a quiet 2-core machine.

``AUTHORS_CODE_ON_MULAN`` holds the authors' code run on THIS package's split (MULAN
train/test files, 10% of train carved out for validation with seed 0; training seed 1;
embedding 2048; MPVAE's learning rate and epochs), with z-scored features. These are the
closest like-for-like reference.
"""

from __future__ import annotations

Row = dict[str, float]


def _row(ex: float, mi: float, ma: float, ha: float) -> Row:
    return {"example_f1": ex, "micro_f1": mi, "macro_f1": ma, "hamming_accuracy": ha}


# method -> dataset -> the four main metrics (the paper's protocol)
PAPER: dict[str, dict[str, Row]] = {
    "C-GMVAE": {
        "yeast": _row(0.656, 0.665, 0.487, 0.796),
        "scene": _row(0.777, 0.762, 0.769, 0.915),
        "delicious": _row(0.381, 0.403, 0.197, 0.983),
    },
    "MPVAE": {
        "yeast": _row(0.648, 0.655, 0.482, 0.792),
        "scene": _row(0.751, 0.742, 0.750, 0.909),
        "delicious": _row(0.373, 0.393, 0.181, 0.982),
    },
    "ASL": {
        "yeast": _row(0.613, 0.637, 0.484, 0.796),
        "scene": _row(0.770, 0.753, 0.765, 0.912),
        "delicious": _row(0.359, 0.387, 0.183, 0.982),
    },
    "LaMP": {
        "yeast": _row(0.624, 0.641, 0.480, 0.786),
        "scene": _row(0.728, 0.716, 0.745, 0.903),
        "delicious": _row(0.372, 0.386, 0.196, 0.982),
    },
    "C2AE": {
        "yeast": _row(0.614, 0.626, 0.427, 0.764),
        "scene": _row(0.698, 0.713, 0.728, 0.893),
        "delicious": _row(0.326, 0.348, 0.102, 0.981),
    },
    "MLKNN": {
        "yeast": _row(0.618, 0.625, 0.472, 0.784),
        "scene": _row(0.691, 0.667, 0.693, 0.863),
        "delicious": _row(0.259, 0.264, 0.053, 0.981),
    },
    "BR": {
        "yeast": _row(0.630, 0.655, 0.373, 0.782),
        "scene": _row(0.606, 0.706, 0.704, 0.901),
        "delicious": _row(0.174, 0.197, 0.066, 0.982),
    },
}

# dataset -> protocol -> the four main metrics
AUTHORS_CODE_ON_MULAN: dict[str, dict[str, Row]] = {
    "yeast": {"paper": _row(0.647, 0.661, 0.472, 0.797), "t=0.5": _row(0.608, 0.637, 0.411, 0.797)},
    "scene": {"paper": _row(0.749, 0.744, 0.749, 0.910), "t=0.5": _row(0.728, 0.738, 0.742, 0.907)},
}

# Binary relevance with logistic regression, z-scored, on the same split (paper protocol).
BR_ON_MULAN: dict[str, Row] = {
    "yeast": _row(0.632, 0.644, 0.469, 0.788),
    "scene": _row(0.628, 0.639, 0.651, 0.875),
}

# Seconds per epoch (training steps + validation) of the authors' code at embedding 2048, on a
# quiet 2-core CPU machine, torch 2.13. Yeast: 0.58 s for its 11 training steps of 128 and
# 0.50 s of validation, nearly all of it threshold-free metrics recomputed for each of the
# nine thresholds. Peak memory about 590 MiB.
AUTHORS_CODE_SECONDS_PER_EPOCH: dict[str, float] = {"yeast": 1.08, "scene": 0.75}
