"""Remedies for posterior collapse: keep q(z|x) from falling onto the prior.

When the KL term wins, q(z|x) stops depending on x (the book's chapter "A living latent
space"). Four remedies from the literature, each a field of
:class:`~minicgmvae.config.ModelConfig` whose default is the authors' behaviour (off):

* a small KL weight ``kl_weight`` (beta << 1; Higgins et al. 2017 raise it, Alemi et al. 2018
  show the rate-distortion trade-off it sets), already a field;
* KL annealing, :eq:`eq-kl-anneal`: the KL weight is multiplied by a factor c(k) of the
  0-based epoch k, a linear warm-up over W epochs (Bowman et al. 2016) or a cyclical schedule
  that repeats a warm-up over the first half of every cycle of W epochs, then holds 1
  (Fu et al. 2019)::

      c_linear(k) = min(1, (k + 1) / W)        c_cyclical(k) = min(1, 2 ((k mod W) + 1) / W)

* free bits, :eq:`eq-free-bits` (Kingma et al. 2016): the KL is not pushed below a floor of
  kappa nats per latent dimension, averaged over the batch. With a closed-form KL the floor
  applies per dimension, sum_d max(kappa, E_B KL_d); the mixture prior has only a
  Monte-Carlo estimate of the whole KL, which does not split into dimensions, so there the
  floor applies to the whole latent as one group: max(D kappa, E_B KL);
* a minimum rate, delta-VAE style (Razavi et al. 2019): the posterior variance is capped below
  1, sigma_d^2 <= v, so that even with mu = 0 the KL to N(0, 1) of each dimension is at least
  delta = (v - 1 - log v) / 2 (:eq:`eq-min-rate`). The cap is solved from delta. Against a
  learnt prior (the label Gaussians) the bound holds only if the prior keeps unit variance;
  the book measures whether it does.

The trainer knows nothing of these: it calls the model's ``begin_epoch(epoch)`` hook, and the
model asks :func:`kl_anneal_factor` for the epoch's factor.
"""

from __future__ import annotations

import math

from torch import Tensor

from .config import KL_ANNEALING


def kl_anneal_factor(epoch: int, schedule: str, epochs: int) -> float:
    """The factor c(k) multiplying the KL weight in epoch ``epoch`` (:eq:`eq-kl-anneal`).

    Args:
        epoch: k, the 0-based epoch about to run.
        schedule: ``"none"`` (always 1), ``"linear"`` or ``"cyclical"``.
        epochs: W, the warm-up length for ``"linear"``, or the cycle length for
            ``"cyclical"`` (the factor rises over its first half).

    Returns:
        c(k) in [0, 1]; the first epoch of a warm-up trains with a small positive factor.

    Raises:
        ValueError: an unknown schedule.
    """
    if schedule == "none" or epochs <= 0:
        return 1.0
    if schedule == "linear":
        return min(1.0, (epoch + 1) / epochs)
    if schedule == "cyclical":
        return min(1.0, 2.0 * ((epoch % epochs) + 1) / epochs)
    raise ValueError(f"Unknown KL annealing {schedule!r}; choose one of {KL_ANNEALING}.")


def free_bits(kl: Tensor, floor: float) -> Tensor:
    """The batch-averaged KL, each group held at or above ``floor`` (:eq:`eq-free-bits`).

    Args:
        kl: KL estimates per sample: (B,) for the whole latent as one group (the
            Monte-Carlo case), or (B, D) for one group per dimension (the closed-form case).
        floor: nats per group: kappa per dimension, or D * kappa for the whole latent.

    Returns:
        A scalar: the sum over groups of max(floor, the group's mean KL over the batch). Below
        the floor the gradient is zero, so the encoder is free to use those nats.
    """
    return kl.mean(0).clamp(min=floor).sum()


def min_rate_variance(delta: float) -> float:
    """The posterior variance cap v < 1 whose KL to N(0, 1) is ``delta`` nats per dimension.

    Solves (v - 1 - log v) / 2 = delta for v in (0, 1) by bisection (the left side falls
    from infinity to 0 on that interval).

    Args:
        delta: the minimum rate per dimension, > 0.

    Returns:
        v, the largest posterior variance allowed.

    Raises:
        ValueError: ``delta <= 0``.
    """
    if delta <= 0:
        raise ValueError(f"min_rate must be > 0 to cap the variance, got {delta}.")
    lo, hi = 1e-12, 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 0.5 * (mid - 1.0 - math.log(mid)) > delta:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


__all__ = ["free_bits", "kl_anneal_factor", "min_rate_variance"]
