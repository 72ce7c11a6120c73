"""Running the user command for the KFP v2 launcher: in the venv's warm process or as a child,
with a one-line report when its failure shows a network download the machine cannot make.

Standard library only, beside launcher.py in the step (see launcher_values.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

NETWORK_SIGNS = ("Temporary failure in name resolution", "Name or service not known", "Network is unreachable",
                 "LocalEntryNotFoundError", "Failed to establish a new connection", "ConnectionError",
                 "getaddrinfo failed", "Could not resolve host", "No route to host")


def run_in_warm_process(argv: list[str], env: dict[str, str], light: dict[str, Any] | None) -> int | None:
    """A lightweight task handed straight to its venv's warm process (kfp/v2/warm_client.py, beside this
    file), without starting the client as a process of its own. None: run `argv` instead."""
    if not light or not light.get("warm") or argv[:2] != light["warm"][:2]:
        return None
    import warm_client  # stdlib only, beside this file (sys.path[0])

    status = warm_client.run_warm(light["pythonpath"], argv[2:], env)
    return None if status is None else os.waitstatus_to_exitcode(status)


def run_watching_network(argv: list[str], env: dict[str, str], task: str) -> int:
    """Run the user command, its stderr passed through; a failure whose output shows a network
    download that could not be made ends with one line naming the task and what was missing."""
    proc = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    tail: list[str] = []
    for raw in proc.stderr:
        sys.stderr.buffer.write(raw)
        sys.stderr.flush()
        tail = (tail + [raw.decode(errors="replace")])[-80:]
    code = proc.wait()
    if code != 0:
        report_network(task, "".join(tail))
    return code


def report_network(task: str, text: str) -> None:
    sign = next((s for s in NETWORK_SIGNS if s in text), "")
    if sign:
        print(f"kfp launcher: task {task!r} needs a network download this machine cannot make ({sign})",
              file=sys.stderr, flush=True)


def own_log_tail(size: int = 65536) -> str:
    """The end of this container's log as the emissary keeps it (`/var/run/argo/ctr/<name>/combined`):
    what a task run by the warm process wrote. Read twice a moment apart: the emissary copies it."""
    path = f"/var/run/argo/ctr/{os.environ.get('ARGO_CONTAINER_NAME', 'main')}/combined"
    text = ""
    for _ in range(2):
        try:
            with open(path, "rb") as f:
                f.seek(max(0, os.path.getsize(path) - size))
                text = f.read().decode(errors="replace")
        except OSError:
            return ""
        if any(s in text for s in NETWORK_SIGNS):
            break
        time.sleep(0.2)
    return text
