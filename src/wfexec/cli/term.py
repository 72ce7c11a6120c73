"""What stdout is: a terminal of some width (fit, pad, colour) or a pipe (none of those)."""

from __future__ import annotations

import os
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
    width = _width()
    return Terminal(width=max(width, 20), colour=not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb")


def _width() -> int:
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except OSError:
        return 100


def write_lines(lines: list[str]) -> None:
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()
