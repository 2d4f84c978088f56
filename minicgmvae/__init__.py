"""minicgmvae: C-GMVAE for multi-label classification, rebuilt step by step."""

from __future__ import annotations

from .device import get_device
from .errors import (
    CheckpointError,
    ChecksumError,
    DataFormatError,
    DatasetNotFoundError,
    DataValueError,
    DeviceError,
    DownloadError,
    MiniCGMVAEError,
)

__version__ = "0.1.0"
