"""A finished pod's logs, kept for readers after the pod is gone: a file for a log with bytes, a line
in the run's list of empty ones for a log without."""

from __future__ import annotations

import os
from pathlib import Path

from wfexec.engine.kept_logs import EMPTY_LIST, keep, kept_files, kept_log, printed_nothing


def _live(tmp_path: Path, node: str, **texts: str) -> dict[str, str]:
    logs = {}
    for container, text in texts.items():
        path = tmp_path / "pods" / node / container / "combined"
        path.parent.mkdir(parents=True)
        path.write_text(text)
        logs[container] = str(path)
    return logs


def test_a_log_with_bytes_is_a_file_an_empty_one_is_a_line(tmp_path: Path) -> None:
    logs_dir = tmp_path / "run" / "logs"
    keep(logs_dir, "run-1", _live(tmp_path, "run-1", main="hello\n", wait=""))
    keep(logs_dir, "run-2", _live(tmp_path, "run-2", main=""))
    assert (logs_dir / "run-1" / "main.log").read_text() == "hello\n"
    assert not (logs_dir / "run-1" / "wait.log").exists()
    assert not (logs_dir / "run-2").exists(), "an empty log made a directory"
    assert (logs_dir / EMPTY_LIST).read_text() == "run-1/wait\nrun-2/main\n"
    assert kept_log(logs_dir, "run-1", "main") == logs_dir / "run-1" / "main.log"
    assert kept_log(logs_dir, "run-1", "wait") is None and printed_nothing(logs_dir, "run-1") == {"wait"}
    assert kept_files(logs_dir, "run-1") == {"main": logs_dir / "run-1" / "main.log"}
    assert kept_files(logs_dir, "run-2") == {} and printed_nothing(logs_dir, "run-2") == {"main"}
    assert kept_files(logs_dir, "run-3") == {} and printed_nothing(logs_dir, "run-3") == set()


def test_a_container_that_never_started_keeps_nothing(tmp_path: Path) -> None:
    logs_dir = tmp_path / "logs"
    keep(logs_dir, "n", {"main": str(tmp_path / "missing")})
    assert not logs_dir.exists()
    assert kept_files(logs_dir, "n") == {} and printed_nothing(logs_dir, "n") == set()


def test_readers_see_what_is_added_after_their_first_look(tmp_path: Path) -> None:
    logs_dir = tmp_path / "logs"
    keep(logs_dir, "a", _live(tmp_path, "a", main=""))
    assert printed_nothing(logs_dir, "a") == {"main"}
    assert printed_nothing(logs_dir, "b") == set()  # remembered by this process...
    keep(logs_dir, "b", _live(tmp_path, "b", main=""))
    assert printed_nothing(logs_dir, "b") == {"main"}  # ...and read again once the list grew
    with open(logs_dir / EMPTY_LIST, "ab") as fh:  # an engine killed mid-line: the half line is no entry
        fh.write(b"c/ma")
    assert printed_nothing(logs_dir, "c") == set()
    assert printed_nothing(logs_dir, "a") == {"main"}


def test_a_run_made_again_under_its_name_is_read_afresh(tmp_path: Path) -> None:
    logs_dir = tmp_path / "logs"
    keep(logs_dir, "a", _live(tmp_path, "a", main="", init=""))
    assert printed_nothing(logs_dir, "a") == {"main", "init"}
    os.unlink(logs_dir / EMPTY_LIST)
    keep(logs_dir, "a", _live(tmp_path / "again", "a", main="", wait=""))  # as long as before, another file
    assert printed_nothing(logs_dir, "a") == {"main", "wait"}
