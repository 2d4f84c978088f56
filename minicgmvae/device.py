"""Choosing the device: one function, used everywhere."""

from __future__ import annotations

import torch

from .errors import DeviceError


def get_device(device: str | torch.device | None = "auto") -> torch.device:
    """Return the device to compute on.

    ``"auto"`` (or ``None``) picks CUDA, then Apple's MPS, then the CPU. A named device
    (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``) is checked and returned.

    Args:
        device: ``"auto"``, ``None``, a device name or a :class:`torch.device`.

    Returns:
        The :class:`torch.device`.

    Raises:
        ~minicgmvae.errors.DeviceError: an unknown device name, or a device that is not
            available on this machine.
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


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_freed_memory(limit_bytes: int = 1 << 30) -> bool:
    """Let this process reuse the memory it frees instead of handing it back to the system.

    A CPU training step allocates and frees the same few-megabyte buffers every time
    (activations, their gradients, the weight gradients). By default glibc's ``malloc``
    serves such large blocks with ``mmap`` or trims them off the heap when they are freed, so
    every step asks the kernel for fresh pages and takes a page fault for each 4 KiB of
    them: about 2,000 faults a step on scene, 9 MB of memory zeroed and mapped anew. With
    blocks up to ``limit_bytes`` kept on the heap and no trimming below that size, the
    faults drop to a handful per step. The numbers computed are the same; the process keeps
    its peak memory until it exits.

    It changes a setting of the whole process, so the command-line tools call it (they own
    their process) and the library does not; call it yourself before training in a notebook
    if you want the same.

    Args:
        limit_bytes: blocks up to this size stay on the heap (glibc's mmap and trim
            thresholds); 1 GiB by default.

    Returns:
        True where it took effect (Linux with glibc), False elsewhere, where it does nothing.
    """
    import ctypes
    import ctypes.util
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success; older glibc caps the mmap threshold at 32 MiB
    mmap_ok = mallopt(_M_MMAP_THRESHOLD, limit_bytes) == 1 or (
        mallopt(_M_MMAP_THRESHOLD, 32 << 20) == 1
    )
    trim_ok = mallopt(_M_TRIM_THRESHOLD, limit_bytes) == 1
    return bool(mmap_ok and trim_ok)
