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
class Install:
    """One `pip install` of the command."""

    packages: list[str] = field(default_factory=list)
    index_urls: list[str] = field(default_factory=list)
    no_deps: bool = False


@dataclass
class Requirements:
    installs: list[Install] = field(default_factory=list)

    @property
    def packages(self) -> list[str]:
        return [p for i in self.installs for p in i.packages]


def requirements(command: list[str]) -> Requirements | None:
    """The pip installs of a lightweight component's command; None when it is not one.

    `$WFEXEC_KFP_PACKAGE` (a pip requirement or path, like kfp.compiler's `kfp_package_path`)
    replaces the `kfp==…` the component pins."""
    if len(command) < 6 or command[:2] != ["sh", "-c"] or "kfp.dsl.executor_main" not in command[5]:
        return None
    req = Requirements()
    override = os.environ.get("WFEXEC_KFP_PACKAGE", "")
    for segment in command[2].replace("\n", "\n&&").split("&&"):
        if "pip install" not in segment:
            continue
        words = shlex.split(segment.split("pip install", 1)[1])
        inst = Install()
        req.installs.append(inst)
        it = iter(words)
        for w in it:
            if w in ("--index-url", "-i", "--extra-index-url"):
                inst.index_urls.append(next(it, ""))
            elif w == "--trusted-host":
                next(it, None)
            elif w == "--no-deps":
                inst.no_deps = True
            elif w.startswith("-"):
                continue
            elif "python_version<\"3.9\"" in w.replace(" ", "") or "python_version<'3.9'" in w:
                continue
            elif override and (w == "kfp" or w.startswith(("kfp=", "kfp<", "kfp>", "kfp[", "kfp~"))):
                inst.packages.append(override)
            else:
                inst.packages.append(w)
    return req


def pyenv_root() -> Path:
    return Path(os.environ.get("WFEXEC_KFP_PYENVS") or wfexec_home() / "kfp" / "pyenv")


def prepare(req: Requirements, task: str) -> dict[str, str]:
    """`{python, pythonpath}` for the launcher; built once per distinct package set."""
    key = hashlib.sha256(json.dumps([[sorted(i.packages), i.index_urls, i.no_deps] for i in req.installs]
                                    ).encode()).hexdigest()[:16]
    target = pyenv_root() / key
    python = os.path.realpath(getattr(sys, "_base_executable", "") or sys.executable)
    if not (target / ".complete").exists():
        tmp = target.with_name(key + f".tmp{os.getpid()}")
        for inst in req.installs:
            argv = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--no-warn-script-location", "--upgrade", "--target", str(tmp)]
            if inst.no_deps:
                argv.append("--no-deps")
            for i, url in enumerate(inst.index_urls):
                argv += ["--index-url" if i == 0 else "--extra-index-url", url]
            proc = subprocess.run(argv + inst.packages, capture_output=True, text=True)
            if proc.returncode != 0:
                last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
                subprocess.run(["rm", "-rf", str(tmp)], check=False)
                raise WfexecError(f"task {task!r}: cannot install {' '.join(inst.packages)} ({last})")
        (tmp / ".complete").write_text(" ".join(req.packages))
        try:
            tmp.rename(target)
        except OSError:  # another wfexec built it first
            subprocess.run(["rm", "-rf", str(tmp)], check=False)
    return {"python": python, "pythonpath": str(target), "key": key}
