"""From an IR file to a Workflow ready to submit: checked, environments prepared, compiled."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from typing import Any

from wfexec.home import wfexec_home
from wfexec.kfp.v2 import lightweight, pyenv
from wfexec.kfp.v2.compile import Runtime, check_arguments, compile_pipeline
from wfexec.kfp.v2.ir import Pipeline, load_pipeline

LAUNCHER_PYTHON = "/usr/bin/python3"


@dataclass
class Prepared:
    workflow: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def kfp_root() -> str:
    root = wfexec_home() / "kfp"
    root.mkdir(parents=True, exist_ok=True)
    return str(root.resolve())


def with_kfp_package(command: list[str]) -> list[str]:
    """`$WFEXEC_KFP_PACKAGE` in place of the `kfp==…` a lightweight component pins (as kfp.compiler's
    `kfp_package_path` does): KFP's own e2e pipelines need the SDK they were compiled with."""
    override = os.environ.get("WFEXEC_KFP_PACKAGE", "")
    if not override or len(command) < 3:
        return command
    pinned = re.compile(r"""(['"]?)kfp(?:[=<>~!\[][^'"\s]*)?\1(?=\s|$)""")
    return command[:2] + [pinned.sub(lambda _: shlex.quote(override), command[2])] + command[3:]


def s3_settings(repository: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the launcher needs of the run's artifact repository when it is S3 (secret names only)."""
    conf = (repository or {}).get("s3")
    if not conf:
        return None
    (wfexec_home() / "secrets").mkdir(parents=True, exist_ok=True)
    return {"endpoint": conf.get("endpoint") or "s3.amazonaws.com", "bucket": conf.get("bucket"),
            "insecure": bool(conf.get("insecure")), "region": conf.get("region") or "us-east-1",
            "access": dict(conf.get("accessKeySecret") or {}), "secret": dict(conf.get("secretKeySecret") or {}),
            "prefix": "kfp"}


def prepare_pipeline(source: str | Pipeline, arguments: dict[str, str], runtime_name: str = "host",
                     repository: dict[str, Any] | None = None) -> Prepared:
    """`source`: the IR file's path, or the pipeline read already. Everything is checked before anything
    is built: a bad file or parameter starts nothing. On the docker runtime the image runs the
    component's own command (its pip installs included), with the image's python3 running the
    launcher, which is bound in."""
    pipeline = load_pipeline(source) if isinstance(source, str) else source
    check_arguments(pipeline, arguments)
    python = LAUNCHER_PYTHON if os.path.exists(LAUNCHER_PYTHON) else (shutil.which("python3") or "python3")
    on_host = runtime_name == "host"
    if not on_host:
        python = "python3"
    # The launcher's folder is bound on the host too: a checkout under /tmp is hidden by the sandbox's own /tmp.
    runtime = Runtime(kfp_root=kfp_root(), launcher_python=python, bind_launcher=True,
                      s3=s3_settings(repository))
    compile_pipeline(pipeline, arguments, Runtime(runtime.kfp_root, python))  # every check, before any install
    used = {pipeline.components[t.component].executor_label for c in [pipeline.root, *pipeline.components.values()]
            for t in c.tasks.values()}
    for label in sorted(used - {""}):
        ex = pipeline.executors[label]
        req = lightweight.requirements(ex.container.command) if ex.container else None
        if req is not None and ex.container and not on_host:  # the image runs the command, with the SDK asked for
            ex.container.command = with_kfp_package(ex.container.command)
        elif req is not None:
            runtime.envs[label] = pyenv.launcher_env(with_kfp_package(ex.container.command), label) or \
                {**lightweight.prepare(req, label), "code_index": 6}
    workflow = compile_pipeline(pipeline, arguments, runtime)
    return Prepared(workflow, runtime.warnings)
