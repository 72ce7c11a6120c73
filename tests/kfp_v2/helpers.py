"""Running KFP v2 pipelines through `wfexec submit` as a user does, and reading what they left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
KFP_CORPUS = REPO.parent / "shared" / "corpus" / "kfp-v2-pipelines"
DATA = Path(__file__).with_name("data")
# KFP's e2e runs its pipelines with the SDK they were compiled with (newer than the pinned kfp==2.14.x)
KFP_SDK = "kfp==2.15.2"


def shared_pyenvs() -> Path:
    """Lightweight components' venvs, kept between sessions (each costs a pip install)."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wfexec-tests" / "pyenvs"
    root.mkdir(parents=True, exist_ok=True)
    return root


def wfexec_env(home: Path) -> dict[str, str]:
    return dict(os.environ, WFEXEC_HOME=str(home), WFEXEC_PYENV_DIR=str(shared_pyenvs()),
                WFEXEC_KFP_PYENVS=str(shared_pyenvs()), WFEXEC_KFP_PACKAGE=KFP_SDK, COLUMNS="200")


def wfexec(home: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wfexec.cli.main", *args], env=wfexec_env(home),
                          capture_output=True, text=True, timeout=timeout)


def submit(home: Path, file: Path | str, *params: str, timeout: float = 900,
           options: tuple[str, ...] = ()) -> dict[str, Any]:
    """`wfexec submit --wait -o json [options…]`; the Workflow object it prints (phase, nodes)."""
    argv = ["submit", "--wait", str(file), "-o", "json", *options]
    for p in params:
        argv += ["-p", p]
    proc = wfexec(home, *argv, timeout=timeout)
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise AssertionError(f"wfexec submit printed no run (exit {proc.returncode}): {proc.stderr[-2000:]}") from None


def pods(wf: dict[str, Any], display_name: str) -> list[dict[str, Any]]:
    return [n for n in wf["status"]["nodes"].values() if n["type"] == "Pod" and n["displayName"] == display_name]


def outputs(node: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p.get("value", "") for p in (node.get("outputs") or {}).get("parameters") or []}


def param(wf: dict[str, Any], task: str, name: str = "Output") -> list[str]:
    """One output parameter of every pod of a task, in loop order."""
    return [outputs(n)["p-" + name] for n in sorted(pods(wf, task), key=lambda n: n.get("startedAt", ""))]


def artifacts(wf: dict[str, Any], task: str, name: str) -> list[dict[str, Any]]:
    return [a for n in pods(wf, task) for a in json.loads(outputs(n)["a-" + name])]


def logs(home: Path, run: str) -> str:
    return wfexec(home, "logs", run).stdout
