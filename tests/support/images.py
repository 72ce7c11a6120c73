"""Local test images, built from what the host has (no image can be pulled here).

Each builder runs once: it returns at once when its tag already exists, and a file lock keeps
parallel test workers from building the same image twice. Images are made with
`docker import` of a root filesystem tarball, with CMD/ENTRYPOINT given by `-c`.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.docker_daemon import ensure_dockerd

BUSYBOX = "wfexec-test/busybox:latest"
HELLO = "wfexec-test/hello:latest"
HELLO_ALIAS = "hello-world:latest"
PYTHON = "wfexec-test/python:latest"
SERVER = "wfexec-test/server:latest"
NO_COMMAND = "wfexec-test/no-command:latest"

HELLO_MESSAGE = (
    "Hello from Docker!\n"
    "This message shows that your installation appears to be working correctly.\n"
)

_HELLO_C = r"""
#include <unistd.h>
#include <string.h>
static const char msg[] =
    "\nHello from Docker!\n"
    "This message shows that your installation appears to be working correctly.\n"
    "\n"
    "(wfexec's stand-in for the hello-world image: one static binary in a scratch image.)\n";
int main(void) {
    const char *p = msg;
    size_t left = sizeof(msg) - 1;
    while (left > 0) {
        ssize_t n = write(1, p, left);
        if (n <= 0) return 1;
        p += n;
        left -= (size_t)n;
    }
    return 0;
}
"""

_LOCK = Path(tempfile.gettempdir()) / "wfexec-test-images.lock"


# Bumped when a recipe changes; an image under our tag without this label (made elsewhere, or
# by an older recipe) is rebuilt.
RECIPE = "3"
_LABEL = "wfexec.test-image"


def _tag_exists(tag: str) -> bool:
    proc = subprocess.run(["docker", "image", "inspect", "--format", f'{{{{index .Config.Labels "{_LABEL}"}}}}', tag],
                          capture_output=True, text=True)
    return proc.returncode == 0 and proc.stdout.strip() == RECIPE


@contextmanager
def _locked() -> Iterator[None]:
    with open(_LOCK, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _import(tar_bytes: bytes, tag: str, changes: list[str]) -> None:
    cmd = ["docker", "import", "-c", f"LABEL {_LABEL}={RECIPE}"]
    for change in changes:
        cmd += ["-c", change]
    cmd += ["-", tag]
    proc = subprocess.run(cmd, input=tar_bytes, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"docker import {tag} failed: {proc.stderr.decode(errors='replace').strip()}")


def _build_once(tag: str, build: Callable[[], None]) -> str:
    ensure_dockerd()
    if _tag_exists(tag):
        return tag
    with _locked():
        if not _tag_exists(tag):
            build()
    return tag


class _Rootfs:
    """A tarball being assembled in memory, with parent directories added as needed."""

    def __init__(self) -> None:
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w")
        self.dirs: set[str] = set()

    def dir(self, path: str, mode: int = 0o755) -> None:
        path = path.strip("/")
        if not path or path in self.dirs:
            return
        self.dir(os.path.dirname(path))
        info = tarfile.TarInfo(path)
        info.type, info.mode = tarfile.DIRTYPE, mode
        self.tar.addfile(info)
        self.dirs.add(path)

    def file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        path = path.strip("/")
        self.dir(os.path.dirname(path))
        info = tarfile.TarInfo(path)
        info.size, info.mode = len(data), mode
        self.tar.addfile(info, io.BytesIO(data))

    def host_file(self, host: str | Path, path: str | None = None) -> None:
        """A host file, with its mode and modification time: a compiled module (`__pycache__`) is used
        only while its source has the time it was compiled from; with none, every container's Python
        would compile the stdlib (and pip) again."""
        src = Path(host)
        st = src.stat()
        path = (path or str(host)).strip("/")
        self.dir(os.path.dirname(path))
        info = tarfile.TarInfo(path)
        info.size, info.mode, info.mtime = st.st_size, st.st_mode & 0o7777, int(st.st_mtime)
        with open(src, "rb") as f:
            self.tar.addfile(info, f)

    def symlink(self, path: str, target: str) -> None:
        path = path.strip("/")
        self.dir(os.path.dirname(path))
        info = tarfile.TarInfo(path)
        info.type, info.linkname = tarfile.SYMTYPE, target
        self.tar.addfile(info)

    def bytes(self) -> bytes:
        self.tar.close()
        return self.buf.getvalue()


def _busybox_rootfs() -> _Rootfs:
    busybox = shutil.which("busybox") or "/bin/busybox"
    out = subprocess.run([busybox, "--list-full"], capture_output=True, text=True, check=True).stdout
    root = _Rootfs()
    root.host_file(busybox, "bin/busybox")
    for applet in out.split():
        if applet.strip("/") != "bin/busybox":
            root.symlink(applet, "/bin/busybox")
    root.dir("tmp", 0o1777)
    for d in ("root", "etc", "proc", "sys", "dev", "var/run", "home"):
        root.dir(d)
    root.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")
    root.file("etc/group", b"root:x:0:\nnogroup:x:65534:\n")
    return root


def busybox_image() -> str:
    """A busybox image (static busybox and its applet links), CMD ["sh"]."""
    return _build_once(BUSYBOX, lambda: _import(_busybox_rootfs().bytes(), BUSYBOX, ['CMD ["sh"]']))


def _build_hello() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = Path(tmp, "hello.c"), Path(tmp, "hello")
        src.write_text(_HELLO_C)
        proc = subprocess.run(["gcc", "-static", "-Os", "-s", "-o", str(exe), str(src)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"gcc -static failed for the hello image: {proc.stderr.strip()}")
        root = _Rootfs()
        root.file("hello", exe.read_bytes(), 0o755)
        _import(root.bytes(), HELLO, ['CMD ["/hello"]'])
    subprocess.run(["docker", "tag", HELLO, HELLO_ALIAS], check=True, capture_output=True)


def scratch_hello_image() -> str:
    """A scratch image with one static /hello (no shell, no libc), also tagged hello-world:latest."""
    _build_once(HELLO, _build_hello)
    if not _tag_exists(HELLO_ALIAS):  # a hello-world from elsewhere is replaced by ours
        subprocess.run(["docker", "tag", HELLO, HELLO_ALIAS], check=True, capture_output=True)
    return HELLO


def _build_no_command() -> None:
    root = _Rootfs()
    root.host_file(shutil.which("busybox") or "/bin/busybox", "bin/busybox")
    root.symlink("bin/sh", "/bin/busybox")
    _import(root.bytes(), NO_COMMAND, [])


def no_command_image() -> str:
    """An image with neither ENTRYPOINT nor CMD (busybox at /bin/busybox and /bin/sh)."""
    return _build_once(NO_COMMAND, _build_no_command)


def _ldd(binary: str) -> list[str]:
    from wfexec.runtimes.docker.bundle import shared_libs  # the same parser the emissary bundle uses

    return shared_libs(binary)


def _build_python() -> None:
    root = _busybox_rootfs()
    python = "/usr/bin/python3.11"
    root.host_file(python, "usr/bin/python3.11")
    root.symlink("usr/bin/python3", "python3.11")
    root.symlink("usr/bin/python", "python3.11")
    for lib in _ldd(python):
        root.host_file(os.path.realpath(lib), lib)
    stdlib = Path("/usr/lib/python3.11")
    for path in sorted(stdlib.rglob("*")):
        rel = str(path)
        if "test" in path.relative_to(stdlib).parts[:1]:
            continue  # the compiled modules come too (host_file keeps the times they were compiled from)
        if path.is_symlink():
            root.symlink(rel, os.readlink(path))
        elif path.is_dir():
            root.dir(rel)
        elif path.is_file():
            root.host_file(rel)
    _import(root.bytes(), PYTHON, ['CMD ["python3"]'])


def python_image() -> str:
    """Busybox plus Debian's python3.11, its shared libraries and stdlib, CMD ["python3"]."""
    return _build_once(PYTHON, _build_python)


def _build_server() -> None:
    root = _busybox_rootfs()
    root.file("www/index.html", b"<html><body>wfexec test server</body></html>\n")
    _import(root.bytes(), SERVER, ['CMD ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]', "EXPOSE 80"])


def server_image() -> str:
    """A tiny HTTP server (busybox httpd on port 80, serving /www), a stand-in for nginx."""
    return _build_once(SERVER, _build_server)


def image_config(tag: str) -> dict:
    """The image's Config (Entrypoint, Cmd, …), for assertions."""
    out = subprocess.run(["docker", "image", "inspect", tag], capture_output=True, text=True, check=True).stdout
    return json.loads(out)[0]["Config"] or {}
