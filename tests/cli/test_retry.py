"""`retry --restart-successful --node-field-selector`: Succeeded steps run again only when selected."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import wfexec, workflow

STEPS = ("  entrypoint: main\n  templates:\n  - name: main\n    steps:\n"
         "    - - {name: keep, template: ok}\n      - {name: again, template: ok}\n"
         "    - - {name: boom, template: fail}\n"
         "  - name: ok\n    container: {image: busybox, command: [sh, -c, 'echo ran']}\n"
         "  - name: fail\n    container: {image: busybox, command: [sh, -c, 'exit 1']}\n")


def _pods(home: Path, name: str) -> dict[str, dict[str, str]]:
    wf = json.loads(wfexec("get", name, "-o", "json", home=home, check=True).stdout)
    return {n["displayName"]: n for n in wf["status"]["nodes"].values() if n["type"] == "Pod"}


def test_restart_successful_runs_again_only_the_selected_steps(tmp_path: Path) -> None:
    home = tmp_path / "home"
    name = wfexec("submit", str(workflow(tmp_path, "r", STEPS)), "--wait", "-o", "name", home=home).stdout.strip()
    before = _pods(home, name)
    lonely = wfexec("retry", name, "--restart-successful", home=home)
    assert lonely.returncode == 1 and "--node-field-selector" in lonely.stderr
    res = wfexec("retry", name, "--restart-successful", "--node-field-selector", "displayName=again", "--wait",
                 "-o", "name", home=home)
    assert res.returncode == 1 and res.stdout.strip() == name  # boom fails again
    after = _pods(home, name)
    assert after["keep"]["id"] == before["keep"]["id"] and after["keep"]["startedAt"] == before["keep"]["startedAt"]
    assert after["again"]["phase"] == "Succeeded"
    assert after["again"]["startedAt"] >= before["boom"]["finishedAt"]  # it ran again, after the first try ended
    bad = wfexec("retry", name, "--restart-successful", "--node-field-selector", "colour=red", home=home)
    assert bad.returncode == 1 and "expected FIELD=VALUE" in bad.stderr and "Traceback" not in bad.stderr
