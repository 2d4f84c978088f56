"""Label embeddings E: the label encoder's input AND the classifier.

The authors store E as the weight of ``nn.Linear(L, e)``: a one-hot label i picks column i,
so E_i = W[:, i], and the layer's bias b is added only on the way into the label encoder
(relu(E_i + b)). The SAME E_i is the classifier of label i: with the decoder's output
g in R^e, the logit of label i is

(eq-logit)  s_i = g . E_i                 (no bias; p(y_i = 1 | x) = sigmoid(s_i))

and the contrastive loss compares g with all E_j. Book: "The mixture prior" and
"Contrastive alignment".
"""

from __future__ import annotations

from torch import Tensor, nn


class LabelEmbeddings(nn.Module):
    """E in R^{L x e}, stored (and initialised) as ``nn.Linear(L, e)``."""

    def __init__(self, n_labels: int, embed_dim: int) -> None:
        super().__init__()
        self.lookup = nn.Linear(n_labels, embed_dim)

    @property
    def weight(self) -> Tensor:
        """E, (L, e): row i is label i's embedding."""
        return self.lookup.weight.t()

    def encoder_inputs(self) -> Tensor:
        """E_i + b for every label, (L, e): ``lookup`` applied to the L one-hot rows."""
        return self.lookup.weight.t() + self.lookup.bias

    def logits(self, g: Tensor) -> Tensor:
        """s = g E^T (eq-logit). ``g`` (..., e) -> logits (..., L)."""
        return g @ self.lookup.weight
