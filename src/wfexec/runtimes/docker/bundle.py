"""The emissary as it runs inside a container that may have no Python, shell or libc.

Why this shape: a PyInstaller/staticx onefile unpacks itself on every start (~0.3 s). Instead
the host's Debian `python3.11`, the shared libraries it links, the dynamic loader and a stdlib
trimmed to what the emissary imports (precompiled, unchecked-hash .pyc) are laid out once in a
directory that is bind-mounted read-only into every container at `BUNDLE_MOUNT`:

    /var/run/argo-emissary/
        bin/python3.11            Debian's interpreter
        bin/python3.11._pth       fixes sys.path (and makes the interpreter ignore PYTHON* env)
        lib/ld-linux-x86-64.so.2  the loader, and libc/libm/libz/... beside it
        lib/python3.11/...        trimmed stdlib (+ lib-dynload modules that are needed)
        src/wfexec/...            the emissary sources (+ wfexec/artifacts/pack.py)
        boot.py                   calls wfexec.emissary.main.main(argv)
        emissary                  static launcher (gcc -static)

`/var/run/argo/emissary` (a copy of the static launcher, put in each pod's argo dir) needs no
shell and no libc in the image: it execs `lib/ld-linux-x86-64.so.2 --library-path lib
bin/python3.11 -I -S -B boot.py ARGS…`. `-I` keeps the user's PYTHONHOME/PYTHONPATH from
reaching the emissary; nothing is added to the container's environment, so the user's own
command sees the environment it was given.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from wfexec.errors import RuntimeUnavailable
from wfexec.home import wfexec_home

BUNDLE_MOUNT = "/var/run/argo-emissary"
LAUNCHER_IN_ARGO_DIR = "emissary"
HOST_PYTHON = "/usr/bin/python3.11"
LAYOUT_VERSION = "3"

_LAUNCHER_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define ROOT "%(root)s"
int main(int argc, char **argv) {
    static char *fixed[] = {ROOT "/lib/ld-linux-x86-64.so.2", "--library-path", ROOT "/lib",
                            ROOT "/bin/python3.11", "-I", "-S", "-B", ROOT "/boot.py"};
    int nfixed = (int)(sizeof(fixed) / sizeof(fixed[0]));
    char **av = calloc((size_t)(argc + nfixed + 1), sizeof(char *));
    if (av == NULL) return 64;
    for (int i = 0; i < nfixed; i++) av[i] = fixed[i];
    for (int i = 1; i < argc; i++) av[nfixed + i - 1] = argv[i];
    execv(av[0], av);
    fprintf(stderr, "emissary: cannot start %%s: %%s (is the emissary bundle mounted at " ROOT "?)\n",
            av[0], strerror(errno));
    return 64;
}
"""

_BOOT = """import sys
from wfexec.emissary.main import main
sys.exit(main(sys.argv[1:]))
"""

# Run by Debian's python3.11 at bundle time: which stdlib files does the emissary need?
_FINDER = r"""
import json, modulefinder, sys
src, boot = sys.argv[1], sys.argv[2]
finder = modulefinder.ModuleFinder(path=[src] + sys.path[1:], excludes=["tkinter", "test", "unittest",
    "pydoc", "doctest", "idlelib", "lib2to3", "ensurepip", "venv", "distutils", "pdb", "_pyrepl",
    "multiprocessing", "asyncio", "ssl", "decimal", "_decimal", "email", "http", "xml", "xmlrpc",
    "sqlite3", "curses", "dbm", "tty", "pty", "getpass", "netrc", "ftplib"])
finder.run_script(boot)
files = {}
for name, mod in finder.modules.items():
    if mod.__file__:
        files[name] = mod.__file__
print(json.dumps({"files": files, "path": sys.path[1:]}))
"""


@dataclass(frozen=True)
class EmissaryBundle:
    """A ready bundle on the host."""

    root: Path  # host directory, mounted read-only at `mount_path`
    mount_path: str = BUNDLE_MOUNT

    @property
    def launcher(self) -> Path:
        return self.root / "emissary"

    def install(self, argo_dir: Path) -> Path:
        """Put the launcher at <argo_dir>/emissary (a hard link when possible: no copy)."""
        dest = argo_dir / LAUNCHER_IN_ARGO_DIR
        if dest.exists():
            return dest
        try:
            os.link(self.launcher, dest)
        except OSError:
            shutil.copy2(self.launcher, dest)
        return dest

    def docker_volume(self) -> dict[str, dict[str, str]]:
        """The bind mount for docker-py's `volumes=`."""
        return {str(self.root): {"bind": self.mount_path, "mode": "ro"}}


def _package_root() -> Path:
    return Path(__file__).resolve().parents[2]  # .../wfexec


def _emissary_sources() -> list[Path]:
    """Every wfexec source file the emissary may import (it is stdlib-only by rule)."""
    pkg = _package_root()
    files = [pkg / "__init__.py", pkg / "errors.py", pkg / "durations.py", pkg / "artifacts" / "__init__.py",
             pkg / "artifacts" / "pack.py"]
    files += sorted(p for p in (pkg / "emissary").rglob("*.py") if "__pycache__" not in p.parts)
    return [f for f in files if f.is_file()]


def _version_hash() -> str:
    h = hashlib.sha256(LAYOUT_VERSION.encode())
    h.update(_LAUNCHER_C.encode() + BUNDLE_MOUNT.encode() + _BOOT.encode() + _FINDER.encode())
    for path in [HOST_PYTHON, *shared_libs(HOST_PYTHON)]:  # an upgraded python or libc: a new bundle
        st = os.stat(os.path.realpath(path))
        h.update(f"{path}:{st.st_size}:{st.st_mtime_ns}".encode())
    pkg = _package_root()
    for f in _emissary_sources():
        h.update(str(f.relative_to(pkg)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def _run(cmd: list[str], what: str) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except OSError as exc:
        raise RuntimeUnavailable(f"cannot build the emissary bundle: {what}: {exc}") from None
    if proc.returncode != 0:
        raise RuntimeUnavailable(f"cannot build the emissary bundle: {what} failed: {proc.stderr.strip()[-2000:]}")
    return proc.stdout


def shared_libs(binary: str) -> list[str]:
    """Absolute library paths `ldd` reports (the loader included)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    libs = []
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and len(parts) >= 3 and parts[2].startswith("/"):
            libs.append(parts[2])
        elif parts and parts[0].startswith("/"):
            libs.append(parts[0])
    return libs


def _build(dest: Path) -> None:
    pkg = _package_root()
    src = dest / "src"
    for f in _emissary_sources():
        target = src / "wfexec" / f.relative_to(pkg)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, target)
    (dest / "boot.py").write_text(_BOOT)

    found = json.loads(_run([HOST_PYTHON, "-I", "-S", "-c", _FINDER, str(src), str(dest / "boot.py")],
                            "finding the modules the emissary imports"))
    missing = [n for n in ("wfexec.emissary.main",) if n not in found["files"]]
    if missing:
        raise RuntimeUnavailable("cannot build the emissary bundle: wfexec/emissary/main.py is missing")
    stdlib = Path("/usr/lib/python3.11")
    libdir, pydir = dest / "lib", dest / "lib" / "python3.11"
    pydir.mkdir(parents=True)
    wanted = {Path(p) for p in found["files"].values()}
    wanted |= {p for p in (stdlib / "encodings").glob("*.py")}  # the codec of any locale, at start-up
    extensions: list[Path] = []
    for path in sorted(wanted):
        try:
            rel = path.relative_to(stdlib)
        except ValueError:
            continue  # wfexec's own, copied above
        target = pydir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        if path.suffix == ".so":
            extensions.append(path)
    _run([HOST_PYTHON, "-I", "-S", "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
          str(pydir), str(src)], "precompiling the stdlib")

    (dest / "bin").mkdir()
    shutil.copy2(HOST_PYTHON, dest / "bin" / "python3.11")
    (dest / "bin" / "python3.11._pth").write_text("../lib/python3.11\n../lib/python3.11/lib-dynload\n../src\n")
    libs: dict[str, str] = {}
    for binary in [HOST_PYTHON, *map(str, extensions)]:
        for lib in shared_libs(binary):
            libs[os.path.basename(lib)] = os.path.realpath(lib)
    for name, real in libs.items():
        shutil.copy2(real, libdir / name)
        os.chmod(libdir / name, 0o755)

    with tempfile.TemporaryDirectory() as tmp:
        c_file = Path(tmp, "launcher.c")
        c_file.write_text("#include <errno.h>\n" + _LAUNCHER_C % {"root": BUNDLE_MOUNT})
        _run(["gcc", "-static", "-Os", "-s", "-o", str(dest / "emissary"), str(c_file)],
             "compiling the static launcher (gcc -static; apt-get install gcc libc6-dev)")
    for path in [dest, *dest.rglob("*")]:
        if path.is_dir():
            os.chmod(path, 0o755)
        elif not path.is_symlink():
            os.chmod(path, 0o755 if os.access(path, os.X_OK) else 0o644)


def prepare_emissary_bundle() -> EmissaryBundle:
    """Build (once per version) and return the bundle under $WFEXEC_HOME/emissary-bundle/<hash>/."""
    if not os.path.isfile(HOST_PYTHON):
        raise RuntimeUnavailable(
            f"the emissary bundle needs Debian's {HOST_PYTHON} on the host to run inside images without "
            "Python: apt-get install python3.11"
        )
    base = wfexec_home() / "emissary-bundle"
    final = base / _version_hash()
    if (final / "emissary").is_file():
        try:
            os.utime(final)  # in use: keeps _prune of another version's build away from it
        except OSError:
            pass
        return EmissaryBundle(final)
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=base))
    try:
        _build(work)
        try:
            os.rename(work, final)
        except OSError:
            if not (final / "emissary").is_file():  # not another builder's finished copy: a real error
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    _prune(base, keep=final)
    return EmissaryBundle(final)


def _prune(base: Path, keep: Path, max_age: float = 86400.0) -> None:
    """Drop bundles of other versions unused for a day (25 MB each); a running container keeps
    its mount even if its directory goes."""
    now = time.time()
    for old in base.iterdir():
        if old != keep and now - old.stat().st_mtime > max_age:
            shutil.rmtree(old, ignore_errors=True)
