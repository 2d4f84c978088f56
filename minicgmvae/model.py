"""C-GMVAE: the model and its total objective, as the authors' code computes them.

One training step, for a batch (x, y) of B samples:

1. Feature branch: q(z|x) = N(mu_x, sigma_x^2) (:class:`~minicgmvae.encoders.FeatureEncoder`);
   two samples z1, z2 ~ q; decoded with x into g1, g2 (:class:`~minicgmvae.decoder.Decoder`);
   logits g . E_i.
2. Label branch: one Gaussian N(mu_i, sigma_i^2) per label
   (:class:`~minicgmvae.encoders.LabelEncoder`); z_y = mean of mu_i over the positive labels
   P(y) (no sampling, :eq:`eq-label-branch`); decoded with x into g_y.
3. The objective, :eq:`eq-total-code`::

       L = lambda (L_CE(g_y) + L_CE(g1) + L_CE(g2)) + beta KL(q(z|x) || p(z|y))
           + alpha L_CL(g_y, g1)

   with the KL estimated on a fresh sample (:func:`~minicgmvae.kl.kl_monte_carlo`) against
   the prior p(z|y) (:mod:`minicgmvae.prior`), and the contrastive loss over the 2B anchors
   g_y, g1 (:mod:`minicgmvae.losses`).

The paper writes L = L_KL + L_recon + alpha L_CL + lambda L_CE (:eq:`eq-total-paper`; the
paper calls lambda "beta", the book keeps beta for the KL weight: see the notation page); the
code has no feature reconstruction, fixes alpha = 1, weights the KL by 6, and lets the decoder
see x. This class implements the code by default; the switches in
:class:`~minicgmvae.config.ModelConfig` give the ablations. At prediction time only the
feature branch runs, with z = mu_x: p(y_i = 1 | x) = sigmoid(g(x, mu_x) . E_i).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .collapse import free_bits, kl_anneal_factor, min_rate_variance
from .config import ModelConfig
from .decoder import Decoder
from .encoders import FeatureEncoder, LabelEncoder
from .gaussian import reparameterize
from .kl import kl_gaussians, kl_monte_carlo
from .label_embeddings import LabelEmbeddings
from .losses import bce_from_logits, contrastive_loss
from .prior import prior_parameters


@dataclass
class Outputs:
    """What one forward pass returns. B samples, L labels, D latent dims, e embedding dims.

    Attributes:
        feature_mu, feature_logvar: q(z|x), (B, D) each.
        label_mu, label_logvar: the label Gaussians, (L, D) each.
        feature_g: the decodings of the K feature samples, (K, B, e) (K = 2 in training).
        label_g: the decoding of the label branch, (B, e).
        feature_logits: (K, B, L).
        label_logits: (B, L).
    """

    feature_mu: Tensor  # (B, D)
    feature_logvar: Tensor  # (B, D)
    label_mu: Tensor  # (L, D)
    label_logvar: Tensor  # (L, D)
    feature_g: Tensor  # (K, B, e): decodings of the K feature samples (K = 2 in training)
    label_g: Tensor  # (B, e): decoding of the label branch
    feature_logits: Tensor  # (K, B, L)
    label_logits: Tensor  # (B, L)


@dataclass
class LossTerms:
    """The terms of the objective, each a scalar tensor (unweighted), and their weighted sum.

    Attributes:
        total: the weighted sum (:eq:`eq-total-code`), what is minimised.
        bce: the sum of the three BCE terms (:eq:`eq-bce`).
        kl: the KL term, averaged over the batch.
        contrastive: the contrastive loss (:eq:`eq-contrastive`); 0 when switched off.
    """

    total: Tensor
    bce: Tensor  # sum of the three BCE terms
    kl: Tensor
    contrastive: Tensor

    def detached(self) -> dict[str, Tensor]:
        """The terms as a dict of detached tensors, for logging.

        Returns:
            ``{"total": ..., "bce": ..., "kl": ..., "contrastive": ...}``.
        """
        return {k: v.detach() for k, v in self.__dict__.items()}


class CGMVAE(nn.Module):
    """The Gaussian-mixture VAE with contrastive learning (see the module docstring).

    Args:
        config: the architecture and loss weights; :class:`~minicgmvae.config.ModelConfig`.

    Example:
        >>> from minicgmvae import CGMVAE, ModelConfig
        >>> model = CGMVAE(ModelConfig(n_features=103, n_labels=14))
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        c = config
        self.config = c
        cap = min_rate_variance(c.min_rate) if c.min_rate > 0 else None
        self.feature_encoder = FeatureEncoder(
            c.n_features, c.latent_dim, c.feature_hidden, c.dropout, cap
        )
        #: c(t), the KL annealing factor of the epoch in progress (:meth:`begin_epoch`)
        self.kl_factor = 1.0
        self.label_embeddings = LabelEmbeddings(c.n_labels, c.embed_dim)
        self.label_encoder = LabelEncoder(c.embed_dim, c.latent_dim, c.label_hidden, c.dropout)
        self.decoder = Decoder(
            c.n_features, c.latent_dim, c.embed_dim, c.decoder_hidden, c.decoder_sees_x
        )

    def begin_epoch(self, epoch: int) -> None:
        """Set the KL annealing factor c(t) for epoch ``epoch`` (0-based); trainers call this
        hook before each epoch (:func:`minicgmvae.collapse.kl_anneal_factor`).

        Args:
            epoch: the epoch about to run, counting from 0.
        """
        c = self.config
        self.kl_factor = kl_anneal_factor(epoch, c.kl_annealing, c.kl_anneal_epochs)

    def label_gaussians(self) -> tuple[Tensor, Tensor]:
        """(mu_i, logvar_i) of every label (:eq:`eq-label-encoder`).

        Returns:
            ``(mu, logvar)``, each (L, D).
        """
        return self.label_encoder(self.label_embeddings.encoder_inputs())

    def forward(self, x: Tensor, y: Tensor, n_samples: int | None = None) -> Outputs:
        """Both branches, for a batch.

        In training mode ``n_samples`` samples of q(z|x) are decoded (2 by default); in eval mode
        the mean mu_x is decoded once.

        Args:
            x: features, (B, d).
            y: 0/1 labels as floats, (B, L).
            n_samples: K, the number of feature samples decoded in training.

        Returns:
            The :class:`Outputs`.
        """
        mu_x, logvar_x = self.feature_encoder(x)
        if self.training:
            k = 2 if n_samples is None else n_samples
            z = reparameterize(mu_x.expand(k, *mu_x.shape), logvar_x.expand(k, *logvar_x.shape))
        else:
            z = mu_x.unsqueeze(0)
        mu_l, logvar_l = self.label_gaussians()
        # z_y = mean of mu_i over P(y); a sample with no label gets the prior mean 0
        z_y = (y / y.sum(1, keepdim=True).clamp(min=1.0)) @ mu_l
        # one decoder call for the K feature samples and the label branch
        g = self.decoder(x, torch.cat([z, z_y.unsqueeze(0)], dim=0))
        logits = self.label_embeddings.logits(g)
        return Outputs(mu_x, logvar_x, mu_l, logvar_l, g[:-1], g[-1], logits[:-1], logits[-1])

    def loss(self, outputs: Outputs, y: Tensor) -> LossTerms:
        """The total objective (:eq:`eq-total-code`) and its terms.

        Args:
            outputs: what :meth:`forward` returned for this batch.
            y: the batch's 0/1 labels, (B, L).

        Returns:
            The :class:`LossTerms`; ``total`` is what training minimises.
        """
        c = self.config
        o = outputs
        bce = bce_from_logits(torch.cat([o.label_logits.unsqueeze(0), o.feature_logits]), y)
        kl, kl_minimised = self._kl(o, y)
        if c.contrastive_weight:
            anchors = torch.cat([o.label_g, o.feature_g[0]])
            cl = contrastive_loss(
                anchors, torch.cat([y, y]), self.label_embeddings.weight, c.temperature
            )
        else:
            cl = torch.zeros((), device=y.device)
        kl_weight = c.kl_weight * self.kl_factor  # c(t) = 1 unless annealing
        total = c.bce_weight * bce + kl_weight * kl_minimised + c.contrastive_weight * cl
        return LossTerms(total, bce, kl, cl)

    def _kl(self, o: Outputs, y: Tensor) -> tuple[Tensor, Tensor]:
        """The batch's mean KL, and what is minimised: the same, or with free bits
        (:eq:`eq-free-bits`; per dimension in closed form, one group for Monte Carlo)."""
        c = self.config
        if c.kl_estimator == "monte_carlo":
            kl = kl_monte_carlo(
                o.feature_mu, o.feature_logvar, y, o.label_mu, o.label_logvar, c.prior
            )
            floored = free_bits(kl, c.free_bits * c.latent_dim) if c.free_bits else None
            return kl.mean(), kl.mean() if floored is None else floored
        p_mu, p_logvar = prior_parameters(y, o.label_mu, o.label_logvar, c.prior)
        kl = kl_gaussians(o.feature_mu, o.feature_logvar, p_mu, p_logvar)
        if not c.free_bits:
            return kl.mean(), kl.mean()
        # one KL per dimension, (B, D): a trailing axis keeps kl_gaussians from summing
        per_dim = kl_gaussians(*(t.unsqueeze(-1) for t in (o.feature_mu, o.feature_logvar,
                                                           p_mu, p_logvar)))
        return kl.mean(), free_bits(per_dim, c.free_bits)

    @torch.no_grad()
    def predict_logits(self, x: Tensor, batch_size: int = 4096) -> Tensor:
        """Logits g(x, mu_x) . E_i of the feature branch (:eq:`eq-logit`), in eval mode.

        Args:
            x: features, (N, d).
            batch_size: rows decoded at a time.

        Returns:
            Logits, (N, L). The model's training mode is restored afterwards.
        """
        was_training = self.training
        self.eval()
        try:
            emb = self.label_embeddings
            out = [
                emb.logits(self.decoder(xb, self.feature_encoder(xb)[0]))
                for xb in x.split(batch_size)
            ]
        finally:
            self.train(was_training)
        return torch.cat(out) if out else x.new_zeros(0, self.config.n_labels)

    def predict_proba(self, x: Tensor, batch_size: int = 4096) -> Tensor:
        """p(y_i = 1 | x) = sigmoid(logit_i).

        Args:
            x: features, (N, d).
            batch_size: rows decoded at a time.

        Returns:
            Probabilities, (N, L).
        """
        return torch.sigmoid(self.predict_logits(x, batch_size))
