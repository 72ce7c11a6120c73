"""Run one container's command the way Argo's emissary does, reporting only through files.

One emissary per container: it waits for containerSet dependencies, starts the child in its
own process group (inside a bubblewrap sandbox on the host runtime), forwards every signal it
gets to that group, tees stdout and stdout+stderr to `ctr/<name>/`, obeys `ctr/<name>/signal`,
reaps all children, saves the main container's outputs, and writes `ctr/<name>/exitcode` last.

The child's stdout does not pass through Python: it is spliced into `stdout`, which `combined`
is a hard link to until the two must differ, and the kernel copies it on from there.

Stdlib only, and cheap to run in a process forked from a warm parent (the host fork server).
"""

from __future__ import annotations

import _signal  # the C module: no enum wrapping, ~60 handlers per emissary
import json
import os
import select
import signal
import time

from wfexec.durations import DurationError
from wfexec.emissary import container_set
from wfexec.emissary.fdio import READ_SIZE, drain, widen_pipe, write_all
from wfexec.emissary.layout import EMISSARY_FAILED, ctr_dir, ctr_file, read_int, write_atomic, write_small
from wfexec.emissary.logs import LogTee
from wfexec.emissary.outputs import save_outputs, to_host

TYPE_CHECKING = False  # typing costs ~2 ms of a container's start: for annotations only
if TYPE_CHECKING:
    from typing import Any

    from wfexec.emissary.outputs import PathMap

SIGNAL_FILE_POLL = 0.2  # seconds between looks at ctr/<name>/signal
SANDBOX_RETRIES = 6  # bwrap set-up failures retried, 10 ms doubling (~0.6 s in all)
DRAIN_AFTER_EXIT = 1.0  # seconds to read what is left in the pipes once the child is gone
NOT_FORWARDED = {signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD, signal.SIGPIPE, signal.SIGURG}
_RESET_IN_CHILD = [s for s in (signal.SIGPIPE, getattr(signal, "SIGXFSZ", None)) if s is not None]
_FORWARDED = [int(s) for s in signal.valid_signals() if s not in NOT_FORWARDED]
TERMINATING = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT}


class Spec:
    """What to run and where to report. Plain attributes, JSON-friendly (sent to the fork server)."""

    def __init__(self, argv: list[str], argo_dir: str, name: str = "main", *,
                 env: dict[str, str] | None = None, cwd: str | None = None,
                 dependencies: list[str] | None = None, template: dict[str, Any] | None = None,
                 path_map: PathMap = (), sandbox: list[str] | None = None,
                 max_output_bytes: int | None = None, passthrough: bool = True,
                 notify_fd: int | None = None, notify_key: str = "", subreaper: bool = False,
                 save_outputs: bool | None = None, mkdirs: list[str] | None = None) -> None:
        self.argv = list(argv)
        self.argo_dir = argo_dir
        self.name = name
        self.env = env
        self.cwd = cwd
        self.dependencies = dependencies
        self.template = template
        self.path_map = [tuple(p) for p in path_map]
        self.sandbox = sandbox  # bwrap and its options, the command follows; None: run directly
        self.max_output_bytes = max_output_bytes
        self.passthrough = passthrough
        self.notify_fd = notify_fd
        self.notify_key = notify_key
        self.subreaper = subreaper
        self.save_outputs = (name == "main") if save_outputs is None else save_outputs
        self.mkdirs = list(mkdirs or [])  # host directories to create before the child starts


def run(spec: Spec) -> int:
    """Run the container to the end; return (and record) its exit code."""
    ctr = ctr_dir(spec.argo_dir, spec.name)
    code = EMISSARY_FAILED
    try:
        os.makedirs(ctr, exist_ok=True)
        write_small(ctr_file(spec.argo_dir, spec.name, "pid"), str(os.getpid()))
        code = _Emissary(spec).run()
    finally:
        try:
            write_atomic(ctr_file(spec.argo_dir, spec.name, "exitcode"), str(code))
        finally:
            _notify(spec)
    return code


def _notify(spec: Spec) -> None:
    if spec.notify_fd is None:
        return
    try:  # one short write (< PIPE_BUF) is atomic, whatever the other emissaries do
        os.write(spec.notify_fd, f"{spec.notify_key}\n".encode())
    except OSError:
        pass  # the engine is gone; it re-attaches from the exitcode file


class _Emissary(LogTee):
    def __init__(self, spec: Spec) -> None:
        super().__init__(spec)
        self.pending: list[int] = []
        self.pgid: int | None = None
        self.buf: bytearray | None = None  # for a big stream's slow path: no 1 MiB allocation per read
        self.started = False
        # sandboxed: a pipe holding one byte that bwrap reads (--block-fd) once its set-up is done;
        # while the byte is there, whatever comes on stderr is bwrap's and is held back. Still
        # open after a try: that try ended with bwrap's set-up unfinished
        self.setup_fd = -1
        self.setup_err = b""
        self.stop_seen = False  # a terminating signal came (from the engine, or forwarded by Docker)

    # -- set-up --------------------------------------------------------------------------
    def run(self) -> int:
        s = self.spec
        self._open_logs()
        self.wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, _noop)
        for sig in _FORWARDED:
            try:
                _signal.signal(sig, self._on_signal)
            except (OSError, ValueError, RuntimeError):
                pass
        if s.subreaper:
            _become_subreaper()
        try:
            template = s.template if s.template is not None else self._read_template()
        except (OSError, ValueError) as exc:
            return self._fail(f"failed to read template: {exc}")
        deps = s.dependencies if s.dependencies is not None else container_set.dependencies(template, s.name)
        code = self._wait_for_dependencies(deps)
        if code is not None:
            return code
        if not self._lookup(s.argv[0] if s.argv else ""):
            name = s.argv[0] if s.argv else ""
            return self._fail(f'failed to find name in PATH: exec: "{name}": executable file not found in $PATH')
        try:
            for d in s.mkdirs:
                os.makedirs(d, exist_ok=True)
        except OSError as exc:
            return self._fail(f"failed to create {exc.filename}: {exc.strerror}")
        try:
            retries, pause = container_set.retry_strategy(template)
        except DurationError as exc:
            return self._fail(f"containerSet.retryStrategy.duration: {exc}")
        code = self._run_once()
        if self.no_space is not None:
            return self._fail(f"failed to save the container's output: {self.no_space}")
        while code != 0 and retries > 0 and self.started and not self.stop_seen and self.no_space is None:
            # containerSet.retryStrategy: the container runs again inside the same pod
            retries -= 1
            self._say(f"exit code {code}; retrying ({retries} retries left)")
            if pause:
                self._sleep(pause)
            code = self._run_once()
        if s.save_outputs and self.started:  # as Argo: whatever the exit code, once the child ran
            self._wait_for_siblings(container_set.siblings(template, s.name))
            save_outputs(template, s.argo_dir, s.path_map, self._say)
        return code

    def _read_template(self) -> dict[str, Any]:
        with open(os.path.join(self.spec.argo_dir, "template")) as f:
            data = json.load(f)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data

    def _on_signal(self, signum: int, _frame: Any) -> None:
        if signum in TERMINATING:
            self.stop_seen = True
        if self.pgid is not None:
            _killpg(self.pgid, signum)
        else:
            self.pending.append(signum)

    def _fail(self, msg: str) -> int:
        self._say(msg)
        return EMISSARY_FAILED

    # -- before the child ------------------------------------------------------------------
    def _signal_file(self) -> int | None:
        path = ctr_file(self.spec.argo_dir, self.spec.name, "signal")
        sig = read_int(path)
        if sig is None:
            return None
        try:
            os.unlink(path)
        except OSError:
            pass
        return sig

    def _stop_before_start(self) -> int | None:
        """128+signal when a stop came (signal file or signal) before the child started."""
        sig = self._signal_file()
        if sig is not None:
            self.pending.append(sig)
        for sig in self.pending:
            if sig in TERMINATING or sig == signal.SIGKILL:
                return 128 + sig
        return None

    def _wait_for_dependencies(self, deps: list[str]) -> int | None:
        """Also where a stop that came before the child started is honoured (None: go on)."""
        stop = self._stop_before_start()
        if stop is not None:
            return stop
        delay = 0.002
        for dep in deps:
            path = ctr_file(self.spec.argo_dir, dep, "exitcode")
            while True:
                stop = self._stop_before_start()
                if stop is not None:
                    return stop
                code = read_int(path)
                if code is not None:
                    if code != 0:
                        return self._fail(f"dependency {dep!r} exited with non-zero code: {code}")
                    break
                self._sleep(delay)
                delay = min(delay * 2, 0.05)
        return None

    def _wait_for_siblings(self, names: list[str]) -> None:
        """Main of a containerSet: its outputs are saved once the containers that may run beside it
        have ended, so a file another container writes into a shared volume (Argo's
        workspace-workflow) is there. Argo saves at main's exit and leaves that to timing; a
        stop (a terminating signal or the signal file) ends the wait at once."""
        delay = 0.002
        for name in names:
            path = ctr_file(self.spec.argo_dir, name, "exitcode")
            while read_int(path) is None:
                sig = self._signal_file()
                if self.stop_seen or sig in TERMINATING or sig == signal.SIGKILL:
                    return
                self._sleep(delay)
                delay = min(delay * 2, 0.05)

    def _sleep(self, seconds: float) -> None:
        try:
            select.select([self.wake_r], [], [], seconds)
        except InterruptedError:
            pass
        drain(self.wake_r)

    def _lookup(self, cmd: str) -> bool:
        if not cmd:
            return False
        s = self.spec
        env = s.env if s.env is not None else os.environ
        if "/" in cmd:
            path = cmd if cmd.startswith("/") else os.path.join(s.cwd or os.getcwd(), cmd)
            candidates = [path]
        else:
            dirs = env.get("PATH", os.defpath).split(":")
            candidates = [os.path.join(d or ".", cmd) for d in dirs]
        for c in candidates:
            host = to_host(c, s.path_map) if s.sandbox is not None else c
            if os.path.isfile(host) and os.access(host, os.X_OK):
                return True
        return False

    # -- the child ---------------------------------------------------------------------------
    def _run_once(self) -> int:
        """Run the child once. A bwrap that failed before the command started is tried again:
        typically Docker mounting or unmounting a container's overlay while bwrap bound the host
        root (a transient "remount" error). Its message is dropped then, as the command never ran;
        when every try failed, bwrap's last word goes to the log."""
        code = self._run_child()
        delay = 0.01
        for _ in range(SANDBOX_RETRIES):
            if self.setup_fd < 0 or self.stop_seen:
                break
            stop = next((sig for sig in self.pending if sig in TERMINATING), None)
            if stop is not None:
                code = 128 + stop
                break
            os.close(self.setup_fd)
            self.setup_fd, self.setup_err = -1, b""
            self._sleep(delay)
            delay *= 2
            code = self._run_child()
        self._end_setup()
        return code

    def _run_child(self) -> int:
        started = self._start_child()
        if isinstance(started, int):
            return started
        return self._child_code(self._pump(*started))

    def _start_child(self) -> tuple[int, int, int, int] | int:
        """Spawn the child (bwrap's outer process, when sandboxed): (pid, stdout, stderr and info
        pipes to read), or the exit code of a spawn that failed."""
        s = self.spec
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        widen_pipe(out_r)  # big reads: fewer wake-ups per MB of output
        info_r = info_w = -1
        argv = s.argv
        pass_fds: tuple[int, ...] = ()
        if s.sandbox is not None:
            self.pgid = None  # a failed try's group is gone: signals wait for this one's
            info_r, info_w = os.pipe2(os.O_CLOEXEC)
            self.setup_fd, block_w = os.pipe2(os.O_CLOEXEC)
            os.write(block_w, b"\0")
            os.close(block_w)
            argv = [*s.sandbox, "--info-fd", str(info_w), "--block-fd", str(self.setup_fd), *s.argv]
            pass_fds = (info_w, self.setup_fd)
        try:
            pid = self._spawn(argv, out_w, err_w, pass_fds)
        except OSError as exc:
            for fd in (out_r, out_w, err_r, err_w, info_r, info_w):
                if fd >= 0:
                    os.close(fd)
            self._end_setup()
            return self._fail(f"failed to start command: {exc}")
        for fd in (out_w, err_w, info_w):
            if fd >= 0:
                os.close(fd)
        if s.sandbox is None:
            self._set_pgid(pid)
        else:
            os.set_inheritable(self.setup_fd, False)
        return pid, out_r, err_r, info_r

    def _child_code(self, status: int) -> int:
        """The container's exit code from the child's wait status (128+N when killed by signal N)."""
        code = os.waitstatus_to_exitcode(status)
        self.started = not self._in_setup() or self.started
        return 128 - code if code < 0 else code

    def _in_setup(self) -> bool:
        """bwrap has not yet read its --block-fd byte: the sandbox is not set up, the command has
        not run. Once it has, the held-back stderr (bwrap's, if any) goes to the log."""
        if self.setup_fd < 0:
            return False
        poller = select.poll()
        poller.register(self.setup_fd, select.POLLIN)
        if any(ev & select.POLLIN for _fd, ev in poller.poll(0)):
            return True
        self._end_setup()
        return False

    def _end_setup(self) -> None:
        """Close the set-up gate and log what bwrap said while behind it."""
        if self.setup_fd >= 0:
            os.close(self.setup_fd)
            self.setup_fd = -1
        held, self.setup_err = self.setup_err, b""
        if held:
            self._stderr_chunk(held)

    def _spawn(self, argv: list[str], out_w: int, err_w: int, pass_fds: tuple[int, ...]) -> int:
        """Start the child in a new process group. Sandboxed (bwrap, an absolute path, cwd set by
        bwrap) it is a posix_spawn, i.e. a vfork: no copy of this process's page tables."""
        s = self.spec
        sandboxed = s.sandbox is not None and os.path.isabs(argv[0])
        # unsandboxed (in a container) with our own environment and cwd, posix_spawnp searches the
        # same PATH that Popen would, and spares the import of subprocess (~6 ms of the start)
        if sandboxed or (s.sandbox is None and s.cwd is None and s.env is None):
            for fd in pass_fds:
                os.set_inheritable(fd, True)
            env = s.env if s.env is not None else os.environ
            spawn = os.posix_spawn if sandboxed or "/" in argv[0] else os.posix_spawnp
            # bwrap stays in our group (the command gets its own: --new-session), so that a clone
            # stranded in its set-up, when we are killed outright, is in a group the engine knows
            group = {} if sandboxed else {"setpgroup": 0}
            return spawn(argv[0], argv, env, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)],
                setsigdef=_RESET_IN_CHILD, **group)
        import subprocess

        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out_w, stderr=err_w, env=s.env,
                                cwd=s.cwd, process_group=0, pass_fds=pass_fds, close_fds=True)
        proc.returncode = 0  # reaped by us (waitpid(-1)), not by Popen
        return proc.pid

    def _set_pgid(self, pgid: int) -> None:
        self.pgid = pgid
        try:  # lets the engine SIGKILL the group itself (it cannot make us forward a SIGKILL)
            write_small(ctr_file(self.spec.argo_dir, self.spec.name, "childpgid"), str(pgid))
        except OSError:
            pass
        pending, self.pending = self.pending, []
        for sig in pending:
            _killpg(pgid, sig)

    def _pump(self, pid: int, out_r: int, err_r: int, info_r: int) -> int:
        poller = select.poll()
        for fd in (out_r, err_r, self.wake_r):
            poller.register(fd, select.POLLIN)
        info = b""
        if info_r >= 0:
            poller.register(info_r, select.POLLIN)
        open_fds = {out_r, err_r}
        status: int | None = None
        drain_until = 0.0
        next_signal_look = time.monotonic() + SIGNAL_FILE_POLL
        while status is None or open_fds:
            now = time.monotonic()
            if status is not None:
                if now >= drain_until:
                    break
                timeout = drain_until - now
            else:
                timeout = max(0.0, next_signal_look - now)
            try:
                events = poller.poll(timeout * 1000)
            except InterruptedError:
                events = []
            for fd, ev in events:
                if fd == self.wake_r:
                    drain(fd)
                    continue
                if fd == out_r and ev & select.POLLIN and self._splice_stdout(fd):
                    continue
                if fd == info_r:
                    try:
                        data = os.read(fd, READ_SIZE)
                    except OSError:
                        data = b""
                    if data:
                        info += data
                        pgid = _child_pid(info)
                        if pgid is not None and self.pgid is None:
                            self._set_pgid(pgid)
                    else:
                        poller.unregister(fd)
                        os.close(fd)
                        info_r = -1
                    continue
                if not self._read_and_tee(fd, fd == out_r):
                    poller.unregister(fd)
                    os.close(fd)
                    open_fds.discard(fd)
            if status is None:
                status = self._reap(pid)
                if status is not None:
                    if self.pgid is not None:  # like a container ending: nothing of it outlives it
                        _killpg(self.pgid, signal.SIGKILL)
                    drain_until = time.monotonic() + DRAIN_AFTER_EXIT
                    if info_r >= 0:
                        poller.unregister(info_r)
                        os.close(info_r)
                        info_r = -1
                elif time.monotonic() >= next_signal_look:
                    next_signal_look = time.monotonic() + SIGNAL_FILE_POLL
                    sig = self._signal_file()
                    if sig is not None:
                        self._on_signal(sig, None)
        for fd in open_fds:
            os.close(fd)
        self._reap_rest()
        return status

    def _read_and_tee(self, fd: int, is_stdout: bool) -> bool:
        """The slow path: a chunk of the child's stdout or stderr read and written where it goes.
        False at EOF. A reused buffer only once a read fills READ_SIZE: zeroing 1 MiB in every
        emissary cost more than all the small reads of a quiet step."""
        data: bytes | memoryview
        try:
            if self.buf is None:
                data = os.read(fd, READ_SIZE)
                if len(data) == READ_SIZE:
                    self.buf = bytearray(READ_SIZE)
            else:
                data = memoryview(self.buf)[:os.readv(fd, [self.buf])]
        except OSError:
            data = b""
        if not data:
            return False
        if not is_stdout and self.setup_fd >= 0 and self._in_setup():
            self.setup_err += data  # read before the look: written before bwrap's set-up ended
            return True
        if not is_stdout:
            self._stderr_chunk(data)
            return True
        if self.spec.passthrough:
            write_all(1, data)
        self._tee("stdout", data)
        if not self.shared:  # shared: that write was combined's too
            self._tee("combined", data)
        return True

    def _reap(self, child: int) -> int | None:
        """Reap every exited child (orphans too, when we are PID 1 or a subreaper)."""
        found = None
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return found
            if pid == 0:
                return found
            if pid == child:
                found = status

    def _reap_rest(self) -> None:
        """Orphans we adopted: most were SIGKILLed with the group; one that left it (setsid) is
        SIGKILLed here, as a container's end takes every process in it. Collect them, briefly."""
        if not (self.spec.subreaper or os.getpid() == 1):
            return
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                _kill_children()
                time.sleep(0.001)


def _child_pid(info: bytes) -> int | None:
    try:
        return int(json.loads(info)["child-pid"])
    except (ValueError, KeyError, TypeError):
        return None


def _kill_children() -> None:
    """SIGKILL our live children (adopted orphans, once the container's own child has ended)."""
    me = str(os.getpid()).encode()
    pids = []
    for entry in os.listdir("/proc"):  # /proc/PID/task/PID/children is not on every kernel
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[1] == me:  # field 4: the parent's pid
                    pids.append(int(entry))
        except (OSError, IndexError):
            continue
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _noop(_signum: int, _frame: Any) -> None:
    """SIGCHLD only needs to wake the poll (through the wakeup fd)."""


def _become_subreaper() -> None:
    """Orphaned grandchildren come to us rather than to init, so we can reap them."""
    global _prctl
    try:
        if _prctl is None:
            import ctypes

            _prctl = ctypes.CDLL(None, use_errno=True).prctl
        _prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (ImportError, OSError, AttributeError):
        pass


_prctl: Any = None  # libc's prctl, looked up once (in the fork server, before it forks)


def warm_up() -> None:
    """Called by the fork server: resolve now what every emissary would otherwise resolve."""
    global _prctl
    try:
        import ctypes

        _prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        pass
