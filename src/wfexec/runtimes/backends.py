"""Pair a runtime with an executor, as Argo pairs kubelet with `containerRuntimeExecutor`."""

from __future__ import annotations

from typing import Any

from wfexec.errors import ExecutorError, WfexecError
from wfexec.extras import require
from wfexec.pod import Backend

RUNTIMES = ("host", "docker")
EXECUTORS = ("emissary", "docker")


def make_backend(runtime: str, executor: str, config: Any = None, start: bool = True) -> Backend:
    """Build the backend and check it up front, so a bad pair fails before the run starts.
    start=False: the host runtime's checks without its fork server (a process the caller won't use)."""
    if config is None or isinstance(config, str):
        config = _load_config(config)
    if runtime not in RUNTIMES:
        raise WfexecError(f"unknown runtime {runtime!r}: expected one of {', '.join(RUNTIMES)}")
    if executor not in EXECUTORS:
        raise WfexecError(f"unknown executor {executor!r}: expected one of {', '.join(EXECUTORS)}")
    if runtime == "host":
        if executor == "docker":
            raise ExecutorError(
                "the docker executor cannot run on the host runtime: it needs the Docker daemon that runs "
                "the step's containers (and a root-equivalent docker socket). Use --executor emissary, "
                "or --runtime docker."
            )
        from wfexec.runtimes.host.backend import HostBackend

        host = HostBackend(config)
        if not start:
            host.preflight()
            return host
        backend: Backend = host
    else:
        require("docker", f"the docker runtime (--runtime docker, --executor {executor})")
        from wfexec.runtimes.docker.backend import DockerBackend

        backend = DockerBackend(config, executor=executor)
    backend.check()
    return backend


def _load_config(path: str | None) -> Any:
    """The executor config from --config, $WFEXEC_CONFIG or $WFEXEC_HOME/config.yaml."""
    try:
        from wfexec.config import load_config
    except ImportError:  # the config module is optional for the host runtime
        return None
    return load_config(path)
