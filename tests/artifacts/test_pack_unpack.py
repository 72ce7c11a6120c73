"""Packing outputs the way Argo saves them, and unpacking inputs the way Argo loads them."""

from __future__ import annotations

import gzip
import os
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.artifacts.conftest import TarBuilder, ZipBuilder
from wfexec.artifacts import pack
from wfexec.artifacts.pack import ParallelGzipWriter, SourceMissingError, pack_path, parse_archive
from wfexec.artifacts.unpack import archive_kind, safe_extract, unpack_to
from wfexec.errors import ArtifactError


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    d = tmp_path / "src" / "out"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("alpha\n")
    (d / "sub" / "b.bin").write_bytes(os.urandom(3000) + b"z" * 200_000)
    (d / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (d / "run.sh").chmod(0o755)
    os.symlink("a.txt", d / "link")
    return d


def _names(path: Path) -> list[str]:
    with tarfile.open(path) as tf:
        return sorted(m.name.rstrip("/") for m in tf.getmembers())


def test_file_is_packed_as_tgz_rooted_at_its_basename(tmp_path: Path, tree: Path) -> None:
    out = tmp_path / "a.tgz"
    pack_path(str(tree / "a.txt"), str(out), None)
    assert _names(out) == ["a.txt"]
    assert subprocess.run(["gzip", "-t", str(out)]).returncode == 0


def test_directory_is_packed_rooted_at_its_basename(tmp_path: Path, tree: Path) -> None:
    out = tmp_path / "d.tgz"
    pack_path(str(tree), str(out), {"tar": {}})
    assert _names(out) == ["out", "out/a.txt", "out/link", "out/run.sh", "out/sub", "out/sub/b.bin"]
    listing = subprocess.run(["tar", "tzvf", str(out)], capture_output=True, text=True, check=True).stdout
    assert "out/link -> a.txt" in listing


def test_tarfile_fallback_has_the_same_layout(tmp_path: Path, tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack_path(str(tree), str(tmp_path / "cli.tgz"), None)
    monkeypatch.setattr(pack, "gnu_tar", lambda: None)
    pack_path(str(tree), str(tmp_path / "py.tgz"), None)
    with tarfile.open(tmp_path / "cli.tgz") as a, tarfile.open(tmp_path / "py.tgz") as b:
        left = [(m.name.rstrip("/"), m.type, m.mode & 0o777, m.size, m.linkname) for m in a.getmembers()]
        right = [(m.name.rstrip("/"), m.type, m.mode & 0o777, m.size, m.linkname) for m in b.getmembers()]
    assert left == right


def test_compression_level_is_honoured(tmp_path: Path, tree: Path) -> None:
    pack_path(str(tree), str(tmp_path / "l0.tgz"), {"tar": {"compressionLevel": 0}})
    pack_path(str(tree), str(tmp_path / "l9.tgz"), {"tar": {"compressionLevel": 9}})
    assert (tmp_path / "l0.tgz").stat().st_size > 2 * (tmp_path / "l9.tgz").stat().st_size
    assert _names(tmp_path / "l0.tgz") == _names(tmp_path / "l9.tgz")


@pytest.mark.parametrize("bad", [{"tar": {"compressionLevel": 12}}, {"rar": {}}, {"tar": {}, "zip": {}}])
def test_bad_archive_strategy_is_a_clear_error(bad: dict) -> None:
    with pytest.raises(ArtifactError, match="archive"):
        parse_archive(bad)


def test_parallel_gzip_is_one_valid_stream(tmp_path: Path) -> None:
    data = b"".join(os.urandom(500) + bytes([i % 256]) * 7000 for i in range(300))
    out = tmp_path / "x.gz"
    with open(out, "wb") as raw, ParallelGzipWriter(raw, 6, workers=3, chunk=64 * 1024) as gz:
        for i in range(0, len(data), 10_000):
            gz.write(data[i:i + 10_000])
    assert gzip.decompress(out.read_bytes()) == data
    assert subprocess.run(["gzip", "-dc", str(out)], capture_output=True, check=True).stdout == data
    assert len(out.read_bytes()) < len(data) // 3


def test_empty_stream_is_valid_gzip(tmp_path: Path) -> None:
    out = tmp_path / "e.gz"
    with open(out, "wb") as raw, ParallelGzipWriter(raw):
        pass
    assert gzip.decompress(out.read_bytes()) == b""


def test_archive_none_copies_file_and_directory(tmp_path: Path, tree: Path) -> None:
    pack_path(str(tree / "a.txt"), str(tmp_path / "raw.txt"), {"none": {}})
    assert (tmp_path / "raw.txt").read_text() == "alpha\n"
    pack_path(str(tree), str(tmp_path / "rawdir"), {"none": {}})
    assert (tmp_path / "rawdir" / "sub" / "b.bin").read_bytes() == (tree / "sub" / "b.bin").read_bytes()
    assert os.readlink(tmp_path / "rawdir" / "link") == "a.txt"


def test_zip_round_trip(tmp_path: Path, tree: Path) -> None:
    out = tmp_path / "d.zip"
    pack_path(str(tree), str(out), {"zip": {}})
    assert archive_kind(out) == "zip"
    assert "out/sub/b.bin" in zipfile.ZipFile(out).namelist()
    dest = unpack_to(out, tmp_path / "in" / "data", artifact="z")
    assert (dest / "sub" / "b.bin").read_bytes() == (tree / "sub" / "b.bin").read_bytes()


def test_missing_source_is_reported() -> None:
    with pytest.raises(SourceMissingError):
        pack_path("/nonexistent/wfexec/x", "/tmp/never", None)


def test_single_entry_is_renamed_to_dest(tmp_path: Path, tree: Path) -> None:
    pack_path(str(tree / "a.txt"), str(tmp_path / "f.tgz"), None)
    dest = unpack_to(tmp_path / "f.tgz", tmp_path / "in" / "message", artifact="m")
    assert dest.is_file() and dest.read_text() == "alpha\n"
    pack_path(str(tree), str(tmp_path / "d.tgz"), None)
    dest = unpack_to(tmp_path / "d.tgz", tmp_path / "in" / "dir", artifact="d")
    assert sorted(p.name for p in dest.iterdir()) == ["a.txt", "link", "run.sh", "sub"]
    assert os.access(dest / "run.sh", os.X_OK) and (dest / "link").read_text() == "alpha\n"
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["dir", "message"], "no staging left"


def test_several_entries_become_a_directory(tmp_path: Path) -> None:
    archive = TarBuilder(tmp_path / "m.tgz").file("one", b"1").file("two", b"2").dir("three").close()
    dest = unpack_to(archive, tmp_path / "dest", artifact="many")
    assert sorted(p.name for p in dest.iterdir()) == ["one", "three", "two"]


def test_not_an_archive_is_copied_as_is(tmp_path: Path) -> None:
    src = tmp_path / "plain.txt"
    src.write_text("just text")
    assert unpack_to(src, tmp_path / "dest", artifact="p").read_text() == "just text"
    tgz = tmp_path / "real.tgz"
    TarBuilder(tgz).file("inner", b"i").close()
    out = unpack_to(tgz, tmp_path / "kept.tgz", artifact="p", archive={"none": {}})
    assert out.read_bytes() == tgz.read_bytes()


def test_benign_internal_links_are_kept(tmp_path: Path) -> None:
    archive = (TarBuilder(tmp_path / "ok.tgz").dir("pkg").dir("pkg/real").file("pkg/real/f", b"data")
               .symlink("pkg/lib", "real").symlink("pkg/up", "../pkg/real/f").file("pkg/x", b"1")
               .hardlink("pkg/x2", "pkg/x").close())
    names = safe_extract(archive, tmp_path / "t", artifact="ok")
    assert names == ["pkg", "pkg/real", "pkg/real/f", "pkg/lib", "pkg/up", "pkg/x", "pkg/x2"]
    assert (tmp_path / "t" / "pkg" / "lib" / "f").read_bytes() == b"data"
    assert (tmp_path / "t" / "pkg" / "up").read_bytes() == b"data"
    assert (tmp_path / "t" / "pkg" / "x2").read_bytes() == b"1"


def test_zip_with_internal_symlink_is_kept(tmp_path: Path) -> None:
    archive = ZipBuilder(tmp_path / "ok.zip").file("d/f", b"z").symlink("d/l", "f").close()
    safe_extract(archive, tmp_path / "t", artifact="zl")
    assert os.readlink(tmp_path / "t" / "d" / "l") == "f"


def test_corrupt_archive_is_a_clear_error(tmp_path: Path, tree: Path) -> None:
    pack_path(str(tree), str(tmp_path / "d.tgz"), None)
    data = (tmp_path / "d.tgz").read_bytes()
    (tmp_path / "cut.tgz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ArtifactError, match=r"artifact 'broken'.*cut.tgz"):
        safe_extract(tmp_path / "cut.tgz", tmp_path / "t", artifact="broken")
    assert not (tmp_path / "t").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.tgz", "d.tgz", "src"]


def test_artifact_path_that_is_a_symlink_saves_its_target(tmp_path: Path, tree: Path) -> None:
    os.symlink(tree, tmp_path / "current")
    pack_path(str(tmp_path / "current"), str(tmp_path / "c.tgz"), None)
    assert "current/sub/b.bin" in _names(tmp_path / "c.tgz")


def test_plain_gzip_file_is_not_an_archive(tmp_path: Path) -> None:
    (tmp_path / "data.csv.gz").write_bytes(gzip.compress(b"a,b\n" * 100))
    assert archive_kind(tmp_path / "data.csv.gz") is None
    out = unpack_to(tmp_path / "data.csv.gz", tmp_path / "in.gz", artifact="g")
    assert gzip.decompress(out.read_bytes()) == b"a,b\n" * 100


def test_raw_directory_with_escaping_link_is_refused(tmp_path: Path) -> None:
    from wfexec.errors import UnsafeArchiveError

    d = tmp_path / "stored"
    d.mkdir()
    (d / "ok").write_text("x")
    os.symlink("/etc/passwd", d / "pw")
    with pytest.raises(UnsafeArchiveError, match=r"artifact 'raw'.*'pw'"):
        unpack_to(d, tmp_path / "dest", artifact="raw", archive={"none": {}})
    assert not (tmp_path / "dest").exists()


def test_fifo_or_dangling_link_is_not_packed(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    os.symlink("nowhere", tmp_path / "dangling")
    for src in ("fifo", "dangling"):
        with pytest.raises(ArtifactError, match="not a regular file or directory"):
            pack_path(str(tmp_path / src), str(tmp_path / f"{src}.tgz"), None)
        assert not (tmp_path / f"{src}.tgz").exists()


def test_pack_runs_standalone_with_only_the_stdlib(tmp_path: Path, tree: Path) -> None:
    """Inside a bare container pack.py is all there is: no wfexec package, no site-packages."""
    import shutil
    import sys

    shutil.copy(pack.__file__, tmp_path / "pack.py")
    code = f"import pack; pack.pack_path({str(tree)!r}, {str(tmp_path / 'o.tgz')!r}, None)"
    subprocess.run([sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); {code}"],
                   check=True, cwd=tmp_path)
    assert "out/sub/b.bin" in _names(tmp_path / "o.tgz")
