"""Pack an output artifact the way Argo saves it (stdlib only: runs inside bare containers).

Argo's `archive` strategy decides the shape of the saved file:

- None or `{tar: {compressionLevel: N}}` -> a gzip'd tar whose entries are rooted at
  `basename(src)`, whether src is a file or a directory;
- `{none: {}}` -> the file copied raw (a directory is copied as a directory tree);
- `{zip: {}}` -> a zip, entries rooted at `basename(src)` as well.

Speed: a tar stream (GNU `tar` when on PATH, else `tarfile`, same entry names and order) is
compressed by a pigz-style parallel deflate: fixed-size chunks are compressed on a thread
pool (zlib drops the GIL), each primed with the previous chunk's last 32 KiB and ended with
a sync flush, so the result is one ordinary single-member gzip stream.
"""

from __future__ import annotations

import os
import shutil
import stat
import struct
import subprocess
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any

try:  # inside the engine these are wfexec errors; in a bare container plain exceptions
    from wfexec.errors import ArtifactError as _Base
except ImportError:  # pragma: no cover - exercised only without wfexec installed
    _Base = Exception  # type: ignore[misc,assignment]

DEFAULT_LEVEL = 6  # Go's gzip.DefaultCompression, which Argo uses, is zlib's level 6
CHUNK = 1 << 20
WINDOW = 1 << 15


class PackError(_Base):  # type: ignore[misc,valid-type]
    """An output artifact could not be packed."""


class SourceMissingError(PackError):
    """The artifact's path does not exist (the caller decides whether `optional` allows it)."""


def parse_archive(archive: dict[str, Any] | None) -> tuple[str, int]:
    """Return (kind, gzip level) for Argo's `archive` field; kind is tar, none or zip."""
    if not archive:
        return "tar", DEFAULT_LEVEL
    if not isinstance(archive, dict) or len(archive) != 1:
        raise PackError(f"archive must have exactly one of tar, none, zip; got {archive!r}")
    kind, opts = next(iter(archive.items()))
    if kind == "tar":
        level = (opts or {}).get("compressionLevel", DEFAULT_LEVEL)
        if level is None or level == -1:
            level = DEFAULT_LEVEL
        if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= 9:
            raise PackError(f"archive.tar.compressionLevel must be an integer -1..9; got {level!r}")
        return "tar", level
    if kind in ("none", "zip"):
        return kind, DEFAULT_LEVEL
    raise PackError(f"unknown archive strategy {kind!r} (expected tar, none or zip)")


def pack_path(src: str, dest: str, archive: dict[str, Any] | None) -> None:
    """Save `src` to `dest` following Argo's archive strategy; dest appears atomically."""
    if not os.path.lexists(src):
        raise SourceMissingError(f"{src}: no such file or directory")
    kind, level = parse_archive(archive)
    if not (os.path.isfile(src) or os.path.isdir(src)):  # follows a top-level link, as Argo does
        raise PackError(f"{src} is not a regular file or directory")
    os.makedirs(os.path.dirname(os.path.abspath(dest)) or ".", exist_ok=True)
    part = f"{dest}.part{os.getpid()}"
    try:
        if kind == "tar":
            tar_gz(src, part, level)
        elif kind == "zip":
            zip_path(src, part)
        else:
            copy_raw(src, part)
        if os.path.isdir(dest) and not os.path.islink(dest):
            shutil.rmtree(dest)
        os.replace(part, dest)
    except BaseException:
        _remove(part)
        raise


def tar_gz(src: str, dest: str, level: int = DEFAULT_LEVEL) -> None:
    """A .tgz of src with entries rooted at basename(src)."""
    src = os.path.abspath(src)
    name = os.path.basename(src.rstrip("/")) or "root"
    with open(dest, "wb") as raw, ParallelGzipWriter(raw, level) as gz:
        tar_cmd = gnu_tar()
        if os.path.islink(src):  # the artifact path itself is a link: save what it points at
            _tar_with_tarfile(os.path.realpath(src), name, gz)
        elif tar_cmd:
            _tar_with_cli(tar_cmd, src, gz)
        else:
            _tar_with_tarfile(src, name, gz)


def gnu_tar() -> str | None:
    """Path of a GNU tar (it knows --sort=name, which makes its order match tarfile's)."""
    path = shutil.which("tar")
    if not path:
        return None
    try:
        out = subprocess.run([path, "--version"], capture_output=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return path if b"GNU tar" in out else None


def _tar_with_cli(tar_cmd: str, src: str, out: ParallelGzipWriter) -> None:
    parent, name = os.path.split(src.rstrip("/") or "/")
    cmd = [tar_cmd, "--format=gnu", "--sort=name", "-C", parent or "/", "-cf", "-", "--", name]
    with tempfile.TemporaryFile() as errf:  # a file, not a pipe: a chatty tar cannot block
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errf, bufsize=CHUNK)
        assert proc.stdout is not None
        try:
            while True:
                block = proc.stdout.read(CHUNK)
                if not block:
                    break
                out.write(block)
        finally:
            proc.stdout.close()
            rc = proc.wait()
        errf.seek(0)
        err = errf.read().decode(errors="replace").strip()
    # exit 1 is GNU tar's "some files changed while being read": the archive is still whole
    if rc not in (0, 1):
        raise PackError(f"tar of {src} failed (exit {rc}): {err[-500:]}")


def _tar_with_tarfile(src: str, name: str, out: ParallelGzipWriter) -> None:
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.GNU_FORMAT) as tf:  # type: ignore[call-overload]
        tf.add(src, arcname=name, recursive=True)


def zip_path(src: str, dest: str) -> None:
    """A zip of src with entries rooted at basename(src); symlinks are followed."""
    src = os.path.abspath(src)
    name = os.path.basename(src.rstrip("/"))
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        if not os.path.isdir(src):
            zf.write(src, name)
            return
        for root, dirs, files in os.walk(src):
            dirs.sort()
            rel = os.path.relpath(root, os.path.dirname(src))
            zf.write(root, rel + "/")
            for f in sorted(files):
                zf.write(os.path.join(root, f), os.path.join(rel, f))


def copy_raw(src: str, dest: str) -> None:
    """`archive: none`: the file itself, or the directory as a tree (links kept as links)."""
    if os.path.isdir(src) and not os.path.islink(src):
        shutil.copytree(src, dest, symlinks=True)
    else:
        shutil.copy2(src, dest)


class ParallelGzipWriter:
    """A write-only file object producing one gzip member, compressed on several threads."""

    def __init__(self, raw: IO[bytes], level: int = DEFAULT_LEVEL, workers: int | None = None,
                 chunk: int = CHUNK) -> None:
        self._raw, self._level, self._chunk = raw, level, chunk
        self._workers = workers or max(1, os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(self._workers)
        self._pending: deque[Future[bytes]] = deque()
        self._buf = bytearray()
        self._dict = b""
        self._crc = 0
        self._size = 0
        self._closed = False
        xfl = 2 if level == 9 else 4 if level == 1 else 0
        raw.write(b"\x1f\x8b\x08\x00" + struct.pack("<I", int(time.time()) & 0xFFFFFFFF) + bytes([xfl, 3]))

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._buf += data
        while len(self._buf) >= self._chunk:
            block = bytes(self._buf[: self._chunk])
            del self._buf[: self._chunk]
            self._submit(block, final=False)
        return len(data)

    def _submit(self, block: bytes, final: bool) -> None:
        self._crc = zlib.crc32(block, self._crc)
        self._size += len(block)
        self._pending.append(self._pool.submit(_deflate, block, self._dict, self._level, final))
        self._dict = block[-WINDOW:] if len(block) >= WINDOW else (self._dict + block)[-WINDOW:]
        while len(self._pending) > 2 * self._workers:
            self._raw.write(self._pending.popleft().result())

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._submit(bytes(self._buf), final=True)
            self._buf.clear()
            while self._pending:
                self._raw.write(self._pending.popleft().result())
            self._raw.write(struct.pack("<II", self._crc, self._size & 0xFFFFFFFF))
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ParallelGzipWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self._closed = True
            self._pool.shutdown(wait=True, cancel_futures=True)


def _deflate(block: bytes, zdict: bytes, level: int, final: bool) -> bytes:
    comp = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, zdict) if zdict \
        else zlib.compressobj(level, zlib.DEFLATED, -15)
    return comp.compress(block) + comp.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)


def _remove(path: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path, ignore_errors=True)
    else:
        os.unlink(path)
