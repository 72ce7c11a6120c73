"""A minimal packer for containers that carry the emissary without `wfexec.artifacts.pack`.

Same contract as pack.pack_path: tar.gz (default), `none` (raw copy) or `zip`, entries rooted
at basename(src), the destination appearing atomically.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import zipfile
from typing import Any


def pack_path(src: str, dest: str, archive: dict[str, Any] | None) -> None:
    kind, opts = next(iter((archive or {"tar": {}}).items()))
    name = os.path.basename(src.rstrip("/")) or "root"
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    part = f"{dest}.part{os.getpid()}"
    if kind == "none":
        if os.path.isdir(src):
            shutil.copytree(src, part, symlinks=True)
        else:
            shutil.copy2(src, part)
    elif kind == "zip":
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
            for root, dirs, files in os.walk(src) if os.path.isdir(src) else [("", [], [])]:
                dirs.sort()
                for f in sorted(files):
                    full = os.path.join(root, f)
                    zf.write(full, os.path.join(name, os.path.relpath(full, src)))
            if not os.path.isdir(src):
                zf.write(src, name)
    else:
        level = (opts or {}).get("compressionLevel", 6)
        level = 6 if level in (None, -1) else int(level)
        with tarfile.open(part, "w:gz", compresslevel=level) as tf:
            tf.add(src, arcname=name)
    os.replace(part, dest)
