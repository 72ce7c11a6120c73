"""Stand-in images for the multi-container corpus examples (nothing can be pulled here).

| corpus image | stand-in | what it has |
|---|---|---|
| `curlimages/curl`, `alpine:*` | `wfexec-test/pods-client` | busybox, the host's curl (with its libraries), an `apk` stand-in |
| `influxdb:1.2` | `wfexec-test/pods-influxdb` | the python test image plus `influxd` (standins/bin/influxd, port 8086) |
| `nginx:1.13` | `wfexec-test/pods-nginx` | the server test image (busybox httpd) plus an `nginx` that runs it on port 80 |
| `argoproj/argosay:v2` | `wfexec-test/pods-argosay` | busybox plus `/argosay` (standins/bin/argosay), its ENTRYPOINT |

The same stand-in programs serve the host runtime from `standins/bin` on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

from tests.support.images import (
    _LABEL,
    RECIPE,
    _build_once,
    _busybox_rootfs,
    _import,
    _ldd,
    python_image,
    server_image,
)

STANDINS = Path(__file__).resolve().parent / "standins" / "bin"
CLIENT = "wfexec-test/pods-client:1"
INFLUXDB = "wfexec-test/pods-influxdb:1"
NGINX = "wfexec-test/pods-nginx:2"
ARGOSAY = "wfexec-test/pods-argosay:1"

_NGINX_SH = b"""#!/bin/sh
# nginx stand-in: `nginx -g 'daemon off;'` serves /www on port 80 in the foreground (busybox httpd).
[ "$1" = "-g" ] && [ "$2" = "daemon off;" ] || { echo "nginx stand-in: only -g 'daemon off;'" >&2; exit 1; }
trap 'kill $pid; exit 0' TERM  # like nginx, stop on TERM (even as PID 1, which ignores it by default)
httpd -f -v -p 80 -h /www &
pid=$!
wait $pid
"""


def _build_client() -> None:
    root = _busybox_rootfs()
    curl = shutil.which("curl")
    if curl is None:
        raise RuntimeError("the host has no curl to put in the client stand-in image")
    root.host_file(os.path.realpath(curl), "usr/bin/curl")
    for lib in _ldd(curl):
        root.host_file(os.path.realpath(lib), lib)
    root.host_file(str(STANDINS / "apk"), "sbin/apk")
    _import(root.bytes(), CLIENT, ['CMD ["curl"]'])


def client_image() -> str:
    """Stand-in for curlimages/curl and alpine (with an `apk` that finds curl present)."""
    return _build_once(CLIENT, _build_client)


def _derive(base: str, tag: str, files: dict[str, Path | bytes], changes: list[str]) -> None:
    """`base` plus `files` (container path -> host file or content, made executable), committed as `tag`."""
    name = f"wfexec-test-build-{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "create", "--name", name, base], check=True, capture_output=True)
    try:
        for dest, src in files.items():
            data = src.read_bytes() if isinstance(src, Path) else src
            staged = Path(f"/tmp/{name}-{os.path.basename(dest)}")
            staged.write_bytes(data)
            staged.chmod(0o755)
            try:
                subprocess.run(["docker", "cp", str(staged), f"{name}:{dest}"], check=True, capture_output=True)
            finally:
                staged.unlink()
        cmd = ["docker", "commit", "-c", f"LABEL {_LABEL}={RECIPE}"]
        for change in changes:
            cmd += ["-c", change]
        subprocess.run([*cmd, name, tag], check=True, capture_output=True)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def influxdb_image() -> str:
    """Stand-in for influxdb:1.2: `influxd` answering /ping, /query and /write on port 8086."""
    base = python_image()
    return _build_once(INFLUXDB, lambda: _derive(base, INFLUXDB, {"/usr/bin/influxd": STANDINS / "influxd"},
                                                 ['CMD ["influxd"]', "EXPOSE 8086"]))


def nginx_image() -> str:
    """Stand-in for nginx:1.13: the server image with an `nginx -g 'daemon off;'` that runs its httpd."""
    base = server_image()
    return _build_once(NGINX, lambda: _derive(base, NGINX, {"/usr/sbin/nginx": _NGINX_SH},
                                              ['CMD ["nginx", "-g", "daemon off;"]']))


def _build_argosay() -> None:
    root = _busybox_rootfs()
    root.host_file(str(STANDINS / "argosay"), "argosay")
    _import(root.bytes(), ARGOSAY, ['ENTRYPOINT ["/argosay"]'])


def argosay_image() -> str:
    """Stand-in for argoproj/argosay:v2 (ENTRYPOINT /argosay, no CMD)."""
    return _build_once(ARGOSAY, _build_argosay)


def image_map() -> dict[str, str]:
    """The executor config's imageMap for the corpus examples of this issue."""
    client = client_image()
    return {"curlimages/curl:latest": client, "alpine:*": client, "alpine": client, "busybox": client,
            "busybox:*": client, "influxdb:1.2": influxdb_image(), "nginx:1.13": nginx_image(),
            "argoproj/argosay:v2": argosay_image()}
