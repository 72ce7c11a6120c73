"""Open a run's stored artifact for streaming, from whichever repository holds it (local or S3).

Keys come from the run's own status, never from the URL; a path *inside* an artifact (the
`artifact-files` form) is normalised and refused if it climbs out, and a local key is refused if it
resolves (through links) outside its repository's root.
"""

from __future__ import annotations

import posixpath
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wfexec.artifacts.keys import check_key
from wfexec.artifacts.location import ArtifactLocation
from wfexec.engine.store import RunRecord
from wfexec.errors import ArtifactError

CHUNK = 1 << 16


class ArtifactNotFound(ArtifactError):
    """No such artifact, or no such file inside it."""


class ArtifactPathRefused(ArtifactError):
    """A path that leaves the artifact or its repository."""


@dataclass
class OpenArtifact:
    filename: str
    chunks: Iterator[bytes]
    size: int | None


def inner_path(path: str) -> str:
    """A relative path inside an artifact, or ArtifactPathRefused."""
    if "\x00" in path or "\\" in path:
        raise ArtifactPathRefused(f"path {path!r} is not allowed")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise ArtifactPathRefused(f"path {path!r} leaves the artifact")
    return "/".join(parts)


def _file_chunks(path: Path, cleanup: Path | None = None) -> Iterator[bytes]:
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    finally:
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)


def _local_file(root: Path, key: str) -> Path:
    root = root.resolve()
    target = (root / check_key(key)).resolve()
    if target != root and root not in target.parents:
        raise ArtifactPathRefused(f"artifact key {key!r} resolves outside its repository")
    return target


def _fetch(rec: RunRecord, art: dict[str, Any]) -> tuple[Path, Path | None]:
    """A local path holding the stored object, and a temporary directory to remove after (S3)."""
    from wfexec.engine.artifacts_glue import repository_for_run

    loc = ArtifactLocation.from_argo(art)
    block = art[loc.driver]
    if loc.driver == "local":
        root = block.get("root")
        if not root:
            repo, _ = repository_for_run(rec.manifest, rec.options, rec.status)
            root = getattr(repo, "root", None)
        if not root:
            raise ArtifactNotFound(f"artifact {art.get('name')!r}: no repository root")
        path = _local_file(Path(root), loc.key)
        if not path.exists():
            raise ArtifactNotFound(f"artifact {art.get('name')!r}: key {loc.key!r} not found")
        return path, None
    repo, _ = repository_for_run(rec.manifest, rec.options, rec.status)
    own = {k: v for k, v in block.items() if k != "key"}
    if repo.driver != "s3" or any(own.get(k) not in (None, getattr(repo, k, None)) for k in ("bucket", "endpoint")):
        from wfexec.artifacts.s3_repo import S3Repository

        repo = S3Repository.from_config(own)
    tmp = Path(tempfile.mkdtemp(prefix="wfexec-artifact-"))
    try:
        dest = repo.get(repo.location(loc.key, str(art.get("name") or "")), tmp / "object")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest, tmp


def open_artifact(rec: RunRecord, art: dict[str, Any], inner: str = "") -> OpenArtifact:
    """The stored object itself (inner ""), or one file inside a directory or .tgz artifact."""
    if "raw" in art and isinstance(art["raw"], dict):
        data = str(art["raw"].get("data", "")).encode()
        return OpenArtifact(str(art.get("name") or "artifact"), iter([data]), len(data))
    path, tmp = _fetch(rec, art)
    key = ArtifactLocation.from_argo(art).key
    try:
        if not inner:
            if path.is_dir():
                raise ArtifactNotFound(f"artifact {art.get('name')!r} is a directory: name a file inside it")
            return OpenArtifact(posixpath.basename(key), _file_chunks(path, tmp), path.stat().st_size)
        inner = inner_path(inner)
        if path.is_dir():
            target = (path / inner).resolve()
            if path.resolve() not in target.parents or not target.is_file():
                raise ArtifactNotFound(f"no file {inner!r} in artifact {art.get('name')!r}")
            return OpenArtifact(posixpath.basename(inner), _file_chunks(target, tmp), target.stat().st_size)
        return _member(path, inner, str(art.get("name")), tmp)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise


def _member(archive: Path, inner: str, name: str, tmp: Path | None) -> OpenArtifact:
    """One regular file of a .tgz artifact, matched with or without the archive's top directory."""
    try:
        tar = tarfile.open(archive, "r:*")
    except (tarfile.TarError, OSError):
        raise ArtifactNotFound(f"artifact {name!r} is a single file, not an archive: drop the path") from None
    chosen = None
    for member in tar.getmembers():
        clean = posixpath.normpath(member.name).lstrip("/")
        if member.isfile() and (clean == inner or clean.split("/", 1)[-1] == inner):
            chosen = member
            break
    if chosen is None:
        tar.close()
        raise ArtifactNotFound(f"no file {inner!r} in artifact {name!r}")
    fh = tar.extractfile(chosen)
    assert fh is not None

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := fh.read(CHUNK):
                yield chunk
        finally:
            tar.close()
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)

    return OpenArtifact(posixpath.basename(inner), chunks(), chosen.size)



