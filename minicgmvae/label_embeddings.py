"""Label embeddings E: the label encoder's input AND the classifier.

The authors store E as the weight of ``nn.Linear(L, e)``: a one-hot label i picks column i,
so E_i = W[:, i], and the layer's bias b is added only on the way into the label encoder
(relu(E_i + b)). The SAME E_i is the classifier of label i: with the decoder's output
g in R^e, the logit of label i is, :eq:`eq-logit`::

    s_i = g . E_i                 (no bias; p(y_i = 1 | x) = sigmoid(s_i))

and the contrastive loss compares g with all E_j. Book: "The mixture prior" and
"Contrastive alignment".

Storage: E is kept as its own (L, e) matrix, the transpose of the authors' W, initialised
exactly as ``nn.Linear(L, e)`` initialises W. The values are the same; the layout is not.
With few labels (L = 6 on scene) the products g E^T and their gradients are "skinny"
matrix products, and a contiguous (L, e) operand runs them several times faster than the
strided view W^T (see ``python -m minicgmvae benchmark``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class LabelEmbeddings(nn.Module):
    """E in R^{L x e} (``weight``) and the label encoder's input bias b in R^e (``bias``).

    Args:
        n_labels: L, the number of labels.
        embed_dim: e, the size of each embedding.
    """

    def __init__(self, n_labels: int, embed_dim: int) -> None:
        super().__init__()
        # Draw W (e, L) and b exactly as nn.Linear(L, e) would, then keep E = W^T contiguous.
        linear = nn.Linear(n_labels, embed_dim)
        self.weight = nn.Parameter(linear.weight.detach().t().contiguous())
        self.bias = nn.Parameter(linear.bias.detach().clone())

    def encoder_inputs(self) -> Tensor:
        """E_i + b for every label, (L, e): what ``nn.Linear(L, e)`` gives for one-hot rows."""
        return self.weight + self.bias

    def logits(self, g: Tensor) -> Tensor:
        """s = g E^T (:eq:`eq-logit`).

        Args:
            g: decoder outputs, (..., e).

        Returns:
            Logits, (..., L).
        """
        return F.linear(g, self.weight)

    def as_linear(self) -> nn.Linear:
        """The authors' ``nn.Linear(L, e)`` with these values (a copy, for comparison)."""
        w = self.weight
        linear = nn.Linear(w.shape[0], w.shape[1], device=w.device, dtype=w.dtype)
        with torch.no_grad():
            linear.weight.copy_(self.weight.t())
            linear.bias.copy_(self.bias)
        return linear
