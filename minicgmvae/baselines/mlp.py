"""The plain MLP baseline, trained with BCE or with the asymmetric loss (ASL).

Both train with :func:`minicgmvae.trainer.train_model`, the loop that trains C-GMVAE, with
their own optimiser (PyTorch's default Adam, no schedule) and selection (the epoch with the
best validation macro-F1 at t = 0.5), the settings their stored results were made with.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..config import TrainConfig
from ..device import get_device
from ..trainer import seeded, train_model
from .common import BaselineScores, SplitData, check_splits


class MLP(nn.Module):
    """``x (B, d) -> [Linear -> ReLU -> Dropout] per hidden size -> Linear -> logits (B, L)``.

    Args:
        d_in: d, the number of features.
        n_labels: L, the number of labels (outputs).
        hidden: the widths of the hidden layers, in order (empty: a linear model).
        dropout: the drop probability after each hidden layer.
    """

    def __init__(
        self, d_in: int, n_labels: int, hidden: Sequence[int] = (256,), dropout: float = 0.5
    ):
        super().__init__()
        layers: list[nn.Module] = []
        width = d_in
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, n_labels))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of every label.

        Args:
            x: features, (B, d).

        Returns:
            Logits, (B, L); ``sigmoid`` gives the probabilities.
        """
        return self.net(x)

    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Probabilities of every label, in eval mode (the mode is restored after).

        Args:
            x: features, (B, d).

        Returns:
            ``sigmoid(logits)``, (B, L).
        """
        was_training = self.training
        self.eval()
        with torch.no_grad():
            probs = torch.sigmoid(self(x))
        self.train(was_training)
        return probs


def mlp_baseline(
    data: SplitData,
    hidden: Sequence[int] = (256,),
    epochs: int = 200,
    lr: float = 1e-3,
    weight_decay: float = 1e-5,
    dropout: float = 0.5,
    batch_size: int = 128,
    seed: int = 0,
    device: str | torch.device | None = "auto",
    progress: bool = True,
) -> BaselineScores:
    """A plain MLP trained with binary cross-entropy, best validation macro-F1 kept.

    Loss per batch: ``mean_b sum_l BCEWithLogits(f(x_b)_l, y_bl)`` (summed over labels like the
    authors' BCE terms). Adam; after every epoch the validation macro-F1 at t = 0.5 is computed
    on the device and the best epoch's weights are kept (earliest on ties).

    The run is seeded and leaves the caller's global RNG state untouched: on the CPU two calls
    with the same seed give identical scores.

    Args:
        data: the splits (features should be standardised).
        hidden: hidden layer widths.
        epochs: passes over the training set (the partial last batch included). The default,
            200, takes ~5 s on yeast on one CPU thread; the best validation epoch there is
            ~150.
        lr, weight_decay: Adam's settings.
        dropout: drop probability after each hidden layer.
        batch_size: mini-batch size.
        seed: seeds initialisation, dropout and shuffling.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ... (see :func:`~minicgmvae.device.get_device`).
        progress: show a tqdm bar over epochs.

    Returns:
        :class:`BaselineScores`; ``info`` has ``best_epoch`` (1-based), ``best_val_macro_f1``
        and the per-epoch ``history``.
    """
    check_splits(data)
    settings = MLPSettings(hidden, epochs, lr, weight_decay, dropout, batch_size, seed)
    out = _train_mlp_seeded(data, settings, _bce_sum_over_labels, device, progress, desc="mlp")
    out.info["loss"] = "bce"
    return out


#: The type of a training loss, ``loss(logits (B, L), y (B, L)) -> scalar``.
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _bce_sum_over_labels(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``mean_b sum_l BCEWithLogits(logits_bl, y_bl)``: summed over labels, mean over the batch."""
    return F.binary_cross_entropy_with_logits(logits, y, reduction="sum") / len(y)


@dataclass(frozen=True)
class MLPSettings:
    """The MLP baselines' architecture and training settings (see :func:`mlp_baseline`).

    Attributes:
        hidden: the hidden layer widths.
        epochs: passes over the training set.
        lr: Adam's learning rate.
        weight_decay: Adam's weight decay.
        dropout: the drop probability after each hidden layer.
        batch_size: the minibatch size.
        seed: seeds the initialisation, dropout and shuffling.
    """

    hidden: Sequence[int] = (256,)
    epochs: int = 200
    lr: float = 1e-3
    weight_decay: float = 1e-5
    dropout: float = 0.5
    batch_size: int = 128
    seed: int = 0

    def to_info(self) -> dict[str, object]:
        """JSON-friendly, as the records store them."""
        info = asdict(self)
        del info["seed"]  # the record stores the seed itself
        info["hidden"] = [int(h) for h in self.hidden]
        return info


def _train_mlp_seeded(data: SplitData, settings: MLPSettings, loss_fn: LossFn,
                      device: str | torch.device | None, progress: bool,
                      desc: str) -> BaselineScores:
    """The MLP built (seeded with ``settings.seed``; the caller's global RNG state is given
    back afterwards) and trained by :func:`~minicgmvae.trainer.train_model` minimising
    ``loss_fn(logits, y)`` per minibatch; the best validation macro-F1 at t = 0.5 (earliest
    on ties) keeps its weights."""
    dev = get_device(device)
    tc = TrainConfig(lr=settings.lr, epochs=settings.epochs, batch_size=settings.batch_size,
                     weight_decay=settings.weight_decay, seed=settings.seed)
    d, n_labels = np.shape(data.x_train)[1], np.shape(data.y_train)[1]
    with seeded(settings.seed, dev):
        model = MLP(d, n_labels, settings.hidden, settings.dropout).to(dev)
        # PyTorch's default Adam and no schedule, as the stored baseline rows were made
        opt = torch.optim.Adam(model.parameters(), lr=settings.lr,
                               weight_decay=settings.weight_decay)

        def loss_terms(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return loss_fn(model(x), y).reshape(1)  # (1,): the loss, the one term reported

        res = train_model(model, data, tc, loss_terms, opt, None, thresholds=(0.5,),
                          progress=progress, desc=desc)
    val, test = (model.predict_proba(torch.as_tensor(np.asarray(a, dtype=np.float32),
                                                     device=dev)).cpu().numpy()
                 for a in (data.x_val, data.x_test))
    history = [{"epoch": e, "train_loss": loss, "val_macro_f1": f1} for e, loss, f1
               in zip(res.history["epoch"], res.history["loss"], res.history["val_score"])]
    info = {**settings.to_info(), "device": str(dev), "best_epoch": int(res.best_epoch),
            "best_val_macro_f1": float(res.best_score), "history": history}
    return BaselineScores(val.astype(np.float32), test.astype(np.float32), info)


# ---------------------------------------------------------------------------------------------
# Asymmetric loss (ASL) and the MLP trained with it
# ---------------------------------------------------------------------------------------------
def _check_asl_args(gamma_neg: float, gamma_pos: float, clip: float) -> None:
    if not (gamma_neg >= 0 and gamma_pos >= 0):  # also rejects NaN
        raise ValueError(f"gamma_neg and gamma_pos must be >= 0; got {gamma_neg}, {gamma_pos}.")
    if not 0 <= clip < 1:
        raise ValueError(f"clip must be in [0, 1); got {clip}.")


def asymmetric_loss(
    logits: torch.Tensor,
    y: torch.Tensor,
    gamma_neg: float = 4.0,
    gamma_pos: float = 0.0,
    clip: float = 0.05,
    eps: float = 1e-8,
) -> torch.Tensor:
    """The asymmetric loss of Ridnik et al., "Asymmetric Loss For Multi-Label Classification"
    (ICCV 2021), summed over labels and averaged over the batch.

    With ``p = sigmoid(logit)`` and the shifted probability ``p_m = max(p - clip, 0)`` (easy
    negatives, ``p < clip``, are discarded entirely)::

        L = mean_b -sum_l [ y (1 - p)^gamma_pos log(p)
                            + (1 - y) p_m^gamma_neg log(1 - p_m) ]

    The same reduction as the BCE baseline. With ``gamma_neg = gamma_pos = 0`` and ``clip = 0``
    it is BCE with logits.

    The focusing weights ``(1 - p)^gamma_pos`` and ``p_m^gamma_neg`` are constants for the
    gradient (computed under ``torch.no_grad``, the official implementation's
    ``disable_torch_grad_focal_loss=True``): the gradient is that of the log terms, each
    scaled by its weight.

    Numerics: ``log(p)`` is ``logsigmoid(logit)``, exact for any logit; ``log(1 - p_m)`` is
    ``logsigmoid(-logit)`` when ``clip = 0`` and ``log(min(sigmoid(-logit) + clip, 1))``
    (``>= log(clip)``, clamped at ``eps`` as in the reference) otherwise. The reference code
    clamps both logs at ``log(eps)``; the two agree unless ``|logit| > ~18``.

    Args:
        logits: (B, L) scores before the sigmoid.
        y: (B, L) targets in {0, 1}, same dtype as ``logits``.
        gamma_neg, gamma_pos: focusing exponents, ``>= 0``.
        clip: the probability margin ``m`` of the shift, in ``[0, 1)``.
        eps: lower clamp of ``1 - p_m`` inside the log.

    Returns:
        A scalar tensor.
    """
    _check_asl_args(gamma_neg, gamma_pos, clip)
    log_p = F.logsigmoid(logits)
    if clip > 0:
        one_minus_pm = (torch.sigmoid(-logits) + clip).clamp(max=1.0)  # 1 - max(p - clip, 0)
        log_1m_pm = torch.log(one_minus_pm.clamp(min=eps))
    else:
        log_1m_pm = F.logsigmoid(-logits)
    pos = y * log_p
    neg = (1 - y) * log_1m_pm
    # Asymmetric focusing; the weights are constants for the gradient (exponent 0: weight 1).
    with torch.no_grad():
        p = torch.sigmoid(logits)
        w_pos = torch.pow(1 - p, gamma_pos) if gamma_pos > 0 else None
        w_neg = torch.pow((p - clip).clamp(min=0), gamma_neg) if gamma_neg > 0 else None
    if w_pos is not None:
        pos = pos * w_pos
    if w_neg is not None:
        neg = neg * w_neg
    return -(pos + neg).sum() / logits.shape[0]


def asl_mlp_baseline(
    data: SplitData,
    gamma_neg: float = 4.0,
    gamma_pos: float = 0.0,
    clip: float = 0.05,
    hidden: Sequence[int] = (256,),
    epochs: int = 200,
    lr: float = 1e-3,
    weight_decay: float = 1e-5,
    dropout: float = 0.5,
    batch_size: int = 128,
    seed: int = 0,
    device: str | torch.device | None = "auto",
    progress: bool = True,
) -> BaselineScores:
    """The :func:`mlp_baseline` MLP and training loop, trained with :func:`asymmetric_loss`.

    Everything but the loss is :func:`mlp_baseline`'s: architecture, Adam, the seeding (local
    to the run, deterministic on the CPU) and the checkpoint with the best validation macro-F1
    at t = 0.5. The defaults ``gamma_neg = 4, gamma_pos = 0, clip = 0.05`` are ASL's
    recommended multi-label setting. ASL down-weights the negatives, so its probabilities are
    not calibrated: they tend to sit higher than BCE's. The honest protocol's validation
    threshold adapts to that; a fixed t = 0.5 does not.

    Args:
        data: the splits (features should be standardised).
        gamma_neg, gamma_pos, clip: the loss's focusing exponents and probability margin.
        hidden, epochs, lr, weight_decay, dropout, batch_size, seed, device, progress: as in
            :func:`mlp_baseline`.

    Returns:
        :class:`BaselineScores`; ``info`` as :func:`mlp_baseline`'s, with ``loss = "asl"``,
        ``gamma_neg``, ``gamma_pos`` and ``clip``.
    """
    check_splits(data)
    _check_asl_args(gamma_neg, gamma_pos, clip)
    loss_fn = functools.partial(
        asymmetric_loss, gamma_neg=gamma_neg, gamma_pos=gamma_pos, clip=clip
    )
    settings = MLPSettings(hidden, epochs, lr, weight_decay, dropout, batch_size, seed)
    out = _train_mlp_seeded(data, settings, loss_fn, device, progress, desc="asl")
    out.info.update(
        loss="asl", gamma_neg=float(gamma_neg), gamma_pos=float(gamma_pos), clip=float(clip)
    )
    return out


