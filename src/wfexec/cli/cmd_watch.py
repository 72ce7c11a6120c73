"""`wfexec watch RUN`, and the following behind `submit --wait/--watch`: the engine runs elsewhere.

The run is driven by a detached engine (`api.start_background`); these commands only read the
store. Ctrl-C therefore ends the watching, never the run, and says how to pick it up again.
"""

from __future__ import annotations

import argparse
import sys
import time

from wfexec.cli.cmd_runs import RUN_HELP, get_run
from wfexec.cli.common import open_store
from wfexec.cli.render import run_lines
from wfexec.cli.term import stdout_terminal, write_lines
from wfexec.engine import nodes as N
from wfexec.engine.store import RunRecord, Store

REDRAW_SECONDS = 0.5
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


def wait_for_end(store: Store, name: str) -> str:
    """Poll until the run ends; its final phase. Ctrl-C leaves the run going (see `interrupted`)."""
    try:
        rec = store.get_run(name)
        while not ended(rec):
            time.sleep(0.2)
            rec = store.get_run(name)
        return rec.phase
    except KeyboardInterrupt:
        interrupted(name)
        raise SystemExit(130) from None


def watch(store: Store, name: str) -> str:
    """Redraw the summary and tree until the run ends (a terminal), or print the final view once (piped)."""
    term = stdout_terminal()
    try:
        rec = store.get_run(name)
        while term.width is not None and not ended(rec):
            term = stdout_terminal()  # the window may be resized
            sys.stdout.write(CLEAR)
            write_lines(run_lines(rec, store.get_nodes(name), term))
            time.sleep(REDRAW_SECONDS)
            rec = store.get_run(name)
        while not ended(rec):
            time.sleep(0.2)
            rec = store.get_run(name)
        if term.width is not None:
            sys.stdout.write(CLEAR)
        write_lines(run_lines(rec, store.get_nodes(name), term))
        return rec.phase
    except KeyboardInterrupt:
        interrupted(name)
        raise SystemExit(130) from None


def interrupted(name: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(f"\nstopped watching; workflow {name} goes on. Follow it with `wfexec watch {name}`"
                     f" or `wfexec logs -f {name}`; end it with `wfexec stop {name}`.\n")
    sys.stderr.flush()
