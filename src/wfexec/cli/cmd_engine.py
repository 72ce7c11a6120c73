"""`wfexec engine start|stop|status`: the warm engine of this home (wfexec/warm)."""

from __future__ import annotations

import argparse
import os
import select
import subprocess
import sys
import time

from wfexec.cli.common import console
from wfexec.cli.timespec import parse_duration
from wfexec.errors import WfexecError
from wfexec.home import wfexec_home
from wfexec.warm.address import home_dir
from wfexec.warm.client import ask

#: How long `start` waits for the engine to listen (it imports every command's modules first).
START_TIMEOUT = 60.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("engine", help="a warm engine for this home: each command starts in a few milliseconds",
                       description="A resident process for $WFEXEC_HOME that has wfexec loaded; every `wfexec` "
                                   "command of this user and home runs in a fork of it, with the command's own "
                                   "arguments, directory, environment and terminal. A command typed at a "
                                   "terminal starts one when none runs (WFEXEC_WARM=auto, the default; on: "
                                   "from scripts too; off: never).")
    act = p.add_subparsers(dest="engine_command", metavar="ACTION", required=True)
    start = act.add_parser("start", help="start it (a no-op when one runs)")
    start.add_argument("--idle", default="30m", help="exit after this long without a command (default 30m)")
    start.set_defaults(func=run_start)
    act.add_parser("stop", help="stop it; the commands it runs end as they would").set_defaults(func=run_stop)
    act.add_parser("status", help="whether it runs, since when, and how many commands it ran").set_defaults(
        func=run_status)


def run_start(args: argparse.Namespace) -> int:
    idle = parse_duration(args.idle, "--idle")
    home = home_dir()
    status = ask(home, "status")
    if status is not None:
        console.print(f"a warm engine already runs for {home} (pid {_fields(status)['pid']})")
        return 0
    log_path = wfexec_home() / "logs" / "warm-engine.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    ready_r, ready_w = os.pipe()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - this interpreter, this package
            [sys.executable, "-m", "wfexec.warm.resident", "--idle", str(idle), "--ready-fd", str(ready_w)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(ready_w,), start_new_session=True)
    os.close(ready_w)
    try:
        said = _read_until_eof(ready_r, START_TIMEOUT)
    finally:
        os.close(ready_r)
    if not said.startswith("ready "):
        code = proc.poll()
        if code == 3 and ask(home, "status") is not None:  # another start won the race
            console.print(f"a warm engine already runs for {home}")
            return 0
        raise WfexecError(f"the warm engine did not start (exit status {code}); see {log_path}")
    console.print(f"warm engine started for {home} (pid {said.split()[1]}); it exits after {args.idle} "
                  "without a command, or on `wfexec engine stop`")
    return 0


def _ask(kind: str) -> tuple[str, str | None]:
    """This home, and its warm engine's answer to `kind` (None, said, when none runs)."""
    home = home_dir()
    answer = ask(home, kind)
    if answer is None:
        console.print(f"no warm engine runs for {home}")
    return home, answer


def run_stop(_args: argparse.Namespace) -> int:
    home, answer = _ask("stop")
    if answer is None:
        return 0
    _, pid, running = answer.split()  # it has stopped listening already: the next command runs cold
    tail = f"; it exits once its {running} running command(s) end" if running != "0" else ""
    console.print(f"warm engine stopped for {home} (pid {pid}){tail}")
    return 0


def run_status(_args: argparse.Namespace) -> int:
    _, answer = _ask("status")
    if answer is None:
        return 1
    f = _fields(answer)
    console.print(f"warm engine for {f['home']}: pid {f['pid']}, since {f['since']}, {f['commands']} command(s) "
                  f"run, {f['running']} running, exits after {float(f['idle']):g}s idle")
    return 0


def _fields(status: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in status.split()[1:] if "=" in part)


def _read_until_eof(fd: int, timeout: float) -> str:
    chunks, deadline = [], time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0 and select.select([fd], [], [], left)[0]:
        chunk = os.read(fd, 256)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")
