"""`python -m wfexec.engine.daemon RUN`: the detached engine behind `submit` without --wait."""

from __future__ import annotations

import sys

from wfexec.engine.api import run_foreground
from wfexec.engine.handoff import signal_done, take_done_fd
from wfexec.engine.store import Store
from wfexec.errors import WfexecError


def main(argv: list[str]) -> int:
    return drive(argv[0], take_done_fd())


def drive(name: str, done_fd: int | None, store: Store | None = None) -> int:
    """Drive the run to its end; `done_fd` (engine/handoff.py) is closed once it has ended.
    Also the forked engine's body (engine/forked.py), with the store it opened while it waited."""
    try:
        run_foreground(store or Store(), name)
    except WfexecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        signal_done(done_fd)  # the follower wakes now, not at the next look
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
