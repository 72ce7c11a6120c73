"""`wfexec archive list|get|delete`: finished runs by uid, in `argo archive`'s shapes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import one_step, wfexec


def test_archive_lists_gets_and_deletes_finished_runs_by_uid(tmp_path: Path) -> None:
    home = tmp_path / "home"
    name = wfexec("submit", str(one_step(tmp_path, "done", "true")), "--wait", "-o", "name", home=home,
                  check=True).stdout.strip()
    uid = json.loads(wfexec("get", name, "-o", "json", home=home, check=True).stdout)["metadata"]["uid"]
    lines = wfexec("archive", "list", home=home, check=True).stdout.splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "STATUS", "AGE", "DURATION", "PRIORITY", "MESSAGE", "UID"]
    assert lines[1].split()[:3] == ["default", name, "Succeeded"] and lines[1].split()[-1] == uid
    got = json.loads(wfexec("archive", "get", uid, "-o", "json", home=home, check=True).stdout)
    assert got["metadata"]["name"] == name and got["status"]["phase"] == "Succeeded"
    assert f"Name:                {name}" in wfexec("archive", "get", uid, home=home, check=True).stdout
    missing = wfexec("archive", "get", "0000-nope", home=home)
    assert missing.returncode == 1 and "no archived run with uid" in missing.stderr
    assert wfexec("archive", "delete", uid, home=home, check=True).stdout.strip() == f"Archived workflow '{uid}' deleted"
    assert wfexec("archive", "list", home=home, check=True).stdout.strip() == "No workflows found"
    assert wfexec("list", "-o", "name", home=home, check=True).stdout == ""
