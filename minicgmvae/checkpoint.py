"""Saving and loading checkpoints: atomically, safely, and with a clear error on mismatch.

A checkpoint is a plain dict of tensors, numbers, strings, lists and dicts, written with
``torch.save`` to a temporary file in the same folder and moved into place with
``os.replace`` (a crash never leaves half a file under the real name). It is read with
``torch.load(weights_only=True)``, which refuses arbitrary pickled objects, so a checkpoint
from an untrusted source cannot run code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from .atomic import atomic_write
from .config import ModelConfig
from .errors import CheckpointError

FORMAT = "minicgmvae-checkpoint"
VERSION = 2  # 2: label embeddings stored as E (L, e) instead of nn.Linear(L, e)


def atomic_torch_save(obj: Any, path: str | os.PathLike[str]) -> Path:
    """``torch.save`` to ``path`` atomically (see :mod:`minicgmvae.atomic`).

    Args:
        obj: what to save (for a checkpoint, a dict of tensors and plain values).
        path: the file to write.

    Returns:
        ``path``, as a :class:`~pathlib.Path`.
    """
    return atomic_write(path, lambda f: torch.save(obj, f))


def save_checkpoint(path: str | os.PathLike[str], payload: dict[str, Any]) -> Path:
    """Write a checkpoint dict, tagged with the format name and version, atomically.

    Args:
        path: the file to write (``.pt`` by convention).
        payload: ``model_config`` (a dict, :meth:`ModelConfig.to_dict
            <minicgmvae.config.ModelConfig.to_dict>`), ``state_dict`` and anything else worth
            keeping (training settings, history, scores).

    Returns:
        ``path``, as a :class:`~pathlib.Path`.
    """
    return atomic_torch_save({"format": FORMAT, "version": VERSION, **payload}, path)


def load_safely(path: Path, what: str, advice: str) -> Any:
    """``torch.load(path, weights_only=True)`` on the CPU: no code in the file runs.

    Args:
        path: the file.
        what: what the file should be, for the message (``"checkpoint"``, ``"predictor"``).
        advice: the sentence that ends the message: which file to use instead.

    Raises:
        ~minicgmvae.errors.CheckpointError: the file cannot be read. The message leaves out
            torch's advice to retry with ``weights_only=False``: unpickling a file that is not
            ours runs whatever code it holds.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt, truncated, or a pickle that weights_only refuses
        text = str(exc)
        if "weights_only" in text or "Weights only load failed" in text:
            why = ("it is corrupt or truncated, or holds Python objects other than tensors, "
                   "numbers and text, which minicgmvae does not load (unpickling them could "
                   "run code from the file)")
        else:
            first = text.splitlines()[0] if text else ""
            why = (f"{type(exc).__name__}: {first}. The file is corrupt or truncated, or was "
                   "not written by minicgmvae")
        raise CheckpointError(f"Cannot read {what} {path}: {why}. {advice}") from exc


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a checkpoint written by :func:`save_checkpoint`.

    Tensors are loaded on the CPU, with ``torch.load(weights_only=True)``: a file from an
    untrusted source cannot run code.

    Args:
        path: the checkpoint file.

    Returns:
        The checkpoint dict, with at least ``model_config`` and ``state_dict``.

    Raises:
        ~minicgmvae.errors.CheckpointError: a missing, corrupt or foreign file, or a version
            this package cannot read.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at {path}.")
    ckpt = load_safely(path, "checkpoint", "Use a checkpoint that minicgmvae.fit or "
                       "'train --out' wrote.")
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not a minicgmvae checkpoint (no '{FORMAT}' tag). It may be a bare "
            "state_dict or another project's file; save checkpoints with minicgmvae.fit."
        )
    if ckpt.get("version") != VERSION:
        raise CheckpointError(
            f"{path} is a version {ckpt.get('version')} checkpoint; this minicgmvae reads "
            f"version {VERSION}. Re-train, or use the minicgmvae release that wrote it."
        )
    for key in ("model_config", "state_dict"):
        if key not in ckpt:
            raise CheckpointError(f"{path} lacks '{key}'; the checkpoint is incomplete.")
    return ckpt


def model_from_checkpoint(ckpt: dict[str, Any], source: str = "checkpoint") -> torch.nn.Module:
    """Rebuild a :class:`~minicgmvae.model.CGMVAE` and load the checkpoint's weights into it.

    Args:
        ckpt: a checkpoint dict, as :func:`load_checkpoint` returns it.
        source: how to name the checkpoint in an error message (its path, say).

    Returns:
        The model, in training mode, on the CPU.

    Raises:
        ~minicgmvae.errors.CheckpointError: the stored model config is not valid, or the
            weights do not fit the model it describes.
    """
    from .model import CGMVAE

    try:
        config = ModelConfig.from_dict(dict(ckpt["model_config"]))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{source}: its model_config is not valid here: {exc}") from exc
    model = CGMVAE(config)
    check_state_dict(model, ckpt["state_dict"], source)
    model.load_state_dict(ckpt["state_dict"])
    return model


def check_state_dict(model: torch.nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """Check that a state dict fits a model, naming the first mismatching parameters if not.

    Args:
        model: the model the weights are for.
        state: the weights, as ``model.state_dict()`` would give them.
        source: how to name the weights' origin in the error message.

    Raises:
        ~minicgmvae.errors.CheckpointError: parameters missing, unexpected, or of another shape.
    """
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [
        f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}"
        for k, v in own.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    ]
    if missing or unexpected or shapes:
        parts = []
        if shapes:
            parts.append("shape mismatch: " + "; ".join(shapes[:3]))
        if missing:
            parts.append(f"missing {missing[:3]}")
        if unexpected:
            parts.append(f"unexpected {unexpected[:3]}")
        raise CheckpointError(
            f"{source} does not fit this model ({', '.join(parts)}). It was saved for another "
            "architecture or dataset (label/feature counts, embedding or latent size)."
        )
