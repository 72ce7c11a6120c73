"""The engine's side of a venv's warm process (warm_zygote.py): install its client, start it once.

The warm process is its own session and outlives the engine that started it (a later run, or a
re-attaching engine, finds it by its socket), until it has been idle for $WFEXEC_PYENV_IDLE seconds
(default 600). Failing to start it is not an error: the client then runs each task itself.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import subprocess
import time
from pathlib import Path

from wfexec.kfp.v2.pyenv import base_python

ZYGOTE = Path(__file__).with_name("warm_zygote.py")
CLIENT = Path(__file__).with_name("warm_client.py")
CLIENT_NAME = "wfexec-kfp-task"
SOCKET = "warm.sock"
IDLE_ENV = "WFEXEC_PYENV_IDLE"
START_TIMEOUT = 60.0

log = logging.getLogger("wfexec.kfp.v2")
_client_checked: set[Path] = set()


def ensure_warm(root: Path) -> Path | None:
    """The client command for venv `root`, its warm process running; None if it will not start."""
    client = _install_client(root)
    if _alive(root) or _start(root):
        return client
    log.warning("the warm Python process of %s did not start (see %s); tasks start their own Python",
                root, root / "warm.log")
    return None


def stop_warm(root: Path) -> None:
    """End the warm process of `root` (it leaves once its socket is gone, running tasks first)."""
    try:
        (root / SOCKET).unlink()
    except FileNotFoundError:
        pass


def _install_client(root: Path) -> Path:
    target = root / CLIENT_NAME
    if root in _client_checked:
        return target
    text = f"#!{base_python()} -IS\n" + CLIENT.read_text()
    try:
        same = target.read_text() == text
    except OSError:
        same = False
    if not same:
        tmp = root / f".{CLIENT_NAME}.{os.getpid()}"
        tmp.write_text(text)
        tmp.chmod(0o755)
        tmp.replace(target)
    _client_checked.add(root)
    return target


def _connect_path(root: Path, dir_fd: int) -> str:
    full = str(root / SOCKET)
    return full if len(full) < 100 else f"/proc/self/fd/{dir_fd}/{SOCKET}"


def _alive(root: Path) -> bool:
    if not (root / SOCKET).exists():
        return False
    dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(_connect_path(root, dir_fd))
        return True
    except OSError:
        return False
    finally:
        os.close(dir_fd)


def _start(root: Path) -> bool:
    idle = os.environ.get(IDLE_ENV) or "600"
    with open(root / "warm.log", "ab") as err:
        proc = subprocess.Popen([str(root / "bin" / "python"), "-I", str(ZYGOTE), str(root), idle],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, cwd="/",
                                start_new_session=True, env=_zygote_env())
    assert proc.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    line = b""
    while time.monotonic() < deadline and not line.endswith(b"\n"):
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(proc.stdout.fileno(), 64)
        if not chunk:
            break
        line += chunk
    proc.stdout.close()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False
    if line.strip() == b"busy":  # another engine is starting it: wait for its socket
        while time.monotonic() < deadline:
            if _alive(root):
                return True
            time.sleep(0.05)
        return False
    return line.strip() == b"ready" and _alive(root)


def _zygote_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["_KFP_RUNTIME"] = "true"
    return env
