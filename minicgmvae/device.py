"""Choosing the device: one function, used everywhere."""

from __future__ import annotations

import torch

from .errors import DeviceError


def get_device(device: str | torch.device | None = "auto") -> torch.device:
    """Return the device to compute on.

    ``"auto"`` (or ``None``) picks CUDA, then Apple's MPS, then the CPU. A named device
    (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``) is checked and returned, and a
    :class:`~minicgmvae.errors.DeviceError` says so if it is not available here.
    """
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise DeviceError(
            f"Unknown device {device!r}: use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'."
        ) from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(
                f"Device {device!r} was asked for, but this machine has no CUDA GPU visible to "
                f"PyTorch (torch {torch.__version__}). Use device='auto' or 'cpu'; in Colab, "
                "choose Runtime > Change runtime type > GPU."
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise DeviceError(
                f"Device {device!r} was asked for, but only {torch.cuda.device_count()} CUDA "
                "device(s) are visible."
            )
    if dev.type == "mps" and not (
        getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    ):
        raise DeviceError(f"Device {device!r} was asked for, but MPS is not available here.")
    return dev
