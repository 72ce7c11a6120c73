"""The default repository: a directory on this machine ($WFEXEC_HOME/artifacts)."""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import tempfile
from pathlib import Path

from wfexec.artifacts.keys import DEFAULT_KEY_FORMAT, check_key
from wfexec.artifacts.location import ArtifactLocation
from wfexec.artifacts.repository import Repository
from wfexec.errors import ArtifactError
from wfexec.home import wfexec_home


class LocalRepository(Repository):
    """Keys are relative paths under root; writes are atomic (temp name, then rename)."""

    driver = "local"

    def __init__(self, root: str | Path | None = None, *, key_format: str = DEFAULT_KEY_FORMAT) -> None:
        self.root = Path(root) if root else wfexec_home() / "artifacts"
        self.key_format = key_format

    def __repr__(self) -> str:
        return f"LocalRepository(root={str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def location(self, key: str, name: str = "") -> ArtifactLocation:
        return ArtifactLocation("local", check_key(key), name, extra={"root": str(self.root)})

    def put(self, local_path: str | Path, key: str, *, name: str = "") -> ArtifactLocation:
        src, dest = Path(local_path), self._path(key)
        if not src.exists():
            raise ArtifactError(f"artifact {name or key!r}: {src} does not exist")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _TempBeside(dest) as tmp:
            if src.is_dir():
                shutil.copytree(src, tmp, symlinks=True)
            else:
                shutil.copyfile(src, tmp)
            _remove(dest)
            os.replace(tmp, dest)
        return self.location(key, name)

    def get(self, location: ArtifactLocation, local_path: str | Path) -> Path:
        src, dest = self._path(location.key), Path(local_path)
        if not src.exists():
            raise ArtifactError(f"artifact {location.name or location.key!r}: key {location.key!r} "
                                f"not found in {self.root}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        _remove(dest)
        if src.is_dir():
            shutil.copytree(src, dest, symlinks=True)
        else:
            shutil.copyfile(src, dest)
        return dest

    def exists(self, location: ArtifactLocation) -> bool:
        return self._path(location.key).exists()

    def delete(self, location: ArtifactLocation) -> None:
        _remove(self._path(location.key))


class _TempBeside:
    """A locked temporary directory next to `dest`, for its copy before the rename. A writer killed
    mid-copy (an engine's kill -9) leaves its directory behind; the next writer of the same key
    removes those whose lock is free. Writers make and lock theirs while holding the parent's lock,
    and only a holder of that lock removes, so no live writer's copy is ever taken away."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.dir = Path()
        self.fd = -1

    def __enter__(self) -> Path:
        parent = os.open(self.dest.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(parent, fcntl.LOCK_EX)
            _remove_abandoned(self.dest)
            self.dir = Path(tempfile.mkdtemp(prefix=f".{self.dest.name}.", dir=self.dest.parent))
            self.fd = os.open(self.dir, os.O_RDONLY | os.O_DIRECTORY)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        finally:
            os.close(parent)  # closing releases the parent's lock
        return self.dir / "part"

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        os.close(self.fd)


def _remove_abandoned(dest: Path) -> None:
    """Temporary directories of `dest` whose writer is gone (their lock is free)."""
    for stale in dest.parent.glob(f".{glob.escape(dest.name)}.*"):
        try:
            fd = os.open(stale, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a live writer holds it
        else:
            shutil.rmtree(stale, ignore_errors=True)
        finally:
            os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()
