"""Random archives of files, dirs and (hard)links: either refused, or everything extracted
resolves inside the target, and nothing outside the target ever changes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.artifacts.conftest import TarBuilder, snapshot
from wfexec.artifacts.unpack import safe_extract, unpack_to
from wfexec.errors import UnsafeArchiveError

SEG = st.sampled_from(["a", "b", "c", "..", "."])
REL = st.lists(SEG, min_size=1, max_size=4).map("/".join)
NAME = st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3).map("/".join)
ENTRY = st.one_of(
    st.tuples(st.just("file"), NAME, st.just("")),
    st.tuples(st.just("dir"), NAME, st.just("")),
    st.tuples(st.just("symlink"), NAME, st.one_of(REL, st.just("/tmp"))),
    st.tuples(st.just("hardlink"), NAME, NAME),
)


def _inside(root: Path) -> None:
    real = os.path.realpath(root)
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            r = os.path.realpath(os.path.join(dirpath, n))
            assert r == real or r.startswith(real + os.sep), f"{n} resolves to {r}, outside {real}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(ENTRY, min_size=1, max_size=7), rename=st.booleans())
def test_random_archives_never_escape(entries: list[tuple[str, str, str]], rename: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        box = Path(tmp)
        (box / "outside").mkdir()
        (box / "outside" / "keep").write_text("k")
        b = TarBuilder(box / "x.tgz")
        for kind, name, arg in entries:
            {"file": lambda n, a: b.file(n, b"data"), "dir": lambda n, a: b.dir(n),
             "symlink": b.symlink, "hardlink": b.hardlink}[kind](name, arg)
        archive = b.close()
        before = snapshot(box)
        target = box / "work" / "t"
        try:
            if rename:
                unpack_to(archive, target, artifact="rand")
            else:
                safe_extract(archive, target, artifact="rand")
        except UnsafeArchiveError as e:
            assert "rand" in str(e)
            assert snapshot(box) == before
            return
        except Exception as e:  # noqa: BLE001 - other clear errors are fine (a file used as a dir…)
            from wfexec.errors import ArtifactError

            assert isinstance(e, ArtifactError | OSError), repr(e)
            if isinstance(e, OSError):
                raise
            return
        _inside(target if target.is_dir() else target.parent)
        after = snapshot(box)
        assert {k: v for k, v in after.items() if not k.startswith("work")} == before
