"""The bubblewrap command line for one container of a host-runtime pod, and its path map.

The sandbox sees the host's root read-only, with per-pod writable places layered on top:

- `/tmp` is a per-pod host directory (`<argo dir>/.tmp`), so outputs written under
  /tmp stay readable after the child exits, and two pods never share /tmp;
- `/var/run/argo` is the pod's argo dir (the host's /run is replaced by a tmpfs for this, keeping
  only the resolver's directory when /etc/resolv.conf points there); volumes and staged inputs are bound at their paths;
- the parent directory of each output path and the working directory, when no mount above
  covers them, become per-pod directories under `<argo dir>/.fs/<same path>`.

A mount point whose parent does not exist on the host (e.g. /mnt/out/x, /argo/x) is never
created in the real host root. Instead the nearest existing ancestor is *shadowed*: a tmpfs is
put over it and its host entries are bound back read-only, which leaves room to create the
mount point. When a new top-level directory is needed, the root itself is built this way
(tmpfs root, each host top-level entry bound back). Symlinks on the host (/var/run -> /run)
are resolved first, since bwrap creates mount points through the sandbox's own symlinks.

The emissary runs outside the sandbox; the path map (container prefix -> host path) lets it
find output files and check that the command exists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from wfexec.errors import WfexecError
from wfexec.pod import ARGO_DIR_IN_CONTAINER, ContainerPlan, PodPlan
from wfexec.runtimes.host.shims import host_path

NOT_BOUND_BACK = {"proc", "dev", "tmp"}
# The host's /dev with a private /dev/shm, not bwrap's `--dev`: that one binds each device node
# apart, and bwrap rereads the whole mount table for every bind (~1 ms of a ~3.5 ms sandbox, per
# step). A private /dev would protect nothing: the step runs with the engine user's rights, which
# open the same devices outside. /dev/shm is per pod, as /tmp is.
_DEV = ["--dev-bind", "/dev", "/dev"] + (["--tmpfs", "/dev/shm"] if os.path.isdir("/dev/shm") else [])


@dataclass
class Mount:
    dest: str  # container path
    src: str  # host path
    writable: bool = True


@dataclass
class Sandbox:
    argv: list[str] | None  # bwrap and options (the command follows); None: unsandboxed
    path_map: list[tuple[str, str]] = field(default_factory=list)
    cwd: str | None = None  # for the unsandboxed case
    env: dict[str, str] = field(default_factory=dict)
    mkdirs: list[str] = field(default_factory=list)  # host directories the emissary creates first


def sandbox_root(pod: PodPlan) -> Path:
    """Per-pod host directories live beside the protocol files, as `.tmp` and `.fs`."""
    return pod.argo_dir


def container_env(pod: PodPlan, c: ContainerPlan) -> dict[str, str]:
    """The container's env over a base that finds the host's programs (the image is ignored, so
    its PATH is unknown): the engine's PATH (plus shims such as `python`), HOME (read-only in the
    sandbox), a UTF-8 locale."""
    env = {"PATH": host_path(), "HOME": os.environ.get("HOME") or "/tmp",
           "ARGO_POD_NAME": pod.pod_name, "ARGO_CONTAINER_NAME": c.name}
    for key in ("LANG", "LC_ALL", "PYENV_ROOT", "TZ"):
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(c.env)
    return env


def pod_mounts(pod: PodPlan, c: ContainerPlan, mkdirs: list[str], env: dict[str, str] | None = None) -> list[Mount]:
    """Every bind the container needs, parents before children. Host directories to create are
    added to `mkdirs`: the emissary makes them, off the engine's thread. `env`: the container's
    (`container_env`), when the caller has it already."""
    root = sandbox_root(pod)
    tmp = root / ".tmp"
    mkdirs.append(str(tmp))
    mounts = [Mount("/tmp", str(tmp)), Mount(ARGO_DIR_IN_CONTAINER, str(pod.argo_dir))]
    mounts += _programs_under_hidden_roots(env if env is not None else container_env(pod, c))
    for vm in c.volume_mounts:
        if vm.name not in pod.volumes:
            raise WfexecError(f"container {c.name!r}: volumeMount {vm.name!r} names no volume of the pod "
                              f"(known: {', '.join(sorted(pod.volumes)) or 'none'})")
        src = Path(pod.volumes[vm.name])
        if vm.sub_path:
            src = src / vm.sub_path.lstrip("/")
            mkdirs.append(str(src))
        mounts.append(Mount(_norm(vm.mount_path), str(src), not vm.read_only))
    for f in pod.input_files:
        mounts.append(Mount(_norm(f.container_path), str(f.host_path)))
    wanted = [os.path.dirname(_norm(p.path)) for p in pod.output_parameters]
    wanted += [os.path.dirname(_norm(a.path)) for a in pod.output_artifacts]
    if c.working_dir:
        wanted.append(_norm(c.working_dir))
    for d in sorted(set(wanted), key=len):
        if d == "/" or _covered(d, mounts) or (d == _norm(c.working_dir or "") and os.path.isdir(d)):
            continue
        host = root / ".fs" / d.lstrip("/")
        mkdirs.append(str(host))
        mounts.append(Mount(d, str(host)))
    return sorted(mounts, key=lambda m: m.dest.count("/"))


HIDDEN_ROOTS = ("/tmp/", "/run/")
SEARCH_PATH_VARS = ("PATH", "PYTHONPATH", "VIRTUAL_ENV")  # a venv's root holds its pyvenv.cfg and lib/


def _programs_under_hidden_roots(env: dict[str, str]) -> list[Mount]:
    """Directories on the step's PATH/PYTHONPATH that the private /tmp (or /run) would hide: the
    host runtime runs host programs, so they stay reachable, read-only, at the same place."""
    found: list[Mount] = []
    for var in SEARCH_PATH_VARS:
        for real in _hidden_search_dirs(env.get(var) or ""):
            if os.path.isdir(real) and all(m.dest != real for m in found):
                found.append(Mount(real, real, False))
    return found


@lru_cache(maxsize=64)
def _hidden_search_dirs(value: str) -> tuple[str, ...]:
    """The entries of a search path that resolve under a hidden root: every pod has the same few
    values, and looking through each entry again was a tenth of the sandbox's cost."""
    reals = (_search_dir(entry) for entry in value.split(":") if entry.startswith("/"))
    return tuple(real for real in reals if any(real.startswith(r) for r in HIDDEN_ROOTS))


@lru_cache(maxsize=512)
def _search_dir(entry: str) -> str:
    """A PATH entry, symlinks resolved: every pod's PATH is the same few entries, and resolving
    them (an lstat per path component) was the sandbox's largest cost at hundreds of pods a second."""
    return os.path.realpath(entry)


def bwrap_sandbox(bwrap: str, pod: PodPlan, c: ContainerPlan) -> Sandbox:
    mkdirs: list[str] = []
    env = container_env(pod, c)
    mounts = pod_mounts(pod, c, mkdirs, env)
    shadows: set[str] = set()
    new_top = False
    resolved: list[tuple[Mount, str]] = []
    for m in mounts:
        dest = _host_realpath(m.dest)
        resolved.append((m, dest))
        if os.path.lexists(dest) or _covered(dest, mounts, writable_only=True, exclude=m):
            continue
        anc = _existing_ancestor(dest)
        if anc == "/":
            new_top = True
        else:
            shadows.add(anc)
    argv = [bwrap, "--die-with-parent", "--new-session"]
    # Outputs directly under / (a script writing `result.txt` in cwd /, path /result.txt):
    # the root is then a per-pod host directory, so what the step creates there is kept.
    top_outputs = any(os.path.dirname(_norm(p)) == "/" for p in _output_paths(pod))
    host_root = str(sandbox_root(pod) / ".fs" / ".root") if top_outputs else None
    if host_root:
        mkdirs.append(host_root)
        argv += ["--bind", host_root, "/"]
    if new_top or host_root:
        argv += _bind_back("/")
    else:
        argv += ["--ro-bind", "/", "/"]
    argv += _DEV + ["--proc", "/proc"]
    for anc in sorted(shadows, key=lambda p: p.count("/")):
        argv += ["--tmpfs", anc, *(_RUN_KEPT if anc == "/run" else _bind_back(anc))]
    for m, dest in resolved:
        argv += ["--bind" if m.writable else "--ro-bind", m.src, dest]
    argv += ["--chdir", _norm(c.working_dir) if c.working_dir else "/"]
    path_map = {m.dest: m.src for m, _ in resolved}
    path_map.update({dest: m.src for m, dest in resolved})
    if host_root:  # host entries bound back map to themselves; anything else new under / is kept
        path_map.update({f"/{n}": f"/{n}" for n in _top_entries() if f"/{n}" not in path_map})
        path_map["/"] = host_root
    return Sandbox(argv, sorted(path_map.items(), key=lambda kv: -len(kv[0])), env=env,
                   mkdirs=mkdirs)


def _output_paths(pod: PodPlan) -> list[str]:
    return [p.path for p in pod.output_parameters] + [a.path for a in pod.output_artifacts]


def _top_entries() -> list[str]:
    try:
        return [n for n in os.listdir("/") if n not in NOT_BOUND_BACK]
    except OSError:
        return []


def _run_kept() -> tuple[str, ...]:
    """Of the host's /run, keep only what name resolution needs; the rest (docker.sock, dbus…)
    is the host's business, not a step's, and binding it all back costs a mount per entry."""
    out: list[str] = []
    real = os.path.realpath("/etc/resolv.conf")
    if real.startswith("/run/"):
        keep = os.path.dirname(real)
        out += ["--ro-bind-try", keep, keep]
    return tuple(out)


_RUN_KEPT = _run_kept()


def unsandboxed(pod: PodPlan, c: ContainerPlan) -> Sandbox:
    """Without bwrap: host paths are the container's; only /var/run/argo and cwd are mapped."""
    root = sandbox_root(pod)
    tmp = root / ".tmp"
    env = container_env(pod, c)
    env.setdefault("TMPDIR", str(tmp))
    cwd = str(tmp)
    if c.working_dir:
        cwd = c.working_dir if os.path.isdir(c.working_dir) else str(root / ".fs" / _norm(c.working_dir).lstrip("/"))
    return Sandbox(None, [(ARGO_DIR_IN_CONTAINER, str(pod.argo_dir))], cwd=cwd, env=env, mkdirs=[str(tmp), cwd])


def _norm(path: str) -> str:
    return os.path.normpath("/" + path.lstrip("/")) if path else ""


def _covered(path: str, mounts: list[Mount], writable_only: bool = False, exclude: Mount | None = None) -> bool:
    for m in mounts:
        if m is exclude or (writable_only and not m.writable):
            continue
        if path == m.dest or path.startswith(m.dest.rstrip("/") + "/"):
            return True
    return False


def _host_realpath(path: str) -> str:
    """Resolve host symlinks in the existing part of `path` (bwrap would follow them)."""
    if path in _FIXED_DESTS:  # every pod's /tmp and /var/run/argo: the host's own directories
        return _fixed_realpath(path)
    return _resolve_host(path)


_FIXED_DESTS = frozenset({"/tmp", ARGO_DIR_IN_CONTAINER})


@lru_cache(maxsize=8)
def _fixed_realpath(path: str) -> str:
    return _resolve_host(path)


def _resolve_host(path: str) -> str:
    head, tail = path, []
    while head != "/" and not os.path.lexists(head):
        head, leaf = os.path.split(head)
        tail.append(leaf)
    real = os.path.realpath(head)
    return os.path.join(real, *reversed(tail)) if tail else real


def _existing_ancestor(path: str) -> str:
    cur = os.path.dirname(path)
    while cur != "/" and not os.path.isdir(cur):
        cur = os.path.dirname(cur)
    return cur


@lru_cache(maxsize=256)
def _bind_back(directory: str) -> tuple[str, ...]:
    """Options that put the host entries of `directory` back, read-only, over a tmpfs there."""
    out: list[str] = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return ()
    for name in names:
        if directory == "/" and name in NOT_BOUND_BACK:
            continue
        path = os.path.join(directory, name)
        if os.path.islink(path):
            out += ["--symlink", os.readlink(path), path]
        else:
            out += ["--ro-bind-try", path, path]
    return tuple(out)
