"""`get` and `list` fit the terminal: nothing cut that names something, MESSAGE kept, no padding when piped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import in_pty, one_step, strip_ansi, wfexec, workflow
from wfexec.cli.table import Column, Row, Terminal, render

LONG = "a-workflow-with-a-name-long-enough-to-be-cut-in-eighty-columns"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Two finished runs whose long names differ only at the end; one failed with a long message."""
    tmp = tmp_path_factory.mktemp("render")
    home = tmp / "home"
    wf = workflow(tmp, "two", "  entrypoint: main\n  templates:\n  - name: main\n    steps:\n"
                              "    - - {name: first-step-with-a-long-name, template: ok}\n"
                              "      - {name: second, template: fail}\n"
                              "  - name: ok\n    container: {image: busybox, command: ['true']}\n"
                              "  - name: fail\n    container: {image: busybox, command: [sh, -c, 'exit 3']}\n")
    names = [f"{LONG}-one", f"{LONG}-two"]
    for name in names:
        assert wfexec("submit", str(wf), "--name", name, "--wait", home=home).returncode == 1
    return home, names


def _check_lines(text: str, width: int | None) -> list[str]:
    lines = strip_ansi(text).splitlines()
    for line in lines:
        assert line == line.rstrip(), f"trailing padding: {line!r}"
    return lines


@pytest.mark.parametrize("columns", [80, 200, None])
def test_list_keeps_names_whole_and_the_message(runs: tuple[Path, list[str]], columns: int | None) -> None:
    home, names = runs
    text = in_pty("list", home=home, columns=columns) if columns else wfexec("list", home=home, check=True).stdout
    lines = _check_lines(text, columns)
    for name in names:
        assert any(line.split()[0] == name for line in lines if line.split())
    # MESSAGE, inline or wrapped under its row
    assert sum(line.split()[-1] == "failed" for line in lines if line.split()) == 2, lines
    if columns == 80:
        assert all(len(line) <= 80 for line in lines), lines
    if columns is None:
        assert "\x1b[" not in text
        assert "PRIORITY" in lines[0]  # piped: every column


@pytest.mark.parametrize("columns", [80, 200, None])
def test_get_keeps_pod_names_whole(runs: tuple[Path, list[str]], columns: int | None) -> None:
    home, names = runs
    args = ("get", names[0])
    text = in_pty(*args, home=home, columns=columns) if columns else wfexec(*args, home=home, check=True).stdout
    lines = _check_lines(text, columns)
    assert f"Name:                {names[0]}" in lines
    assert "Progress:            2/2" in lines  # pods that ended, in any phase, as Argo counts
    assert any("first-step-with-a-long-name" in line for line in lines)
    assert any("exit code 3" in line for line in lines)
    if columns != 80:
        pods = [w for line in lines for w in line.split() if w.startswith(names[0][:40]) and w != names[0]]
        assert len(pods) == 2
        logs = wfexec("logs", names[0], pods[0], home=home)
        assert logs.returncode == 0, logs.stderr
    if columns is None:
        assert "\x1b[" not in text


def test_wide_adds_argos_columns(runs: tuple[Path, list[str]]) -> None:
    home, names = runs
    header = wfexec("list", "-o", "wide", home=home, check=True).stdout.splitlines()[0].split()
    assert header == ["NAME", "STATUS", "AGE", "DURATION", "PRIORITY", "P/R", "PARAMETERS", "MESSAGE"]
    lines = wfexec("list", "-o", "wide", home=home, check=True).stdout.splitlines()
    assert all("2/2" in line for line in lines[1:])
    tree = wfexec("get", names[0], "-o", "wide", home=home, check=True).stdout
    assert "ARTIFACTS" in tree and "NODENAME" in tree


def test_columns_go_by_priority_and_message_wraps_under_its_row() -> None:
    cols = [Column("NAME"), Column("EXTRA", drop_order=2), Column("AGE", drop_order=1), Column("MESSAGE", wraps=True)]
    rows = [Row(["x" * 50, "e" * 20, "5s", "m " * 40])]
    narrow = render(cols, rows, Terminal(width=70, colour=False))
    assert narrow[0].split() == ["NAME", "AGE"]  # EXTRA went first; MESSAGE moved under the row
    assert narrow[1].startswith("x" * 50)
    assert all(line.startswith("    m") for line in narrow[2:]) and len(narrow) > 2
    assert all(len(line) <= 70 for line in narrow)
    wide = render(cols, rows, Terminal(width=200, colour=False))
    assert wide[0].split() == ["NAME", "EXTRA", "AGE", "MESSAGE"] and len(wide) == 2
    piped = render(cols, [Row(["a", "", "", ""])], Terminal(width=None, colour=False))
    assert piped[1] == "a"


def test_a_name_longer_than_the_terminal_is_not_cut(tmp_path: Path) -> None:
    cols = [Column("NAME"), Column("STATUS")]
    lines = render(cols, [Row(["n" * 120, "Running"])], Terminal(width=80, colour=False))
    assert lines[1].split() == ["n" * 120, "Running"]


def test_progress_counts_failed_pods_too(tmp_path: Path) -> None:
    wf = one_step(tmp_path, "fails", "exit 1")
    out = wfexec("submit", str(wf), "--wait", "-o", "json", home=tmp_path / "home")
    import json

    assert json.loads(out.stdout)["status"]["progress"] == "1/1"
