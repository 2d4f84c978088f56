"""The decoder g, shared by the feature branch and the label branch.

:eq:`eq-decoder`::

    g(x, z) = normalise( LeakyReLU( W_2 ReLU( W_1 [x; z] + b_1 ) + b_2 ) )

with [x; z] the concatenation of the features and the latent point, and normalise the
division by the L2 norm: g lies on the unit sphere in R^e, so the logit g . E_i
(:eq:`eq-logit`) compares directions, scaled by the norm of E_i. No dropout. Set
``sees_x=False`` for a decoder of z alone.

For speed, W_1 [x; z] is computed as W_1x x + W_1z z: the x part is shared by the three
decodings of a training step (two feature samples and the label branch) and computed once,
and the normalisation has its gradient written out (:class:`UnitNormalize`).
Book: "Contrastive alignment".
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class UnitNormalize(torch.autograd.Function):
    """u = v / norm(v) over the last dimension, with its gradient written out.

    The gradient::

        dL/dv = (dL/du - u (u . dL/du)) / norm(v)

    is the incoming gradient with its component along u removed (moving v along itself does
    not move u), scaled by 1 / norm(v). It equals the gradient autograd derives for
    ``F.normalize``, but in three cheap passes over the (K, B, e) tensor where the generic
    graph takes several times longer (the largest elementwise cost of a training step).
    Norms below ``eps`` are clamped, as ``F.normalize`` does. Call it through
    :func:`unit_normalize`.
    """

    @staticmethod
    def forward(ctx: Any, v: Tensor, eps: float = 1e-12) -> Tensor:
        """u = v / max(norm(v), eps); saves u and 1 / norm(v) for the backward pass.

        Args:
            ctx: the autograd context.
            v: vectors, (..., e).
            eps: the smallest norm divided by.

        Returns:
            u, same shape as ``v``.
        """
        inv_norm = torch.linalg.vector_norm(v, dim=-1, keepdim=True).clamp_min(eps).reciprocal()
        u = v * inv_norm
        ctx.save_for_backward(u, inv_norm)
        return u

    @staticmethod
    def backward(ctx: Any, grad_u: Tensor) -> tuple[Tensor, None]:
        """dL/dv from dL/du (see the class docstring).

        Args:
            ctx: the autograd context, holding u and 1 / norm(v).
            grad_u: dL/du, (..., e).

        Returns:
            ``(dL/dv, None)``: no gradient for ``eps``.
        """
        u, inv_norm = ctx.saved_tensors
        radial = (grad_u * u).sum(-1, keepdim=True)
        return (grad_u - u * radial) * inv_norm, None


def unit_normalize(v: Tensor, eps: float = 1e-12) -> Tensor:
    """v / max(norm(v), eps) along the last dimension (:class:`UnitNormalize`).

    Args:
        v: vectors, (..., e).
        eps: the smallest norm divided by.

    Returns:
        Unit vectors, same shape as ``v``.
    """
    return UnitNormalize.apply(v, eps)


class Decoder(nn.Module):
    """The decoder g(x, z) (:eq:`eq-decoder`): unit-norm outputs in R^e.

    Args:
        n_features: d, the feature dimension (ignored when ``sees_x`` is False).
        latent_dim: D, the size of z.
        embed_dim: e, the size of the output (and of the label embeddings).
        hidden: the width of the hidden layer.
        sees_x: decode concat(x, z), as the authors' code does; False decodes z alone.
    """

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
        """Decode one or several latent samples of the same batch.

        Args:
            x: features, (B, d); not read when the decoder does not see x.
            z: latent points, (..., B, D); leading dimensions (several samples) share ``x``.

        Returns:
            g, (..., B, e), rows of unit norm.
        """
        d = self.n_features
        w = self.hidden.weight
        h = F.linear(z, w[:, d:], self.hidden.bias)  # W_1z z + b_1
        if d:
            h = h + F.linear(x, w[:, :d])  # + W_1x x, broadcast over the leading dims of z
        g = F.leaky_relu(self.out(F.relu(h)))
        return unit_normalize(g)
