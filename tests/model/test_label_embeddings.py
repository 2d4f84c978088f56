"""The label embeddings E hold the values of the authors' linear layer, in its own layout."""

from __future__ import annotations

import torch

from minicgmvae.label_embeddings import LabelEmbeddings


def test_label_embeddings_hold_the_authors_linear_layer_values():
    torch.manual_seed(3)
    emb = LabelEmbeddings(4, 16)
    torch.manual_seed(3)
    authors = torch.nn.Linear(4, 16)  # the same draws, in the authors' layout
    torch.testing.assert_close(emb.weight, authors.weight.t(), rtol=0, atol=0)
    torch.testing.assert_close(emb.encoder_inputs(), authors(torch.eye(4)))
    g = torch.randn(3, 16)
    torch.testing.assert_close(emb.logits(g), g @ authors.weight)
    assert emb.weight.is_contiguous() and emb.weight.shape == (4, 16)
