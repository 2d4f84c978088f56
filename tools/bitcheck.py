"""Print a digest of a short training run, to show that a refactoring moved no number.

    python tools/bitcheck.py [--epochs 60] [--seed 1]

Trains C-GMVAE on yeast at the authors' settings for a few epochs on the CPU with one thread
(so that the float order is fixed), and prints the best epoch, its validation score and the
SHA-256 of the history (wall times left out) and of the weights. Run it before and after a
change that should not change the arithmetic: the two lines must be equal. A change that is
meant to move numbers (a new random draw, another order of a sum) changes the digest, and
then every stored result in ``minicgmvae/results/`` has to be re-run.

The digest depends on the CPU as well as on the code: PyTorch picks its vector kernels (and so
the order of float sums) by the instructions the processor has. Compare digests from one
machine only. Two machines, same code (commit 59b66a5), torch 2.13.0, 60 epochs, seed 1:

- the machine that made the stored yeast run (``minicgmvae/results/yeast``, whose seed 1 also
  chose epoch 57): best epoch 57, best score 0.52089071..., history 69cc3202...,
  weights 14b47a0d...;
- an AVX-512 Xeon: best epoch 53, best score 0.52010578..., history 2625c83b...,
  weights 011746fa....
"""

from __future__ import annotations

import argparse
import hashlib
import json

import torch

import minicgmvae as mc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(1)
    data = mc.load_dataset("yeast", progress=False)
    settings = mc.paper_settings("yeast", data.n_features, data.n_labels,
                                 epochs=args.epochs, seed=args.seed)
    result = mc.fit(data, settings.model, settings.train, device="cpu", progress=False)
    weights = hashlib.sha256()
    for name, tensor in result.model.state_dict().items():
        weights.update(name.encode())
        weights.update(tensor.numpy().tobytes())
    history = {k: v for k, v in result.history.items() if "seconds" not in k}
    print(json.dumps({
        "best_epoch": result.best_epoch,
        "best_score": result.best_score,
        "history_sha256": hashlib.sha256(json.dumps(history).encode()).hexdigest(),
        "weights_sha256": weights.hexdigest(),
    }))


if __name__ == "__main__":
    main()
