"""A lightweight component's step command on the host runtime: hand the task to the env's warm process.

Installed into the venv's root as `wfexec-kfp-task` (its first line names a Python started with
-IS: a bare interpreter starts in milliseconds) and run as `wfexec-kfp-task PROGRAM SOURCE ARGS…`,
where PROGRAM is KFP's `sh -ec` program. It sends SOURCE, ARGS, its env, cwd and umask, and its
stdin/stdout/stderr to `warm.sock` beside it (see warm_zygote.py), forwards the signals it gets,
and ends as the task ended. When the warm process is not there, or cannot enter this sandbox, it
runs `sh -ec PROGRAM SOURCE ARGS…` itself, with the venv first on PATH: the same task, slower.
"""

import _signal as signal  # the C modules: `socket`, `signal` and `json` would double the start-up time
import _socket as socket
import _struct as struct
import os
import sys

SOCKET = "warm.sock"
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def fallback(program: str, rest: list[str]) -> None:
    os.execvp("sh", ["sh", "-ec", program, *rest])


def connect(root: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = os.path.join(root, SOCKET)
    if len(path) < 100:
        sock.connect(path)
        return sock
    here = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.chdir(root)
        sock.connect(SOCKET)
    finally:
        os.fchdir(here)
        os.close(here)
    return sock


def request(rest: list[str], umask: int, env: dict[str, str] | None) -> bytes:
    """cwd, umask, the argv count, argv, then KEY=VALUE of each env variable; NUL between (none
    of them can hold one)."""
    fields = [os.getcwdb(), b"%d" % umask, b"%d" % len(rest), *map(os.fsencode, rest)]
    if env is None:
        fields += [k + b"=" + v for k, v in os.environb.items()]
    else:
        fields += [os.fsencode(f"{k}={v}") for k, v in env.items()]
    return b"\0".join(fields)


def run_warm(root: str, rest: list[str], env: dict[str, str] | None = None) -> int | None:
    """Run SOURCE ARGS… (`rest`) in the warm process of venv `root`, with this process's stdio and
    cwd and `env` (default: ours); signals we get meanwhile are passed on. The task's wait status
    (as os.waitpid gives it), or None when the warm process cannot take it: run it yourself."""
    try:
        sock = connect(root)
    except OSError:
        return None
    umask = os.umask(0)
    os.umask(umask)
    payload = request(rest, umask, env)
    try:
        sock.sendmsg([struct.pack("!I", len(payload))],
                     [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("3i", 0, 1, 2))])
        sock.sendall(payload)
    except OSError:
        sock.close()
        return None

    def forward(signo: int, _frame: object) -> None:
        try:
            sock.send(b"S" + bytes([signo]))
        except OSError:
            pass

    before = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    reply = b""
    try:
        while True:
            try:
                chunk = sock.recv(4096)
            except OSError:
                break
            if not chunk:
                break
            reply += chunk
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
        sock.close()
    if reply[:1] == b"F":
        return None
    if reply[:1] != b"X" or len(reply) < 5:
        sys.stderr.write("wfexec-kfp-task: the warm Python process ended before the task did\n")
        return 70 << 8
    return struct.unpack("!i", reply[1:5])[0]


def main(argv: list[str]) -> None:
    if len(argv) < 3:
        sys.stderr.write("usage: wfexec-kfp-task PROGRAM SOURCE ARGS...\n")
        sys.exit(2)
    program, rest = argv[1], argv[2:]
    status = run_warm(os.path.dirname(os.path.abspath(argv[0])), rest)
    if status is None:
        fallback(program, rest)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


if __name__ == "__main__":
    main(sys.argv)
