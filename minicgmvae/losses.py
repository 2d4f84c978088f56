"""The supervised terms of the objective: binary cross-entropy and the contrastive loss.

BCE, :eq:`eq-bce`, summed over labels and averaged over the batch, computed from logits
(log-sigmoid is evaluated stably; the authors' log(sigmoid(.)) overflows for large logits)::

    L_CE = -1/B sum_b sum_i [ y_bi log s(l_bi) + (1 - y_bi) log(1 - s(l_bi)) ]

Contrastive, :eq:`eq-contrastive`: each anchor a (a decoder output, unit norm) is compared
with ALL label embeddings E_j through a softmax at temperature tau, and pulled towards its
own positive labels P::

    L_CL(a) = -1/|P| sum_{p in P} log [ exp(a . E_p / tau) / sum_{j=1}^{L} exp(a . E_j / tau) ]

The loss is the mean over anchors. Other samples of the batch play no part: the negatives
are the labels, not other samples. An anchor with no positive label has nothing to be
pulled towards; it is left out of the mean (the authors' code divides by zero there).
Book: "Contrastive alignment".
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def bce_from_logits(logits: Tensor, y: Tensor) -> Tensor:
    """L_CE, the binary cross-entropy of :eq:`eq-bce`, from logits.

    Leading dimensions of ``logits`` (e.g. several decodings) are each averaged over the
    batch and then SUMMED, as the authors sum their three BCE terms.

    Args:
        logits: label logits, (..., B, L).
        y: 0/1 labels, (B, L).

    Returns:
        A scalar: summed over labels, averaged over the batch, summed over leading dimensions.
    """
    per_entry = F.binary_cross_entropy_with_logits(logits, y.expand_as(logits), reduction="none")
    return per_entry.sum(-1).mean(-1).sum()


def contrastive_loss(
    anchors: Tensor, y: Tensor, embeddings: Tensor, temperature: float = 1.0
) -> Tensor:
    """L_CL, the contrastive loss of :eq:`eq-contrastive`.

    Args:
        anchors: decoder outputs, (N, e).
        y: the anchors' 0/1 labels, (N, L).
        embeddings: the label embeddings E, (L, e).
        temperature: tau.

    Returns:
        A scalar: the mean over anchors with at least one positive label (0 if none has).
    """
    log_prob = F.log_softmax(F.linear(anchors, embeddings) / temperature, dim=1)  # (N, L)
    n_pos = y.sum(1)
    per_anchor = -(y * log_prob).sum(1) / n_pos.clamp(min=1.0)
    has_pos = (n_pos > 0).to(per_anchor.dtype)
    return (per_anchor * has_pos).sum() / has_pos.sum().clamp(min=1.0)


__all__ = ["bce_from_logits", "contrastive_loss"]
