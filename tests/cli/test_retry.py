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


CHAIN = ("  entrypoint: main\n  templates:\n  - name: main\n    steps:\n"
         "    - - {name: gen, template: gen}\n"
         "    - - name: use\n        template: use\n"
         "        arguments: {parameters: [{name: v, value: '{{steps.gen.outputs.result}}'}]}\n"
         "  - name: gen\n    script: {image: busybox, command: [sh], source: 'date +%s%N'}\n"
         "  - name: use\n    inputs: {parameters: [{name: v}]}\n"
         "    container: {image: busybox, command: [echo, 'got {{inputs.parameters.v}}']}\n")
DIAMOND = ("  entrypoint: main\n  templates:\n  - name: main\n    dag:\n      tasks:\n"
           "      - {name: a, template: gen}\n      - {name: b, template: gen, depends: a}\n"
           "      - {name: c, template: gen, depends: b}\n      - {name: other, template: gen}\n"
           "  - name: gen\n    script: {image: busybox, command: [sh], source: 'date +%s%N'}\n")


def test_a_selected_step_runs_again_with_everything_after_it(tmp_path: Path) -> None:
    """As Argo resets a selected node and all it leads to (its `children`): the next steps, the dependent
    tasks; not a task beside it. A later step never keeps a result made from the old one."""
    home = tmp_path / "home"
    for text, chosen, again, kept in ((CHAIN, "gen", ["gen", "use"], []), (DIAMOND, "a", ["a", "b", "c"], ["other"])):
        name = wfexec("submit", str(workflow(tmp_path, f"chain-{chosen}", text)), "--wait", "-o", "name",
                      home=home, check=True).stdout.strip()
        before = _pods(home, name)
        wfexec("retry", name, "--restart-successful", "--node-field-selector", f"displayName={chosen}", "--wait",
               home=home, check=True)
        after = _pods(home, name)
        assert all(after[n]["phase"] == "Succeeded" for n in after)
        # each `gen` prints the time to the nanosecond, and `use` echoes it: a new result is a new run
        assert [n for n in sorted(after) if after[n]["outputs"] != before[n]["outputs"]] == again
        assert all(after[n]["id"] == before[n]["id"] for n in kept)
        if chosen == "gen":  # `use` ran again, with the new result
            result = after["gen"]["outputs"]["result"]
            assert wfexec("logs", name, "use", home=home, check=True).stdout.strip().endswith(f"got {result}")
