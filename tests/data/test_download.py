"""The download cache: where it is, fetching from a mirror or over HTTP, and checksums.

Network behaviour is tested against a loopback HTTP server and a closed loopback port, never
the internet."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from minicgmvae.data import download, registry
from minicgmvae.data.datasets import load_dataset
from minicgmvae.data.download import fetch, resolve_cache_dir
from minicgmvae.errors import ChecksumError, DownloadError


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port() -> int:
    """A loopback port nobody listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def offline_origin(monkeypatch: pytest.MonkeyPatch) -> str:
    """Point every public origin URL at a closed loopback port; returns the base URL."""
    base = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setattr(registry, "RAW_BASE_URL", base)
    return base


def leftovers(folder: Path) -> list[str]:
    """Every file under ``folder`` (temp files included)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_cache_dir_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MINICGMVAE_DATA_DIR", str(tmp_path / "env"))
    assert resolve_cache_dir(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_cache_dir() == tmp_path / "env"
    monkeypatch.delenv("MINICGMVAE_DATA_DIR")
    repo = Path(download.__file__).resolve().parents[1]
    if (repo / "pyproject.toml").is_file() and (repo / "data").is_dir():
        assert resolve_cache_dir() == repo / "data"  # running from a source checkout
    monkeypatch.setattr(download, "_checkout_data_dir", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert resolve_cache_dir() == tmp_path / "xdg" / "minicgmvae"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_cache_dir() == tmp_path / "home" / ".cache" / "minicgmvae"


@pytest.mark.parametrize("kind", ["folder", "file-url"])
def test_fetch_from_local_mirror(kind: str, mirror: Path, tmp_path: Path,
                                 offline_origin: str) -> None:
    m = str(mirror) if kind == "folder" else mirror.as_uri()
    path = fetch("emotions", "emotions.xml", cache_dir=tmp_path, mirror=m, progress=False)
    assert path == tmp_path / "emotions" / "emotions.xml"
    assert download.sha256_file(path) == registry.get_spec("emotions").file("labels").sha256
    assert not [p for p in leftovers(tmp_path) if p.endswith((".part", ".tmp"))]


def test_download_over_http_then_cached_without_rehashing(
        mirror: Path, tmp_path: Path, offline_origin: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MINICGMVAE_DATA_MIRROR", raising=False)
    with serve(mirror) as url:
        data = load_dataset("emotions", cache_dir=tmp_path, mirror=url, progress=False)
        path = fetch("emotions", "emotions-train.arff", cache_dir=tmp_path, mirror=url)
    assert data.x_test.shape == (202, 72)
    assert download.sha256_file(path) == registry.get_spec("emotions").file("train").sha256
    assert not [p for p in leftovers(tmp_path) if p.endswith((".part", ".tmp"))]

    # A cached, stamped file is trusted without hashing it again (and without a server).
    def no_hash(p: object) -> str:
        raise AssertionError("a verified cached file must not be re-hashed")

    monkeypatch.setattr(download, "sha256_file", no_hash)
    assert fetch("emotions", "emotions-train.arff", cache_dir=tmp_path) == path


@pytest.mark.parametrize("how", ["same-size", "truncated", "too-long"])
def test_checksum_mismatch_keeps_nothing(how: str, mirror: Path, tmp_path: Path,
                                         offline_origin: str) -> None:
    good = (mirror / "emotions" / "emotions.xml").read_bytes()
    bad = {"same-size": good.replace(b"happy", b"HAPPY"), "truncated": good[:100],
           "too-long": good + b"x" * 5000}[how]
    served = tmp_path / "served" / "emotions"
    served.mkdir(parents=True)
    (served / "emotions.xml").write_bytes(bad)
    cache = tmp_path / "cache"
    with serve(tmp_path / "served") as url, pytest.raises(ChecksumError) as err:
        fetch("emotions", "emotions.xml", cache_dir=cache, mirror=url, progress=False)
    msg = str(err.value)
    expected = registry.get_spec("emotions").file("labels").sha256
    assert "emotions.xml" in msg and expected in msg and url in msg
    assert "MINICGMVAE_DATA_MIRROR" in msg
    if how != "too-long":
        assert hashlib.sha256(bad).hexdigest() in msg
    assert leftovers(cache) == []  # neither the file nor a temp file


def test_no_network_and_no_mirror_gives_a_helpful_download_error(
        tmp_path: Path, offline_origin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MINICGMVAE_DATA_MIRROR", raising=False)
    with pytest.raises(DownloadError) as err:
        fetch("yeast", "yeast.xml", cache_dir=tmp_path, progress=False)
    msg = str(err.value)
    assert f"{offline_origin}/tsoumakas/mulan/" in msg and "yeast/yeast.xml" in msg
    assert "MINICGMVAE_DATA_MIRROR" in msg and "<mirror>/yeast/yeast.xml" in msg
    assert isinstance(err.value, OSError)
    with pytest.raises(DownloadError):
        load_dataset("yeast", cache_dir=tmp_path, progress=False)
    assert leftovers(tmp_path) == []


def test_mirror_without_the_file_falls_back_to_origin(tmp_path: Path, offline_origin: str) -> None:
    (tmp_path / "empty-mirror").mkdir()
    with pytest.raises(DownloadError) as err:
        fetch("yeast", "yeast.xml", cache_dir=tmp_path / "c", mirror=tmp_path / "empty-mirror",
              progress=False)
    msg = str(err.value)
    assert "mirror: file://" in msg and f"origin: {offline_origin}" in msg


@pytest.mark.parametrize("damage", ["truncated", "same-size"])
def test_corrupt_cached_file_is_fetched_again(damage: str, mirror: Path, tmp_path: Path,
                                              offline_origin: str) -> None:
    path = fetch("yeast", "yeast.xml", cache_dir=tmp_path, mirror=mirror, progress=False)
    blob = path.read_bytes()
    st = path.stat()
    path.write_bytes(blob[:50] if damage == "truncated" else blob.replace(b"Class", b"CLASS"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a later modification
    with pytest.warns(RuntimeWarning, match="does not match"):
        again = fetch("yeast", "yeast.xml", cache_dir=tmp_path, mirror=mirror, progress=False)
    assert again.read_bytes() == blob
