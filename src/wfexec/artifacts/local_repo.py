"""The default repository: a directory on this machine ($WFEXEC_HOME/artifacts)."""

from __future__ import annotations

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
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent)) / "part"
        try:
            if src.is_dir():
                shutil.copytree(src, tmp, symlinks=True)
            else:
                shutil.copyfile(src, tmp)
            _remove(dest)
            os.replace(tmp, dest)
        finally:
            shutil.rmtree(tmp.parent, ignore_errors=True)
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


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()
