"""The host runtime with the emissary executor: each pod runs as host processes, sandboxed.

How it is fast: one warm fork server per backend hands most containers to its supervisor, one
process that runs them side by side (emissary/supervisor.py), and forks an emissary for the others
(a containerSet's, or one that packs artifacts: about a millisecond, no Python start-up). Each
command runs under bubblewrap and, when done, its key is written to a pipe that one thread here
reads. No thread or poll loop per pod.

How it survives an engine crash: emissaries are their own sessions; their exitcode and output
files stay in the pod's argo dir, so a new backend's `reattach()` follows them by polling. The
fork server ends with its engine (end of its input); its emissaries do not.

How it survives a fork server crash: the server answers each request once its emissary is
forked; when it dies, a new one is started and sent what was not answered (forkserver.py).
Emissaries already forked report to the completion pipe, which the backend owns, as before.

Threading: `start`, `kill`, `reattach` may be called from any thread; `on_done` is called
exactly once per pod, from a thread of this backend (the completion reader, the timer thread
or the re-attach poller), never while a lock of ours is held.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import os
import shutil
import threading
import time
from typing import Any

from wfexec import host_envs
from wfexec.commands import command_from_image
from wfexec.emissary.layout import ctr_file, read_int
from wfexec.errors import RuntimeUnavailable, WfexecError
from wfexec.home import wfexec_home
from wfexec.pod import ContainerPlan, OnDone, PodHandle, PodPlan, PodResult
from wfexec.runtimes.host.forkserver import ForkServer
from wfexec.runtimes.host.pod import HostPod, process_alive, wait_gone
from wfexec.runtimes.host.sandbox import Sandbox, bwrap_sandbox, unsandboxed
from wfexec.runtimes.host.shims import host_path
from wfexec.runtimes.host.timers import Timers

log = logging.getLogger("wfexec.runtimes.host")
REATTACH_POLL = 0.05  # seconds between looks at the exitcode files of re-attached pods
LIVENESS_POLL = 1.0  # seconds between looks for emissaries that died without an exit code (OOM, kill -9)
EXITING_PRUNE_AT = 256  # finished pods' emissaries noted before the list is pruned of those gone
CLOSE_GRACE = 2.0  # seconds close() gives pods still running to stop on SIGTERM
SUPERVISOR_ENV = "WFEXEC_HOST_SUPERVISOR"  # "off": an emissary forked per container, as before the supervisor
_warned_no_bwrap = False
_warn_lock = threading.Lock()


def _config_value(config: Any, key: str, default: Any) -> Any:
    if isinstance(config, dict):
        return config.get(key, default)
    return getattr(config, key, default) if config is not None else default


class HostBackend:
    """Backend for PodPlans as sandboxed host processes (runtime host, executor emissary).

    `config` may set `sandbox`: "auto" (bwrap when installed, the default), "bwrap" (required)
    or "none"; and `bwrap`: the path of the bwrap binary.
    """

    runtime = "host"
    executor = "emissary"

    def __init__(self, config: Any = None) -> None:
        self.config = config
        self._mode = str(_config_value(config, "sandbox", "auto"))
        self._bwrap: str | None = _config_value(config, "bwrap", None) or shutil.which("bwrap")
        self._lock = threading.Lock()
        self._server: ForkServer | None = None
        self._timers: Timers | None = None
        self._pods: dict[str, HostPod] = {}
        self._watched: dict[str, HostPod] = {}  # re-attached pods, polled
        self._poller: threading.Thread | None = None
        self._ids = itertools.count(1)
        self._closed = False
        self._noted_images: set[str] = set()
        self._exiting: list[int] = []  # emissaries of finished pods, maybe still exiting (see close)

    # -- the Backend protocol -------------------------------------------------------------------
    def check(self) -> None:
        self.preflight()
        self._ensure_started()

    def preflight(self) -> None:
        """What check() verifies, without starting the fork server: for a command that only hands
        the run on (`submit`), whose engine starts its own."""
        global _warned_no_bwrap
        if self._mode not in ("auto", "bwrap", "none"):
            raise WfexecError(f"host runtime: sandbox must be auto, bwrap or none, got {self._mode!r}")
        if self._mode == "bwrap" and not self._bwrap:
            raise RuntimeUnavailable("host runtime: bubblewrap (bwrap) is required by the config but not found "
                                     "on PATH: apt-get install bubblewrap")
        if self._mode == "auto" and not self._bwrap:
            with _warn_lock:
                if not _warned_no_bwrap:
                    _warned_no_bwrap = True
                    log.warning("bubblewrap not found: steps run unsandboxed")

    @property
    def sandboxed(self) -> bool:
        return self._mode != "none" and bool(self._bwrap)

    @staticmethod
    def image_ignored_note(image: str | None) -> str:
        return (f"host runtime: image {image!r} is ignored; the step runs with the host's programs"
                if image else "host runtime: the step runs with the host's programs")

    def start(self, pod: PodPlan, on_done: OnDone) -> PodHandle:
        self._ensure_started()
        for c in pod.containers:
            if c.image and c.image not in self._noted_images:
                self._noted_images.add(c.image)
                log.info(self._image_note(c))
        handle = self._new_pod(pod, on_done)
        template = pod.argo_dir / "template"
        if not template.exists():  # the engine's plan_pod writes it; a bare PodPlan may not have
            pod.argo_dir.mkdir(parents=True, exist_ok=True)
            template.write_text(json.dumps(pod.template))
        handle.begin()
        return handle

    def kill(self, handle: PodHandle, grace: float) -> None:
        assert isinstance(handle, HostPod)
        handle.kill(grace)

    def ip(self, handle: PodHandle) -> str | None:
        return "127.0.0.1"

    def reattach(self, pod: PodPlan, on_done: OnDone) -> PodHandle | None:
        ctr = pod.argo_dir / "ctr"
        if not ctr.is_dir() or not any((ctr / c.name).is_dir() for c in pod.containers):
            return None
        self._ensure_started()
        handle = self._new_pod(pod, on_done)
        with self._lock:
            self._watched[handle.key] = handle
            self._ensure_poller()
        handle.resume()
        return handle

    def _ensure_poller(self) -> None:
        """Called with the lock held."""
        if self._poller is None:
            self._poller = threading.Thread(target=self._poll_loop, name="wfexec-host-poll", daemon=True)
            self._poller.start()

    def close(self) -> None:
        """Stop what is still running (an engine that exits normally leaves nothing behind;
        one that crashes never gets here, so its pods survive for `reattach`), then the server."""
        with self._lock:
            live = [h for h in self._pods.values() if not h.finished]
        for handle in live:
            handle.kill(min(handle.pod.kill_grace_seconds, CLOSE_GRACE))
        end = time.monotonic() + CLOSE_GRACE + 1.0
        while any(not h.finished for h in live) and time.monotonic() < end:
            time.sleep(0.01)
        with self._lock:
            exiting, self._exiting = self._exiting, []
        wait_gone(exiting, time.monotonic() + 2.0)  # nothing of ours outlives the backend
        with self._lock:
            self._closed = True
            server, self._server = self._server, None
            timers, self._timers = self._timers, None
        if server is not None:
            server.close()
        if timers is not None:
            timers.close()

    # -- internals --------------------------------------------------------------------------------
    def _ensure_started(self) -> None:
        with self._lock:
            if self._closed:
                raise WfexecError("host runtime: the backend was closed")
            if self._server is None:
                self._timers = Timers()
                log_path = wfexec_home() / "logs" / f"forkserver-{os.getpid()}.log"
                self._server = ForkServer(self._on_key, log_path, on_failed=self._on_failed)
                self._ensure_poller()

    def _new_pod(self, pod: PodPlan, on_done: OnDone) -> HostPod:
        assert self._timers is not None
        key = str(next(self._ids))
        timers = self._timers

        def finished(result: PodResult) -> None:
            with self._lock:
                self._pods.pop(key, None)
                self._watched.pop(key, None)
            on_done(result)

        handle = HostPod(key, pod, finished, self._launch, timers.call_later, self._note_exiting)
        with self._lock:
            self._pods[key] = handle
        return handle

    def _note_exiting(self, pids: list[int]) -> None:
        """A finished pod's emissaries, which exit right after they report: waited for in close(),
        not on the step's path. The list is pruned of those gone once it grows."""
        with self._lock:
            self._exiting.extend(pids)
            if len(self._exiting) >= EXITING_PRUNE_AT:
                self._exiting = [pid for pid in self._exiting if process_alive(pid)]

    def _host_environment(self, c: ContainerPlan) -> host_envs.HostEnvironment | None:
        return host_envs.find(_config_value(self.config, "host_environments", None) or [], c.image)

    def _image_note(self, c: ContainerPlan) -> str:
        """One line on what runs in place of the image: its host environment, or the host's own
        programs, and where the step's program resolves."""
        henv = self._host_environment(c)
        base = host_path()
        search = henv.search_path(base) if henv else base
        program = (self._argv(c) or [""])[0]
        found = host_envs.which(program, search) if program else None
        real = os.path.realpath(found) if found else None
        runs = f"; {program} is {found}" + (f" ({real})" if real != found else "") if found else ""
        if henv:
            where = henv.venv or ":".join(henv.path) or "its env"
            return f"host runtime: image {c.image!r} runs in the host environment {where}{runs}"
        return self.image_ignored_note(c.image) + runs

    def _sandbox(self, pod: PodPlan, c: ContainerPlan) -> Sandbox:
        henv = self._host_environment(c)
        if henv is not None:  # the environment's PATH/PYTHONPATH, then the step's own env over it
            c = dataclasses.replace(c, env=henv.apply({"PATH": host_path()}, c.env))
        if self.sandboxed:
            assert self._bwrap is not None
            return bwrap_sandbox(self._bwrap, pod, c)
        return unsandboxed(pod, c)

    def _launch(self, handle: HostPod, c: ContainerPlan) -> None:
        pod = handle.pod
        try:
            box = self._sandbox(pod, c)
        except OSError as exc:
            raise WfexecError(f"container {c.name!r}: cannot prepare its sandbox: {exc}") from None
        argv = self._argv(c)
        if not argv:
            raise WfexecError(f"container {c.name!r}: the host runtime needs a command (it ignores images, "
                              "so it cannot use an image's ENTRYPOINT/CMD); give `command`, or add the image "
                              "to `images:` in the executor config")
        spec = {
            "argv": argv, "argo_dir": str(pod.argo_dir), "name": c.name, "env": box.env, "cwd": box.cwd,
            "dependencies": list(c.dependencies) if c.role == "main" else [],
            "template": None, "path_map": box.path_map, "sandbox": box.argv,
            "max_output_bytes": pod.max_output_bytes, "notify_key": f"{handle.key}:{c.name}",
            "save_outputs": c.name == pod.main_container and _declares_outputs(pod.template), "mkdirs": box.mkdirs,
        }
        server = self._server
        if server is None:
            raise WfexecError("host runtime: the backend was closed")
        heavy = box.argv is None or (c.name == pod.main_container and bool(pod.output_artifacts))
        server.submit(spec, heavy=heavy, supervise=not heavy and _supervisable(pod, c))

    def _argv(self, c: ContainerPlan) -> list[str]:
        """The command line, as the emissary resolves it: the spec's `command`, else the image's
        entry in the config's `images:` index (Argo's), else the `args` alone (Kubernetes)."""
        if c.command:
            return [*c.command, *(c.args or [])]
        entry = _indexed_command(self.config, c.image) if c.image else None
        if entry is not None:
            command, args = command_from_image(None, c.args, *entry)
            if command:
                return [*command, *(args or [])]
        return list(c.args or [])

    def _on_key(self, key: str) -> None:
        pod_key, _, name = key.partition(":")
        with self._lock:
            handle = self._pods.get(pod_key)
        if handle is not None:
            handle.container_done(name)

    def _on_failed(self, key: str, message: str) -> None:
        """The fork server will never start this container (it died too often, could not fork)."""
        pod_key, _, name = key.partition(":")
        with self._lock:
            handle = self._pods.get(pod_key)
        if handle is not None:
            handle.launch_failed(name, message)

    def _poll_loop(self) -> None:
        """Re-attached pods are followed by their files (no completion pipe reaches them); every
        pod is looked at now and then for an emissary that died without an exit code (the OOM
        killer, a kill -9), which would otherwise leave its pod waiting forever."""
        next_live = time.monotonic() + LIVENESS_POLL
        while True:
            time.sleep(REATTACH_POLL)
            with self._lock:
                watched = list(self._watched.values())
                if self._closed and not watched:
                    self._poller = None
                    return
                live: list[HostPod] = []
                if time.monotonic() >= next_live:
                    next_live = time.monotonic() + LIVENESS_POLL
                    live = [h for k, h in self._pods.items() if k not in self._watched]
            for handle in watched:
                _look(handle, every_exit=True)
            for handle in live:
                _look(handle, every_exit=False)


def _look(handle: HostPod, every_exit: bool) -> None:
    """Report the pod's containers that ended: all of them (`every_exit`, a re-attached pod), or
    only those whose emissary is gone (a live pod learns of the others through the pipe)."""
    argo = str(handle.pod.argo_dir)
    for name in handle.running():
        if every_exit and read_int(ctr_file(argo, name, "exitcode")) is not None:
            handle.container_done(name)
            continue
        pid = read_int(ctr_file(argo, name, "pid"))
        if pid is None or process_alive(pid):
            continue
        if read_int(ctr_file(argo, name, "exitcode")) is not None:
            handle.container_done(name)  # it ended, and its word on the pipe was lost
        else:
            handle.emissary_gone(name, end_group=not every_exit)


def _declares_outputs(template: dict[str, Any]) -> bool:
    """What the emissary's save_outputs would look for: without it, the template is not even read."""
    outputs = template.get("outputs") or {}
    return bool(outputs.get("parameters") or outputs.get("artifacts"))


def _supervisable(pod: PodPlan, c: ContainerPlan) -> bool:
    """The fork server's supervisor can run this container (no emissary of its own): not one of a
    containerSet (those wait on each other's files and retry inside the pod), unless turned off."""
    if os.environ.get(SUPERVISOR_ENV, "on") == "off":
        return False
    return not c.dependencies and "containerSet" not in pod.template


def _indexed_command(config: Any, image: str) -> tuple[list[str] | None, list[str] | None] | None:
    """(ENTRYPOINT, CMD) of `image` from the executor config's `images:` index, if it is there."""
    if config is None:
        return None
    if not isinstance(config, dict) and callable(getattr(config, "image_command", None)):
        entrypoint, cmd = config.image_command(image)
    else:
        raw = config.get("images") if isinstance(config, dict) else None
        entry = (raw or {}).get(image) or {}
        entrypoint, cmd = entry.get("entrypoint"), entry.get("cmd")
    return None if entrypoint is None and cmd is None else (entrypoint, cmd)


__all__ = ["HostBackend"]
