"""The training loop, for any model: it takes a built network and knows nothing of it.

A model to train provides two things:

* its **loss terms** on a minibatch, ``loss_terms(x (B, d), y (B, L)) -> (K,)``: the first is
  the loss that each step minimises, the others are only reported (:data:`LossTerms`);
* its **probabilities**, ``model.predict_proba(x (N, d)) -> (N, L)``, which score the
  validation set after every epoch.

:func:`train_model` then runs the epochs: shuffled minibatches (the partial last one kept),
an optimiser step per minibatch, the schedule (if any) stepped once per epoch, the
validation score (the best ``select_by`` over the candidate thresholds), the weights of the
best epoch kept, and, where asked, a checkpoint to resume from. A model may also define
``begin_epoch(epoch)`` (0-based), called before each epoch, for schedules of its own (KL
annealing). C-GMVAE (:func:`minicgmvae.training.fit`) and the MLP baselines
(:mod:`minicgmvae.baselines.mlp`) both train here.

Speed: all data live on the device as two tensors, batches are index slices, and the loss
terms are accumulated on the device and read once per epoch. Validation is one forward pass
and a vectorised threshold sweep.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor
from tqdm.std import tqdm  # a text bar: works in terminals, notebooks and the built book

from .checkpoint import check_state_dict, load_checkpoint, save_checkpoint
from .config import TrainConfig
from .errors import CheckpointError
from .metrics import PAPER_THRESHOLDS, torch_f1_sweep

__all__ = [
    "LossTerms",
    "FitResult",
    "Checkpointing",
    "training_step",
    "train_one_epoch",
    "validation_score",
    "train_model",
    "seeded",
    "as_tensor",
]

#: The type of a minibatch's loss terms, ``loss_terms(x (B, d), y (B, L)) -> (K,)``; the
#: first entry is the loss that the step minimises, the others are only reported.
LossTerms = Callable[[Tensor, Tensor], Tensor]


@dataclass
class FitResult:
    """A trained model (best validation weights, eval mode) and how it got there.

    Attributes:
        model: the network with the weights of the best validation epoch, in eval mode, on
            the device it was trained on.
        history: one list per quantity, one entry per epoch: ``"epoch"`` (1-based),
            ``"lr"`` (the learning rate the epoch trained with), the epoch's mean loss terms
            (for C-GMVAE ``"loss"``, ``"bce"``, ``"kl"`` and ``"contrastive"``),
            ``"val_score"`` (the checkpoint rule's score, :func:`validation_score`),
            ``"seconds"`` (the whole epoch) and ``"val_seconds"`` (its validation part).
        best_epoch: the 1-based epoch whose weights were kept; 0 if no epoch ran.
        best_score: that epoch's validation score; NaN if no epoch ran.
        model_config: the architecture the model was built with (``None`` from
            :func:`train_model`, which does not know it; :func:`~minicgmvae.training.fit`
            fills it in).
        train_config: the training settings used.
        device: the device trained on, as text (``"cpu"``, ``"cuda:0"``, ...).
        seconds: the wall time of the training loop (checkpoint loading and data transfer
            to the device excluded).
        extra: free-form facts a caller may add (``train_seeds`` adds the threshold that
            the honest protocol chose on validation).
    """

    model: torch.nn.Module
    history: dict[str, list[float]]
    best_epoch: int  # 1-based; 0 if no epoch ran
    best_score: float
    model_config: Any
    train_config: TrainConfig
    device: str
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


class Checkpointing(NamedTuple):
    """Where :func:`train_model` saves its checkpoint, when, and whether it resumes from it.

    Attributes:
        path: the checkpoint file; ``None`` saves nothing.
        every: also save after every this many epochs (0: never by count).
        resume: continue from ``path`` if it exists.
        seconds: also save when this much wall time has passed since the last save (0: never
            by time). The final checkpoint is always written.
    """

    path: Path | None = None
    every: int = 0
    resume: bool = False
    seconds: float = 0.0


def as_tensor(a: np.ndarray, device: torch.device) -> Tensor:
    """``a`` as a contiguous float32 tensor on ``device``.

    Args:
        a: an array (features or labels).
        device: where the tensor lives.

    Returns:
        The tensor (sharing ``a``'s memory where it is float32 on the CPU already).
    """
    return torch.as_tensor(np.ascontiguousarray(a, dtype=np.float32), device=device)


@contextlib.contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Run the block with the global random state seeded with ``seed``, then give the caller
    back its own state (a forked one, on the CPU and on ``device``'s GPU).

    Args:
        seed: the seed of the block's draws (weights' initialisation, dropout, samples).
        device: the device trained on; a CUDA device's random state is forked too.

    Yields:
        Nothing: the block runs with the seeded state.
    """
    with torch.random.fork_rng(devices=[device.index or 0] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        yield


def training_step(
    optimizer: torch.optim.Optimizer, loss_terms: LossTerms, x: Tensor, y: Tensor
) -> Tensor:
    """One minibatch step: compute the terms, zero the gradients, back-propagate the first
    term, update the parameters.

    Args:
        optimizer: the optimiser of the model's parameters (e.g.
            :func:`~minicgmvae.training.make_adam`'s).
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
    device); the last, partial batch is kept.

    Args:
        model: the network; put in training mode (dropout on).
        optimizer: the optimiser of its parameters, stepped once per minibatch.
        x: all training features, (N, d), on the model's device.
        y: their 0/1 labels, (N, L), float, on the same device.
        batch_size: samples per minibatch.
        generator: the CPU random generator that draws the epoch's order.
        loss_terms: the minibatch's loss terms (:data:`LossTerms`); ``None`` for the model's
            own ``model.loss_terms`` (C-GMVAE's: :func:`~minicgmvae.training.cgmvae_loss_terms`).

    Returns:
        The terms summed over samples (each batch's mean times its size), on the device:
        (K,). Divide by ``len(x)`` for the epoch's means; reading it is the epoch's one
        device-to-host synchronisation.
    """
    model.train()
    if loss_terms is None:
        loss_terms = _default_terms(model)
    sums: Tensor | None = None
    for idx in torch.randperm(len(x), generator=generator).to(x.device).split(batch_size):
        terms = len(idx) * training_step(optimizer, loss_terms, x[idx], y[idx])
        sums = terms if sums is None else sums + terms
    assert sums is not None, "train_one_epoch needs at least one sample"
    return sums


def _default_terms(model: torch.nn.Module) -> LossTerms:
    own = getattr(model, "loss_terms", None)
    if own is not None:
        return own
    from .training import cgmvae_loss_terms  # C-GMVAE, whose loss() gives named terms

    return cgmvae_loss_terms(model)  # type: ignore[arg-type]


def validation_score(model: torch.nn.Module, x_val: Tensor, y_val: Tensor,
                     thresholds: Tensor, select_by: str) -> float:
    """The checkpoint rule's score: the best ``select_by`` (e.g. macro-F1) over the
    thresholds, on the validation set, as the authors select epochs.

    Args:
        model: the model to score, with ``predict_proba(x) -> (N, L)`` probabilities (which
            predicts in eval mode).
        x_val: validation features, (N, d), on the model's device.
        y_val: their 0/1 labels, (N, L).
        thresholds: the thresholds to try, (T,).
        select_by: ``"macro_f1"``, ``"micro_f1"`` or ``"example_f1"``.

    Returns:
        The largest of the T scores, as a float.
    """
    probs = model.predict_proba(x_val)  # type: ignore[operator]
    return float(torch_f1_sweep(y_val, probs, thresholds, select_by).max())


def _sweep_thresholds(thresholds: Sequence[float], dev: torch.device) -> Tensor:
    # float64 thresholds compare exactly like the numpy metrics (MPS has no float64)
    dtype = torch.float32 if dev.type == "mps" else torch.float64
    return torch.tensor(tuple(thresholds), device=dev, dtype=dtype)


@dataclass
class _Run:
    """What :func:`train_model` carries from epoch to epoch (and saves in a checkpoint)."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any  # a torch LR scheduler stepped once per epoch, or None
    shuffle: torch.Generator
    history: dict[str, list[float]]
    best_state: dict[str, Tensor]
    best_score: float = float("-inf")
    best_epoch: int = 0
    epoch: int = 0  # epochs done

    def snapshot(self, meta: dict[str, Any]) -> dict[str, Any]:
        """The checkpoint: ``meta``, best and last weights, optimiser, schedule, RNGs,
        history."""
        payload = {
            **meta,
            "state_dict": {k: v.detach().cpu() for k, v in self.best_state.items()},
            "last_state_dict": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
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

    def restore(self, ckpt: dict[str, Any], meta: dict[str, Any], path: Path) -> None:
        """Continue from a checkpoint written by :meth:`snapshot` with the same settings."""
        if any(ckpt.get(k) != v for k, v in meta.items() if k != "dataset"):
            raise CheckpointError(
                f"Cannot resume from {path}: it was trained with other settings. "
                "Resume with the same ModelConfig and TrainConfig, or start afresh."
            )
        check_state_dict(self.model, ckpt["last_state_dict"], str(path))
        self.model.load_state_dict(ckpt["last_state_dict"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        if self.scheduler is not None:
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


def _run_epoch(run: _Run, loss_terms: LossTerms, train: tuple[Tensor, Tensor],
               val: tuple[Tensor, Tensor], train_config: TrainConfig, thresholds: Tensor) -> None:
    """Train one epoch, step the schedule, score validation, keep the best weights, and
    append the epoch to the history."""
    t0 = time.perf_counter()
    lr = run.optimizer.param_groups[0]["lr"]
    begin_epoch = getattr(run.model, "begin_epoch", None)
    if begin_epoch is not None:  # per-epoch schedules that belong to the model (KL annealing)
        begin_epoch(run.epoch)
    sums = train_one_epoch(run.model, run.optimizer, *train, batch_size=train_config.batch_size,
                           generator=run.shuffle, loss_terms=loss_terms)
    if run.scheduler is not None:
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


@dataclass
class _Loop:
    """The per-run options of :func:`train_model` that are not the model's own."""

    loss_terms: LossTerms
    checkpointing: Checkpointing
    meta: dict[str, Any]
    on_epoch_end: Callable[[int, torch.nn.Module], None] | None
    last_save: float = field(default_factory=time.perf_counter)

    def save_due(self, epoch: int) -> bool:
        c = self.checkpointing
        if c.path is None:
            return False
        by_count = bool(c.every) and epoch % c.every == 0
        return by_count or bool(c.seconds) and time.perf_counter() - self.last_save >= c.seconds

    def save(self, run: _Run) -> None:
        assert self.checkpointing.path is not None
        save_checkpoint(self.checkpointing.path, run.snapshot(self.meta))
        self.last_save = time.perf_counter()

    def resume(self, run: _Run) -> None:
        """Continue ``run`` from the checkpoint, if asked to and it exists."""
        path = self.checkpointing.path
        if self.checkpointing.resume and path is not None and path.exists():
            run.restore(load_checkpoint(path), self.meta, path)

    def finish(self, run: _Run, epochs: int) -> None:
        """Save the final checkpoint (if any), then load the best weights, in eval mode."""
        if self.checkpointing.path is not None:
            run.epoch = epochs  # a finished run: resuming it trains no more
            self.save(run)
        run.model.load_state_dict(run.best_state)
        run.model.eval()


def train_model(
    model: torch.nn.Module,
    data: Any,
    train_config: TrainConfig,
    loss_terms: LossTerms,
    optimizer: torch.optim.Optimizer,
    scheduler: Any = None,
    *,
    term_names: Sequence[str] = ("loss",),
    thresholds: Sequence[float] = PAPER_THRESHOLDS,
    checkpointing: Checkpointing | None = None,
    meta: dict[str, Any] | None = None,
    progress: bool = True,
    desc: str = "",
    on_epoch_end: Callable[[int, torch.nn.Module], None] | None = None,
) -> FitResult:
    """Train a built model on ``data`` and return it with the best validation epoch's weights.

    The caller builds the model (seeded: :func:`seeded`) and its optimiser; this function
    knows only the model's loss terms and its ``predict_proba``.

    Args:
        model: the network, on the device to train on, with ``predict_proba(x) -> (N, L)``.
        data: train/val arrays (``x_train``, ``y_train``, ``x_val``, ``y_val``).
        train_config: its epochs, batch_size, seed (the order), select_by and patience.
        loss_terms: the minibatch's loss terms (:data:`LossTerms`).
        optimizer: the optimiser of ``model``'s parameters.
        scheduler: a learning-rate schedule stepped once per epoch, or ``None``.
        term_names: the names of the loss terms, as they appear in the history.
        thresholds: the validation score's thresholds (:func:`validation_score`).
        checkpointing: where and when to save (and whether to resume); ``None`` saves
            nothing.
        meta: facts saved in the checkpoint; a resumed checkpoint must hold the same
            (``"dataset"`` excepted). Its ``"model_config"`` (if any) is not read.
        progress: show a progress bar over epochs.
        desc: the progress bar's label.
        on_epoch_end: ``on_epoch_end(epoch, model)`` (1-based) after each epoch's validation,
            outside the timed part; it must not change the model.

    Returns:
        The :class:`FitResult`.
    """
    dev = next(model.parameters()).device
    history: dict[str, list[float]] = {
        k: [] for k in ("epoch", "lr", *term_names, "val_score", "seconds", "val_seconds")
    }
    run = _Run(model, optimizer, scheduler, torch.Generator().manual_seed(train_config.seed),
               history, {k: v.detach().clone() for k, v in model.state_dict().items()})
    loop = _Loop(loss_terms, checkpointing or Checkpointing(), dict(meta or {}), on_epoch_end)
    loop.resume(run)
    train = (as_tensor(data.x_train, dev), as_tensor(data.y_train, dev))
    val = (as_tensor(data.x_val, dev), as_tensor(data.y_val, dev))
    t_start = time.perf_counter()
    _epochs(run, loop, train, val, train_config, _sweep_thresholds(thresholds, dev),
            tqdm(range(run.epoch, train_config.epochs), initial=run.epoch,
                 total=train_config.epochs, disable=not progress, desc=desc, unit="epoch"))
    loop.finish(run, train_config.epochs)
    return FitResult(run.model, run.history, run.best_epoch,
                     run.best_score if run.best_epoch else float("nan"), None,
                     train_config, str(dev), time.perf_counter() - t_start)


def _epochs(run: _Run, loop: _Loop, train: tuple[Tensor, Tensor], val: tuple[Tensor, Tensor],
            train_config: TrainConfig, thresholds: Tensor, bar: tqdm) -> None:
    """The epochs of :func:`train_model`, with the progress bar, the callback, the periodic
    checkpoints and early stopping."""
    for _ in bar:
        _run_epoch(run, loop.loss_terms, train, val, train_config, thresholds)
        first_term = list(run.history)[2]  # after "epoch" and "lr": the loss minimised
        bar.set_postfix(loss=f"{run.history[first_term][-1]:.3f}",
                        val=f"{run.history['val_score'][-1]:.3f}",
                        best=f"{run.best_score:.3f}@{run.best_epoch}")
        if loop.on_epoch_end is not None:
            loop.on_epoch_end(run.epoch, run.model)
        if loop.save_due(run.epoch):
            loop.save(run)
        if train_config.patience and run.epoch - run.best_epoch >= train_config.patience:
            break  # early stopping: no better validation score for `patience` epochs
    bar.close()
