"""The one reader of an argo dir into a PodResult, over what a real emissary left there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from wfexec.executors.emissary import EmissaryExecutor
from wfexec.executors.result import DEADLINE_MESSAGE, RESULT_LIMIT, PodEnd, read_pod_result
from wfexec.pod import ContainerPlan, OutputArtifactPlan, OutputParameterPlan, PodPlan

MAIN = Path(__file__).resolve().parents[2] / "src" / "wfexec" / "emissary" / "main.py"
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def run_emissary(argo: Path, argv: list[str], template: dict | None = None) -> int:
    argo.mkdir(parents=True, exist_ok=True)
    (argo / "template").write_text(json.dumps(template or {}))
    return subprocess.run([PY, "-S", str(MAIN), "--", *argv], env={**os.environ, "ARGO_DIR": str(argo)},
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60).returncode


def plan(argo: Path, **kw: object) -> PodPlan:
    return PodPlan(run_id="r", node_id="n", pod_name="p", argo_dir=argo, containers=[ContainerPlan("main")],
                   template={}, **kw)  # type: ignore[arg-type]


def test_outputs_result_and_success(tmp_path: Path) -> None:
    out = tmp_path / "out"
    template = {"outputs": {"parameters": [{"name": "p", "valueFrom": {"path": str(out / "p")}}],
                            "artifacts": [{"name": "a", "path": str(out / "a")}]}}
    code = run_emissary(tmp_path / "argo", ["sh", "-c", f"mkdir -p {out}; printf v > {out}/p; echo f > {out}/a; "
                                                        "echo line1; echo line2"], template)
    pod = plan(tmp_path / "argo", output_parameters=[OutputParameterPlan("p", str(out / "p")),
                                                     OutputParameterPlan("q", str(out / "missing"))],
               output_artifacts=[OutputArtifactPlan("a", str(out / "a")), OutputArtifactPlan("b", str(out / "b"))])
    res = read_pod_result(pod, EmissaryExecutor(pod.argo_dir), PodEnd({"main": code}, ["main"], ip="127.0.0.1"))
    assert (res.phase, res.message, res.exit_code) == ("Succeeded", "", 0)
    assert res.result == "line1\nline2"  # the trailing newline trimmed, as Argo does
    assert res.parameters == {"p": "v", "q": None}
    assert res.artifacts["a"] is not None and res.artifacts["a"].is_file() and res.artifacts["b"] is None
    assert res.logs["main"].read_text() == "line1\nline2\n"


def test_the_emissarys_own_failure_says_why(tmp_path: Path) -> None:
    code = run_emissary(tmp_path / "argo", ["no-such-command-here"])
    pod = plan(tmp_path / "argo")
    res = read_pod_result(pod, EmissaryExecutor(pod.argo_dir), PodEnd({"main": code}, ["main"]))
    assert res.phase == "Failed" and res.exit_code == 64
    assert res.message.startswith("Error (exit code 64): failed to find name in PATH")


def test_deadline_and_runtime_error_win_over_exit_codes(tmp_path: Path) -> None:
    code = run_emissary(tmp_path / "argo", ["sh", "-c", "exit 3"])
    pod = plan(tmp_path / "argo")
    ex = EmissaryExecutor(pod.argo_dir)
    assert read_pod_result(pod, ex, PodEnd({"main": code}, ["main"])).message == "Error (exit code 3)"
    assert read_pod_result(pod, ex, PodEnd({"main": code}, ["main"], deadline_hit=True)).message == DEADLINE_MESSAGE
    err = read_pod_result(pod, ex, PodEnd({"main": code}, ["main"], error="could not start"))
    assert (err.phase, err.message) == ("Error", "could not start")


def test_a_long_result_keeps_its_end(tmp_path: Path) -> None:
    code = run_emissary(tmp_path / "argo", ["sh", "-c", f"head -c {RESULT_LIMIT + 10} /dev/zero | tr '\\0' x; echo END"])
    pod = plan(tmp_path / "argo")
    res = read_pod_result(pod, EmissaryExecutor(pod.argo_dir), PodEnd({"main": code}, ["main"]))
    assert res.result is not None and len(res.result) == RESULT_LIMIT and res.result.endswith("xEND")


def test_a_main_that_never_started_has_no_outputs(tmp_path: Path) -> None:
    (tmp_path / "argo").mkdir()
    pod = plan(tmp_path / "argo", output_parameters=[OutputParameterPlan("p", "/tmp/p")])
    res = read_pod_result(pod, EmissaryExecutor(pod.argo_dir),
                          PodEnd({"init": 1}, [], failure="init container init: Error (exit code 1)"))
    assert (res.phase, res.exit_code, res.result, res.parameters) == ("Failed", None, None, {"p": None})
