"""The image every KFP v2 corpus image is mapped to in the docker tests, built from the host (nothing pulled).

Busybox, Debian's python3.11 with its stdlib (compiled, as the host has it), Debian's pip and the wheels
`python3 -m venv` seeds, jq (for `jetbrainsinfra/jq`), and a wheelhouse holding every package the corpus'
lightweight components pip-install, downloaded once by the host's pip. pip in the image is pointed at the
wheelhouse (`PIP_NO_INDEX`, `PIP_FIND_LINKS`), so each task's own preamble really installs its packages in
its container, offline, as it would in `python:3.11`.

The tag is content-addressed (this file, the requirements, the host's python), so a session builds it once;
the build runs under the test images' file lock, so parallel workers share it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.kfp_v2.helpers import KFP_CORPUS, KFP_SDK
from tests.support import images
from wfexec.kfp.v2 import lightweight
from wfexec.kfp.v2.ir import load_pipeline

PYTHON = "/usr/bin/python3.11"
TREES = (Path("/usr/lib/python3.11"), Path("/usr/lib/python3/dist-packages/pip"), Path("/usr/share/python-wheels"))
EXTRA_BINARIES = ("/usr/bin/jq",)
SITE = "usr/local/lib/python3.11/dist-packages"  # where Debian's python3 has pip install as root
# PIP_NO_COMPILE: a task imports a few modules of what it installs (pandas, scipy…); compiling them all costs more
ENV = ["ENV PIP_NO_INDEX=1", "ENV PIP_FIND_LINKS=/wheels", "ENV PIP_DISABLE_PIP_VERSION_CHECK=1",
       "ENV PIP_ROOT_USER_ACTION=ignore", "ENV PIP_NO_COMPILE=1",
       "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
SYSTEM_LIBS = ("libpthread.so.0", "libdl.so.2", "librt.so.1", "libutil.so.1", "libm.so.6", "libresolv.so.2",
               "libstdc++.so.6*", "libgcc_s.so.1")
PIP_SCRIPT = b'#!/bin/sh\nexec /usr/bin/python3 -m pip "$@"\n'


def corpus_installs() -> list[tuple[tuple[str, ...], bool]]:
    """Every (packages, --no-deps) pip install the corpus' lightweight components make, with the kfp pin
    replaced by the SDK the tests run (as `$WFEXEC_KFP_PACKAGE` does)."""
    found: set[tuple[tuple[str, ...], bool]] = set()
    old = os.environ.get("WFEXEC_KFP_PACKAGE")
    os.environ["WFEXEC_KFP_PACKAGE"] = KFP_SDK
    try:
        for file in sorted(KFP_CORPUS.glob("*/*.yaml")):
            for ex in load_pipeline(str(file)).executors.values():
                req = lightweight.requirements(ex.container.command) if ex.container else None
                for inst in req.installs if req else []:
                    found.add((tuple(inst.packages), inst.no_deps))
    finally:
        if old is None:
            os.environ.pop("WFEXEC_KFP_PACKAGE")
        else:
            os.environ["WFEXEC_KFP_PACKAGE"] = old
    return sorted(found)


def image_tag(installs: list[tuple[tuple[str, ...], bool]]) -> str:
    st = os.stat(PYTHON)
    key = json.dumps([Path(__file__).read_text(), installs, st.st_size, st.st_mtime_ns])
    return "wfexec-test/kfp-python:" + hashlib.sha256(key.encode()).hexdigest()[:12]


def _download(installs: list[tuple[tuple[str, ...], bool]], dest: Path) -> None:
    for packages, no_deps in installs:
        argv = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                "--only-binary=:all:", "-d", str(dest), *(["--no-deps"] if no_deps else []), *packages]
        done = subprocess.run(argv, capture_output=True, text=True)
        assert done.returncode == 0, f"pip download {' '.join(packages)}: {done.stderr.strip()[-800:]}"


def _preinstall_kfp(wheels: Path, site: Path) -> None:
    """The SDK the tests run, installed (and compiled by the image's python) as in an image built on a KFP
    base: each task's preamble still runs pip, which finds `kfp==X` satisfied instead of installing it
    again (a second of CPU per task, some 300 tasks). The other packages are installed by the tasks."""
    [wheel] = wheels.glob(KFP_SDK.replace("==", "-") + "-*.whl")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "--no-deps", "--no-compile", "--no-index", "--target", str(site), str(wheel)],
                          capture_output=True, text=True)
    assert done.returncode == 0, f"pip install {wheel.name}: {done.stderr.strip()[-800:]}"
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(site)], check=True, capture_output=True)


def _add_tree(root: images._Rootfs, tree: Path) -> None:
    for path in sorted(tree.rglob("*")):
        rel = str(path)
        if path.name == "EXTERNALLY-MANAGED" or (tree.name == "python3.11" and
                                                 path.relative_to(tree).parts[0] in ("test", "idlelib")):
            continue  # python:3.11 lets pip install into its own Python, as Debian's marker would not
        if path.is_symlink():
            root.symlink(rel, os.readlink(path))
        elif path.is_dir():
            root.dir(rel)
        elif path.is_file():
            root.host_file(path, rel)  # with its time, so the compiled stdlib stays valid


def _build(tag: str, installs: list[tuple[tuple[str, ...], bool]]) -> None:
    root = images._busybox_rootfs()
    root.host_file(PYTHON, "usr/bin/python3.11")
    root.symlink("usr/bin/python3", "python3.11")
    root.symlink("usr/bin/python", "python3.11")
    root.file("usr/bin/pip", PIP_SCRIPT, 0o755)
    root.symlink("usr/bin/pip3", "pip")
    binaries = [PYTHON, *EXTRA_BINARIES, *map(str, Path("/usr/lib/python3.11/lib-dynload").glob("*.so"))]
    libs = {lib for binary in binaries for lib in images._ldd(binary)}
    for binary in EXTRA_BINARIES:
        root.host_file(binary)
    # manylinux wheels (numpy, scipy, pyzmq…) link glibc's other libraries and the C++ runtime
    libs |= {str(p) for name in SYSTEM_LIBS for p in Path("/usr/lib/x86_64-linux-gnu").glob(name)}
    for lib in sorted(libs):
        root.host_file(os.path.realpath(lib), lib)
    for tree in TREES:
        _add_tree(root, tree)
    with tempfile.TemporaryDirectory() as tmp:
        wheels, site = Path(tmp, "wheels"), Path(tmp, "site")
        _download(installs, wheels)
        for wheel in sorted(wheels.iterdir()):
            root.host_file(str(wheel), f"wheels/{wheel.name}")
        _preinstall_kfp(wheels, site)
        for path in sorted(site.rglob("*")):
            if path.is_file():
                root.host_file(path, f"{SITE}/{path.relative_to(site)}")
        data = root.bytes()
    images._import(data, tag, ['CMD ["python3"]', *ENV])


def kfp_python_image() -> str:
    """The image's tag, built unless this session (or an earlier one) already has it."""
    installs = corpus_installs()
    tag = image_tag(installs)
    return images._build_once(tag, lambda: _build(tag, installs))
