"""What stdout is: a terminal of some width (fit, pad, colour) or a pipe (none of those)."""

from __future__ import annotations

import os
import shutil
import sys

from wfexec.cli.table import Terminal


def stdout_terminal() -> Terminal:
    """The terminal's width, honouring $COLUMNS as `ls` does; colour unless $NO_COLOR is set."""
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return Terminal(width=None, colour=False)
    width = shutil.get_terminal_size((100, 24)).columns
    return Terminal(width=max(width, 20), colour=not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb")


def write_lines(lines: list[str]) -> None:
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()
