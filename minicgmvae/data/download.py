"""Fetching dataset files into a local cache, checked against the registry's sha256.

Where files are cached (first match wins):

1. ``cache_dir=`` argument, or the environment variable ``MINICGMVAE_DATA_DIR``;
2. ``data/`` of the source checkout, when the package runs from one (the folder that holds
   this package also holds a ``pyproject.toml`` naming ``minicgmvae`` and a ``data/`` folder);
3. a per-user cache: ``$XDG_CACHE_HOME/minicgmvae`` or ``~/.cache/minicgmvae``.

Where files come from: a mirror first, if one is set (``mirror=`` argument or the environment
variable ``MINICGMVAE_DATA_MIRROR``: a local folder, or a ``file://``, ``http://`` or
``https://`` URL, laid out as ``<mirror>/<dataset>/<file>``), then the public origin
(``raw.githubusercontent.com`` at a pinned commit, see :mod:`minicgmvae.data.registry`).

A download streams into a temporary file in the cache folder, is checked against the sha256,
and only then is renamed into place with :func:`os.replace` (atomic), so the cache never holds
a partial or wrong file. A verified file gets a small sidecar ``.<file>.verified`` holding its
sha256, size and modification time: a later call compares the stamp instead of re-hashing.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path
from typing import IO

from ..atomic import atomic_write
from ..errors import ChecksumError, DownloadError
from .registry import RemoteFile, get_spec

__all__ = [
    "ENV_DATA_DIR",
    "ENV_MIRROR",
    "DEFAULT_TIMEOUT",
    "default_cache_dir",
    "resolve_cache_dir",
    "resolve_mirror",
    "mirror_url",
    "sha256_file",
    "cached_path",
    "fetch",
]

#: The environment variable that names the cache folder (:func:`resolve_cache_dir`).
ENV_DATA_DIR = "MINICGMVAE_DATA_DIR"
#: The environment variable that names a mirror of the data files (:func:`resolve_mirror`).
ENV_MIRROR = "MINICGMVAE_DATA_MIRROR"

#: Seconds to wait for a server to connect or send the next block.
DEFAULT_TIMEOUT = 30.0

_CHUNK = 1 << 20  # 1 MiB per read: large enough to be fast, small enough for a smooth bar
_USER_AGENT = "minicgmvae-data-fetcher (+https://pypi.org/project/minicgmvae)"


# --------------------------------------------------------------------------- where to cache


def _checkout_data_dir() -> Path | None:
    """``<checkout>/data`` when this package runs from a source checkout, else ``None``."""
    root = Path(__file__).resolve().parent.parent
    pyproject = root / "pyproject.toml"
    data = root / "data"
    if not (pyproject.is_file() and data.is_dir()):
        return None
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    # A regex instead of tomllib: Python 3.10 has no tomllib, and we only need the name.
    if re.search(r'(?m)^\s*name\s*=\s*["\']minicgmvae["\']', text) is None:
        return None
    return data


def default_cache_dir() -> Path:
    """The cache folder when neither ``cache_dir=`` nor ``MINICGMVAE_DATA_DIR`` is given."""
    checkout = _checkout_data_dir()
    if checkout is not None:
        return checkout
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "minicgmvae"


def resolve_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder to use: ``cache_dir``, else ``$MINICGMVAE_DATA_DIR``, else the default.

    The folder is not created here (reading the registry must not write to disk).

    Args:
        cache_dir: a folder chosen by the caller, or None.

    Returns:
        The folder, as a :class:`~pathlib.Path` (``~`` expanded).
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get(ENV_DATA_DIR, "").strip()
    if env:
        return Path(env).expanduser()
    return default_cache_dir()


def resolve_mirror(mirror: str | os.PathLike[str] | None = None) -> str | None:
    """The mirror to use: ``mirror``, else ``$MINICGMVAE_DATA_MIRROR``, else ``None``.

    Args:
        mirror: a URL or a local folder laid out as ``<dataset>/<file>``, or None.

    Returns:
        The mirror, or None for the public origin only.
    """
    if mirror is not None:
        return os.fspath(mirror)
    env = os.environ.get(ENV_MIRROR, "").strip()
    return env or None


def mirror_url(mirror: str, dataset: str, filename: str) -> str:
    """The URL of ``<mirror>/<dataset>/<filename>``; a plain folder becomes a ``file://`` URL.

    Args:
        mirror: a URL or a local folder.
        dataset: the dataset's name.
        filename: the file's name.

    Returns:
        The URL.
    """
    scheme = urllib.parse.urlsplit(mirror).scheme.lower()
    if scheme in ("http", "https", "file"):
        return f"{mirror.rstrip('/')}/{urllib.parse.quote(dataset)}/{urllib.parse.quote(filename)}"
    if len(scheme) > 1:  # ftp:// and friends (a one-letter "scheme" is a Windows drive)
        raise DownloadError(
            f"Unsupported mirror {mirror!r}: use a local folder or a file://, http:// or "
            f"https:// URL laid out as <mirror>/<dataset>/<file> (set by the mirror= argument "
            f"or {ENV_MIRROR})."
        )
    return (Path(mirror).expanduser().resolve() / dataset / filename).as_uri()


# --------------------------------------------------------------------------- verification


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks.

    Args:
        path: the file.

    Returns:
        64 lowercase hex digits.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(f".{path.name}.verified")


def _sidecar_text(path: Path, sha256: str) -> str:
    st = path.stat()
    return f"{sha256} {st.st_size} {st.st_mtime_ns}\n"


def _write_sidecar(path: Path, sha256: str) -> None:
    try:
        _sidecar(path).write_text(_sidecar_text(path, sha256), encoding="ascii")
    except OSError:  # a read-only cache still works, just without the shortcut
        pass


def _verified(path: Path, remote: RemoteFile) -> bool:
    """Whether ``path`` holds ``remote``'s bytes: stamp check first, full hash if needed."""
    try:
        if path.stat().st_size != remote.size:
            return False
        if _sidecar(path).read_text(encoding="ascii") == _sidecar_text(path, remote.sha256):
            return True
    except (OSError, UnicodeDecodeError):
        pass
    if sha256_file(path) != remote.sha256:
        return False
    _write_sidecar(path, remote.sha256)
    return True


def cached_path(dataset: str, filename: str,
                cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where ``<dataset>/<filename>`` lives (or would live) in the cache.

    Args:
        dataset: the dataset's name.
        filename: the file's name.
        cache_dir: the cache folder; by default :func:`resolve_cache_dir`'s.

    Returns:
        The path (the file need not exist).
    """
    return resolve_cache_dir(cache_dir) / dataset / filename


# --------------------------------------------------------------------------- fetching


def _progress_bar(total: int, desc: str, enabled: bool):  # -> tqdm
    from tqdm.std import tqdm  # imported lazily: only a download needs it

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                disable=not enabled, leave=False)


def _download(url: str, dest: Path, remote: RemoteFile, *, progress: bool,
              timeout: float) -> None:
    """Stream ``url`` into a temporary file next to ``dest``, check it, then rename it into
    place (:func:`minicgmvae.atomic.atomic_write`).

    Raises:
        ChecksumError: the bytes differ from the registry's (the temp file is deleted).
        OSError / urllib.error.URLError: the source could not be read (temp file deleted).
    """
    def stream_and_check(out: IO[bytes]) -> None:
        h, n = hashlib.sha256(), 0
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else remote.size
            with _progress_bar(total, f"{remote.filename}", progress) as bar:
                while block := resp.read(_CHUNK):
                    n += len(block)
                    if n > remote.size:  # a wrong (or endless) file: stop reading early
                        break
                    h.update(block)
                    out.write(block)
                    bar.update(len(block))
        got = h.hexdigest() if n <= remote.size else "(more bytes than expected)"
        if n != remote.size or got != remote.sha256:
            raise ChecksumError(
                f"Checksum mismatch for {remote.filename} downloaded from {url}: expected "
                f"sha256 {remote.sha256} ({remote.size} bytes), got {got} ({n} bytes"
                f"{' or more' if n > remote.size else ''}). The file was not kept. If the "
                f"source is a mirror ({ENV_MIRROR}), replace its copy with the original "
                f"({remote.url}) or unset the mirror; otherwise retry later, and report it if "
                "it persists."
            )

    # atomic: readers see the old state or the complete, verified file; on any error
    # (a checksum mismatch, a broken connection, Ctrl-C) the temporary file is deleted
    atomic_write(dest, stream_and_check)
    _write_sidecar(dest, remote.sha256)


def _drop_unless_verified(dest: Path, remote: RemoteFile) -> bool:
    """True if the cached ``dest`` matches its checksum; else delete it (with a warning)."""
    if _verified(dest, remote):
        return True
    warnings.warn(
        f"Cached file {dest} does not match its sha256 {remote.sha256} (corrupt or "
        "changed): deleting it and fetching it again.",
        RuntimeWarning, stacklevel=3,
    )
    dest.unlink(missing_ok=True)
    _sidecar(dest).unlink(missing_ok=True)
    return False


def fetch(dataset: str, filename: str, *, cache_dir: str | os.PathLike[str] | None = None,
          mirror: str | os.PathLike[str] | None = None, progress: bool = True,
          timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Return the local path of ``<dataset>/<filename>``, downloading it if needed.

    A cached file whose checksum matches is returned at once (a stamp comparison, no
    re-hashing). A cached file that does not match is deleted (with a warning) and fetched
    again. Sources are tried in order: the mirror (if any), then the public origin.

    Args:
        dataset: a registry name, e.g. ``"yeast"``.
        filename: a file of that dataset, e.g. ``"yeast-train.arff"``.
        cache_dir: the cache folder (default: see :func:`resolve_cache_dir`).
        mirror: a folder or URL laid out as ``<mirror>/<dataset>/<file>`` (default:
            ``$MINICGMVAE_DATA_MIRROR``).
        progress: show a tqdm progress bar while downloading.
        timeout: seconds to wait for a server (connection and each read).

    Raises:
        DatasetNotFoundError: unknown dataset. ``KeyError``: unknown file of that dataset.
        ChecksumError: a source sent other bytes than the registry's (nothing is kept).
        DownloadError: no source could be read.
    """
    spec = get_spec(dataset)
    remote = spec.file_named(filename)
    dest = resolve_cache_dir(cache_dir) / spec.name / remote.filename

    if dest.is_file() and _drop_unless_verified(dest, remote):
        return dest

    sources: list[tuple[str, str]] = []
    mirror_str = resolve_mirror(mirror)
    if mirror_str is not None:
        sources.append(("mirror", mirror_url(mirror_str, spec.name, remote.filename)))
    sources.append(("origin", remote.url))

    failures: list[str] = []
    for kind, url in sources:
        try:
            _download(url, dest, remote, progress=progress, timeout=timeout)
            return dest
        except ChecksumError:
            raise  # wrong bytes are a problem to fix, not a reason to try elsewhere silently
        except (OSError, urllib.error.URLError, ValueError) as exc:
            # URLError and socket timeouts are OSErrors; ValueError covers malformed URLs.
            failures.append(f"  {kind}: {url}\n    -> {type(exc).__name__}: {exc}")

    layout = f"<mirror>/{spec.name}/{remote.filename}"
    raise DownloadError(
        f"Could not fetch {spec.name}/{remote.filename}; every source failed:\n"
        + "\n".join(failures)
        + f"\nIf this machine is offline, set {ENV_MIRROR} (or pass mirror=) to a folder or "
        f"URL laid out like {layout} (one sub-folder per dataset, the original file names), "
        f"e.g. a copy of the files listed in minicgmvae/data/registry.py. Expected sha256 "
        f"{remote.sha256} ({remote.size} bytes)."
    )
