"""`python -m wfexec.warm.resident`: the warm engine of one home (`wfexec engine start`).

A `wfexec` command spends most of its time importing: the CLI, the linter, the store, and for
`submit` the engine that it forks. This process imports all of that once, then serves each
command in a fork of itself, as `wfexec` would have run it: the child takes the caller's
descriptors 0-2, directory, environment, umask and arguments, and runs `cli.main.entry`. A
submitted run's engine is forked from that child, as it is from a cold command, so it outlives
the command, this process and a `wfexec engine stop` alike.

This process stays small in what it does itself: it opens no run store (SQLite cannot be shared
across a fork) and starts no thread (a fork copies only the thread that forks). It serves only
its own user, only its own home, and only the code it has loaded: when a source file of wfexec
changes, it declines the next command (which then runs cold), takes no more, and exits once the
commands it runs have ended.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import resource
import select
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import wfexec
from wfexec.runtimes.host import prestart
from wfexec.warm.address import PROTOCOL, home_dir, socket_name
from wfexec.warm.client import BEHIND_WAIT_MS
from wfexec.warm.source_watch import SourceWatch

#: What a command loads: imported here once, so a forked command finds it ready.
PRELOAD = (
    "wfexec.cli.main", "wfexec.cli.common", "wfexec.cli.render", "wfexec.cli.cmd_submit", "wfexec.cli.cmd_runs",
    "wfexec.cli.cmd_logs", "wfexec.cli.cmd_lint", "wfexec.cli.cmd_watch", "wfexec.cli.cmd_suspend",
    "wfexec.cli.cmd_export", "wfexec.spec.lint", "wfexec.spec.formats", "wfexec.engine.store",
    "wfexec.engine.forked", "wfexec.engine.template_refs",
    # what a run's engine loads only for the workflows that need it (cold, a plain run skips them)
    "wfexec.expr.exprlang", "wfexec.expr.govaluate", "wfexec.expr.depends", "wfexec.engine.dag",
    "wfexec.engine.sync", "wfexec.engine.memo", "wfexec.engine.labels", "wfexec.engine.artifact_repos",
    "wfexec.cli.render", "wfexec.config",
    # what the standard library loads on first use, in the command or in its run's engine
    "secrets", "hmac", "_strptime", "concurrent.futures.thread",
)
#: Verbs that fork a run's engine, which takes the fork server started ahead (runtimes/host/prestart.py).
ENGINE_VERBS = frozenset({"submit"})
#: Verbs whose argument parsers are built before any fork.
COMMON_VERBS = ("submit", "list", "get", "logs", "wait", "watch", "lint")
#: Environment that decides which code a Python process runs: a command that sets these otherwise
#: than this process was started with runs cold.
CODE_ENV = ("PYTHONPATH", "PYTHONHOME")
#: Each connection's request must arrive within this (a client that stalls holds up the others).
REQUEST_TIMEOUT = 5.0
FDS = 3  # stdin, stdout, stderr


@dataclass
class Command:
    """One command as its caller would have run it."""

    argv: list[str]
    cwd: str
    umask: int
    env: dict[bytes, bytes]
    fds: list[int]


@dataclass
class Running:
    pid: int
    conn: socket.socket


@dataclass
class Resident:
    home: str
    idle: float
    listener: socket.socket
    started: float = field(default_factory=time.time)
    served: int = 0
    commands_cpu: float = 0.0  # seconds of CPU of the commands that have ended (not their runs' engines)
    stopping: bool = False
    running: dict[int, Running] = field(default_factory=dict)  # by pidfd
    given: dict[int, int] = field(default_factory=dict)  # fork servers handed to commands: pid by pidfd
    callers: dict[int, int] = field(default_factory=dict)  # a running command's pidfd by its caller's socket
    loaded: dict[str, tuple[int, int]] = field(default_factory=dict)
    sources: SourceWatch | None = None  # says when `loaded` is worth comparing again
    last_command: float = field(default_factory=time.monotonic)  # when one last started or ended

    def serve(self) -> None:
        poller = select.poll()
        poller.register(self.listener, select.POLLIN)
        poller.register(_WAKE[0], select.POLLIN)
        while True:
            if self.stopping and not self.running:
                return
            timeout: float | None = None
            if not self.running:
                timeout = self.idle - (time.monotonic() - self.last_command)  # `status` is no command
                if timeout <= 0:
                    return
            events = poller.poll(None if timeout is None else timeout * 1000)
            if _TERM:  # SIGTERM: no new command; those running end as they would
                self.stopping = True
            if self.stopping and self.listener.fileno() >= 0:
                poller.unregister(self.listener)
                self.listener.close()
            for fd, _ in events:
                if fd == _WAKE[0]:
                    os.read(fd, 64)
                elif fd in self.given:
                    poller.unregister(fd)
                    os.close(fd)
                    _reap(self.given.pop(fd))
                elif fd in self.running:
                    self._ended(fd, poller)
                elif fd in self.callers:
                    self._caller_gone(fd, poller)
                elif fd == self.listener.fileno() and not self.stopping:
                    self._accept(poller)

    # -- one connection ----------------------------------------------------------------------------
    def _accept(self, poller: select.poll) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        fds: list[int] = []
        try:
            conn.settimeout(REQUEST_TIMEOUT)
            peer, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
            if uid != os.getuid():
                return
            fields, fds = _receive(conn)
            if fields[:1] == [b"run"] and not _same_mounts(peer):
                conn.sendall(b"no other mount namespace\n")  # a sandboxed step: its files are not ours
                return
            kind = fields[0] if fields else b""
            if kind == b"status":
                conn.sendall(self._status().encode())
            elif kind == b"stop":
                self.stopping = True
                conn.sendall(f"stopping {os.getpid()} {len(self.running)}\n".encode())
            elif kind == b"run":
                why = self._declined(fields)
                if why:
                    conn.sendall(f"no {why}\n".encode())
                else:
                    self._fork(_command(fields, fds), conn, poller)
                    fds = []
                    conn = None  # type: ignore[assignment]  # kept until the command ends
        except (OSError, ValueError, IndexError):
            pass  # a client that went away or spoke another tongue: it runs its command itself
        finally:
            for fd in fds:
                os.close(fd)
            if conn is not None:
                conn.close()

    def _declined(self, fields: list[bytes]) -> str:
        """Why this process must not run the command (it then runs cold), or ''."""
        if fields[1] != PROTOCOL.encode():
            return "protocol"
        if os.fsdecode(fields[2]) != sys.executable or os.fsdecode(fields[3]) != wfexec.__file__:
            return "other code"
        if os.fsdecode(fields[4]) != self.home:
            return "other home"
        env = dict(e.split(b"=", 1) for e in fields[8 + int(fields[7]):] if b"=" in e)
        if any(env.get(k.encode()) != os.environb.get(k.encode()) for k in CODE_ENV):
            return "other code (PYTHONPATH)"
        if not os.path.isdir(os.fsdecode(fields[5])):
            return "no such directory"
        if (self.sources is None or self.sources.maybe_changed()) and _loaded() != self.loaded:
            self.stopping = True
            return "stale: a source file changed since it started"
        return ""

    def _fork(self, command: Command, conn: socket.socket, poller: select.poll) -> None:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        spare = prestart.spare()
        pid = os.fork()
        if pid == 0:
            if not (command.argv[:1] and command.argv[0] in ENGINE_VERBS):
                prestart.forget()
            self._child(command, conn)
        for fd in command.fds:
            os.close(fd)
        if spare is not None and command.argv[:1] and command.argv[0] in ENGINE_VERBS:  # the command's now
            prestart.forget()
            spare_fd = os.pidfd_open(spare.proc.pid)
            self.given[spare_fd] = spare.proc.pid
            poller.register(spare_fd, select.POLLIN)
        pidfd = os.pidfd_open(pid)
        self.running[pidfd] = Running(pid, conn)
        poller.register(pidfd, select.POLLIN)
        self.callers[conn.fileno()] = pidfd
        poller.register(conn, select.POLLIN)  # the caller sends nothing more: readable means it is gone
        self.served += 1
        self.last_command = time.monotonic()

    def _ended(self, pidfd: int, poller: select.poll) -> None:
        run = self.running.pop(pidfd)
        self.last_command = time.monotonic()
        if self.callers.pop(run.conn.fileno(), None) is not None:
            poller.unregister(run.conn)
        poller.unregister(pidfd)
        os.close(pidfd)
        _, status, usage = os.wait4(run.pid, 0)
        self.commands_cpu += usage.ru_utime + usage.ru_stime
        code = os.waitstatus_to_exitcode(status)
        try:
            run.conn.sendall(f"exit {code if code >= 0 else 128 - code}\n".encode())
        except OSError:
            pass
        run.conn.close()
        if prestart.spare() is None and not self.stopping:
            _prestart(self.home)  # for the next submit, once this command's caller has its status

    def _caller_gone(self, fd: int, poller: select.poll) -> None:
        """The caller went away (killed, or its terminal closed) before its command ended: the command
        gets the hang-up a process of a closed terminal gets, and its status goes nowhere."""
        poller.unregister(fd)
        run = self.running.get(self.callers.pop(fd))
        if run is not None:
            try:
                os.kill(run.pid, signal.SIGHUP)
            except OSError:
                pass

    def _status(self) -> str:
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started))
        own = resource.getrusage(resource.RUSAGE_SELF)
        return (f"status pid={os.getpid()} home={self.home} since={since} commands={self.served} "
                f"running={len(self.running)} idle={self.idle:g} "
                f"cpu={own.ru_utime + own.ru_stime:.6f} commands_cpu={self.commands_cpu:.6f}\n")

    # -- the forked command --------------------------------------------------------------------------
    def _child(self, command: Command, conn: socket.socket) -> None:
        """Run the command, then tell the caller its status itself: the caller need not wait for this
        process's teardown, nor for the warm engine to notice its end (which says it again, unread)."""
        code = 1
        try:
            # First, before any of the command runs: a caller that reads `exit` first knows nothing ran.
            conn.sendall(f"pid {os.getpid()}\n".encode())
            self.listener.close()
            for pidfd, run in self.running.items():
                os.close(pidfd)
                run.conn.close()
            for pidfd in self.given:
                os.close(pidfd)
            if self.sources is not None:
                self.sources.close()
            signal.set_wakeup_fd(-1)
            for fd in _WAKE:
                os.close(fd)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            for sig in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_DFL)
            _take(command)
            from wfexec.cli.main import main

            try:
                code = main(command.argv, own_process=True)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if not isinstance(exc.code, int | None):
                    sys.stderr.write(f"{exc.code}\n")
            _finish()
        except BaseException:  # noqa: BLE001 - the caller's stderr is the place to say it
            import traceback

            traceback.print_exc()
        finally:
            _flush()
            try:
                conn.sendall(f"exit {code}\n".encode())
            except OSError:
                pass  # the caller is gone
            os._exit(code)


def _receive(conn: socket.socket) -> tuple[list[bytes], list[int]]:
    """One request: its fields, and the descriptors that came with it."""
    data, fds = b"", []
    while len(data) < 4 or len(data) < 4 + int.from_bytes(data[:4], "big"):
        chunk, ancdata, _, _ = conn.recvmsg(1 << 16, socket.CMSG_SPACE(4 * FDS))
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds += list(struct.unpack(f"{len(payload) // 4}i", payload[: len(payload) - len(payload) % 4]))
        if not chunk:
            raise ValueError("the request ended early")
        data += chunk
    return data[4:].split(b"\0"), fds


def _command(fields: list[bytes], fds: list[int]) -> Command:
    count = int(fields[7])
    if len(fds) != FDS:
        raise ValueError("a command comes with its stdin, stdout and stderr")
    env = dict(e.split(b"=", 1) for e in fields[8 + count:] if b"=" in e)
    return Command([os.fsdecode(a) for a in fields[8:8 + count]], os.fsdecode(fields[5]), int(fields[6]), env, fds)


def _take(command: Command) -> None:
    """Become the caller's command: its descriptors, directory, umask, environment and arguments."""
    for target, fd in enumerate(command.fds):
        os.dup2(fd, target)
    for fd in command.fds:
        if fd > 2:
            os.close(fd)
    os.umask(command.umask)
    os.chdir(command.cwd)
    os.environb.clear()
    os.environb.update(command.env)
    sys.argv = ["wfexec", *command.argv]
    # Python's own streams, as a fresh process opens them on what the caller gave.
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own, for its life
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - line-buffered on a terminal
    sys.stderr = open(2, "w", buffering=1, errors="backslashreplace", closefd=False)  # noqa: SIM115
    for name in ("stdin", "stdout", "stderr"):  # what code that looks past a redirection finds
        setattr(sys, f"__{name}__", getattr(sys, name))


def _finish() -> None:
    """What the interpreter's exit would do: wait for the command's threads, run its exit hooks."""
    import atexit

    threading = sys.modules.get("threading")
    if threading is not None:
        for thread in threading.enumerate():
            if thread is not threading.main_thread() and not thread.daemon:
                thread.join()
    atexit._run_exitfuncs()


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _same_mounts(pid: int) -> bool:
    """Whether the caller sees the file system this process sees (a step in its sandbox does not:
    its directory, its /tmp and its files would be taken for the host's)."""
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink("/proc/self/ns/mnt")
    except OSError:
        return False


def _prestart(home: str) -> None:
    try:
        prestart.prestart(Path(home) / "logs" / f"forkserver-warm-{os.getpid()}.log")
    except OSError:
        pass  # the next run's engine starts its own


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _source_files() -> list[str]:
    """The loaded modules' wfexec source files."""
    paths = (getattr(module, "__file__", None) or "" for module in list(sys.modules.values()))
    return [path for path in paths if path.startswith(_PACKAGE)]


def _loaded() -> dict[str, tuple[int, int]]:
    """Each loaded wfexec source file's change time and size: a change means this process runs old code."""
    seen = {}
    for path in _source_files():
        try:
            st = os.stat(path)
        except OSError:
            st = None
        seen[path] = (st.st_mtime_ns, st.st_size) if st else (0, -1)
    return seen


_PACKAGE = str(Path(wfexec.__file__ or "").parent) + os.sep


def _preload() -> None:
    for module in PRELOAD:
        importlib.import_module(module)
    from wfexec.engine import forked
    from wfexec.spec.schema import closed_schema

    for module in (*forked.SHARED, *forked.ENGINE):
        importlib.import_module(module)
    closed_schema()  # the packaged schema, parsed once for every command's lint
    from wfexec.cli.main import build_parser

    for verb in COMMON_VERBS:
        build_parser(verb)
    import gc

    gc.collect()
    gc.freeze()  # a forked command's collections then never walk (and copy) what was loaded here


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m wfexec.warm.resident")
    parser.add_argument("--idle", type=float, required=True, help="exit after this many seconds without a command")
    parser.add_argument("--ready-fd", type=int, help="write `ready PID` here once listening")
    parser.add_argument("--after", type=int, help="started behind this command (warm/client.py): wait for it first")
    parser.add_argument("--after-ms", type=int, default=BEHIND_WAIT_MS, help="… but no longer than this")
    parser.add_argument("--quiet-if-taken", action="store_true", help="another engine listening is no error")
    parser.add_argument("--log", help="append stdout and stderr here")
    args = parser.parse_args(argv)
    if args.after is not None:
        _wait_for(args.after, args.after_ms)
    home = home_dir()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(socket_name(home))
    except OSError as exc:
        if args.quiet_if_taken and exc.errno == errno.EADDRINUSE:
            return 0
        print(f"wfexec engine: cannot listen for {home}: {exc}", file=sys.stderr)
        return 3
    if args.log:
        _log_to(Path(args.log))
    listener.listen(64)
    _preload()
    os.chdir("/")  # no directory of the caller's is held
    resident = Resident(home, args.idle, listener)
    resident.sources = SourceWatch(_source_files())  # before the stat of each: a change between them is seen
    resident.loaded = _loaded()
    _prestart(home)
    _WAKE.extend(os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC))
    signal.set_wakeup_fd(_WAKE[1])
    signal.signal(signal.SIGTERM, _on_term)
    if args.ready_fd is not None:
        os.write(args.ready_fd, f"ready {os.getpid()}\n".encode())
        os.close(args.ready_fd)
    resident.serve()
    return 0


def _wait_for(pid: int, most_ms: int) -> None:
    """Until the command that started this engine has ended (or `most_ms` passed): a short
    command then has both cores to itself, and a long one does not hold the engine back."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return  # it has ended already
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        poller.poll(most_ms)
    finally:
        os.close(fd)


def _log_to(path: Path) -> None:
    """Descriptors 1 and 2 to the home's engine log (made on a fresh home)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


_TERM: list[bool] = []  # set by SIGTERM
_WAKE: list[int] = []  # the pipe a signal wakes the loop's poll through


def _on_term(_sig: int, _frame: object) -> None:
    _TERM.append(True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
