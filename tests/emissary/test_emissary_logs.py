"""ctr/<name>/stdout and combined, as the real emissary writes them (a separate process each time).

combined starts as a hard link to stdout and becomes a file of its own (a copy of stdout, renamed
over it) the first time it gets something stdout must not have; the child's stdout goes by splice
into the stdout file and on from there. These tests pin the bytes each file ends up with.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from wfexec.engine.kept_logs import _keep_file

MAIN = Path(__file__).resolve().parents[2] / "src" / "wfexec" / "emissary" / "main.py"
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
MB = 1 << 20


def run(argo: Path, script: str, *, stdout: int | IO[bytes] = subprocess.DEVNULL, limit: int | None = None,
        template: dict | None = None) -> subprocess.CompletedProcess[bytes]:
    argo.mkdir(parents=True, exist_ok=True)
    (argo / "template").write_text(json.dumps(template or {}))
    env = {**os.environ, "ARGO_DIR": str(argo)}
    if limit is not None:
        env["ARGO_MAX_OUTPUT_BYTES"] = str(limit)
    return subprocess.run([PY, "-S", str(MAIN), "--", "sh", "-c", script], env=env, stdout=stdout,
                          stderr=subprocess.DEVNULL, timeout=60)


def logs(argo: Path) -> tuple[bytes, bytes]:
    d = argo / "ctr" / "main"
    return (d / "stdout").read_bytes(), (d / "combined").read_bytes()


def same_file(argo: Path) -> bool:
    d = argo / "ctr" / "main"
    return os.path.samefile(d / "stdout", d / "combined")


def cut(data: bytes, limit: int) -> bytes:
    return data[:limit] + f"\n[output cut: more than {limit} bytes; the rest was not kept]\n".encode()


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 MB that no two offsets of agree on: a byte out of place shows."""
    path = tmp_path_factory.mktemp("data") / "big"
    path.write_bytes(os.urandom(8 * MB + 12345))
    return path


def test_only_stdout_combined_is_stdout(tmp_path: Path) -> None:
    run(tmp_path, "echo one; echo two")
    out, comb = logs(tmp_path)
    assert out == comb == b"one\ntwo\n"
    assert same_file(tmp_path)  # written once, not twice


def test_stderr_splits_combined_off_in_order(tmp_path: Path) -> None:
    run(tmp_path, "echo o1; sleep 0.2; echo e1 >&2; sleep 0.2; echo o2; sleep 0.2; echo e2 >&2")
    out, comb = logs(tmp_path)
    assert out == b"o1\no2\n"
    assert comb == b"o1\ne1\no2\ne2\n"
    assert not same_file(tmp_path)
    assert sorted(os.listdir(tmp_path / "ctr" / "main")) == ["childpgid", "combined", "combined.times", "exitcode", "pid", "stdout"]


def test_emissary_message_splits_combined_off(tmp_path: Path) -> None:
    template = {"containerSet": {"containers": [{"name": "main"}], "retryStrategy": {"retries": 1}}}
    r = run(tmp_path, "echo out; exit 3", template=template)
    assert r.returncode == 3
    out, comb = logs(tmp_path)
    assert out == b"out\nout\n"
    assert comb == b"out\nemissary: exit code 3; retrying (0 retries left)\nout\n"


def test_a_reader_following_combined_reads_on_across_the_split(tmp_path: Path) -> None:
    """`wfexec logs -f` reopens the path and seeks to where it was: no gap, no repeat."""
    go = tmp_path / "go"
    argo = tmp_path / "argo"
    argo.mkdir()
    (argo / "template").write_text("{}")
    proc = subprocess.Popen([PY, "-S", str(MAIN), "--", "sh", "-c",
                             f"echo o1; while [ ! -e {go} ]; do sleep 0.02; done; echo e1 >&2; sleep 0.2; echo o2"],
                            env={**os.environ, "ARGO_DIR": str(argo)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    combined = argo / "ctr" / "main" / "combined"
    end = time.monotonic() + 10
    while not (combined.exists() and combined.read_bytes() == b"o1\n"):
        assert time.monotonic() < end
        time.sleep(0.01)
    assert same_file(argo)
    with open(combined, "rb") as f:
        seen = f.read()
        offset = f.tell()
    go.touch()
    assert proc.wait(10) == 0
    with open(combined, "rb") as f:
        f.seek(offset)
        seen += f.read()
    assert seen == b"o1\ne1\no2\n"


def test_files_left_by_an_earlier_try_are_appended_to(tmp_path: Path) -> None:
    run(tmp_path, "echo a")
    run(tmp_path, "echo b")
    assert logs(tmp_path) == (b"a\nb\n", b"a\nb\n") and same_file(tmp_path)
    run(tmp_path, "echo e >&2")
    assert logs(tmp_path) == (b"a\nb\n", b"a\nb\ne\n") and not same_file(tmp_path)
    run(tmp_path, "echo c")
    assert logs(tmp_path) == (b"a\nb\nc\n", b"a\nb\ne\nc\n")


@pytest.mark.parametrize("target", ["file", "append", "pipe"])
@pytest.mark.parametrize("limit", [None, 3 * MB + 7])
def test_big_stdout_bytes_for_bytes(tmp_path: Path, big: Path, target: str, limit: int | None) -> None:
    """The emissary's own stdout (a container's log) gets everything; stdout and combined are cut at
    the limit, on the exact byte. fd 1 opened O_APPEND refuses sendfile: the fallback is taken."""
    data = big.read_bytes()
    script = f"cat {big}"
    if target == "pipe":
        r = run(tmp_path / "argo", script, stdout=subprocess.PIPE, limit=limit)
        passed = r.stdout
    else:
        dest = tmp_path / "passthrough"
        dest.write_bytes(b"before\n")
        with open(dest, "ab" if target == "append" else "r+b") as fh:
            fh.seek(len(b"before\n"))
            r = run(tmp_path / "argo", script, stdout=fh, limit=limit)
        passed = dest.read_bytes()[len(b"before\n"):]
    assert r.returncode == 0
    assert passed == data
    expected = data if limit is None else cut(data, limit)
    assert logs(tmp_path / "argo") == (expected, expected)


def test_big_stdout_after_stderr_is_cut_in_each_file(tmp_path: Path, big: Path) -> None:
    """combined is its own file (stderr came first) and reaches the limit 3 bytes before stdout."""
    data = big.read_bytes()
    limit = 2 * MB + 5
    r = run(tmp_path, f"echo e1 >&2; sleep 0.2; cat {big}; echo e2 >&2", limit=limit)
    assert r.returncode == 0
    out, comb = logs(tmp_path)
    assert out == cut(data, limit)
    assert comb == cut(b"e1\n" + data, limit)


def test_stdout_and_stderr_interleaved_in_big_chunks(tmp_path: Path, big: Path) -> None:
    """After the split, stdout chunks spliced into stdout are copied on to combined."""
    data = big.read_bytes()
    r = run(tmp_path, f"cat {big}; echo e1 >&2; sleep 0.2; cat {big}")
    assert r.returncode == 0
    out, comb = logs(tmp_path)
    assert out == data + data
    assert comb == data + b"e1\n" + data


# -- a full disk (a small tmpfs; needs root) -----------------------------------------------------
@contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def test_full_disk_the_child_runs_on_and_the_step_errs(tmp_path: Path, big: Path) -> None:
    data = big.read_bytes()
    done = tmp_path / "done"
    with small_disk(tmp_path / "argo", "1m") as argo:
        r = run(argo, f"cat {big}; touch {done}", stdout=subprocess.PIPE)
        assert r.returncode == 64
        assert done.exists()  # its output was drained to the end
        assert r.stdout == data  # the container's log got everything
        out, comb = logs(argo)
        assert 0 < len(out) <= MB and data.startswith(out)
        assert comb.startswith(out)


def test_full_disk_when_combined_must_split(tmp_path: Path, big: Path) -> None:
    """600 kB fit once but not twice: combined cannot be split off; stdout goes on, no temp file is
    left behind, the step errs."""
    data = big.read_bytes()[: 600 * 1024]
    (tmp_path / "part").write_bytes(data)
    with small_disk(tmp_path / "argo", "1m") as argo:
        r = run(argo, f"cat {tmp_path / 'part'}; sleep 0.2; echo e1 >&2; sleep 0.2; echo o2")
        assert r.returncode == 64
        out, comb = logs(argo)
        assert out == data + b"o2\n"
        assert sorted(os.listdir(argo / "ctr" / "main")) == ["childpgid", "combined", "combined.times", "exitcode", "pid", "stdout"]


# -- the engine keeps the finished log -------------------------------------------------------------
def test_kept_log_is_a_hard_link(tmp_path: Path) -> None:
    src = tmp_path / "combined"
    src.write_bytes(b"log\n")
    dest = tmp_path / "logs" / "main.log"
    dest.parent.mkdir()
    dest.write_bytes(b"an older copy\n")
    _keep_file(src, dest)
    assert dest.read_bytes() == b"log\n" and os.path.samefile(src, dest)


def test_kept_log_is_copied_across_file_systems(tmp_path: Path) -> None:
    src = tmp_path / "combined"
    src.write_bytes(b"log\n")
    with small_disk(tmp_path / "logs", "64k") as logs_dir:
        _keep_file(src, logs_dir / "main.log")
        assert (logs_dir / "main.log").read_bytes() == b"log\n"
        assert not os.path.samefile(src, logs_dir / "main.log")


def _timed_lines(argo: Path) -> list[tuple[str, int | None]]:
    from wfexec.engine.log_lines import LogCursor

    lines, _ = LogCursor().read(argo / "ctr" / "main" / "combined", flush=True)
    return [(line.text, line.time_ns) for line in lines]


@pytest.mark.parametrize("script", [
    "echo o1; sleep 0.3; echo o2; sleep 0.3; echo o3",  # stdout only: spliced, combined is stdout
    "echo o1; sleep 0.3; echo e1 >&2; sleep 0.3; echo o2",  # combined split off by stderr
])
def test_each_line_gets_the_time_it_was_printed(tmp_path: Path, script: str) -> None:
    before = time.time_ns()
    run(tmp_path, script)
    after = time.time_ns()
    lines = _timed_lines(tmp_path)
    assert [text for text, _ in lines] == [p.split()[1] for p in script.split("; ") if p.startswith("echo")]
    times = [t for _, t in lines]
    assert all(t is not None and before <= t <= after for t in times), times
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]  # type: ignore[operator]
    assert all(gap >= 250_000_000 for gap in gaps), gaps  # each line its own time, 0.3 s apart


def test_times_follow_the_kept_log(tmp_path: Path) -> None:
    """The index moves with the log (ctr/main/combined.times -> logs/<node>/main.times), same offsets."""
    from wfexec.engine.log_lines import LogCursor

    run(tmp_path / "argo", "echo a; sleep 0.2; echo b")
    kept = tmp_path / "logs" / "main.log"
    kept.parent.mkdir()
    _keep_file(tmp_path / "argo" / "ctr" / "main" / "combined.times", kept.with_suffix(".times"))
    _keep_file(tmp_path / "argo" / "ctr" / "main" / "combined", kept)
    live = _timed_lines(tmp_path / "argo")
    lines, _ = LogCursor().read(kept, flush=True)
    assert [(line.text, line.time_ns) for line in lines] == live


def test_a_log_without_times_reads_as_before(tmp_path: Path) -> None:
    run(tmp_path, "echo a; echo b")
    (tmp_path / "ctr" / "main" / "combined.times").unlink()
    assert _timed_lines(tmp_path) == [("a", None), ("b", None)]


def test_a_step_that_prints_nothing_keeps_no_times(tmp_path: Path) -> None:
    """The pipe's end is no chunk: no record, so no `combined.times` to write, keep and delete."""
    run(tmp_path, "true")
    assert logs(tmp_path) == (b"", b"")
    assert "combined.times" not in os.listdir(tmp_path / "ctr" / "main")
