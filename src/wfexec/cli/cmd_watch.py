"""`wfexec watch RUN`, and the following behind `submit --wait/--watch`: the engine runs elsewhere.

The run is driven by a detached engine (`api.start_background`); these commands only read the
store. Ctrl-C therefore ends the watching, never the run, and says how to pick it up again.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from wfexec.cli.cmd_runs import RUN_HELP, get_run
from wfexec.cli.common import open_store
from wfexec.cli.render import run_lines
from wfexec.cli.term import stdout_terminal, write_lines
from wfexec.engine import api
from wfexec.engine import nodes as N
from wfexec.engine.handoff import wait_ended
from wfexec.engine.store import RunRecord, Store, pid_alive
from wfexec.errors import WfexecError

REDRAW_SECONDS = 0.5
PIPED_POLL_SECONDS = 0.2  # piped: how often the store is read for a change to print
#: Home the cursor and clear the screen, as `argo watch` redraws.
CLEAR = "\x1b[H\x1b[2J"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("watch", help="watch a run until it ends")
    p.add_argument("run", help=RUN_HELP)
    p.set_defaults(func=cmd_watch)


def cmd_watch(args: argparse.Namespace) -> int:
    store = open_store()
    rec = get_run(store, args.run)
    return 0 if watch(store, rec.name) == N.SUCCEEDED else 1


def ended(rec: RunRecord) -> bool:
    return rec.phase not in (N.PENDING, N.RUNNING)


class Follower:
    """Reads the run from the store; every few seconds makes sure an engine still drives it.

    An engine that died mid-run is started again (as any command reading the store does); one
    this command started that exited before taking the run is an error quoting its log.
    """

    CHECK_SECONDS = 2.0

    def __init__(self, store: Store, name: str, spawned: int | None = None, done_fd: int | None = None) -> None:
        self.store, self.name, self.spawned = store, name, spawned
        self.done_fd = done_fd  # readable once the engine we started has ended (engine/handoff.py)
        self._next_check = time.monotonic() + self.CHECK_SECONDS

    def pause(self, seconds: float) -> None:
        """Until the next look at the store: the engine's end when we hold its pipe (no timer then,
        beyond the check that an engine still drives the run), else `seconds`."""
        if self.done_fd is None:
            time.sleep(seconds)
            return
        if wait_ended(self.done_fd, max(seconds, self._next_check - time.monotonic())):
            os.close(self.done_fd)
            self.done_fd = None
            self._next_check = time.monotonic()  # ended, or died: the next read tells which

    def read(self) -> RunRecord:
        rec = self.store.get_run(self.name)
        if not ended(rec) and time.monotonic() >= self._next_check:
            self._next_check = time.monotonic() + self.CHECK_SECONDS
            if api.needs_resume(rec):
                if rec.started_at:
                    api.heal(self.store, rec)
                elif self.spawned and not pid_alive(self.spawned):
                    rec = self.store.get_run(self.name)
                    if api.needs_resume(rec) and not rec.started_at:
                        raise WfexecError(f"the engine of run {self.name} exited before starting it: "
                                          f"{_last_line(api.run_dir(self.name) / 'engine.log')}")
        return rec


def _last_line(log: Path) -> str:
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        lines = []
    return f"{lines[-1].strip()} (see {log})" if lines else f"it wrote nothing (see {log})"


def wait_for_end(store: Store, name: str, spawned: int | None = None, done_fd: int | None = None) -> str:
    """Wait until the run ends; its final phase. Ctrl-C leaves the run going (see `interrupted`)."""
    follower = Follower(store, name, spawned, done_fd)
    try:
        rec = follower.read()
        while not ended(rec):
            follower.pause(0.2)
            rec = follower.read()
        return rec.phase
    except KeyboardInterrupt:
        interrupted(name)
        raise SystemExit(130) from None


def watch(store: Store, name: str, spawned: int | None = None, done_fd: int | None = None) -> str:
    """Redraw the summary and tree until the run ends (a terminal), or print each new view (piped)."""
    term = stdout_terminal()
    follower = Follower(store, name, spawned, done_fd)
    try:
        if term.width is None:
            return _watch_piped(store, name, follower)
        rec = follower.read()
        while term.width is not None and not ended(rec):
            term = stdout_terminal()  # the window may be resized
            sys.stdout.write(CLEAR)
            write_lines(run_lines(rec, store.get_nodes(name), term))
            time.sleep(REDRAW_SECONDS)
            rec = follower.read()
        while not ended(rec):
            follower.pause(0.2)
            rec = follower.read()
        if term.width is not None:
            sys.stdout.write(CLEAR)
        write_lines(run_lines(rec, store.get_nodes(name), term))
        return rec.phase
    except KeyboardInterrupt:
        interrupted(name)
        raise SystemExit(130) from None


def _watch_piped(store: Store, name: str, follower: Follower) -> str:
    """Piped, no screen to redraw: each view that differs from the last (a phase or a message changed, a step
    came), plain, a blank line between two. argo prints one every second whatever changed; a log of the
    same view over and over tells nothing, so only changes are printed here. The last view is the final one."""
    shown: tuple[object, ...] | None = None
    rec = follower.read()
    while True:
        nodes = store.get_nodes(name)
        state = (rec.phase, rec.message, sorted((i, n.get("phase"), n.get("message") or "") for i, n in nodes.items()))
        if state != shown:
            if shown is not None:
                sys.stdout.write("\n")
            write_lines(run_lines(rec, nodes, stdout_terminal()))
            shown = state
        if ended(rec):
            return rec.phase
        time.sleep(PIPED_POLL_SECONDS)
        rec = follower.read()


def interrupted(name: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(f"\nstopped watching; workflow {name} goes on. Follow it with `wfexec watch {name}`"
                     f" or `wfexec logs -f {name}`; end it with `wfexec stop {name}`.\n")
    sys.stderr.flush()
