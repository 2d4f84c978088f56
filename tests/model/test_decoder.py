"""The decoder: its split first layer and its written-out normalisation against the plain forms."""

from __future__ import annotations

import torch

from minicgmvae.decoder import Decoder, unit_normalize

from helpers.model import DIM, B, E, F


def test_decoder_split_equals_concatenation():
    torch.manual_seed(0)
    dec = Decoder(F, DIM, E, 32)
    x, z = torch.randn(B, F), torch.randn(3, B, DIM)
    h = torch.relu(dec.hidden(torch.cat([x.expand(3, B, F), z], -1)))
    expected = torch.nn.functional.normalize(torch.nn.functional.leaky_relu(dec.out(h)), dim=-1)
    torch.testing.assert_close(dec(x, z), expected)
    assert Decoder(F, DIM, E, 32, sees_x=False).hidden.in_features == DIM


def test_unit_normalize_gradient_matches_autograd_of_f_normalize():
    torch.manual_seed(0)
    v = torch.randn(2, 5, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(unit_normalize, (v,))
    w = torch.randn(2, 5, 7, dtype=torch.float64)
    (mine,) = torch.autograd.grad((unit_normalize(v) * w).sum(), v)
    (ref,) = torch.autograd.grad((torch.nn.functional.normalize(v, dim=-1) * w).sum(), v)
    torch.testing.assert_close(mine, ref)
    torch.testing.assert_close(unit_normalize(v), torch.nn.functional.normalize(v, dim=-1))
    # a zero row stays finite, as with F.normalize
    zero = torch.zeros(1, 3, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(unit_normalize(zero).sum(), zero)
    assert torch.isfinite(g).all() and (unit_normalize(zero) == 0).all()
