"""The command's side of the warm engine: hand the command over, relay signals, return its status.

Runs in every `wfexec` start before anything else is imported, so it uses the interpreter's
built-in `_socket` and `_signal` (their wrapper modules pull in `enum`, `selectors` and more).

What the engine gets: the arguments, the working directory, the whole environment, the umask
and descriptors 0, 1 and 2 themselves (SCM_RIGHTS), so the command reads the same stdin and
writes to the same terminal or pipe as it would have. What comes back, one line each:
`pid N` (the command's process, for the signals this process receives, sent by it before it runs
anything), then `exit N` (sent by the command after its last write, and again by the engine when
it reaps it, which covers a command killed by a signal; the first one counts). An
engine that cannot take the command (other code, another interpreter) answers `no WHY`, and
the command runs here; so does every command when no engine answers at all.

When none answers, a command typed at a terminal starts one behind it (`WFEXEC_WARM`: `auto`, the
default; `on` starts one from scripts as well, `off` never uses one), as build tools start their
daemons: the first command runs cold, and the commands after it find the engine warm.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # signal.py would import enum; typeshed has no stub for the C module
import _socket
import os
import sys

from wfexec.warm.address import PROTOCOL, frame, home_dir, socket_name

#: Verbs that never go to the warm engine: its own management, the long-lived server (its own
#: process, its own signals), and the wrapper that runs inside containers.
OWN_PROCESS = frozenset({"engine", "server", "emissary"})
#: What a terminal (or `kill`) sends that the command must get instead of this process.
RELAYED = (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP, _signal.SIGQUIT, _signal.SIGWINCH,
           _signal.SIGUSR1, _signal.SIGUSR2)


def forward(argv: list[str]) -> int | None:
    """Run the command in this home's warm engine: its exit status, or None when there is no
    engine, or it declined (the caller then runs the command itself)."""
    mode = os.environ.get("WFEXEC_WARM", "auto")
    if (argv[:1] and argv[0] in OWN_PROCESS) or mode == "off":
        return None
    home = home_dir()
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        try:
            sock.connect(socket_name(home))
        except OSError:
            if argv and not argv[0].startswith("-") and (mode == "on" or (mode == "auto" and os.isatty(2))):
                start_behind(home, announce=mode == "auto")
            return None
        return _handed(sock, home, argv)
    except OSError:
        return None
    finally:
        sock.close()


#: How long a warm engine started behind a command waits for that command to end before it loads
#: (so the two do not share the cores), and how long it then stays without a command.
BEHIND_WAIT_MS = 1000
BEHIND_IDLE_S = 1800


def start_behind(home: str, announce: bool) -> None:
    """Start this home's warm engine in its own session, to listen once this command has ended.
    Concurrent starts are harmless: the engine that binds the home's name first serves, the others exit."""
    devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    try:
        os.posix_spawn(sys.executable, [
            sys.executable, "-m", "wfexec.warm.resident", "--idle", str(BEHIND_IDLE_S),
            "--after", str(os.getpid()), "--after-ms", str(BEHIND_WAIT_MS), "--quiet-if-taken",
            "--log", os.path.join(home, "logs", "warm-engine.log"),
        ], os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)], setsid=True)
    except OSError as exc:
        sys.stderr.write(f"wfexec: could not start a warm engine ({exc.strerror}); commands run cold\n")
        return
    finally:
        os.close(devnull)
    if announce:
        sys.stderr.write("wfexec: starting a warm engine for this home in the background, so the commands after "
                         "this one start faster (`wfexec engine stop` stops it; WFEXEC_WARM=off never starts one)\n")


def request(home: str, argv: list[str]) -> list[bytes]:
    """The fields of a command's request (see resident.py for their reading)."""
    import wfexec

    mask = os.umask(0)
    os.umask(mask)
    env = [k + b"=" + v for k, v in os.environb.items()]
    return [b"run", PROTOCOL.encode(), os.fsencode(sys.executable), os.fsencode(wfexec.__file__ or ""),
            os.fsencode(home), os.fsencode(os.getcwd()), str(mask).encode(), str(len(argv)).encode(),
            *map(os.fsencode, argv), *env]


def _handed(sock: _socket.socket, home: str, argv: list[str]) -> int | None:
    fds = b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in (0, 1, 2))
    data = frame(request(home, argv))
    sent = sock.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
    if sent < len(data):
        sock.sendall(data[sent:])
    lines = _Lines(sock)
    first = lines.next()
    if first is None or not first.startswith(b"pid "):
        if first is not None and first.startswith(b"no ") and b"stale" in first:
            sys.stderr.write(f"wfexec: the warm engine of {home} ran older code and has stopped; "
                             "`wfexec engine start` starts one with this code\n")
        return None
    relay = _Relay(int(first[4:]))
    try:
        last = lines.next()
    finally:
        relay.undo()
    if last is None or not last.startswith(b"exit "):
        sys.stderr.write("wfexec: the warm engine went away before the command ended\n")
        return 1
    return int(last[5:])


class _Lines:
    """The engine's answer lines."""

    def __init__(self, sock: _socket.socket) -> None:
        self.sock, self.buf = sock, b""

    def next(self) -> bytes | None:
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line


class _Relay:
    """While the command runs: the signals this process gets go to it. Ctrl-Z stops it and then
    this process, as a shell expects of its job; the shell's SIGCONT wakes both."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        # What the caller ignores (a job started in the background by a script: SIGINT, SIGQUIT) stays
        # ignored, as in a command run in this process, which inherits that.
        self.before = {sig: _signal.signal(sig, self._pass) for sig in RELAYED
                       if _signal.getsignal(sig) is not _signal.SIG_IGN}
        self.before[_signal.SIGTSTP] = _signal.signal(_signal.SIGTSTP, self._stop)
        self.before[_signal.SIGCONT] = _signal.signal(_signal.SIGCONT, self._cont)

    def _pass(self, sig: int, _frame: object) -> None:
        try:
            os.kill(self.pid, sig)
        except OSError:
            pass  # it has ended; its status is on its way

    def _stop(self, _sig: int, _frame: object) -> None:
        try:
            os.kill(self.pid, _signal.SIGTSTP)
        except OSError:
            pass
        _signal.signal(_signal.SIGTSTP, _signal.SIG_DFL)
        os.kill(os.getpid(), _signal.SIGTSTP)  # stopped here until SIGCONT
        _signal.signal(_signal.SIGTSTP, self._stop)

    def _cont(self, sig: int, _frame: object) -> None:
        self._pass(sig, _frame)

    def undo(self) -> None:
        for sig, handler in self.before.items():
            _signal.signal(sig, handler)


def ask(home: str, kind: str) -> str | None:
    """A management request (`status`, `stop`) to the warm engine of `home`: its answer line,
    or None when none answers."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(socket_name(home))
        sock.sendall(frame([kind.encode()]))
        line = _Lines(sock).next()
    except OSError:
        return None
    finally:
        sock.close()
    return None if line is None else line.decode(errors="replace")
