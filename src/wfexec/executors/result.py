"""A pod's result, read the same way on every runtime: from its argo dir, through its executor.

The runtime says how the pod ended (an error of its own, the deadline, a failed init
container, or the exit codes of its containers); the executor supplies the outputs and the
failure texts; the logs are in the argo dir in the emissary's layout by then.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from wfexec.emissary.layout import EMISSARY_FAILED, artifact_copy, ctr_file
from wfexec.executors.base import Executor
from wfexec.pod import PodPhase, PodPlan, PodResult

DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"
RESULT_LIMIT = 256 * 1024  # Argo keeps the last 256 kB of outputs.result
DISK_RESERVE = 64 * 1024  # below this much free space an argo dir counts as full


@dataclass
class PodEnd:
    """How the runtime saw the pod end, beyond its containers' exit codes."""

    codes: dict[str, int | None]  # every container that was started -> its exit code
    mains: list[str]  # the main containers among them, in order
    error: str | None = None  # the runtime itself failed: phase Error
    deadline_hit: bool = False
    failure: str | None = None  # failed before the mains ran (an init container)
    ip: str | None = None


def read_pod_result(pod: PodPlan, executor: Executor, end: PodEnd) -> PodResult:
    """The PodResult of a pod whose containers have all ended."""
    argo = str(pod.argo_dir)
    main = pod.main_container
    started = main in end.codes
    params = {p.name: executor.file_contents_or_none(main, p.path) if started else None
              for p in pod.output_parameters}
    artifacts: dict[str, Path | None] = {}
    for art in pod.output_artifacts:
        dest = artifact_copy(argo, art.path)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        kept = started and executor.copy_file_if_exists(main, art.path, dest, art.archive)
        artifacts[art.name] = Path(dest) if kept else None
    phase, message = _phase(pod, executor, end)
    return PodResult(phase=phase, message=message, exit_code=end.codes.get(main),
                     result=main_result(argo, main) if started else None, parameters=params,
                     artifacts=artifacts, logs={n: Path(ctr_file(argo, n, "combined")) for n in end.codes},
                     container_exit_codes=dict(end.codes), ip=end.ip)


def _phase(pod: PodPlan, executor: Executor, end: PodEnd) -> tuple[PodPhase, str]:
    if end.error:
        return "Error", end.error
    if end.deadline_hit:
        return "Failed", DEADLINE_MESSAGE
    if end.failure:
        return "Failed", end.failure
    failed = next((n for n in end.mains if end.codes.get(n) != 0), None)
    if failed is None:
        return "Succeeded", ""
    code = end.codes.get(failed)
    text = executor.failure_text(failed, code)
    if code == EMISSARY_FAILED and "No space left on device" in text:
        return "Error", text  # the emissary could not keep the output: not the step's failure
    argo = str(pod.argo_dir)
    if code in (None, EMISSARY_FAILED) and _disk_full(argo):
        return "Error", (f"no space left on device under {argo}: the output or exit code of container "
                         f"{failed!r} could not be saved")
    return "Failed", text if failed == pod.main_container else f"{failed}: {text}"


def main_result(argo_dir: str, main: str) -> str | None:
    """Argo's outputs.result: the main container's stdout, trailing newline trimmed, last 256 kB."""
    try:
        with open(ctr_file(argo_dir, main, "stdout"), "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    text = data.decode("utf-8", errors="replace")
    if text.endswith("\n"):
        text = text[:-1]
    return text[-RESULT_LIMIT:]


def _disk_full(path: str) -> bool:
    try:
        st = os.statvfs(path)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < DISK_RESERVE
