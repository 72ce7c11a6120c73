"""A warm Python for one KFP venv: kfp's executor already imported, forked once per task.

Run by the venv's own interpreter (`python -I warm_zygote.py ROOT IDLE`), stdlib and kfp only.
Starting Python and importing kfp is most of a lightweight task's cost; a fork of this process
costs a few milliseconds instead.

A task is asked for by `warm_client.py`, which runs as the step's command inside the step's
sandbox and sends, over `ROOT/warm.sock`, its argv (the component's source and args), env, cwd and
umask, with its stdin, stdout and stderr (SCM_RIGHTS). The forked child joins the client's user and
mount namespaces (so /tmp, /var/run/argo, the output paths and the cwd are the step's own), takes
those, and runs what KFP's program runs: the source written to a fresh temporary directory, then
`kfp.dsl.executor_main --component_module_path FILE ARGS…`. The server sends back the child's wait
status (`X`), or `F why` when the child could not enter the sandbox (the client then runs the task
itself). Signals the client gets arrive as `S<signo>` and go to the child's process group; the
client's end of the connection closing kills that group. The server leaves when idle for IDLE
seconds, or when its socket is removed or replaced.
"""

from __future__ import annotations

import array
import ctypes
import fcntl
import os
import selectors
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass

os.environ["_KFP_RUNTIME"] = "true"  # as KFP's program runs executor_main: the runtime subset of kfp
# What a task would import or compile on its first use (found by comparing sys.modules after one).
import argparse  # noqa: E402
import atexit  # noqa: E402
import bz2  # noqa: E402,F401
import lzma  # noqa: E402,F401
import random  # noqa: E402,F401
import shutil  # noqa: E402,F401
import tempfile  # noqa: E402
import threading  # noqa: E402
import traceback  # noqa: E402
import types  # noqa: E402

import kfp.dsl.executor_main  # noqa: E402  (the point of this process)

_EXECUTOR_SPEC = kfp.dsl.executor_main.__spec__
_EXECUTOR_CODE = _EXECUTOR_SPEC.loader.get_code(_EXECUTOR_SPEC.name)
_warm_parser = argparse.ArgumentParser(description="warm-up: compiles the patterns argparse caches")
_warm_parser.add_argument("--component_module_path", type=str)
_warm_parser.parse_args(["--component_module_path", "x"])

SOCKET = "warm.sock"
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def short_path(root: str, name: str, dir_fd: int) -> str:
    """A path for bind/connect within the 108 bytes an AF_UNIX address allows."""
    full = os.path.join(root, name)
    return full if len(full) < 100 else f"/proc/self/fd/{dir_fd}/{name}"


class Server:
    def __init__(self, root: str, idle: float) -> None:
        self.root, self.idle = root, idle
        self.sel = selectors.DefaultSelector()
        self.tasks: dict[int, tuple[socket.socket, int]] = {}  # child pid -> (client conn, pidfd)
        self.last = time.monotonic()

    def bind(self) -> None:
        self.dir_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        path = short_path(self.root, SOCKET, self.dir_fd)
        try:
            os.unlink(os.path.join(self.root, SOCKET))
        except FileNotFoundError:
            pass
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        os.chmod(os.path.join(self.root, SOCKET), 0o600)
        self.listener.listen(128)
        self.inode = os.stat(os.path.join(self.root, SOCKET)).st_ino
        self.sel.register(self.listener, selectors.EVENT_READ, ("accept", None))

    def serve(self) -> None:
        while True:
            for key, _ in self.sel.select(timeout=2.0):
                kind, pid = key.data
                if kind == "accept":
                    self.accept()
                elif kind == "client":
                    self.from_client(pid)
                else:
                    self.reap(pid)
            if not self.tasks and self.should_leave():
                return

    def should_leave(self) -> bool:
        try:
            if os.stat(os.path.join(self.root, SOCKET)).st_ino != self.inode:
                return True
        except OSError:
            return True
        return time.monotonic() - self.last > self.idle

    def accept(self) -> None:
        conn, _ = self.listener.accept()
        self.last = time.monotonic()
        fds: list[int] = []
        try:
            pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                                  struct.calcsize("3i")))
            if uid != os.getuid():
                conn.close()
                return
            conn.settimeout(10.0)
            head, anc, _flags, _addr = conn.recvmsg(4, socket.CMSG_SPACE(3 * 4))
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    got = array.array("i")
                    got.frombytes(data[:len(data) - len(data) % got.itemsize])
                    fds += list(got)
            if len(head) < 4 or len(fds) != 3:  # a liveness probe, or not a client
                raise OSError("no request")
            (size,) = struct.unpack("!I", head)
            payload = bytearray()
            while len(payload) < size:
                chunk = conn.recv(min(1 << 20, size - len(payload)))
                if not chunk:
                    raise OSError("short request")
                payload += chunk
            request = parse_request(bytes(payload))
            ns = (os.open(f"/proc/{pid}/ns/user", os.O_RDONLY), os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY))
        except (OSError, ValueError):
            conn.close()
            for fd in fds:
                os.close(fd)
            return
        sys.stdout.flush()
        sys.stderr.flush()
        child = os.fork()
        if child == 0:
            try:
                os._exit(Task(conn, fds, ns, request, self).run())
            except BaseException:
                os._exit(70)
        for fd in (*fds, *ns):
            os.close(fd)
        conn.setblocking(False)
        pidfd = os.pidfd_open(child)
        self.tasks[child] = (conn, pidfd)
        self.sel.register(conn, selectors.EVENT_READ, ("client", child))
        self.sel.register(pidfd, selectors.EVENT_READ, ("exit", child))

    def from_client(self, child: int) -> None:
        conn = self.tasks[child][0]
        try:
            data = conn.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the client is gone: so is its task
            self.sel.unregister(conn)
            _killpg(child, signal.SIGKILL)
            return
        for i in range(0, len(data) - 1, 2):
            if data[i:i + 1] == b"S":
                _killpg(child, data[i + 1])

    def reap(self, child: int) -> None:
        conn, pidfd = self.tasks.pop(child)
        _, status = os.waitpid(child, 0)
        self.sel.unregister(pidfd)
        os.close(pidfd)
        try:
            self.sel.unregister(conn)
        except KeyError:
            pass
        try:
            conn.setblocking(True)
            conn.sendall(b"X" + struct.pack("!i", status))
        except OSError:
            pass
        conn.close()
        self.last = time.monotonic()

    def child_closes(self, keep: set[int]) -> None:
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd > 2 and fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass


@dataclass
class Request:
    cwd: str
    umask: int
    argv: list[str]  # SOURCE, then the args
    env: dict[str, str]


def parse_request(payload: bytes) -> Request:
    """warm_client.py's request: cwd, umask, argv count, argv, KEY=VALUE…, NUL-separated."""
    fields = [os.fsdecode(f) for f in payload.split(b"\0")]
    count = int(fields[2])
    argv = fields[3:3 + count]
    if len(argv) != count or not argv:
        raise ValueError("short request")
    env = dict(kv.split("=", 1) for kv in fields[3 + count:] if "=" in kv)
    return Request(fields[0], int(fields[1]), argv, env)


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except OSError:
        pass


class Task:
    """One task, in the forked child: enter the client's sandbox, become its process, run kfp."""

    def __init__(self, conn: socket.socket, fds: list[int], ns: tuple[int, int], request: Request,
                 server: Server) -> None:
        self.conn, self.fds, self.ns, self.request, self.server = conn, fds, ns, request, server

    def run(self) -> int:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        os.setpgid(0, 0)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.server.child_closes({self.conn.fileno(), *self.fds, *self.ns})
        why = self.enter()
        if why:
            self.conn.sendall(b"F" + why.encode())
            return 0
        self.conn.close()
        for target, fd in enumerate(self.fds):
            os.dup2(fd, target)
            os.close(fd)
        req = self.request
        os.umask(req.umask)
        os.environ.clear()
        os.environ.update(req.env)
        os.environ["_KFP_RUNTIME"] = "true"
        try:
            os.chdir(req.cwd)
        except OSError:
            os.chdir("/")
        if os.environ.get("PYTHONUNBUFFERED"):  # read at start-up by a fresh Python; here, now
            for stream in (sys.stdout, sys.stderr):
                stream.reconfigure(write_through=True)
        extra = [p for p in os.environ.get("PYTHONPATH", "").split(":") if p]
        sys.path[:0] = [os.getcwd(), *extra]
        return run_executor(req.argv[0], req.argv[1:])

    def enter(self) -> str:
        """Join the client's user namespace (when it has its own) and mount namespace."""
        user, mnt = self.ns
        try:
            if os.fstat(user).st_ino != os.stat("/proc/self/ns/user").st_ino:
                _setns(user, CLONE_NEWUSER)
            if os.fstat(mnt).st_ino != os.stat("/proc/self/ns/mnt").st_ino:
                _setns(mnt, CLONE_NEWNS)
        except OSError as e:
            return f"cannot enter the step's sandbox: {e}"
        finally:
            os.close(user)
            os.close(mnt)
        return ""


def _setns(fd: int, kind: int) -> None:
    if _libc.setns(fd, kind) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def run_executor(source: str, args: list[str]) -> int:
    """What KFP's program does with SOURCE: a file in a new temporary directory, run by executor_main."""
    tempfile.tempdir = None  # the step's /tmp and $TMPDIR, not the server's
    path = os.path.join(tempfile.mkdtemp(), "ephemeral_component.py")
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(source)
    sys.argv = [kfp.dsl.executor_main.__file__, "--component_module_path", path, *args]
    main = types.ModuleType("__main__")  # run afresh as __main__, as `python -m` would
    main.__dict__.update(__file__=_EXECUTOR_SPEC.origin, __spec__=_EXECUTOR_SPEC, __package__="kfp.dsl",
                         __loader__=_EXECUTOR_SPEC.loader, __cached__=_EXECUTOR_SPEC.cached)
    sys.modules["__main__"] = main
    code = 0
    try:
        exec(_EXECUTOR_CODE, main.__dict__)
    except SystemExit as e:
        code = _exit_code(e.code)
    except BaseException:
        traceback.print_exc()
        code = 1
    for t in threading.enumerate():
        if t is not threading.main_thread() and not t.daemon:
            t.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120
    return code


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1


def _take(lock, root: str, wait: float = 10.0) -> bool:
    """The env's lock, unless another warm process serves it. One whose socket was removed holds
    the lock for up to 2 s more, until it sees that and leaves: it is waited for."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            pass
        if _serving(root) or time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _serving(root: str) -> bool:
    dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(short_path(root, SOCKET, dir_fd))
        return True
    except OSError:
        return False
    finally:
        os.close(dir_fd)


def main(argv: list[str]) -> int:
    root, idle = argv[0], float(argv[1])
    lock = open(os.path.join(root, "warm.lock"), "w")
    if not _take(lock, root):
        print("busy", flush=True)
        return 0
    server = Server(root, idle)
    server.bind()
    child = os.fork()
    if child:
        with open(os.path.join(root, "warm.pid"), "w") as f:  # for people, and tests: the tasks' parent
            f.write(f"{child}\n")
        print("ready", flush=True)
        os._exit(0)
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
