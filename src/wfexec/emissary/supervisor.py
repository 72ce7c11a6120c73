"""One process that does the emissary's work for many sandboxed containers at once.

Why: a forked emissary costs about 3 ms of CPU per container (the fork of the warm server, the
copy-on-write faults of a Python process that runs, and its exit), as much as bwrap and the
command together. The same work done by one long-lived process costs 0.5–0.7 ms.

Which containers: sandboxed (bwrap), not part of a containerSet (they wait on each other's files)
and packing no artifact (those go to the server's heavy process). The engine marks them
`"supervise": true`; the fork server hands them to this process, which it forks on first need.

What it does per container is what `run.py`'s emissary does (the same class, its blocking parts
replaced by one poll loop): logs, times index, set-up retries of bwrap, the signal file, output
parameters, then `exitcode` and a line on the completion pipe. Differences, all on purpose:
- the container's `pid` file names this process, and an empty `supervised` file says so: the engine
  then signals the container's process group (`childpgid`) itself, since a signal to this process
  could not say which container it is for;
- orphans of a container (a `setsid` child) come to this process (a subreaper); once their container
  has ended they are found by their mount namespace, which is the container's, and killed;
- its soft limit of open files is raised to the hard one (each running container holds about six).

Lifetime: a session of its own, so it outlives the engine and the fork server, as emissaries do.
It answers `+N` on the server's stdout itself once a container's files name it; at the end of its
request pipe (the server is gone) it lets go of that stdout, runs what it has to the end, and exits.
Should it die, bwrap's --die-with-parent ends its sandboxes, and the engine, finding its pid gone
and no exitcode, fails those containers.
"""

from __future__ import annotations

import heapq
import json
import os
import select
import signal
import time

from wfexec.emissary.fdio import READ_SIZE, drain
from wfexec.emissary.layout import (
    EMISSARY_FAILED,
    SUPERVISED_MARK,
    ctr_dir,
    ctr_file,
    write_atomic,
    write_small,
)
from wfexec.emissary.outputs import save_outputs
from wfexec.emissary.run import (
    DRAIN_AFTER_EXIT,
    SANDBOX_RETRIES,
    SIGNAL_FILE_POLL,
    TERMINATING,
    Spec,
    _become_subreaper,
    _child_pid,
    _Emissary,
    _killpg,
    _noop,
)
from wfexec.emissary.wire import answer, read_frame, report

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

ORPHAN_LOOK_EVERY = 0.2  # seconds: how soon after its container ended an orphan is killed, at most
GROUP_GONE_WAIT = 2.0  # seconds, at most, between bwrap's exit and the container's end being said
GROUP_GONE_LOOK = 0.002  # seconds between looks at whether the container's processes are gone


class Container(_Emissary):
    """One container: set up, then driven by the supervisor's events until `exitcode` is written."""

    def __init__(self, spec: Spec, sup: Supervisor) -> None:
        super().__init__(spec)
        self.sup = sup
        self.pid = -1  # bwrap's outer process while it runs
        self.out_r = -1
        self.fds: set[int] = set()  # stdout and stderr pipes still open
        self.finished = False  # exitcode written
        self.info_r = -1
        self.info = b""
        self.status: int | None = None
        self.tries = 0
        self.delay = 0.01
        self.mnt_ns: str | None = None  # the sandbox's mount namespace, to know its orphans by

    # -- start ------------------------------------------------------------------------------------
    def _try_first(self) -> bool:
        s = self.spec
        stop = self._stop_before_start()
        if stop is not None:
            return self._done(stop)
        if not self._lookup(s.argv[0] if s.argv else ""):
            name = s.argv[0] if s.argv else ""
            return self._done(self._fail(f'failed to find name in PATH: exec: "{name}": executable file not '
                                         'found in $PATH'))
        try:
            for d in s.mkdirs:
                os.makedirs(d, exist_ok=True)
        except OSError as exc:
            return self._done(self._fail(f"failed to create {exc.filename}: {exc.strerror}"))
        return self._try()

    def _try(self) -> bool:
        started = self._start_child()
        if isinstance(started, int):
            return self._done(started)
        self.pid, self.out_r, err_r, self.info_r = started
        self.info, self.status = b"", None
        self.fds = {self.out_r, err_r}
        self.sup.watch(self, self.out_r, err_r, self.info_r)
        return True

    def _later(self, seconds: float, fn: Callable[[], None]) -> None:
        self.sup.later(seconds, lambda: self.sup.guard(self, fn))

    # -- events -----------------------------------------------------------------------------------
    def readable(self, fd: int, ev: int) -> None:
        """`ev` without POLLIN: the pipe's end (nothing to splice, and no time to record)."""
        if fd == self.info_r:
            return self._read_info()
        stdout = fd == self.out_r
        if stdout and ev & select.POLLIN and self._splice_stdout(fd):
            return
        if not self._read_and_tee(fd, stdout):
            self._close(fd)

    def _read_info(self) -> None:
        try:
            data = os.read(self.info_r, READ_SIZE)
        except OSError:
            data = b""
        if not data:
            self._close_info()
            return
        self.info += data
        pgid = _child_pid(self.info)
        if pgid is not None and self.pgid is None:
            try:
                self.mnt_ns = os.readlink(f"/proc/{pgid}/ns/mnt")
            except OSError:
                pass
            self._set_pgid(pgid)
            self.look_at_signal_file()  # sent while no childpgid was there to read

    def look_at_signal_file(self) -> None:
        sig = self._signal_file()
        if sig is not None:
            self._on_signal(sig, None)

    def exited(self, status: int) -> None:
        """bwrap's outer process ended: nothing of the container outlives it; read what is left."""
        self.status = status
        self.sup.forget_pid(self.pid)
        if self.pgid is not None:
            _killpg(self.pgid, signal.SIGKILL)
        self._close_info()
        if self.fds:
            tries = self.tries  # a later try (bwrap's set-up retried) drains on its own clock
            self._later(DRAIN_AFTER_EXIT, lambda: self._drained() if tries == self.tries else None)
        else:
            self._drained()

    def _close(self, fd: int) -> None:
        self.sup.unwatch(fd)
        os.close(fd)
        self.fds.discard(fd)
        if not self.fds and self.status is not None:
            self._drained()

    def _close_info(self) -> None:
        if self.info_r >= 0:
            self.sup.unwatch(self.info_r)
            os.close(self.info_r)
            self.info_r = -1

    def _drained(self) -> None:
        if self.status is None or self.pid < 0:
            return  # already handled (the pipes closed before the drain's deadline)
        status, self.pid = self.status, -1  # handled from here: closing the last pipe must not come back here
        for fd in list(self.fds):
            self._close(fd)
        code = self._child_code(status)
        stop = next((sig for sig in self.pending if sig in TERMINATING), None)
        if self.setup_fd >= 0 and not self.stop_seen and stop is None and self.tries < SANDBOX_RETRIES:
            # bwrap failed before the command ran (as run.py's _run_once): try again, a little later
            self.tries += 1
            os.close(self.setup_fd)
            self.setup_fd, self.setup_err = -1, b""
            self._later(self.delay, self._try)
            self.delay *= 2
            return
        if self.setup_fd >= 0 and stop is not None:
            code = 128 + stop
        self._end_setup()
        self._done_when_gone(code, time.monotonic() + GROUP_GONE_WAIT)

    def _done_when_gone(self, code: int, deadline: float) -> None:
        """The container's end is said once its processes are gone: the SIGKILL sent to its group at
        bwrap's exit takes effect when each is next scheduled, which on a busy machine is not at once
        (a background process whose output is a file holds no pipe to wait for)."""
        if self.pgid is not None and time.monotonic() < deadline and _group_alive(self.pgid):
            self._later(GROUP_GONE_LOOK, lambda: self._done_when_gone(code, deadline))
            return
        self._done(code)

    # -- the end ----------------------------------------------------------------------------------
    def _done(self, code: int) -> bool:
        """Outputs, exitcode, the completion line: as run.py's `run` after its `_Emissary.run`."""
        s = self.spec
        if self.finished:  # once only: one exitcode, one completion line
            return False
        self.finished = True
        try:
            if self.no_space is not None:
                code = self._fail(f"failed to save the container's output: {self.no_space}")
            elif s.save_outputs and self.started:
                try:
                    save_outputs(self._read_template(), s.argo_dir, s.path_map, self._say)
                except (OSError, ValueError) as exc:
                    self._say(f"failed to read template: {exc}")
        finally:
            for fd in (self.out_fd, self.comb_fd, self.times_fd):
                if fd >= 0:
                    os.close(fd)
            self.out_fd = self.comb_fd = self.times_fd = -1
            try:
                write_atomic(ctr_file(s.argo_dir, s.name, "exitcode"), str(code))
            finally:
                if s.notify_fd is not None:
                    try:
                        os.write(s.notify_fd, f"{s.notify_key}\n".encode())
                    except OSError:
                        pass
        return False


class Supervisor:
    """The poll loop: requests, the containers' pipes, their ends (SIGCHLD), and timers."""

    def __init__(self, requests: int, notify_fd: int) -> None:
        self.requests = requests
        self.notify_fd = notify_fd
        self.poller = select.poll()
        self.owner: dict[int, Container] = {}  # fd -> its container
        self.closed: set[int] = set()  # fds let go of in this round of events: their events are stale
        self.by_pid: dict[int, Container] = {}
        self.live: set[Container] = set()
        self.timers: list[tuple[float, int, Callable[[], None]]] = []
        self.seq = 0
        self.ended_ns: set[str] = set()  # mount namespaces of containers that ended: their orphans go
        self.next_orphan_look = 0.0
        self.next_signal_look = 0.0

    # -- for containers ---------------------------------------------------------------------------
    def watch(self, c: Container, out_r: int, err_r: int, info_r: int) -> None:
        self.live.add(c)
        self.by_pid[c.pid] = c
        for fd in (out_r, err_r, info_r):
            if fd >= 0:
                self.owner[fd] = c
                self.poller.register(fd, select.POLLIN)

    def unwatch(self, fd: int) -> None:
        if self.owner.pop(fd, None) is not None:
            self.poller.unregister(fd)
            self.closed.add(fd)  # its number may be reused before this round's events are all seen

    def forget_pid(self, pid: int) -> None:
        self.by_pid.pop(pid, None)

    def later(self, seconds: float, fn: Callable[[], None]) -> None:
        self.seq += 1
        heapq.heappush(self.timers, (time.monotonic() + seconds, self.seq, fn))

    def ended(self, c: Container) -> None:
        self.live.discard(c)
        if c.mnt_ns is not None:
            self.ended_ns.add(c.mnt_ns)
            self.next_orphan_look = min(self.next_orphan_look or float("inf"), time.monotonic() + ORPHAN_LOOK_EVERY)

    # -- the loop ---------------------------------------------------------------------------------
    def serve(self) -> int:
        self.wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, _noop)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # else every sandbox would ignore it (SIG_IGN survives exec)
        _more_files()
        _become_subreaper()
        self.poller.register(self.wake_r, select.POLLIN)
        self.poller.register(self.requests, select.POLLIN)
        while self.requests >= 0 or self.live:  # every timer is a live container's
            try:
                events = self.poller.poll(self._timeout())
            except InterruptedError:
                events = []
            self.closed.clear()
            for fd, ev in events:
                if fd in self.closed:
                    continue
                if fd == self.wake_r:
                    drain(fd)
                elif fd == self.requests:
                    self._request()
                else:
                    c = self.owner.get(fd)
                    if c is not None:
                        self.guard(c, lambda c=c, fd=fd, ev=ev: c.readable(fd, ev))
            self._reap()
            self._due()
        self._kill_orphans()
        return 0

    def _timeout(self) -> int:
        now = time.monotonic()
        ends = [self.timers[0][0]] if self.timers else []
        if self.live:
            ends.append(self.next_signal_look)
        if self.next_orphan_look:
            ends.append(self.next_orphan_look)
        if not ends:
            return -1
        return max(0, int((min(ends) - now) * 1000) + 1)

    def _due(self) -> None:
        now = time.monotonic()
        while self.timers and self.timers[0][0] <= now:
            _, _, fn = heapq.heappop(self.timers)
            fn()
        if self.live and now >= self.next_signal_look:
            self.next_signal_look = now + SIGNAL_FILE_POLL
            for c in list(self.live):
                if c.pid >= 0:
                    self.guard(c, c.look_at_signal_file)
        if self.next_orphan_look and now >= self.next_orphan_look:
            self.next_orphan_look = 0.0
            self._kill_orphans()

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            c = self.by_pid.get(pid)  # else an orphan that came to us: reaped, nothing more
            if c is not None:
                self.guard(c, lambda c=c, status=status: c.exited(status))

    def guard(self, c: Container, fn: Callable[[], object]) -> None:
        """A container's step; one that fails ends that container (it says why), never the loop."""
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - the other containers must go on
            report(f"supervisor: container {c.spec.argo_dir} {c.spec.name}: {exc!r}")
            self._abandon(c)
        if c.finished and c in self.live:
            self.ended(c)

    def _abandon(self, c: Container) -> None:
        for fd in [fd for fd, owner in self.owner.items() if owner is c]:
            self.unwatch(fd)
            try:
                os.close(fd)
            except OSError:
                pass
        if c.pid >= 0 and c.pgid is not None:
            _killpg(c.pgid, signal.SIGKILL)
        self.forget_pid(c.pid)
        c.pid, c.fds = -1, set()
        if not c.finished:
            try:
                c._done(EMISSARY_FAILED)
            except Exception:  # noqa: BLE001 - nothing more can be said
                c.finished = True
        self.ended(c)

    # -- requests ---------------------------------------------------------------------------------
    def _request(self) -> None:
        frame = read_frame(self.requests)
        if frame is None:  # the server is gone: no more requests, and no more answers on its stdout
            self.poller.unregister(self.requests)
            os.close(self.requests)
            self.requests = -1
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.close(devnull)
            return
        rid = None
        try:
            req = json.loads(frame)
            rid = req.get("id")
            spec = Spec(**req["spec"], notify_fd=self.notify_fd, passthrough=False)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            report(f"supervisor: bad request: {exc!r}")
            if rid is not None:
                answer(f"!{rid} the supervisor could not read the request: {exc!r}")
            return
        c = Container(spec, self)
        try:
            s = spec
            os.makedirs(ctr_dir(s.argo_dir, s.name), exist_ok=True)
            write_small(ctr_file(s.argo_dir, s.name, "pid"), str(os.getpid()))
            write_small(ctr_file(s.argo_dir, s.name, SUPERVISED_MARK), "")
        except OSError as exc:
            answer(f"!{rid} the supervisor could not prepare container {spec.name!r}: {exc!r}")
            return
        answer(f"+{rid}")
        self.live.add(c)
        self.guard(c, lambda: (c._open_logs(), c._try_first()))

    # -- orphans ----------------------------------------------------------------------------------
    def _kill_orphans(self) -> None:
        """Processes that came to us (a container's `setsid` children, say) and belong to no live
        container: SIGKILLed, as a container's end takes every process in it."""
        if not self.ended_ns:
            return
        live_ns = {c.mnt_ns for c in self.live if c.mnt_ns is not None}
        me = str(os.getpid()).encode()
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in self.by_pid:
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    if f.read().rsplit(b")", 1)[1].split()[1] != me:
                        continue
                ns = os.readlink(f"/proc/{entry}/ns/mnt")
            except (OSError, IndexError):
                continue
            if ns in self.ended_ns and ns not in live_ns:
                try:
                    os.kill(int(entry), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        self.ended_ns.clear()  # their processes were in this look, or gone


def _more_files() -> None:
    """Each running container holds about six descriptors here (its pipes and logs), where an
    emissary of its own had its own table: 300 at once would pass the usual soft limit of 1,024.
    The soft limit goes up to the hard one (at most 2**20, as container runtimes give), which the
    containers inherit, as they would in a pod."""
    import resource

    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = (1 << 20) if hard == resource.RLIM_INFINITY else min(hard, 1 << 20)
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    except (OSError, ValueError):
        pass


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group is left (a zombie counts: this loop reaps them, as their subreaper)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
