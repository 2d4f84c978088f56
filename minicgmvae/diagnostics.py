"""Is the latent space used? Four measures, and what each one sees.

Posterior collapse: when the KL term wins, q(z|x) stops depending on x and every sample is
encoded to (nearly) the same distribution; the decoder then ignores z. Measures of the
*stochastic* latent, the z that training samples:

* activity of dimension d (Burda, Grosse, Salakhutdinov, 2016): the variance over the data of
  the posterior mean, A_d = Var_x( E_q[z_d | x] ); the dimension is "active" if A_d > 0.01.
  The threshold is absolute: it assumes the posterior noise sigma_d is about 1, as it is
  when q(z|x) sits on a unit-variance prior;
* the KL to the standard normal per dimension, averaged over the data (:eq:`eq-kl-closed`
  with N(0, 1)): KL_d = E_x[ 1/2 (sigma_d^2 + mu_d^2 - 1 - log sigma_d^2) ];
* the mutual information of the aggregate posterior, :eq:`eq-mutual-information`,
  I(x; z) = E_x KL(q(z|x) || q(z)) with q(z) = 1/N sum_n q(z|x_n) (Hoffman and Johnson, 2016;
  estimated as in He et al., 2019): the nats about x that one sample of z carries; at most
  log N. Unlike the activity it compares the spread of the means with the noise.

And one measure of the *prediction*, which uses z = mu_x, not a sample:

* ``z_effect``: the mean change of the predicted probabilities when the decoder gets the
  data's average posterior mean instead of mu_x. It is 0 exactly when the prediction does
  not depend on x through z. (An earlier version compared with z = 0, which also counts a
  constant offset of mu as an effect: see the book's chapter "A living latent space".)

A model can have 0 active units and I(x; z) ~ 0 yet a z_effect well above 0: the means move
by far less than the noise, so a sample of z says almost nothing about x, but the
prediction, which decodes the noiseless mean, can still amplify that small movement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .gaussian import log_normal
from .kl import kl_gaussians

ACTIVE_THRESHOLD = 0.01


@dataclass
class LatentUsage:
    """Per-dimension activity and KL, and the number of active units.

    Attributes:
        activity: (D,) variance over the data of the posterior mean.
        kl_per_dim: (D,) mean KL(q(z_d|x) || N(0, 1)).
        active_units: the number of dimensions whose activity exceeds ``threshold``.
        threshold: the activity above which a dimension counts as active.
    """

    activity: Tensor  # (D,) variance over the data of the posterior mean
    kl_per_dim: Tensor  # (D,) mean KL(q(z_d|x) || N(0, 1))
    active_units: int
    threshold: float


def latent_usage(mu: Tensor, logvar: Tensor, threshold: float = ACTIVE_THRESHOLD) -> LatentUsage:
    """Activity and per-dimension KL from the encoder's outputs.

    Args:
        mu: posterior means, (N, D).
        logvar: posterior log-variances, (N, D).
        threshold: the activity above which a dimension counts as active.

    Returns:
        The :class:`LatentUsage`.
    """
    activity = mu.var(dim=0, unbiased=False)
    zeros = torch.zeros_like(mu)
    # kl_gaussians sums over its last dimension; add a trailing axis to keep dimensions apart
    kl = kl_gaussians(
        mu.unsqueeze(-1), logvar.unsqueeze(-1), zeros.unsqueeze(-1), zeros.unsqueeze(-1)
    )
    return LatentUsage(activity, kl.mean(0), int((activity > threshold).sum()), threshold)


@torch.no_grad()
def mutual_information(mu: Tensor, logvar: Tensor, seed: int = 0, chunk: int = 512) -> float:
    """I(x; z) of the aggregate posterior over the N samples given (:eq:`eq-mutual-information`).

    One z_n ~ q(z|x_n) per sample; then
    I ~= mean_n [ log q(z_n|x_n) - log (1/N sum_m q(z_n|x_m)) ].
    The estimate lies in [-log N, log N] up to sampling noise, and is about 0 when every
    q(z|x_n) is the same distribution.

    Args:
        mu: posterior means, (N, D).
        logvar: posterior log-variances, (N, D).
        seed: the seed of the samples z_n (so the number is reproducible).
        chunk: rows of the N x N density table computed at a time (memory: chunk * N * D).

    Returns:
        The estimate in nats, as a float.
    """
    gen = torch.Generator(device="cpu").manual_seed(seed)
    eps = torch.randn(mu.shape, generator=gen, dtype=mu.dtype).to(mu.device)
    z = mu + torch.exp(0.5 * logvar) * eps
    log_n = torch.log(torch.tensor(float(len(mu)), dtype=mu.dtype))
    total = mu.new_zeros(())
    for start in range(0, len(mu), chunk):
        zc = z[start:start + chunk]
        table = log_normal(zc.unsqueeze(1), mu.unsqueeze(0), logvar.unsqueeze(0))  # (c, N)
        own = table.diagonal(offset=start)  # log q(z_n | x_n)
        total = total + (own - (torch.logsumexp(table, dim=1) - log_n)).sum()
    return float(total / len(mu))


@torch.no_grad()
def model_latent_usage(
    model: torch.nn.Module, x: Tensor, threshold: float = ACTIVE_THRESHOLD
) -> LatentUsage:
    """:func:`latent_usage` of a C-GMVAE's feature encoder, in eval mode.

    Args:
        model: a :class:`~minicgmvae.model.CGMVAE` (anything with a ``feature_encoder``).
        x: features, (N, d), on the model's device.
        threshold: the activity above which a dimension counts as active.

    Returns:
        The :class:`LatentUsage`. The model's training mode is restored afterwards.
    """
    was_training = model.training
    model.eval()
    try:
        mu, logvar = model.feature_encoder(x)
    finally:
        model.train(was_training)
    return latent_usage(mu, logvar, threshold)


@torch.no_grad()
def collapse_report(model: torch.nn.Module, x: Tensor) -> dict[str, float]:
    """Numbers that say whether C-GMVAE's latent space carries information, on features ``x``.

    * ``active_units`` and ``kl_to_standard_normal`` (summed over dimensions, averaged over
      the samples) of q(z|x), from :func:`latent_usage`, and ``kl_max_dim``, the largest KL
      of one dimension;
    * ``mutual_information``: I(x; z) in nats (:func:`mutual_information`);
    * ``label_mu_norm``: the mean length of the label Gaussians' means mu_i, and
      ``label_var``: their mean variance (about 0 and 1 when the label Gaussians have
      collapsed onto N(0, I) too);
    * ``z_effect``: the mean absolute change of the predicted probabilities when the decoder
      gets the average posterior mean instead of mu_x: 0 when the prediction does not depend
      on x through z; and ``z_effect_vs_zero``, the same against z = 0 (the earlier measure,
      which also counts a constant offset of mu).

    Args:
        model: a :class:`~minicgmvae.model.CGMVAE`.
        x: features, (N, d), on the model's device.

    Returns:
        ``{name: value}`` with the eight numbers above, as floats.
    """
    was_training = model.training
    model.eval()
    try:
        mu, logvar = model.feature_encoder(x)
        usage = latent_usage(mu, logvar)
        mu_l, logvar_l = model.label_gaussians()
        probs = [torch.sigmoid(model.label_embeddings.logits(model.decoder(x, z)))
                 for z in (mu, mu.mean(0, keepdim=True).expand_as(mu), torch.zeros_like(mu))]
    finally:
        model.train(was_training)
    return {
        "active_units": float(usage.active_units),
        "kl_to_standard_normal": float(usage.kl_per_dim.sum()),
        "kl_max_dim": float(usage.kl_per_dim.max()),
        "mutual_information": mutual_information(mu, logvar),
        "label_mu_norm": float(mu_l.norm(dim=1).mean()),
        "label_var": float(logvar_l.exp().mean()),
        "z_effect": float((probs[0] - probs[1]).abs().mean()),
        "z_effect_vs_zero": float((probs[0] - probs[2]).abs().mean()),
    }


def embedding_cooccurrence(embeddings: Tensor, y: Tensor) -> dict[str, float]:
    """Does the embedding geometry follow the data? Correlates cos(E_i, E_j) with phi_ij.

    Over label pairs i < j, the cosine of the two embeddings is set against
    phi_ij = corr(y_i, y_j) (:eq:`eq-phi`), the Pearson correlation of the two 0/1 label
    columns: positive for labels that occur together more often than chance, negative for
    labels that exclude each other. Labels that never vary in ``y`` are left out.

    Args:
        embeddings: E, (L, e).
        y: 0/1 labels, (N, L), e.g. the training labels.

    Returns:
        ``{"pearson": r, "spearman": rho, "n_pairs": n}``; the correlations are nan with fewer
        than 3 pairs.
    """
    from scipy.stats import pearsonr, spearmanr

    e = torch.nn.functional.normalize(embeddings.detach().double(), dim=1)
    cos = (e @ e.T).cpu().numpy()
    yy = y.detach().double().cpu().numpy()
    varies = yy.std(0) > 0
    phi = np.corrcoef(yy[:, varies], rowvar=False)
    cos = cos[np.ix_(varies, varies)]
    i, j = np.triu_indices(int(varies.sum()), k=1)
    if len(i) < 3:
        return {"pearson": float("nan"), "spearman": float("nan"), "n_pairs": float(len(i))}
    return {
        "pearson": float(pearsonr(cos[i, j], phi[i, j]).statistic),
        "spearman": float(spearmanr(cos[i, j], phi[i, j]).statistic),
        "n_pairs": float(len(i)),
    }


def standard_diagnostics(model: torch.nn.Module, data: Any) -> dict[str, float]:
    """The diagnostics every study record carries, in one flat dict.

    :func:`collapse_report` on the test features, and the Spearman correlation of
    :func:`embedding_cooccurrence` against the training labels.

    Args:
        model: a trained :class:`~minicgmvae.model.CGMVAE`.
        data: the dataset it was trained on (:class:`~minicgmvae.data.datasets.MultiLabelData`
            or anything with ``x_test`` and ``y_train``).

    Returns:
        The numbers of :func:`collapse_report` and
        ``"embedding_cooccurrence_spearman"``.
    """
    dev = next(model.parameters()).device
    out = collapse_report(model, torch.as_tensor(data.x_test, device=dev))
    corr = embedding_cooccurrence(model.label_embeddings.weight, torch.as_tensor(data.y_train))
    out["embedding_cooccurrence_spearman"] = corr["spearman"]
    return out
