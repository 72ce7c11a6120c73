"""A warm parent that forks one emissary per container on request (the host runtime's).

Why: a fresh Python emissary costs ~25 ms to start; a fork of this already-warm process costs
about 1 ms. Each forked emissary calls setsid, so it outlives the engine and this server (an
engine killed with SIGKILL can re-attach from the files the emissary writes).

Protocol on stdin: a 4-byte big-endian length, then a JSON object `{"id": N, "spec": {...}}`
holding `wfexec.emissary.run.Spec` keyword arguments, and `"heavy": true` when that emissary will
import subprocess or the artifact packer (see `_loop`). The server exits at end of input (its
engine is gone, or done): running emissaries are not touched.

A request marked `"supervise": true` is not forked: it goes to the supervisor (supervisor.py), one
process forked on first need that runs such containers side by side and answers `+N` for them
itself. It holds stdout until its own input ends (this server is gone), so the end of file the
engine reads still means that every request sent was answered or never taken.

On stdout, one line per request: `+N` once its emissary is forked (written by the emissary
itself, before anything else, then it lets go of stdout), or `!N <why>` when none will run. So
when the engine reads end of file there, the server is gone and every emissary it forked has
said so: a request without an answer was never forked and can be sent to a new server.

Every emissary inherits `--notify-fd` and writes its `notify_key` plus a newline to it when done.
Exit status: 0 at end of input, 3 when the second (heavy) server died (see `_loop`), 4 when the
supervisor died.
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

# Imported here, once, so that every forked emissary finds them warm. Not subprocess nor the
# packer: both import threading, whose after-fork hook (and the larger heap) about doubles the
# cost of every fork (~0.5 ms); emissaries that need them import them themselves.
import fcntl  # noqa: E402,F401  (a C extension: each emissary would dlopen it again)
import select  # noqa: E402

from wfexec.emissary import outputs as _outputs  # noqa: E402,F401
from wfexec.emissary.run import Spec, run, warm_up  # noqa: E402
from wfexec.emissary.supervisor import Supervisor  # noqa: E402  (its first container need not wait for it)
from wfexec.emissary.wire import answer, read_exact, report  # noqa: E402

HEAVY_GONE = 3  # exit status: the second server died, requests sent to it may be lost
SUPERVISOR_GONE = 4  # exit status: the supervisor died, requests sent to it may be lost


def _child(spec: Spec, rid: object) -> None:
    """In the forked process: detach, say "forked" on stdout, then be the emissary."""
    code = 64
    acked = False
    try:
        os.setsid()
        _close_other_pipes()
        if _request_fd > 0:  # the second server's input: its end of file must not wait for us
            os.close(_request_fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDWR)
        if devnull != 0:
            os.dup2(devnull, 0)
        answer(f"+{rid}")
        acked = True
        if devnull != 1:
            try:  # let go of the answer pipe: its end of file tells the engine the server is gone
                os.dup2(devnull, 1)
            except OSError:
                pass
        if devnull > 1:
            os.close(devnull)
        code = run(spec)
    except BaseException as exc:  # noqa: BLE001 - report, never fall back into the server loop
        if not acked:
            answer(f"!{rid} the emissary of container {spec.name!r} failed to start: {exc!r}")
        report(f"emissary {spec.argo_dir} {spec.name}: {exc!r}")
    finally:
        os._exit(code)


def serve(notify_fd: int, supervisor_now: bool = False) -> int:
    """`supervisor_now`: fork the supervisor before the first request, not for it (a server started
    ahead of its engine, runtimes/host/prestart.py, has the time)."""
    global _supervisor_now
    _supervisor_now = supervisor_now
    warm_up()
    gc.collect()
    gc.freeze()  # forked children then never touch (copy) the server's objects when they collect
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps our emissaries
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the engine's to handle
    return _loop(0, notify_fd, heavy=True)


def _loop(fd: int, notify_fd: int, heavy: bool) -> int:
    """Fork an emissary per request read from `fd`. A request marked `"heavy"` (its emissary
    packs artifacts or runs the command unsandboxed through subprocess) goes, when `heavy`, to a
    second server, forked from this one on first need, that has those modules imported.

    Should that second server die, the requests in its pipe are lost: this one then exits with
    HEAVY_GONE, and the engine starts a new pair and sends again what was not answered."""
    global _heavy_w, _request_fd, _supervisor_w
    _request_fd = fd
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    if heavy and _supervisor_now:
        _supervisor_w = _start_supervisor(fd, notify_fd)
        poller.register(_supervisor_w, 0)  # errors only: the supervisor is gone
    while True:
        events = poller.poll()
        if _heavy_w >= 0 and any(f == _heavy_w for f, _ in events):  # POLLERR: no reader is left
            report("forkserver: the second (heavy) server has died; exiting")
            return HEAVY_GONE
        if _supervisor_w >= 0 and any(f == _supervisor_w for f, _ in events):
            report("forkserver: the supervisor has died; exiting")
            return SUPERVISOR_GONE
        head = read_exact(fd, 4)
        if not head:
            return 0
        body = read_exact(fd, struct.unpack(">I", head)[0])
        if not body:
            return 0
        rid = None
        try:
            req = json.loads(body)
            rid = req.get("id")
            if heavy and req.get("heavy"):
                if _heavy_w < 0:
                    _heavy_w = _start_heavy(fd, notify_fd)
                    poller.register(_heavy_w, 0)  # errors only: the second server is gone
                try:
                    _write_all(_heavy_w, head + body)
                except OSError as exc:
                    report(f"forkserver: the second (heavy) server has died: {exc}; exiting")
                    return HEAVY_GONE
                continue
            if heavy and req.get("supervise"):
                if _supervisor_w < 0:
                    _supervisor_w = _start_supervisor(fd, notify_fd)
                    poller.register(_supervisor_w, 0)  # errors only: the supervisor is gone
                try:
                    _write_all(_supervisor_w, head + body)
                except OSError as exc:
                    report(f"forkserver: the supervisor has died: {exc}; exiting")
                    return SUPERVISOR_GONE
                continue
            spec = Spec(**req["spec"], notify_fd=notify_fd, subreaper=True, passthrough=False)
        except (ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
            report(f"forkserver: bad request: {exc!r}")
            if rid is not None:
                answer(f"!{rid} the fork server could not read the request: {exc!r}")
            continue
        try:
            pid = os.fork()
        except OSError as exc:
            report(f"forkserver: fork failed: {exc}")
            answer(f"!{rid} the fork server could not fork an emissary: {exc}")
            continue
        if pid == 0:
            _child(spec, rid)


def _start_heavy(own_fd: int, notify_fd: int) -> int:
    """The second server: it ends at the end of its input, i.e. when this one ends."""
    r, w = os.pipe()
    if os.fork() == 0:
        code = 0
        try:
            os.close(w)
            os.close(own_fd)
            _close_other_pipes()
            import subprocess  # noqa: F401

            try:
                from wfexec.artifacts import pack  # noqa: F401
            except ImportError:
                pass
            gc.collect()
            gc.freeze()
            code = _loop(r, notify_fd, heavy=False)
        except BaseException as exc:  # noqa: BLE001 - never fall back into the parent's loop
            code = 1
            report(f"forkserver (heavy): {exc!r}")
        finally:
            os._exit(code)
    os.close(r)
    return w


def _start_supervisor(own_fd: int, notify_fd: int) -> int:
    """The supervisor: a session of its own (it outlives this server, as emissaries do); it ends
    once its input has ended and its containers with it."""
    r, w = os.pipe()
    if os.fork() == 0:
        code = 0
        try:
            os.setsid()
            os.close(w)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, own_fd)  # our stdin: its end of file is this server's, not ours to hold
            os.close(devnull)
            _close_other_pipes()
            code = Supervisor(r, notify_fd).serve()
        except BaseException as exc:  # noqa: BLE001 - never fall back into the parent's loop
            code = 1
            report(f"supervisor: {exc!r}")
        finally:
            os._exit(code)
    os.close(r)
    return w


def _close_other_pipes() -> None:
    """In a forked child: the pipes to the heavy server and the supervisor are this server's. Held
    by a child, they would keep those processes waiting for input as long as the child lives."""
    global _heavy_w, _supervisor_w
    for fd in (_heavy_w, _supervisor_w):
        if fd >= 0:
            os.close(fd)
    _heavy_w = _supervisor_w = -1  # the heavy server forks emissaries too: they must not close them again


_heavy_w = -1  # the pipe to the second server, once started (closed in every emissary)
_supervisor_w = -1  # the pipe to the supervisor, once started (closed in every emissary)
_request_fd = -1  # where this server reads its requests (closed in every emissary)
_supervisor_now = False  # --supervisor-now


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def main(argv: list[str]) -> int:
    notify_fd = int(argv[argv.index("--notify-fd") + 1])
    os.set_inheritable(notify_fd, False)  # emissaries get it by fork; commands never do
    return serve(notify_fd, supervisor_now="--supervisor-now" in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
