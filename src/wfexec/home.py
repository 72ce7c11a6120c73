"""Where wfexec keeps its state: $WFEXEC_HOME, default ~/.wfexec."""

from __future__ import annotations

import os
from pathlib import Path


def wfexec_home() -> Path:
    home = Path(os.environ.get("WFEXEC_HOME") or Path.home() / ".wfexec")
    home.mkdir(parents=True, exist_ok=True)
    return home
