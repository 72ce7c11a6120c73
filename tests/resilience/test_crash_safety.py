"""Nothing lost: an engine killed with SIGKILL at random points, healed each time, runs every step once.

The run is driven by a background engine (`wfexec submit` without --wait). A fixed-seed random
schedule kills it several times; each time the next `wfexec get` (heal) or `wfexec resume`
starts a new engine, which returns finished steps at once and re-attaches to the pods that
were running (their emissaries outlive the engine). Every step appends a line to a shared
host directory, so a step run twice (or never) shows in the log.
"""

from __future__ import annotations

import os
import random
import re
import tarfile
import time
from collections import Counter
from pathlib import Path

from tests.resilience.helpers import (
    DATA,
    engine_pid,
    sigkill,
    wait_done,
    wait_no_fork_servers,
    wait_no_processes,
    wfexec,
)

# fixed by default; CRASH_SEED / CRASH_KILLS / CRASH_MAX_WAIT let a developer hunt for rarer races
SEED = int(os.environ.get("CRASH_SEED", "20261124"))
KILLS = int(os.environ.get("CRASH_KILLS", "6"))
MAX_WAIT = float(os.environ.get("CRASH_MAX_WAIT", "1.2"))
STEPS = 30


def test_sigkilled_engine_runs_every_step_exactly_once(wfexec_home: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    logdir = tmp_path / "shared"
    logdir.mkdir()
    name = wfexec("submit", str(DATA / "crash-30.yaml"), "-p", f"logdir={logdir}", "-o", "name",
                  home=wfexec_home, check=True).stdout.strip()
    engines = set()
    for k in range(KILLS):
        pid = engine_pid(wfexec_home, name)
        if not pid:
            break  # the run ended before all kills were spent
        engines.add(pid)
        # wait a random while: kills land before, during and after pods, and in the store's writes
        time.sleep(rng.uniform(0.02, MAX_WAIT))
        sigkill(pid)
        wait_no_fork_servers(wfexec_home)  # both of its fork server's processes end with it
        if k % 2:
            res = wfexec("resume", name, home=wfexec_home)
            if res.returncode != 0:  # the kill came as the run ended
                assert "has already ended (Succeeded)" in res.stderr, res.stderr
                break
        else:
            wfexec("get", name, home=wfexec_home, check=True)  # heal: restarts the lost engine
    assert len(engines) >= 3, f"only {len(engines)} engine(s) were killed; the run ended too soon"
    wf = wait_done(wfexec_home, name)
    status = wf["status"]
    assert status["phase"] == "Succeeded", status.get("message")
    pods = [n for n in status["nodes"].values() if n["type"] == "Pod"]
    assert len(pods) == STEPS
    assert all(p["phase"] == "Succeeded" for p in pods), [(p["displayName"], p.get("message")) for p in pods]

    # each step ran exactly once
    log = (logdir / "log.txt").read_text().splitlines()
    counts = Counter(log)
    assert sorted(counts) == sorted(f"step {i}" for i in range(STEPS)), f"missing: {sorted(set(f'step {i}' for i in range(STEPS)) - set(counts))}"
    assert [line for line, c in counts.items() if c != 1] == [], f"steps run more than once: {counts}"

    # every output made it into the status, once per step
    for p in pods:
        i = int(re.fullmatch(r"s(\d+)", p["displayName"]).group(1))  # type: ignore[union-attr]
        params = {o["name"]: o.get("value") for o in (p.get("outputs") or {}).get("parameters") or []}
        assert params.get("n") == str(i), p
    # every output artifact exists once in the repository, holding what its own step made
    repo = wfexec_home / "artifacts"
    stored = sorted(f.relative_to(repo) for f in repo.rglob("*") if f.is_file())
    keys = []
    for p in pods:
        arts = (p.get("outputs") or {}).get("artifacts") or []
        assert [a["name"] for a in arts] == ["art"], p
        key = arts[0]["local"]["key"]
        keys.append(Path(key))
        with tarfile.open(repo / key) as tar:
            member = tar.extractfile("art.txt")
            assert member is not None
            assert member.read().decode() == f"made by step {int(p['displayName'][1:])}\n"
    assert sorted(keys) == stored, "the repository holds other files than the steps' artifacts"
    assert len(set(keys)) == STEPS

    # nothing is left running once the run has ended
    wait_no_processes(wfexec_home)
