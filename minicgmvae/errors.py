"""Exceptions raised by minicgmvae.

Every error says what is wrong, which file or name, and what to do about it. They subclass
the built-in exception a caller would expect (``ValueError``, ``OSError``, ...), so existing
``except`` clauses keep working.
"""

from __future__ import annotations


class MiniCGMVAEError(Exception):
    """Base class of every error raised on purpose by minicgmvae."""


class DatasetNotFoundError(MiniCGMVAEError, KeyError):
    """An unknown dataset name."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class DownloadError(MiniCGMVAEError, OSError):
    """A file could not be fetched from the mirror or the public origin."""


class ChecksumError(MiniCGMVAEError, ValueError):
    """A file's sha256 differs from the registry's; the file was not kept."""


class DataFormatError(MiniCGMVAEError, ValueError):
    """A malformed or truncated data file (the message names the file and line)."""


class DataValueError(MiniCGMVAEError, ValueError):
    """Arrays with bad values: NaN/inf features, labels other than 0/1, mismatched shapes."""


class CheckpointError(MiniCGMVAEError, ValueError):
    """A checkpoint that is corrupt, of another model, or of another shape or version."""


class DeviceError(MiniCGMVAEError, RuntimeError):
    """A device that was asked for but is not there (e.g. ``cuda`` with no GPU)."""


class ResultNotFoundError(MiniCGMVAEError, FileNotFoundError):
    """A stored result of the book that the installed package does not hold (the message
    names the file and lists the ones it has)."""
