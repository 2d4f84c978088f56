"""The decoder g, shared by the feature branch and the label branch.

(eq-decoder)  g(x, z) = normalise( LeakyReLU( W_2 ReLU( W_1 [x; z] + b_1 ) + b_2 ) )

with [x; z] the concatenation of the features and the latent point, and normalise the
division by the L2 norm: g lies on the unit sphere in R^e, so g . E_i compares directions
scaled by |E_i|. No dropout. Set ``sees_x=False`` for a decoder of z alone.

For speed, W_1 [x; z] is computed as W_1x x + W_1z z: the x part is shared by the three
decodings of a training step (two feature samples and the label branch) and computed once.
Book: "Contrastive alignment".
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class Decoder(nn.Module):
    """``forward(x: (B, d), z: (..., B, D)) -> g: (..., B, e)``, unit-norm rows."""

    def __init__(
        self,
        n_features: int,
        latent_dim: int,
        embed_dim: int,
        hidden: int = 512,
        sees_x: bool = True,
    ) -> None:
        super().__init__()
        self.n_features = n_features if sees_x else 0
        self.hidden = nn.Linear(self.n_features + latent_dim, hidden)
        self.out = nn.Linear(hidden, embed_dim)

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        d = self.n_features
        w = self.hidden.weight
        h = F.linear(z, w[:, d:], self.hidden.bias)  # W_1z z + b_1
        if d:
            h = h + F.linear(x, w[:, :d])  # + W_1x x, broadcast over the leading dims of z
        g = F.leaky_relu(self.out(F.relu(h)))
        return F.normalize(g, dim=-1)
