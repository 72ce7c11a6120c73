"""A warm parent that forks one emissary per container on request (the host runtime's).

Why: a fresh Python emissary costs ~25 ms to start; a fork of this already-warm process costs
about 1 ms. Each forked emissary calls setsid, so it outlives the engine and this server (an
engine killed with SIGKILL can re-attach from the files the emissary writes).

Protocol on stdin: a 4-byte big-endian length, then a JSON object `{"spec": {...}}` holding
`wfexec.emissary.run.Spec` keyword arguments. The server exits at end of input. Every
emissary inherits `--notify-fd` and writes its `notify_key` plus a newline to it when done.
Stdlib only; started as `python -S -E -s forkserver.py --notify-fd N`.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import struct
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# Imported here, once, so that every forked emissary finds them warm.
import select  # noqa: E402,F401
import subprocess  # noqa: E402,F401

from wfexec.emissary import outputs as _outputs  # noqa: E402,F401  (pulls in the packer)
from wfexec.emissary.run import Spec, run, warm_up  # noqa: E402


def _read_exact(fd: int, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return b""
        buf += chunk
    return buf


def _child(spec: Spec) -> None:
    """In the forked process: detach, then be the emissary."""
    code = 64
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.close(devnull)
        code = run(spec)
    except BaseException as exc:  # noqa: BLE001 - report, never fall back into the server loop
        try:
            os.write(2, f"emissary {spec.argo_dir} {spec.name}: {exc!r}\n".encode())
        except OSError:
            pass
    finally:
        os._exit(code)


def serve(notify_fd: int) -> None:
    warm_up()
    gc.collect()
    gc.freeze()  # forked children then never touch (copy) the server's objects when they collect
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps our emissaries
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the engine's to handle
    while True:
        head = _read_exact(0, 4)
        if not head:
            return
        body = _read_exact(0, struct.unpack(">I", head)[0])
        if not body:
            return
        try:
            req = json.loads(body)
            spec = Spec(**req["spec"], notify_fd=notify_fd, subreaper=True, passthrough=False)
        except (ValueError, KeyError, TypeError) as exc:
            os.write(2, f"forkserver: bad request: {exc}\n".encode())
            continue
        try:
            pid = os.fork()
        except OSError as exc:
            os.write(2, f"forkserver: fork failed: {exc}\n".encode())
            continue
        if pid == 0:
            _child(spec)


def main(argv: list[str]) -> int:
    notify_fd = int(argv[argv.index("--notify-fd") + 1])
    os.set_inheritable(notify_fd, False)  # emissaries get it by fork; commands never do
    serve(notify_fd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
