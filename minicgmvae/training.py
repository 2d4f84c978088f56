"""Training C-GMVAE: the authors' optimiser, schedule and checkpoint rule, made fast.

The loop, per epoch:

* shuffle the training set and take minibatches of ``batch_size`` (the partial last batch
  included); each step is one forward pass of both branches, the total objective
  (model.CGMVAE.loss), and an Adam step with weight decay;
* step the cosine-annealing-with-warm-restarts schedule once;
* score the validation set: macro-F1 (by default) at the thresholds 0.1, ..., 0.9, keeping
  the best of the nine, as the authors do; the epoch with the best score so far wins.

Speed: all data live on the device as two tensors, batches are index slices, and the loss
terms are accumulated on the device and read once per epoch. Validation is one forward pass
and a vectorised threshold sweep, not nine calls of a metric library.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor
from tqdm.std import tqdm  # a text bar: works in terminals, notebooks and the built book

from .checkpoint import check_state_dict, load_checkpoint, save_checkpoint
from .config import ModelConfig, TrainConfig
from .data.datasets import SplitData
from .device import get_device
from .errors import CheckpointError, DataValueError
from .metrics import PAPER_THRESHOLDS, torch_f1_sweep
from .model import CGMVAE


@dataclass
class FitResult:
    """A trained model (best validation weights, eval mode) and how it got there.

    Attributes:
        model: the network with the weights of the best validation epoch, in eval mode, on
            the device it was trained on.
        history: one list per quantity, one entry per epoch: ``"epoch"`` (1-based),
            ``"lr"`` (the learning rate the epoch trained with), the epoch's mean loss terms
            ``"loss"``, ``"bce"``, ``"kl"`` and ``"contrastive"`` (:data:`CGMVAE_TERMS`),
            ``"val_score"`` (the checkpoint rule's score, :func:`validation_score`),
            ``"seconds"`` (the whole epoch) and ``"val_seconds"`` (its validation part).
        best_epoch: the 1-based epoch whose weights were kept; 0 if no epoch ran.
        best_score: that epoch's validation score; NaN if no epoch ran.
        model_config: the architecture and loss weights the model was built with.
        train_config: the training settings used.
        device: the device trained on, as text (``"cpu"``, ``"cuda:0"``, ...).
        seconds: the wall time of the training loop (checkpoint loading and data transfer
            to the device excluded).
        extra: free-form facts a caller may add; :func:`fit` leaves it empty.
    """

    model: CGMVAE
    history: dict[str, list[float]]
    best_epoch: int  # 1-based; 0 if no epoch ran
    best_score: float
    model_config: ModelConfig
    train_config: TrainConfig
    device: str
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


def make_adam(model: torch.nn.Module, tc: TrainConfig, device: torch.device) -> torch.optim.Adam:
    """Adam with (L2) weight decay, as the authors use it.

    The fused implementation (one kernel for the whole update, torch >= 2.4 on CPU and CUDA)
    computes the same update as the default one, several times faster for this model.

    Args:
        model: the network whose parameters Adam updates.
        tc: the training settings: ``lr`` and ``weight_decay`` are used.
        device: the parameters' device; the fused implementation is tried on ``cpu`` and
            ``cuda`` (and the default one used where it is not available).

    Returns:
        The optimiser.
    """
    kwargs = {"lr": tc.lr, "weight_decay": tc.weight_decay}
    if device.type in ("cpu", "cuda"):
        try:
            return torch.optim.Adam(model.parameters(), fused=True, **kwargs)
        except (RuntimeError, TypeError):  # older torch: no fused Adam on this device
            pass
    return torch.optim.Adam(model.parameters(), **kwargs)


def _as_tensor(a: np.ndarray, device: torch.device) -> Tensor:
    return torch.as_tensor(np.ascontiguousarray(a, dtype=np.float32), device=device)


def _check_data(data: SplitData, config: ModelConfig) -> None:
    d, n_labels = np.shape(data.x_train)[1], np.shape(data.y_train)[1]
    if n_labels != config.n_labels or d != config.n_features:
        raise DataValueError(
            f"Dataset {getattr(data, 'name', '?')!r} has {d} features and {n_labels} labels, "
            f"but the model was configured for {config.n_features} features and "
            f"{config.n_labels} labels. Build the ModelConfig from the dataset "
            "(n_features=data.n_features, n_labels=data.n_labels)."
        )
    if len(data.x_train) == 0:
        raise DataValueError("The training split is empty.")


#: The type of a minibatch's loss terms, ``loss_terms(x (B, d), y (B, L)) -> (K,)``; the
#: first entry is the loss that the step minimises, the others are only reported.
LossTerms = Callable[[Tensor, Tensor], Tensor]

#: The names of :func:`cgmvae_loss_terms`'s entries, as they appear in ``FitResult.history``.
CGMVAE_TERMS = ("loss", "bce", "kl", "contrastive")


def cgmvae_loss_terms(model: CGMVAE) -> LossTerms:
    """C-GMVAE's objective on a minibatch (:meth:`~minicgmvae.model.CGMVAE.loss`,
    :eq:`eq-total-code`) as the four numbers of :data:`CGMVAE_TERMS`: the total, then its BCE,
    KL and contrastive parts.

    Args:
        model: the C-GMVAE to train; each call runs its forward pass (both branches) in the
            mode it is in.

    Returns:
        ``terms(x, y) -> (4,)``: for features ``x`` (B, d) and 0/1 labels ``y`` (B, L), the
        tensor ``[total, bce, kl, contrastive]``, with the graph for back-propagation.
    """

    def terms(x: Tensor, y: Tensor) -> Tensor:
        t = model.loss(model(x, y), y)
        return torch.stack([t.total, t.bce, t.kl, t.contrastive])

    return terms


def training_step(
    optimizer: torch.optim.Optimizer, loss_terms: LossTerms, x: Tensor, y: Tensor
) -> Tensor:
    """One minibatch step: compute the terms, zero the gradients, back-propagate the first
    term, update the parameters.

    Args:
        optimizer: the optimiser of the model's parameters (e.g. :func:`make_adam`'s).
        loss_terms: the minibatch's loss terms (:data:`LossTerms`); the first is minimised.
        x: the minibatch's features, (B, d), on the model's device.
        y: its 0/1 labels, (B, L), float.

    Returns:
        The terms, detached, on the device: (K,).
    """
    terms = loss_terms(x, y)
    optimizer.zero_grad(set_to_none=True)
    terms[0].backward()
    optimizer.step()
    return terms.detach()


def train_one_epoch(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    x: Tensor,
    y: Tensor,
    *,
    batch_size: int,
    generator: torch.Generator,
    loss_terms: LossTerms | None = None,
) -> Tensor:
    """One pass over ``(x, y)`` (on the model's device) in shuffled minibatches.

    The order comes from ``generator`` (a CPU generator, so that it does not depend on the
    device); the last, partial batch is kept. ``loss_terms`` defaults to C-GMVAE's
    (:func:`cgmvae_loss_terms`); the MLP baselines pass their own.

    Args:
        model: the network; put in training mode (dropout on).
        optimizer: the optimiser of its parameters, stepped once per minibatch.
        x: all training features, (N, d), on the model's device.
        y: their 0/1 labels, (N, L), float, on the same device.
        batch_size: samples per minibatch.
        generator: the CPU random generator that draws the epoch's order.
        loss_terms: the minibatch's loss terms (:data:`LossTerms`); ``None`` for
            ``cgmvae_loss_terms(model)``.

    Returns:
        The terms summed over samples (each batch's mean times its size), on the device:
        (K,). Divide by ``len(x)`` for the epoch's means; reading it is the epoch's one
        device-to-host synchronisation.
    """
    model.train()
    loss_terms = loss_terms or cgmvae_loss_terms(model)  # type: ignore[arg-type]
    sums: Tensor | None = None
    for idx in torch.randperm(len(x), generator=generator).to(x.device).split(batch_size):
        terms = len(idx) * training_step(optimizer, loss_terms, x[idx], y[idx])
        sums = terms if sums is None else sums + terms
    assert sums is not None, "train_one_epoch needs at least one sample"
    return sums


@dataclass
class _Run:
    """What :func:`fit` carries from epoch to epoch (and saves in a checkpoint)."""

    model: CGMVAE
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts
    shuffle: torch.Generator
    history: dict[str, list[float]]
    best_state: dict[str, Tensor]
    best_score: float = float("-inf")
    best_epoch: int = 0
    epoch: int = 0  # epochs done

    def snapshot(self, model_config: ModelConfig, train_config: TrainConfig,
                 dataset: str) -> dict[str, Any]:
        """The checkpoint: best and last weights, optimiser, schedule, RNGs, history."""
        payload = {
            "model_config": model_config.to_dict(),
            "train_config": train_config.to_dict(),
            "dataset": dataset,
            "state_dict": {k: v.detach().cpu() for k, v in self.best_state.items()},
            "last_state_dict": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "epoch": self.epoch,
            "best_epoch": self.best_epoch,
            "best_score": self.best_score,
            "history": self.history,
            "rng_cpu": torch.get_rng_state(),
            "rng_shuffle": self.shuffle.get_state(),
        }
        device = next(self.model.parameters()).device
        if device.type == "cuda":
            payload["rng_cuda"] = torch.cuda.get_rng_state(device)
        return payload

    def restore(self, ckpt: dict[str, Any], model_config: ModelConfig,
                train_config: TrainConfig, path: Path) -> None:
        """Continue from a checkpoint written by :meth:`snapshot` with the same settings."""
        if (ckpt["model_config"] != model_config.to_dict()
                or ckpt.get("train_config") != train_config.to_dict()):
            raise CheckpointError(
                f"Cannot resume from {path}: it was trained with other settings. "
                "Resume with the same ModelConfig and TrainConfig, or start afresh."
            )
        check_state_dict(self.model, ckpt["last_state_dict"], str(path))
        self.model.load_state_dict(ckpt["last_state_dict"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.scheduler.load_state_dict(ckpt["scheduler"])
        self.best_state = ckpt["state_dict"]
        self.best_score, self.best_epoch = float(ckpt["best_score"]), int(ckpt["best_epoch"])
        self.epoch = int(ckpt["epoch"])
        self.history = {k: list(v) for k, v in ckpt["history"].items()}
        torch.set_rng_state(ckpt["rng_cpu"])
        self.shuffle.set_state(ckpt["rng_shuffle"])
        device = next(self.model.parameters()).device
        if device.type == "cuda" and "rng_cuda" in ckpt:
            torch.cuda.set_rng_state(ckpt["rng_cuda"], device)


_HISTORY_KEYS = ("epoch", "lr", *CGMVAE_TERMS, "val_score", "seconds", "val_seconds")


def _start_run(model_config: ModelConfig, train_config: TrainConfig, dev: torch.device) -> _Run:
    """A fresh model (seeded), Adam, the warm-restart schedule and the shuffling generator."""
    torch.manual_seed(train_config.seed)
    model = CGMVAE(model_config).to(dev)
    optimizer = make_adam(model, train_config, dev)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        optimizer, T_0=train_config.t0, T_mult=train_config.t_mult, eta_min=train_config.eta_min
    )
    return _Run(
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        shuffle=torch.Generator().manual_seed(train_config.seed),
        history={k: [] for k in _HISTORY_KEYS},
        best_state=copy.deepcopy(model.state_dict()),
    )


def validation_score(model: CGMVAE, x_val: Tensor, y_val: Tensor, thresholds: Tensor,
                     select_by: str) -> float:
    """The checkpoint rule's score: the best ``select_by`` (e.g. macro-F1) over the
    thresholds, on the validation set, as the authors select epochs.

    Args:
        model: the model to score; its feature branch predicts in eval mode
            (:meth:`~minicgmvae.model.CGMVAE.predict_proba`, which restores the mode after).
        x_val: validation features, (N, d), on the model's device.
        y_val: their 0/1 labels, (N, L).
        thresholds: the thresholds to try, (T,) (:data:`minicgmvae.metrics.PAPER_THRESHOLDS`
            in :func:`fit`).
        select_by: ``"macro_f1"``, ``"micro_f1"`` or ``"example_f1"``.

    Returns:
        The largest of the T scores, as a float.
    """
    probs = model.predict_proba(x_val)
    return float(torch_f1_sweep(y_val, probs, thresholds, select_by).max())


def _sweep_thresholds(dev: torch.device) -> Tensor:
    # float64 thresholds compare exactly like the numpy metrics (MPS has no float64)
    dtype = torch.float32 if dev.type == "mps" else torch.float64
    return torch.tensor(PAPER_THRESHOLDS, device=dev, dtype=dtype)


def _run_epoch(run: _Run, train: tuple[Tensor, Tensor], val: tuple[Tensor, Tensor],
               train_config: TrainConfig, thresholds: Tensor) -> None:
    """Train one epoch, step the schedule, score validation, keep the best weights, and
    append the epoch to the history."""
    t0 = time.perf_counter()
    lr = run.optimizer.param_groups[0]["lr"]
    begin_epoch = getattr(run.model, "begin_epoch", None)
    if begin_epoch is not None:  # per-epoch schedules that belong to the model (KL annealing)
        begin_epoch(run.epoch)
    sums = train_one_epoch(run.model, run.optimizer, *train, batch_size=train_config.batch_size,
                           generator=run.shuffle)
    run.scheduler.step()
    dev = train[0].device
    if dev.type == "cuda":  # so that the timings split training from validation
        torch.cuda.synchronize(dev)
    t_val = time.perf_counter()
    if len(val[0]):
        score = validation_score(run.model, *val, thresholds, train_config.select_by)
    else:  # no validation set: keep the last epoch
        score = float(run.epoch)
    run.epoch += 1
    if score > run.best_score:
        run.best_score, run.best_epoch = score, run.epoch
        run.best_state = {k: v.detach().clone() for k, v in run.model.state_dict().items()}
    terms = (sums / len(train[0])).tolist()  # the one device-to-host sync of the epoch
    t_end = time.perf_counter()
    row = (run.epoch, lr, *terms, score, t_end - t0, t_end - t_val)
    for key, value in zip(run.history, row):
        run.history[key].append(value)


def fit(
    data: SplitData,
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
    *,
    device: str | torch.device = "auto",
    progress: bool = True,
    checkpoint_path: str | Path | None = None,
    checkpoint_every: int = 0,
    resume: bool = False,
    on_epoch_end: Callable[[int, CGMVAE], None] | None = None,
) -> FitResult:
    """Train C-GMVAE on ``data`` and return the best-validation model.

    Args:
        data: train/val/test arrays (see :class:`SplitData`).
        model_config: architecture and loss weights; default: the authors' code defaults
            for this dataset's sizes.
        train_config: optimiser, schedule, epochs, seed.
        device: "auto" (cuda, then mps, then cpu), or a named device.
        progress: show a progress bar over epochs.
        checkpoint_path: where to save the checkpoint (at the end, and every
            ``checkpoint_every`` epochs if > 0). Written atomically.
        checkpoint_every: also save the checkpoint after every this many epochs (0: only
            at the end); needs ``checkpoint_path``.
        resume: continue from ``checkpoint_path`` if it exists; with the same settings the
            result equals an uninterrupted run on the CPU, bit for bit.
        on_epoch_end: called as ``on_epoch_end(epoch, model)`` (1-based epoch) after each
            epoch's validation, e.g. to record diagnostics. It must not change the model;
            it runs outside the timed part of the epoch.

    The seed fixes the weights' initialisation, the shuffling, the dropout masks and the
    samples; on the CPU two runs with the same seed give identical weights. The caller's
    global random state is left as it was (the run draws from a forked one).
    """
    n_features, n_labels = np.shape(data.x_train)[1], np.shape(data.y_train)[1]
    model_config = model_config or ModelConfig(n_features=n_features, n_labels=n_labels)
    train_config = train_config or TrainConfig()
    _check_data(data, model_config)
    dev = get_device(device)
    saving = _Checkpointing(
        Path(checkpoint_path) if checkpoint_path is not None else None, checkpoint_every, resume
    )
    with torch.random.fork_rng(devices=[dev.index or 0] if dev.type == "cuda" else []):
        return _fit(data, model_config, train_config, dev, progress, saving, on_epoch_end)


class _Checkpointing(NamedTuple):
    """Where :func:`fit` saves its checkpoint, how often, and whether it resumes from it."""

    path: Path | None
    every: int
    resume: bool


def _fit(data: SplitData, model_config: ModelConfig, train_config: TrainConfig,
         dev: torch.device, progress: bool, saving: _Checkpointing,
         on_epoch_end: Callable[[int, CGMVAE], None] | None) -> FitResult:
    """:func:`fit`'s body, inside the forked random state."""
    ckpt_path, checkpoint_every = saving.path, saving.every
    run = _start_run(model_config, train_config, dev)
    if saving.resume and ckpt_path is not None and ckpt_path.exists():
        run.restore(load_checkpoint(ckpt_path), model_config, train_config, ckpt_path)
    train = (_as_tensor(data.x_train, dev), _as_tensor(data.y_train, dev))
    val = (_as_tensor(data.x_val, dev), _as_tensor(data.y_val, dev))
    thresholds = _sweep_thresholds(dev)
    dataset = str(getattr(data, "name", "custom"))

    t_start = time.perf_counter()
    bar = tqdm(range(run.epoch, train_config.epochs), initial=run.epoch,
               total=train_config.epochs, disable=not progress,
               desc=f"C-GMVAE {getattr(data, 'name', '')}".strip(), unit="epoch")
    for _ in bar:
        _run_epoch(run, train, val, train_config, thresholds)
        bar.set_postfix(loss=f"{run.history['loss'][-1]:.3f}",
                        val=f"{run.history['val_score'][-1]:.3f}",
                        best=f"{run.best_score:.3f}@{run.best_epoch}")
        if on_epoch_end is not None:
            on_epoch_end(run.epoch, run.model)
        if ckpt_path is not None and checkpoint_every and run.epoch % checkpoint_every == 0:
            save_checkpoint(ckpt_path, run.snapshot(model_config, train_config, dataset))
        if train_config.patience and run.epoch - run.best_epoch >= train_config.patience:
            break  # early stopping: no better validation score for `patience` epochs
    bar.close()

    if ckpt_path is not None:
        run.epoch = train_config.epochs
        save_checkpoint(ckpt_path, run.snapshot(model_config, train_config, dataset))
    run.model.load_state_dict(run.best_state)
    run.model.eval()
    return FitResult(
        model=run.model,
        history=run.history,
        best_epoch=run.best_epoch,
        best_score=run.best_score if run.best_epoch else float("nan"),
        model_config=model_config,
        train_config=train_config,
        device=str(dev),
        seconds=time.perf_counter() - t_start,
    )


def predict_proba(
    model: CGMVAE, x: np.ndarray, device: str | torch.device | None = None
) -> np.ndarray:
    """Probabilities p(y_i = 1 | x) of the feature branch, as a numpy array (N, L).

    Args:
        model: a trained C-GMVAE (e.g. ``FitResult.model``); moved to ``device``, run in
            eval mode.
        x: features, (N, d), standardised as in training.
        device: where to run: ``None`` (the model's device) or a device name (``"auto"``,
            ``"cpu"``, ...; see :func:`~minicgmvae.device.get_device`).

    Returns:
        float32 probabilities, (N, L).
    """
    dev = next(model.parameters()).device if device is None else get_device(device)
    model = model.to(dev)
    return model.predict_proba(_as_tensor(x, dev)).cpu().numpy()
