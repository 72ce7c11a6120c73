"""Safe unpacking of artifact archives (tar with any compression, and zip).

Every archive wfexec opens goes through here. The archive is extracted, entry by entry and
with our own code (never `extractall`), into a fresh directory beside the target; each entry
is checked against a model of what the archive has created so far, so a refusal leaves
nothing behind and nothing is ever written outside the target. Refused:

- names that are absolute or have a `..` component;
- device files, FIFOs, sockets and unknown entry types;
- symlinks that resolve outside the target, resolved the way the kernel would: through the
  archive's own earlier and later links, so chains and `dir -> .` then `x -> dir/..` fail;
- hardlinks to anything but a regular file the archive already holds;
- any entry whose parent path passes through a symlink (the symlink-then-write trick of
  CVE-2025-66626), including directory symlinks and chains.

`unpack_to` adds Argo's input rule: a single top-level entry is renamed to the destination,
several entries become a directory there, and a file that is no archive is copied as is.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from wfexec.errors import ArtifactError, UnsafeArchiveError

_MAX_LINK_HOPS = 64
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class _Entry:
    """One archive member, in a form common to tar and zip."""

    name: str
    kind: str  # file, dir, symlink, hardlink, or the name of a refused type
    mode: int
    link: str = ""
    mtime: float | None = None
    open: object = None  # () -> binary file object, for files


def archive_kind(path: str | os.PathLike[str]) -> str | None:
    """'zip', 'tar' or None (not an archive we know), judged by magic bytes first."""
    p = os.fspath(path)
    if not os.path.isfile(p):
        return None
    with open(p, "rb") as f:
        head = f.read(512)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip" if zipfile.is_zipfile(p) else None
    compressed = head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00"))
    if compressed or head[257:262] == b"ustar" or not zipfile.is_zipfile(p):
        return "tar" if _is_tar(p) else None
    return "zip"


def _is_tar(p: str) -> bool:
    try:
        return tarfile.is_tarfile(p)
    except (OSError, EOFError, zlib.error, tarfile.TarError):
        return False


def safe_extract(archive_path: str | os.PathLike[str], target_dir: str | os.PathLike[str], *,
                 artifact: str) -> list[str]:
    """Extract the archive's entries into target_dir; return their relative names, in order."""
    target = Path(target_dir)
    with _Staging(target) as staging:
        names = _extract_into(Path(archive_path), staging.path, artifact)
        target.mkdir(parents=True, exist_ok=True)
        for child in sorted(staging.path.iterdir()):
            _replace(child, target / child.name)
        return names


def unpack_to(archive_path: str | os.PathLike[str], dest_path: str | os.PathLike[str], *,
              artifact: str, archive: dict | None = None) -> Path:
    """Place an input artifact at dest_path following Argo's rule (see the module doc)."""
    src, dest = Path(archive_path), Path(dest_path)
    if not src.exists():
        raise ArtifactError(f"artifact {artifact!r}: {src} does not exist")
    raw = archive is not None and "none" in archive
    if raw or src.is_dir() or archive_kind(src) is None:
        if src.is_dir():
            check_links_inside(src, artifact=artifact, what="the directory")
        _clear(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dest, symlinks=True)
        else:
            shutil.copy2(src, dest)
        return dest
    with _Staging(dest) as staging:
        _extract_into(src, staging.path, artifact)
        children = list(staging.path.iterdir())
        if len(children) == 1:  # its links must make sense once it stands alone at dest
            check_links_inside(children[0], artifact=artifact, what=f"its single entry {children[0].name!r}")
        _clear(dest)
        os.replace(children[0] if len(children) == 1 else staging.path, dest)
        return dest


def check_links_inside(tree: Path, *, artifact: str, what: str = "it") -> None:
    """Refuse when a symlink in tree (or tree itself) resolves outside tree.

    Needed whenever a part of an extracted archive is moved on its own (Argo's single-entry
    rename, `subPath`): a link such as `d/l -> ../d/f` is inside the archive, but would point
    at a sibling of the destination once `d` is renamed.
    """
    if tree.is_symlink():
        raise UnsafeArchiveError(f"artifact {artifact!r}: {what} is a symlink, which cannot stand "
                                 "alone as an artifact")

    for rel in escaping_links(tree)[:1]:
        raise UnsafeArchiveError(f"artifact {artifact!r}: refusing {what}: the symlink {rel!r} -> "
                                 f"{os.readlink(tree / rel)!r} would point outside the artifact")


def escaping_links(tree: Path) -> list[str]:
    """The symlinks under `tree` (relative paths) that are absolute or resolve outside it."""

    def on_disk(rel: str) -> str | None:
        p = tree / rel
        return os.readlink(p) if p.is_symlink() else None

    found: list[str] = []
    for root, dirs, files in os.walk(tree):
        for n in dirs + files:
            p = os.path.join(root, n)
            if os.path.islink(p):
                rel, link = os.path.relpath(p, tree), os.readlink(p)
                parts = rel.split(os.sep)[:-1] + link.split("/")
                if link.startswith("/") or _resolve(parts, on_disk) is None:
                    found.append(rel)
    return found


def _resolve(parts: list[str], readlink: Callable[[str], str | None]) -> list[str] | None:
    """Walk parts from a root like the kernel does, expanding links; None if it leaves the root.

    `..` is never allowed to climb above the root at any moment, even if the walk would
    come back down later: once moved elsewhere, such a path means something else.
    """
    todo, done, hops = list(parts), [], 0
    while todo:
        p = todo.pop(0)
        if p in ("", "."):
            continue
        if p == "..":
            if not done:
                return None
            done.pop()
            continue
        target = readlink("/".join([*done, p]))
        if target is not None:
            hops += 1
            if hops > _MAX_LINK_HOPS or target.startswith("/"):
                return None
            todo = target.split("/") + todo
            continue
        done.append(p)
    return done


# --- extraction -------------------------------------------------------------------------


def _extract_into(archive: Path, root: Path, artifact: str) -> list[str]:
    """Extract into an empty directory `root`, checking each entry; raise on the first bad one."""
    kind = archive_kind(archive)
    if kind is None:
        raise ArtifactError(f"artifact {artifact!r}: {archive.name} is not a tar or zip archive")
    model = _Model(artifact, archive.name)
    names: list[str] = []
    try:
        entries = _zip_entries(archive) if kind == "zip" else _tar_entries(archive)
        for entry in entries:
            name = model.admit(entry)
            if name is None:
                continue
            _write(root, name, entry)
            names.append(name)
        model.check_final_links()
    except (UnsafeArchiveError, ArtifactError):
        raise
    except (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as e:
        raise ArtifactError(f"artifact {artifact!r}: cannot unpack {archive.name}: {e}") from None
    return names


def _write(root: Path, name: str, entry: _Entry) -> None:
    dest = root / name
    _check_parents(root, name)
    if entry.kind == "dir":
        if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
            _clear(dest)
        dest.mkdir(parents=True, exist_ok=True)
        os.chmod(dest, (entry.mode & 0o777) | 0o700)
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    _clear(dest)
    if entry.kind == "symlink":
        os.symlink(entry.link, dest)
        return
    if entry.kind == "hardlink":
        source = root / entry.link
        try:
            os.link(source, dest, follow_symlinks=False)
        except OSError:
            shutil.copy2(source, dest, follow_symlinks=False)
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(dest, flags, 0o600)
    with os.fdopen(fd, "wb") as out, entry.open() as src:  # type: ignore[operator]
        shutil.copyfileobj(src, out, 1 << 20)
    os.chmod(dest, entry.mode & 0o777)
    if entry.mtime is not None:
        os.utime(dest, (entry.mtime, entry.mtime))


def _check_parents(root: Path, name: str) -> None:
    """Belt and braces: no parent on disk may be a symlink (the model already refuses this)."""
    cur = root
    for part in name.split("/")[:-1]:
        cur = cur / part
        if cur.is_symlink():
            raise ArtifactError(f"internal: parent {cur} of {name} is a symlink")


class _Model:
    """What the archive has created so far, to judge each next entry."""

    def __init__(self, artifact: str, archive: str) -> None:
        self.artifact, self.archive = artifact, archive
        self.kinds: dict[str, str] = {}
        self.links: dict[str, str] = {}

    def refuse(self, name: str, why: str) -> UnsafeArchiveError:
        return UnsafeArchiveError(
            f"artifact {self.artifact!r}: refusing to unpack {self.archive}: entry {name!r} {why}")

    def admit(self, e: _Entry) -> str | None:
        name = self.clean(e.name)
        if name is None:
            return None  # the archive's root itself ("./")
        if e.kind not in ("file", "dir", "symlink", "hardlink"):
            raise self.refuse(e.name, f"is a {e.kind}, which is not allowed")
        parts = name.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if prefix in self.links:
                raise self.refuse(e.name, f"would be written through the symlink {prefix!r} "
                                          "created earlier in the archive")
            if self.kinds.get(prefix, "dir") != "dir":
                raise self.refuse(e.name, f"has a parent {prefix!r} that is not a directory")
        if e.kind == "symlink":
            self.check_link(e.name, name, e.link)
            self.links[name] = e.link
        else:
            self.links.pop(name, None)
        if e.kind == "hardlink":
            target = self.clean(e.link, entry=e.name, what="hardlink target")
            if target is None or self.kinds.get(target) != "file" or target in self.links:
                raise self.refuse(e.name, f"is a hardlink to {e.link!r}, which is not a regular file "
                                          "earlier in the archive")
            if any("/".join(target.split("/")[:i]) in self.links for i in range(1, target.count("/") + 1)):
                raise self.refuse(e.name, f"is a hardlink through a symlink ({e.link!r})")
            e.link = target
        self.kinds[name] = "file" if e.kind == "hardlink" else e.kind
        return name

    def clean(self, raw: str, *, entry: str | None = None, what: str = "name") -> str | None:
        entry = raw if entry is None else entry
        if "\x00" in raw:
            raise self.refuse(entry, f"has a NUL byte in its {what}")
        if raw.startswith(("/", "\\")) or _DRIVE.match(raw):
            raise self.refuse(entry, f"has an absolute {what} ({raw!r})")
        parts = [p for p in re.split(r"[/\\]", raw) if p not in ("", ".")]
        if ".." in parts:
            raise self.refuse(entry, f"has a '..' component in its {what} ({raw!r})")
        if not parts:
            return None
        return "/".join(p for p in raw.split("/") if p not in ("", "."))

    def check_link(self, entry: str, name: str, target: str) -> None:
        if not target or "\x00" in target:
            raise self.refuse(entry, "is a symlink with an empty or invalid target")
        if target.startswith("/"):
            raise self.refuse(entry, f"is a symlink to the absolute path {target!r}, outside the target")
        start = name.split("/")[:-1]
        if self.resolve(start + target.split("/"), extra={name: target}) is None:
            raise self.refuse(entry, f"is a symlink to {target!r}, which resolves outside the target")

    def check_final_links(self) -> None:
        """Links are judged again once all exist: a later link can redirect an earlier one."""
        for name, target in self.links.items():
            self.check_link(name, name, target)

    def resolve(self, parts: list[str], extra: dict[str, str] | None = None) -> list[str] | None:
        """Walk parts like the kernel, through the archive's links; None when it leaves root."""
        links = {**self.links, **(extra or {})}
        return _resolve(parts, links.get)


# --- readers ----------------------------------------------------------------------------


def _tar_entries(path: Path) -> Iterator[_Entry]:
    with tarfile.open(path, "r|*") as tf:
        for m in tf:
            yield _Entry(m.name, _tar_kind(m), m.mode, m.linkname, float(m.mtime),
                         _tar_opener(tf, m))


def _tar_opener(tf: tarfile.TarFile, m: tarfile.TarInfo):  # noqa: ANN202 - a small closure
    def opener() -> IO[bytes]:
        f = tf.extractfile(m)
        if f is None:
            raise ArtifactError(f"cannot read {m.name}")
        return f
    return opener


def _tar_kind(m: tarfile.TarInfo) -> str:
    if m.isreg():
        return "file"
    if m.isdir():
        return "dir"
    if m.issym():
        return "symlink"
    if m.islnk():
        return "hardlink"
    if m.ischr():
        return "character device"
    if m.isblk():
        return "block device"
    if m.isfifo():
        return "FIFO"
    return f"entry of unknown type {m.type!r}"


def _zip_entries(path: Path) -> Iterator[_Entry]:
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            mode = info.external_attr >> 16
            kind = _zip_kind(info, mode)
            link = zf.read(info).decode("utf-8", "surrogateescape") if kind == "symlink" else ""
            perm = mode & 0o777 or (0o755 if kind == "dir" else 0o644)
            yield _Entry(info.filename, kind, perm, link, None, lambda i=info: zf.open(i))


def _zip_kind(info: zipfile.ZipInfo, mode: int) -> str:
    fmt = stat.S_IFMT(mode)
    if fmt == stat.S_IFLNK:
        return "symlink"
    if info.is_dir() or fmt == stat.S_IFDIR:
        return "dir"
    if fmt in (0, stat.S_IFREG):
        return "file"
    if fmt == stat.S_IFCHR:
        return "character device"
    if fmt == stat.S_IFBLK:
        return "block device"
    if fmt == stat.S_IFIFO:
        return "FIFO"
    if fmt == stat.S_IFSOCK:
        return "socket"
    return f"entry of unknown type {oct(fmt)}"


# --- filesystem helpers -----------------------------------------------------------------


class _Staging:
    """A fresh directory beside target; on leaving it is removed, and so are the parents it
    had to create when the unpacking failed, so a refusal leaves no trace at all."""

    def __init__(self, target: Path) -> None:
        parent = target.absolute().parent
        self.created: list[Path] = []
        p = parent
        while not p.exists():
            self.created.append(p)
            p = p.parent
        parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{target.name}.unpack-", dir=parent))

    def __enter__(self) -> _Staging:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if exc_type is not None:
            for p in self.created:  # deepest first
                try:
                    p.rmdir()
                except OSError:
                    break


def _clear(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def _replace(src: Path, dest: Path) -> None:
    if os.path.lexists(dest):
        _clear(dest)
    os.replace(src, dest)
