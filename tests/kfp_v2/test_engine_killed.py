"""A KFP v2 pipeline whose engine is killed (-9) mid-run finishes after a restart, no task run twice."""

from __future__ import annotations

import time
from pathlib import Path

from tests.kfp_v2.ir_builder import container, pipeline, task, write
from tests.resilience.helpers import engine_pid, sigkill, wait_done, wfexec

WS = "{{$.workspace_path}}"


def test_engine_killed_mid_pipeline_then_restarted_runs_no_task_again(tmp_path: Path) -> None:
    def step(name: str, pause: str) -> dict:
        return container(f'echo {name} >> "$0/ran"; sleep {pause}', WS)

    tasks = {"first": task("first"), "slow": task("slow", after=["first"]), "last": task("last", after=["slow"])}
    doc = pipeline("killed", tasks, {"first": step("first", "0"), "slow": step("slow", "3"), "last": step("last", "0")})
    home = tmp_path / "home"
    name = wfexec("submit", str(write(tmp_path / "p.yaml", doc)), "-o", "name", home=home, check=True).stdout.strip()
    ran = None
    end = time.monotonic() + 60
    while time.monotonic() < end:  # the slow task is running
        found = list((home / "kfp" / "runs").glob("*/workspace/ran"))
        if found and "slow" in found[0].read_text():
            ran = found[0]
            break
        time.sleep(0.05)
    assert ran is not None, "the slow task did not start"
    sigkill(engine_pid(home, name))
    wf = wait_done(home, name)  # `wfexec get` starts a new engine for the orphaned run
    assert wf["status"]["phase"] == "Succeeded"
    assert ran.read_text().split() == ["first", "slow", "last"]
