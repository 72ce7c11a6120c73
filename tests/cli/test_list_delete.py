"""`list` and `delete` filters in argo's spelling; `runs.db` gives space back after deletes."""

from __future__ import annotations

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
