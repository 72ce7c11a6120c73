"""One host-runtime pod: which container runs when, and what the pod came to.

Init containers run one after the other; then sidecars and the main container(s) start
together (containerSet ordering is left to each emissary, which waits on the exitcode files
of its dependencies); once every main container has ended the sidecars are stopped with
grace. Every step is driven by "container X ended" events (from the completion pipe, or from
polling exitcode files after a re-attach), so no thread is held per pod.
"""

from __future__ import annotations

import json
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from wfexec.emissary.layout import ctr_file, read_int
from wfexec.errors import WfexecError
from wfexec.executors.emissary import EmissaryExecutor
from wfexec.executors.result import PodEnd, read_pod_result
from wfexec.pod import ContainerPlan, OnDone, PodPlan, PodResult
from wfexec.runtimes.host.strays import sandbox_processes

ESCALATE_EVERY = 0.5  # seconds between SIGKILL retries once the grace is over
STRAY_ROUNDS = 5  # looks for a dead emissary's sandbox processes (one may fork as we kill)


class HostPod:
    """The PodHandle of the host runtime."""

    def __init__(self, key: str, pod: PodPlan, on_done: OnDone, launch: Callable[[HostPod, ContainerPlan], None],
                 call_later: Callable[[float, Callable[[], None]], None],
                 exiting: Callable[[list[int]], None] | None = None) -> None:
        self.key = key
        self.pod = pod
        self.executor = EmissaryExecutor(pod.argo_dir, host_pids=True)
        self._on_done = on_done
        self._launch_fn = launch
        self._later = call_later
        self._exiting = exiting  # takes the emissaries still exiting at the end; None: wait for them here
        self._lock = threading.RLock()
        self.inits = [c for c in pod.containers if c.role == "init"]
        self.mains = [c for c in pod.containers if c.role == "main"]
        self.sidecars = [c for c in pod.containers if c.role == "sidecar"]
        self.launched: set[str] = set()
        self.codes: dict[str, int | None] = {}
        self.failure: str | None = None
        self.stopping = False  # kill() or deadline: launch nothing more
        self.deadline_hit = False
        self.finished = False
        self._reported = False
        self.sidecars_stopping = False
        self.error: str | None = None

    # -- driving ------------------------------------------------------------------------------
    def begin(self) -> None:
        with self._lock:
            if self.pod.deadline_seconds is not None:
                self._later(self.pod.deadline_seconds, self._deadline)
            self._advance()
        self.report_if_finished()

    def resume(self) -> None:
        """After a re-attach: account for what already ended, then go on from there."""
        with self._lock:
            if self.pod.deadline_seconds is not None:
                self._later(self.pod.deadline_seconds, self._deadline)  # counted afresh: start time is lost
            for c in self.pod.containers:
                if os.path.isdir(self._ctr(c.name)):
                    self.launched.add(c.name)
                code = self.executor.exit_code(c.name)
                if code is not None:
                    self.codes[c.name] = code
            self._advance()
        self.report_if_finished()

    def running(self) -> list[str]:
        with self._lock:
            return [n for n in self.launched if n not in self.codes]

    def container_done(self, name: str) -> None:
        with self._lock:
            if name in self.codes or self.finished:
                return
            self.codes[name] = self.executor.exit_code(name)
            self._advance()
        self.report_if_finished()

    def emissary_gone(self, name: str, end_group: bool = False) -> None:
        """The emissary died without an exitcode file (SIGKILLed itself): record it as failed, and
        end what is left of the container, as a container's processes end with its first one.
        With `end_group` (an emissary this engine saw start, so its `pid` and `childpgid` are
        fresh, not from before a reboot that another group may now have), that starts with the
        command's process group, and the emissary's own group, where bwrap's clone waits forever
        when its outer process died before letting it go on. Then, whatever the case, the
        processes still in the sandbox's mount namespace: it names the pod exactly."""
        with self._lock:
            if name in self.codes or self.finished:
                return
            self.codes[name] = None
            if end_group:
                argo = str(self.pod.argo_dir)
                _end_groups([read_int(ctr_file(argo, name, "childpgid")), read_int(ctr_file(argo, name, "pid"))])
            for _ in range(STRAY_ROUNDS):  # e.g. a command started as its emissary died: no childpgid
                strays = sandbox_processes(self.pod.argo_dir, name)
                if not strays:
                    break
                _end_groups([_pgid(pid) for pid in strays])
                for pid in strays:
                    _kill(pid)
            self._advance()
        self.report_if_finished()

    def launch_failed(self, name: str, message: str) -> None:
        """Container `name` was sent to be started but never will be (the fork server said so, or
        was given up): the pod errs with `message`, as when the launch itself fails."""
        with self._lock:
            if name in self.codes or self.finished:
                return
            self.error = self.error or message
            self.codes[name] = None
            self.stopping = True
            self.terminate(0.0, self.running())
            self._maybe_finish()
        self.report_if_finished()

    def _advance(self) -> None:
        if self.finished:
            return
        for c in self.inits:
            if c.name not in self.launched:
                if not self.stopping:
                    self._launch(c)
                return self._maybe_finish()
            if c.name not in self.codes:
                return
            if self.codes[c.name] != 0:
                self.failure = self.failure or \
                    f"init container {c.name}: {self.executor.failure_text(c.name, self.codes[c.name])}"
                return self._maybe_finish()
        if not self.stopping:
            for c in self.sidecars + self.mains:
                if c.name not in self.launched:
                    self._launch(c)
        if all(c.name in self.codes for c in self.mains if c.name in self.launched):
            live = [c.name for c in self.sidecars if c.name in self.launched and c.name not in self.codes]
            if live and not self.sidecars_stopping:
                self.sidecars_stopping = True
                self.terminate(self.pod.kill_grace_seconds, live)
        self._maybe_finish()

    def _launch(self, c: ContainerPlan) -> None:
        self.launched.add(c.name)
        try:
            self._launch_fn(self, c)
        except WfexecError as exc:
            self.error = str(exc)
            self.codes[c.name] = None
            self.stopping = True
            self.terminate(0.0, self.running())

    def _maybe_finish(self) -> None:
        if not self.finished and all(n in self.codes for n in self.launched):
            self.finished = True

    def report_if_finished(self) -> None:
        """Call without the lock held: the one caller that sees the pod finished reports it."""
        with self._lock:
            if not self.finished or self._reported:
                return
            self._reported = True
        self._finish()

    # -- stopping -------------------------------------------------------------------------------
    def _deadline(self) -> None:
        with self._lock:
            if self.finished:
                return
            self.deadline_hit = True
            self.stopping = True
            self.terminate(self.pod.kill_grace_seconds, self.running())
            self._maybe_finish()
        self.report_if_finished()

    def kill(self, grace: float) -> None:
        with self._lock:
            if self.finished:
                return
            self.stopping = True
            self.terminate(grace, self.running())
            self._maybe_finish()
        self.report_if_finished()

    def terminate(self, grace: float, names: list[str]) -> None:
        """SIGTERM (through each emissary, which forwards it), SIGKILL the groups after `grace`."""
        self.executor.signal(names, signal.SIGTERM)
        if names:
            self._later(grace, lambda: self._escalate(names))

    def _escalate(self, names: list[str]) -> None:
        with self._lock:
            live = [n for n in names if n not in self.codes]
        if not live:
            return
        self.executor.signal(live, signal.SIGKILL)  # the child's group, or the emissary before it has one
        self._later(ESCALATE_EVERY, lambda: self._escalate(live))

    # -- the result ----------------------------------------------------------------------------
    def _ctr(self, name: str) -> str:
        return os.path.join(str(self.pod.argo_dir), "ctr", name)

    def _finish(self) -> None:
        self._wait_emissaries_gone()
        try:
            result = self.result()
        except Exception as exc:  # noqa: BLE001 - on_done must be called exactly once
            result = PodResult(phase="Error", message=f"host runtime: cannot collect the pod's outputs: {exc}")
        self._on_done(result)

    def _wait_emissaries_gone(self) -> None:
        """An emissary writes exitcode, notifies, then exits. Its container (every process of it)
        ended before that: the pod is reported at once, and the emissaries' own exit is handed to
        `exiting` (the backend waits for them when it closes), or else waited for here."""
        pids = [pid for name in self.launched if not self.executor.supervised(name)
                and (pid := read_int(ctr_file(str(self.pod.argo_dir), name, "pid")))]  # a supervisor lives on
        if self._exiting is not None:
            self._exiting(pids)
        else:
            wait_gone(pids, time.monotonic() + 2.0)

    def result(self) -> PodResult:
        codes = {c.name: self.codes.get(c.name) for c in self.pod.containers if c.name in self.launched}
        mains = [c.name for c in self.mains]
        return read_pod_result(self.pod, self.executor, PodEnd(codes, mains, error=self.error,
                                                              deadline_hit=self.deadline_hit,
                                                              failure=self.failure, ip="127.0.0.1"))

    def state(self) -> dict[str, Any]:
        return {"key": self.key, "launched": sorted(self.launched), "codes": self.codes}

    def __repr__(self) -> str:
        return f"HostPod({json.dumps(self.state())})"


def wait_gone(pids: list[int], end: float) -> None:
    """Wait (until `end`) for these processes to exit."""
    for pid in pids:
        if not _wait_exit(pid, end):
            while time.monotonic() < end and process_alive(pid):
                time.sleep(0.0005)


def _wait_exit(pid: int, end: float) -> bool:
    """Wait (until `end`) for process `pid` to exit, woken by the kernel through a pidfd rather
    than by polling. False: no pidfd here (old kernel), the caller polls instead."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    except (AttributeError, OSError):
        return False
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        poller.poll(max(0.0, end - time.monotonic()) * 1000)
    finally:
        os.close(fd)
    return True


def process_alive(pid: int) -> bool:
    """Running, not a zombie its parent has yet to reap."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def _end_groups(pgids: list[int | None]) -> None:
    """SIGKILL these process groups, never ours nor init's."""
    for pgid in pgids:
        if pgid is not None and pgid > 1 and pgid != os.getpgrp():
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
