"""Lightweight Python components: recognise their command and prepare where `kfp` is importable.

kfp.compiler writes `sh -c "…pip install 'kfp==X' PACKAGES… && \"$0\" \"$@\"" sh -ec '…python3 -m
kfp.dsl.executor_main…' CODE ARGS`. The launcher runs the component's code with
`python -m kfp.dsl.executor_main` in an environment prepared before the run starts, so a step
installs nothing. The environment comes from `wfexec.kfp.v2.pyenv` when it is there (cached
per package set); otherwise from `pip install --target` into `$WFEXEC_HOME/kfp/pyenv/<hash>`,
never into the interpreter that runs wfexec.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from wfexec.errors import WfexecError
from wfexec.home import wfexec_home


@dataclass
class Requirements:
    packages: list[str] = field(default_factory=list)
    index_urls: list[str] = field(default_factory=list)
    no_deps: bool = False


def requirements(command: list[str]) -> Requirements | None:
    """The pip install line of a lightweight component's command; None when it is not one."""
    if len(command) < 6 or command[:2] != ["sh", "-c"] or "kfp.dsl.executor_main" not in command[5]:
        return None
    req = Requirements()
    for line in command[2].splitlines():
        if "pip install" not in line:
            continue
        words = shlex.split(line.split("pip install", 1)[1].split("&&", 1)[0])
        it = iter(words)
        for w in it:
            if w in ("--index-url", "-i", "--extra-index-url"):
                req.index_urls.append(next(it, ""))
            elif w == "--trusted-host":
                next(it, None)
            elif w == "--no-deps":
                req.no_deps = True
            elif w.startswith("-"):
                continue
            elif "python_version<\"3.9\"" in w.replace(" ", "") or "python_version<'3.9'" in w:
                continue
            else:
                req.packages.append(w)
    return req


def pyenv_root() -> Path:
    return Path(os.environ.get("WFEXEC_KFP_PYENVS") or wfexec_home() / "kfp" / "pyenv")


def prepare(req: Requirements, task: str) -> dict[str, str]:
    """`{python, pythonpath}` for the launcher; built once per distinct package set."""
    key = hashlib.sha256(json.dumps([sorted(req.packages), req.index_urls, req.no_deps]).encode()).hexdigest()[:16]
    target = pyenv_root() / key
    python = os.path.realpath(getattr(sys, "_base_executable", "") or sys.executable)
    if not (target / ".complete").exists():
        tmp = target.with_name(key + f".tmp{os.getpid()}")
        argv = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "--no-warn-script-location", "--target", str(tmp)]
        if req.no_deps:
            argv.append("--no-deps")
        for i, url in enumerate(req.index_urls):
            argv += ["--index-url" if i == 0 else "--extra-index-url", url]
        proc = subprocess.run(argv + req.packages, capture_output=True, text=True)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise WfexecError(f"task {task!r}: cannot install {' '.join(req.packages)} ({last})")
        (tmp / ".complete").write_text(" ".join(req.packages))
        try:
            tmp.rename(target)
        except OSError:  # another wfexec built it first
            subprocess.run(["rm", "-rf", str(tmp)], check=False)
    return {"python": python, "pythonpath": str(target), "key": key}
