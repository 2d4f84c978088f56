"""Writing a file atomically: into a temporary file beside it, then ``os.replace``.

A reader (or a crash) never sees half a file under the real name. The file gets the usual
permissions (0666 minus the umask), as a plain ``open(path, "w")`` would give it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[IO[Any]], None], binary: bool = True
) -> Path:
    """Call ``write(f)`` on a temporary file in ``path``'s folder, then move it to ``path``.

    Args:
        path: the file to write; missing parent folders are created.
        write: called once with the open temporary file; it writes the contents.
        binary: open the temporary file in binary mode (``"wb"``), else in text mode (``"w"``).

    Returns:
        ``path``, as a :class:`~pathlib.Path`.

    Raises:
        Exception: whatever ``write`` or the file system raises; the temporary file is removed
            and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb" if binary else "w") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
