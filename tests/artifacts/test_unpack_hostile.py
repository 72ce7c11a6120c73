"""Hostile archives are refused by name, and nothing is written anywhere when they are."""

from __future__ import annotations

import stat
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.artifacts.conftest import TarBuilder, ZipBuilder, snapshot
from wfexec.artifacts.unpack import safe_extract, unpack_to
from wfexec.errors import UnsafeArchiveError

Craft = Callable[[Path, Path], Path]  # (archive dir, outside dir) -> archive path


def _tar(build: Callable[[TarBuilder, Path], object], mode: str = "w:gz") -> Craft:
    def craft(adir: Path, outside: Path) -> Path:
        b = TarBuilder(adir / "a.tar", mode)
        build(b, outside)
        return b.close()
    return craft


def _zip(build: Callable[[ZipBuilder, Path], object]) -> Craft:
    def craft(adir: Path, outside: Path) -> Path:
        b = ZipBuilder(adir / "a.zip")
        build(b, outside)
        return b.close()
    return craft


HOSTILE: dict[str, tuple[Craft, str]] = {
    "tar-dotdot": (_tar(lambda b, o: b.file("ok.txt").file("../outside/evil", b"pwned")), "../outside/evil"),
    "tar-dotdot-nested": (_tar(lambda b, o: b.file("a/../../outside/evil")), "a/../../outside/evil"),
    "tar-absolute": (_tar(lambda b, o: b.file(str(o / "evil"))), "evil"),
    "tar-symlink-escape": (_tar(lambda b, o: b.symlink("link", str(o))), "link"),
    "tar-symlink-relative-escape": (_tar(lambda b, o: b.symlink("d/link", "../../outside")), "d/link"),
    "tar-symlink-then-write": (_tar(lambda b, o: b.symlink("a", str(o)).file("a/b", b"pwned")), "a"),
    "tar-inner-symlink-then-write": (
        _tar(lambda b, o: b.dir("real").symlink("a", "real").file("a/b", b"x")), "a/b"),
    "tar-symlink-chain": (
        _tar(lambda b, o: b.dir("d").symlink("d/up", "..").symlink("c", "d/up/..")), "c"),
    "tar-dot-link-then-dotdot": (
        _tar(lambda b, o: b.symlink("self", ".").symlink("esc", "self/..")), "esc"),
    "tar-later-link-redirects-earlier": (
        _tar(lambda b, o: b.symlink("esc", "hop/../..").symlink("hop", "sub").dir("sub")), "esc"),
    "tar-dir-symlink-then-dir-write": (
        _tar(lambda b, o: b.symlink("d", "../outside").dir("d/sub").file("d/sub/f")), "d"),
    "tar-hardlink-escape": (_tar(lambda b, o: b.hardlink("h", str(o / "keep.txt"))), "h"),
    "tar-hardlink-dotdot": (_tar(lambda b, o: b.hardlink("h", "../outside/keep.txt")), "h"),
    "tar-hardlink-through-symlink": (
        _tar(lambda b, o: b.dir("x").file("x/y").symlink("s", "x").hardlink("h", "s/y")), "h"),
    "tar-chardev": (_tar(lambda b, o: b.special("null", tarfile.CHRTYPE)), "null"),
    "tar-blockdev": (_tar(lambda b, o: b.special("disk", tarfile.BLKTYPE)), "disk"),
    "tar-fifo": (_tar(lambda b, o: b.special("pipe", tarfile.FIFOTYPE)), "pipe"),
    "tar-uncompressed-dotdot": (_tar(lambda b, o: b.file("../evil"), "w"), "../evil"),
    "tar-xz-symlink-then-write": (_tar(lambda b, o: b.symlink("a", str(o)).file("a/b"), "w:xz"), "a"),
    "zip-slip": (_zip(lambda b, o: b.file("ok").file("../outside/evil", b"pwned")), "../outside/evil"),
    "zip-absolute": (_zip(lambda b, o: b.file("/tmp/wfexec-zip-abs-evil")), "/tmp/wfexec-zip-abs-evil"),
    "zip-backslash-dotdot": (_zip(lambda b, o: b.file("..\\outside\\evil")), "..\\outside\\evil"),
    "zip-symlink-escape": (_zip(lambda b, o: b.symlink("link", str(o))), "link"),
    "zip-symlink-then-write": (_zip(lambda b, o: b.symlink("a", "../outside").file("a/b", b"pwned")), "a"),
    "zip-fifo": (_zip(lambda b, o: b.special("pipe", stat.S_IFIFO)), "pipe"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("api", ["safe_extract", "unpack_to"])
def test_hostile_archive_is_refused_and_nothing_is_written(box: Path, case: str, api: str) -> None:
    craft, entry = HOSTILE[case]
    archive = craft(box / "archives", box / "outside")
    target = box / "target"
    before = snapshot(box)
    with pytest.raises(UnsafeArchiveError) as exc:
        if api == "safe_extract":
            safe_extract(archive, target, artifact="my-art")
        else:
            unpack_to(archive, target, artifact="my-art")
    msg = str(exc.value)
    assert "my-art" in msg and "Traceback" not in msg
    shown = repr(entry)[1:-1]
    assert shown.split("/")[0] in msg or shown in msg, msg
    assert snapshot(box) == before, "the refused archive changed the filesystem"
    assert (box / "outside" / "keep.txt").read_text() == "untouched"
    assert not Path("/tmp/wfexec-zip-abs-evil").exists()


def test_refusal_leaves_an_existing_target_as_it_was(box: Path) -> None:
    target = box / "target"
    target.mkdir()
    (target / "old.txt").write_text("old")
    archive = TarBuilder(box / "archives" / "a.tgz").file("new.txt").symlink("a", "..").file("a/x").close()
    before = snapshot(box)
    with pytest.raises(UnsafeArchiveError):
        safe_extract(archive, target, artifact="keep")
    assert snapshot(box) == before


def test_error_message_names_artifact_and_entry(box: Path) -> None:
    archive = TarBuilder(box / "archives" / "a.tgz").symlink("a", "/etc").file("a/passwd").close()
    with pytest.raises(UnsafeArchiveError, match=r"artifact 'model'.*entry 'a'.*/etc"):
        safe_extract(archive, box / "t", artifact="model")


@pytest.mark.parametrize("build", [
    lambda b: b.dir("d").file("d/f").symlink("d/l", "../d/f"),  # fine inside, a sibling once renamed
    lambda b: b.dir("d").symlink("d/up", ".."),
    lambda b: b.symlink("only", "."),
])
def test_single_entry_rename_refuses_links_that_would_leave_dest(box: Path, build) -> None:  # noqa: ANN001
    b = TarBuilder(box / "archives" / "a.tgz")
    build(b)
    archive = b.close()
    before = snapshot(box)
    with pytest.raises(UnsafeArchiveError, match="artifact 'solo'"):
        unpack_to(archive, box / "dest", artifact="solo")
    assert snapshot(box) == before
