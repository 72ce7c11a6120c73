"""`list` and `delete` filters in argo's spelling; `runs.db` gives space back after deletes."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from tests.cli.helpers import one_step, wfexec


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """One Succeeded run labelled team=a, one Failed run labelled team=b."""
    tmp = tmp_path_factory.mktemp("listing")
    home = tmp / "home"
    ok = wfexec("submit", str(one_step(tmp, "good", "true")), "-l", "team=a", "--wait", "-o", "name",
                home=home, check=True).stdout.strip()
    bad = wfexec("submit", str(one_step(tmp, "bad", "exit 1")), "-l", "team=b", "--wait", "-o", "name",
                 home=home).stdout.strip()
    return home, ok, bad


def _names(home: Path, *args: str) -> set[str]:
    return set(wfexec("list", "-o", "name", *args, home=home, check=True).stdout.split())


def test_list_filters(store: tuple[Path, str, str]) -> None:
    home, ok, bad = store
    assert _names(home, "--status", "Failed") == {bad}
    assert _names(home, "--status", "Succeeded,Failed") == {ok, bad}
    assert _names(home, "--prefix", "good-") == {ok}
    assert _names(home, "-l", "team=b") == {bad}
    assert _names(home, "-l", "team in (a,b)") == {ok, bad}
    assert _names(home, "-l", "!team") == set()
    assert _names(home, "--since", "1h") == {ok, bad}
    assert _names(home, "--completed") == {ok, bad}
    assert _names(home, "--running") == set()
    assert _names(home, "--older", "1h") == set()
    assert _names(home, "--chunk-size", "1") == {ok, bad}
    wrong = wfexec("list", "--status", "Sleeping", home=home)
    assert wrong.returncode == 1 and "unknown phase 'Sleeping'" in wrong.stderr
    assert wfexec("list", "--since", "yesterday", home=home).returncode == 1
    empty = wfexec("list", "--prefix", "zzz", home=home, check=True).stdout
    assert empty.strip() == "No workflows found"


def test_delete_older_and_the_store_shrinks(tmp_path: Path) -> None:
    home = tmp_path / "home"
    wf = one_step(tmp_path, "big", "true")
    for _ in range(2):
        wfexec("submit", str(wf), "--wait", home=home, check=True)
    db = home / "runs.db"
    con = sqlite3.connect(db)
    con.execute("UPDATE runs SET manifest = manifest || ? ", (" " * 2_000_000,))  # padding JSON allows
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    before = db.stat().st_size
    assert before > 3_000_000
    time.sleep(1.1)
    res = wfexec("delete", "--older", "1s", home=home, check=True)
    assert res.stdout.count("deleted") == 2
    assert db.stat().st_size < before / 4
    assert wfexec("list", "-o", "name", home=home, check=True).stdout == ""
    none = wfexec("delete", home=home)
    assert none.returncode == 1 and "--older" in none.stderr


def test_a_bad_label_selector_is_an_error_even_on_an_empty_store(tmp_path: Path) -> None:
    res = wfexec("list", "-l", "team in (a", home=tmp_path / "home")
    assert res.returncode == 1 and "-l: label selector 'team in (a'" in res.stderr and "Traceback" not in res.stderr
    res = wfexec("list", "-l", "team notin (b),!gone", home=tmp_path / "home")
    assert res.returncode == 0, res.stderr


PHASE, COMPLETED = "workflows.argoproj.io/phase", "workflows.argoproj.io/completed"


def test_argo_phase_and_completed_labels_on_the_cli(store: tuple[Path, str, str]) -> None:
    """The labels Argo's controller keeps on a Workflow (and the server shows) are seen by `-l` and `-o json`."""
    home, ok, bad = store
    assert _names(home, "-l", f"{COMPLETED}=true") == {ok, bad}
    assert _names(home, "-l", f"{COMPLETED}=false") == set()
    assert _names(home, "-l", f"{PHASE}=Failed") == {bad}
    assert _names(home, "-l", f"{PHASE}=Succeeded,team=a") == {ok}
    assert set(wfexec("archive", "list", "-o", "name", "-l", f"{PHASE}=Failed", home=home,
                      check=True).stdout.split()) == {bad}
    got = json.loads(wfexec("get", bad, "-o", "json", home=home, check=True).stdout)
    assert got["metadata"]["labels"] == {"team": "b", PHASE: "Failed", COMPLETED: "true"}
    listed = json.loads(wfexec("list", "-o", "json", home=home, check=True).stdout)
    assert {w["metadata"]["name"]: w["metadata"]["labels"][PHASE] for w in listed} == {ok: "Succeeded", bad: "Failed"}


def test_delete_by_argo_phase_label(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ok = wfexec("submit", str(one_step(tmp_path, "good", "true")), "--wait", "-o", "name", home=home,
                check=True).stdout.strip()
    wfexec("submit", str(one_step(tmp_path, "bad", "exit 1")), "--wait", home=home)
    res = wfexec("delete", "-l", f"{PHASE}=Failed", home=home, check=True)
    assert res.stdout.count("deleted") == 1
    assert _names(home) == {ok}
