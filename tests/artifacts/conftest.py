"""Fixtures for artifact tests: the moto S3 server, and builders for hand-made archives."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.support.moto_server import moto_s3  # noqa: F401 - a fixture, re-exported


class TarBuilder:
    """Writes tar entries exactly as given (no normalisation), to craft hostile archives."""

    def __init__(self, path: Path, mode: str = "w:gz") -> None:
        self.path = path
        self.tf = tarfile.open(path, mode, format=tarfile.GNU_FORMAT)

    def file(self, name: str, data: bytes = b"x", mode: int = 0o644) -> TarBuilder:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), mode
        self.tf.addfile(info, io.BytesIO(data))
        return self

    def dir(self, name: str) -> TarBuilder:
        info = tarfile.TarInfo(name)
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        self.tf.addfile(info)
        return self

    def symlink(self, name: str, target: str) -> TarBuilder:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = tarfile.SYMTYPE, target
        self.tf.addfile(info)
        return self

    def hardlink(self, name: str, target: str) -> TarBuilder:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = tarfile.LNKTYPE, target
        self.tf.addfile(info)
        return self

    def special(self, name: str, kind: bytes) -> TarBuilder:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.devmajor, info.devminor = 1, 3
        self.tf.addfile(info)
        return self

    def close(self) -> Path:
        self.tf.close()
        return self.path


class ZipBuilder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.zf = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)

    def file(self, name: str, data: bytes = b"x") -> ZipBuilder:
        info = zipfile.ZipInfo(name)
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        self.zf.writestr(info, data)
        return self

    def symlink(self, name: str, target: str) -> ZipBuilder:
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        self.zf.writestr(info, target)
        return self

    def special(self, name: str, fmt: int) -> ZipBuilder:
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = (fmt | 0o644) << 16
        self.zf.writestr(info, b"")
        return self

    def close(self) -> Path:
        self.zf.close()
        return self.path


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every path under root with its type, size and link target, to prove nothing changed."""
    out: dict[str, tuple[int, int, str]] = {}
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            out[os.path.relpath(p, root)] = (stat.S_IFMT(st.st_mode), st.st_size if not stat.S_ISDIR(st.st_mode)
                                             else 0, os.readlink(p) if stat.S_ISLNK(st.st_mode) else "")
    return out


@pytest.fixture
def box(tmp_path: Path) -> Path:
    """A directory holding the archive, the target and an 'outside' the archive aims at."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "keep.txt").write_text("untouched")
    (tmp_path / "archives").mkdir()
    return tmp_path
