"""Small datasets made in the test: a learnable toy set, and MULAN-style ARFF files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minicgmvae.data.datasets import MultiLabelData, from_arrays


def toy(n: int = 120, d: int = 5, n_labels: int = 4, seed: int = 0) -> MultiLabelData:
    """Labels that are simple functions of the features, so a model can learn them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x[:, :n_labels] > 0).astype(np.float32)
    y[:, -1] = y[:, 0]  # two labels that always co-occur
    return from_arrays(x, y, name="toy", val_fraction=0.2, test_fraction=0.2, seed=0)


def write_arff(path: Path, rows: list[str], *, n_feat: int = 3, n_lab: int = 2,
               label_type: str = "{0,1}", feat_type: str = "numeric",
               relation: str = "toy") -> Path:
    """A small MULAN-style ARFF: line 1 @relation, attributes, @data, then ``rows``.

    With the defaults the attributes take lines 2-6, @data is line 7, row i is line 8 + i.
    """
    header = [f"@relation {relation}"]
    header += [f"@attribute f{i} {feat_type}" for i in range(n_feat)]
    header += [f"@attribute lab{j} {label_type}" for j in range(n_lab)]
    header.append("@data")
    path.write_text("\n".join(header + rows) + "\n", encoding="utf-8")
    return path


GOOD_ROWS = ["0.5,1.0,-2.0,1,0", "1.5,2.0,0.0,0,1", "2.5,3.0,2.0,1,1", "3.5,4.0,4.0,0,0"]
