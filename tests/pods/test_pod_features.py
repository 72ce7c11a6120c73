"""Multi-container pod features beyond the corpus: stubborn sidecars, init failures, per-container
logs, volume options and volumeClaimGC, containerSet retries, daemon scope — on every runtime."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.pods.conftest import Leaks
from tests.support.runs import Finished, run_workflow
from wfexec.engine import api

IMG = "alpine:3.23"  # mapped to the client stand-in on docker; ignored on the host runtime


def wf(templates: list[dict[str, Any]], entry: str = "main", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "pods-"},
            "spec": {"entrypoint": entry, "templates": templates, **spec}}


def sh(script: str, **extra: Any) -> dict[str, Any]:
    return {"image": IMG, "command": ["sh", "-c", script], **extra}


def go(doc: dict[str, Any], rt: tuple[str, str], configs: dict[str, str], leaks: Leaks, **kw: Any) -> Finished:
    done = run_workflow(doc, runtime=rt[0], executor=rt[1], config=configs[rt[0]], **kw)
    leaks.assert_none(done.name)
    return done


def test_sidecar_ignoring_sigterm_is_killed_after_grace(rt: tuple[str, str], configs: dict[str, str],
                                                        leaks: Leaks) -> None:
    """Argo #6402: a sidecar that traps SIGTERM must not hang the step; it is SIGKILLed after the grace."""
    grace = 2.0
    doc = wf([{"name": "main", "container": sh("sleep 1; echo main done"),
               "sidecars": [{"name": "stubborn", **sh("trap '' TERM; echo stubborn up; "
                                                      "while true; do sleep 0.2; done")}]}])
    t0 = time.monotonic()
    done = go(doc, rt, configs, leaks, grace=grace)
    took = time.monotonic() - t0
    assert done.phase == "Succeeded", done.message
    pod = done.pods()[0]
    assert "stubborn up" in done.log(pod, "stubborn")
    assert done.log(pod).strip() == "main done"
    assert took < 1 + grace + 12, f"the step took {took:.1f}s: the stubborn sidecar held it"


def test_init_containers_run_in_order_and_share_volumes(rt: tuple[str, str], configs: dict[str, str],
                                                        leaks: Leaks) -> None:
    doc = wf([{"name": "main", "volumes": [{"name": "work", "emptyDir": {}}],
               "initContainers": [
                   {"name": "first", **sh("echo one >> /work/order"), "mirrorVolumeMounts": True},
                   {"name": "second", **sh("echo two >> /work/order"),
                    "volumeMounts": [{"name": "work", "mountPath": "/work"}]}],
               "container": sh("cat /work/order", volumeMounts=[{"name": "work", "mountPath": "/work"}])}])
    done = go(doc, rt, configs, leaks)
    assert done.phase == "Succeeded", done.message
    pod = done.pods()[0]
    assert done.log(pod).split() == ["one", "two"]


def test_failing_init_container_fails_the_step_with_its_name(rt: tuple[str, str], configs: dict[str, str],
                                                             leaks: Leaks) -> None:
    doc = wf([{"name": "main", "initContainers": [{"name": "setup-db", **sh("echo no db; exit 3")}],
               "container": sh("echo main ran")}])
    done = go(doc, rt, configs, leaks)
    pod = done.pods()[0]
    assert done.phase == "Failed" and pod["phase"] == "Failed"
    assert "setup-db" in pod["message"] and "exit code 3" in pod["message"], pod["message"]
    assert "main ran" not in done.log(pod)
    assert "no db" in done.log(pod, "setup-db")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wfexec.cli.main", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=60)


def test_logs_of_one_container(rt: tuple[str, str], configs: dict[str, str], leaks: Leaks) -> None:
    """`wfexec logs RUN STEP -c CONTAINER`: one container's log, kept per container under the run dir."""
    mount = [{"name": "work", "mountPath": "/work"}]  # main waits until the sidecar has spoken
    doc = wf([{"name": "main", "initContainers": [{"name": "prep", **sh("echo from-init")}],
               "volumes": [{"name": "work", "emptyDir": {}}],
               "container": sh("until [ -e /work/said ]; do sleep 0.05; done; echo from-main",
                               volumeMounts=mount),
               "sidecars": [{"name": "helper", **sh("echo from-sidecar; touch /work/said; sleep 30",
                                                    volumeMounts=mount)}]}])
    done = go(doc, rt, configs, leaks, grace=2)
    assert done.phase == "Succeeded", done.message
    step = done.pods()[0]["displayName"]
    for container, text in (("prep", "from-init"), ("main", "from-main"), ("helper", "from-sidecar")):
        res = _cli("logs", done.name, step, "-c", container)
        assert res.returncode == 0, res.stderr
        assert text in res.stdout and all(t not in res.stdout for t in ("from-init", "from-main", "from-sidecar")
                                          if t != text), (container, res.stdout)
    res = _cli("logs", done.name, step, "-c", "nope")
    assert res.returncode != 0 and "no container 'nope'" in res.stderr + res.stdout


def test_subpath_and_read_only_mounts(rt: tuple[str, str], configs: dict[str, str], leaks: Leaks) -> None:
    doc = wf([{"name": "main", "steps": [[{"name": "write", "template": "write"}], [{"name": "read",
                                                                                       "template": "read"}]]},
              {"name": "write", "container": sh(
                  "echo data > /out/file && echo written",
                  volumeMounts=[{"name": "claim", "mountPath": "/out", "subPath": "sub/dir"}])},
              {"name": "read", "container": sh(
                  "cat /in/sub/dir/file; if touch /in/x 2>/dev/null; then echo WRITABLE; exit 1; fi; echo ro-ok",
                  volumeMounts=[{"name": "claim", "mountPath": "/in", "readOnly": True}])}],
            volumeClaimTemplates=[{"metadata": {"name": "claim"}, "spec": {"accessModes": ["ReadWriteOnce"]}}],
            volumeClaimGC={"strategy": "OnWorkflowSuccess"})
    done = go(doc, rt, configs, leaks)
    assert done.phase == "Succeeded", (done.message, [n.get("message") for n in done.pods()])
    assert done.log(done.by_display("read")).split() == ["data", "ro-ok"]


def _claim_run(ok: bool, gc: str | None, configs: dict[str, str], leaks: Leaks) -> Path:
    spec: dict[str, Any] = {"volumeClaimTemplates": [{"metadata": {"name": "keep"}, "spec": {}}],
                            "volumes": [{"name": "scratch", "emptyDir": {}}]}
    if gc:
        spec["volumeClaimGC"] = {"strategy": gc}
    mounts = [{"name": "keep", "mountPath": "/keep"}, {"name": "scratch", "mountPath": "/scratch"}]
    doc = wf([{"name": "main", "container": sh(f"echo x > /keep/f; echo y > /scratch/f; exit {0 if ok else 1}",
                                               volumeMounts=mounts)}], **spec)
    done = go(doc, ("host", "emissary"), configs, leaks)
    assert done.phase == ("Succeeded" if ok else "Failed")
    vols = api.run_dir(done.name) / "volumes"
    assert not (vols / "emptydir").exists(), "emptyDir volumes go with the run whatever the outcome"
    return vols / "keep"


@pytest.mark.parametrize(("ok", "gc", "kept"), [
    (True, None, False), (False, None, True),  # Argo's default: OnWorkflowSuccess
    (True, "OnWorkflowSuccess", False), (False, "OnWorkflowSuccess", True),
    (True, "OnWorkflowCompletion", False), (False, "OnWorkflowCompletion", False)])
def test_volume_claim_gc(ok: bool, gc: str | None, kept: bool, configs: dict[str, str], leaks: Leaks) -> None:
    claim = _claim_run(ok, gc, configs, leaks)
    assert claim.exists() == kept
    if kept:
        assert (claim / "f").read_text() == "x\n"


def test_container_set_with_retry_strategy(rt: tuple[str, str], configs: dict[str, str], leaks: Leaks) -> None:
    """A containerSet pod is retried as a whole; a claim (per run) counts the attempts, and the
    set's shared volume mount and its dependency order hold in each attempt."""
    doc = wf([{"name": "main", "retryStrategy": {"limit": 2},
               "containerSet": {
                   "volumeMounts": [{"name": "claim", "mountPath": "/w"}],
                   "containers": [
                       {"name": "count", **sh("echo a >> /w/attempts; echo first > /w/order")},
                       {"name": "main", "dependencies": ["count"], **sh(
                           "cat /w/order; n=$(wc -l < /w/attempts); echo attempt $n; [ $n -ge 2 ]")}]}}],
            volumeClaimTemplates=[{"metadata": {"name": "claim"}, "spec": {}}])
    done = go(doc, rt, configs, leaks)
    assert done.phase == "Succeeded", done.message
    pods = sorted(done.pods(), key=lambda n: n["startedAt"])
    assert [p["phase"] for p in pods] == ["Failed", "Succeeded"]
    assert done.log(pods[-1]).split() == ["first", "attempt", "2"]


def test_daemon_stops_when_its_scope_ends(rt: tuple[str, str], configs: dict[str, str], leaks: Leaks,
                                          standins: Path) -> None:
    """A daemon inside a nested steps template is stopped when that template ends, before the
    outer workflow's next step starts; its address reaches it while the scope lasts."""
    doc = wf([
        {"name": "main", "steps": [[{"name": "inner", "template": "inner"}], [{"name": "after",
                                                                                "template": "after"}]]},
        {"name": "inner", "steps": [[{"name": "db", "template": "db"}], [{"name": "use", "template": "use",
         "arguments": {"parameters": [{"name": "ip", "value": "{{steps.db.ip}}"}]}}]]},
        {"name": "db", "daemon": True, "container": {"image": "influxdb:1.2", "command": ["influxd"],
         "readinessProbe": {"httpGet": {"path": "/ping", "port": 8086}}}},
        {"name": "use", "inputs": {"parameters": [{"name": "ip"}]},
         "container": sh("curl -s -o /dev/null -w '%{http_code}' http://{{inputs.parameters.ip}}:8086/ping")},
        {"name": "after", "container": sh("echo after")}])
    done = go(doc, rt, configs, leaks, grace=2)
    assert done.phase == "Succeeded", done.message
    db, use, after = done.by_display("db"), done.by_display("use"), done.by_display("after")
    assert done.log(use).strip() == "204"
    assert db["phase"] == "Succeeded" and not db.get("daemoned")
    assert use["finishedAt"] <= db["finishedAt"] <= after["startedAt"]
