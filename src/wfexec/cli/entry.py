"""The `wfexec` program: a command goes to this home's warm engine when one runs (wfexec/warm),
and runs in this process otherwise (cli/main.py).

Nothing else is imported before that choice: finding no warm engine costs one failed connect."""

from __future__ import annotations

import os
import sys


def entry() -> None:
    from wfexec.warm.client import forward

    code = forward(sys.argv[1:])
    if code is not None:
        os._exit(code)  # this process wrote nothing itself: the command had its stdout and stderr
    from wfexec.cli.main import entry as run_here

    run_here()


if __name__ == "__main__":
    entry()
