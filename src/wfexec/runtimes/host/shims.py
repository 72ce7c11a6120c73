"""Commands that images provide but a host may lack (`python` on Debian), for the host runtime.

The host runtime ignores images, so a step written for `python:3` calls `python`. Where the host
has only `python3`, a directory holding a `python` link to it goes at the end of the step's PATH.
"""

from __future__ import annotations

import os
import shutil
from functools import lru_cache

from wfexec.home import wfexec_home

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ALIASES = {"python": ("python3",), "pip": ("pip3",)}


@lru_cache(maxsize=1)
def host_path() -> str:
    """PATH for host-runtime steps: the engine's own, plus a shim directory when one is needed."""
    path = os.environ.get("PATH") or DEFAULT_PATH
    shim = wfexec_home() / "host-shims"
    made = False
    for name, targets in ALIASES.items():
        if shutil.which(name, path=path):
            continue
        target = next((t for t in (shutil.which(x, path=DEFAULT_PATH) for x in targets) if t), None)
        if target is None:
            continue
        shim.mkdir(parents=True, exist_ok=True)
        link = shim / name
        if not link.exists():
            try:
                link.symlink_to(target)
            except FileExistsError:
                pass
        made = True
    return f"{path}:{shim}" if made else path
