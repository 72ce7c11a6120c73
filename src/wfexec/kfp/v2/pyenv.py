"""Cached Python environments for KFP lightweight components on the host runtime.

A lightweight component's command is `sh -c PREAMBLE sh -ec PROGRAM SOURCE ARGS…`: the preamble
pip-installs `kfp==X` and the component's `packages_to_install` into whatever `python3` the image
has, then the program writes SOURCE to a file and runs `python3 -m kfp.dsl.executor_main`.
On the host there is no image, and installing into the host's (or wfexec's) Python is not ours to
do. So the preamble's pip calls are read, and run once into a venv kept under
`<pyenv dir>/<hash of the calls and the interpreter>` (a lock makes concurrent tasks build it
once; a `ready` file, written last, marks it whole). The task then runs without the preamble,
with that venv first on its PATH: offline once cached.

The venv's root directory is put on the PATH too: the host sandbox binds PATH entries that its
private /tmp would hide, so the venv stays visible when $WFEXEC_HOME is under /tmp.
When the program is KFP's standard one, the task goes through the env's warm process instead
(`warm.py`): same semantics, without starting Python and importing kfp per task.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from wfexec.errors import WfexecError
from wfexec.home import wfexec_home

PYENV_DIR_ENV = "WFEXEC_PYENV_DIR"  # where the venvs live (default: $WFEXEC_HOME/pyenvs)
PYTHON_ENV = "WFEXEC_KFP_PYTHON"  # the interpreter the venvs are made from (default: wfexec's base)
READY = "ready"
DROPPED_PIP_OPTIONS = {"--quiet", "-q", "--no-warn-script-location"}  # no effect on what is installed
EXECUTOR_MAIN = "python3 -m kfp.dsl.executor_main"
PIP_TIMEOUT = 1800.0
WARM_ENV = "WFEXEC_PYENV_WARM"  # 0: every task starts its own Python (for comparison)


class PyEnvError(WfexecError):
    """A lightweight component's packages could not be installed."""


@dataclass(frozen=True)
class PipSpec:
    """What a component's preamble installs: each pip call's arguments, in order."""

    installs: tuple[tuple[str, ...], ...]
    rest: tuple[str, ...]  # the command after the preamble (what its `"$0" "$@"` runs)

    @property
    def packages(self) -> list[str]:
        return [a for call in self.installs for a in call if not a.startswith("-")]


@dataclass(frozen=True)
class PreparedCommand:
    """What a step runs in place of the component's command and args."""

    command: list[str]  # warm: [client, PROGRAM, SOURCE, *args]; else [sh, -ec, PROGRAM, SOURCE, *args]
    env: dict[str, str]  # to lay over the container's env (PATH)
    pyenv: Path  # the venv's root
    warm: bool = False  # a Python caller in the step may call warm_client.run_warm(pyenv, command[2:]) itself


def parse_preamble(command: list[str]) -> PipSpec | None:
    """The pip calls of KFP's `sh -c PREAMBLE …` command, or None if `command` is not one."""
    if len(command) < 4 or command[0] != "sh" or command[1] != "-c" or '"$0" "$@"' not in command[2]:
        return None
    text = command[2]
    if "pip install" not in text:
        return None
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return None
    installs: list[tuple[str, ...]] = []
    i = 0
    while i < len(tokens):
        if tokens[i:i + 4] == ["python3", "-m", "pip", "install"]:
            j = i + 4
            call: list[str] = []
            while j < len(tokens) and not _is_operator(tokens[j]):
                if tokens[j] not in DROPPED_PIP_OPTIONS:
                    call.append(tokens[j])
                j += 1
            installs.append(tuple(call))
            i = j
        else:
            i += 1
    if not installs:
        return None
    return PipSpec(tuple(installs), tuple(command[3:]))


def _is_operator(token: str) -> bool:
    return bool(token) and all(ch in "();<>|&" for ch in token)


def base_python() -> str:
    """The interpreter venvs are made from: $WFEXEC_KFP_PYTHON, else the one under wfexec's own."""
    chosen = os.environ.get(PYTHON_ENV)
    if chosen:
        return chosen
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def pyenv_dir() -> Path:
    chosen = os.environ.get(PYENV_DIR_ENV)
    return Path(chosen) if chosen else wfexec_home() / "pyenvs"


def env_key(spec: PipSpec, python: str) -> str:
    """A venv per interpreter and set of pip calls (their order and options included)."""
    version = _python_version(python)
    blob = json.dumps({"python": python, "version": version, "installs": spec.installs}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


_VERSIONS: dict[str, str] = {}


def _python_version(python: str) -> str:
    if python not in _VERSIONS:
        if os.path.realpath(python) == os.path.realpath(sys.executable):
            _VERSIONS[python] = sys.version
        else:
            try:
                out = subprocess.run([python, "-c", "import sys; print(sys.version)"], capture_output=True,
                                     text=True, timeout=60, check=True)
            except (OSError, subprocess.SubprocessError) as e:
                raise PyEnvError(f"{PYTHON_ENV}={python}: not a usable Python ({e})") from None
            _VERSIONS[python] = out.stdout.strip()
    return _VERSIONS[python]


def ensure_env(spec: PipSpec) -> Path:
    """The venv for `spec`, built first if needed (once, whoever else asks at the same time)."""
    python = base_python()
    root = pyenv_dir() / env_key(spec, python)
    if (root / READY).exists():
        return root
    try:
        root.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the warm processes' sockets live here
    except OSError as e:
        raise PyEnvError(f"cannot make the venv directory {root.parent} ({PYENV_DIR_ENV}): {e.strerror}") from None
    with open(root.parent / f"{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / READY).exists():
            _build(root, spec, python)
    return root


def _build(root: Path, spec: PipSpec, python: str) -> None:
    if root.exists():  # a build that did not finish
        shutil.rmtree(root)
    own_pip = importlib.util.find_spec("pip") is not None
    venv = [python, "-m", "venv", *(["--without-pip"] if own_pip else []), str(root)]
    _run(venv, spec, "create a venv")
    pip = [sys.executable, "-m", "pip", "--python", str(root / "bin" / "python")] if own_pip \
        else [str(root / "bin" / "python"), "-m", "pip"]
    for call in spec.installs:
        _run([*pip, "install", "--quiet", "--no-warn-script-location", *call], spec, "install " + " ".join(call))
    (root / "spec.json").write_text(json.dumps({"python": python, "installs": spec.installs}, indent=1))
    (root / READY).write_text("")


def _run(argv: list[str], spec: PipSpec, what: str) -> None:
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=PIP_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise PyEnvError(f"could not {what} for packages {', '.join(spec.packages)}: {e}") from None
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise PyEnvError(f"could not {what} for packages {', '.join(spec.packages)} "
                         f"(offline and not cached yet?): {tail}")


def is_standard_program(rest: tuple[str, ...]) -> bool:
    """KFP's own `sh -ec PROGRAM SOURCE` that runs executor_main on SOURCE (the warm path's case)."""
    return len(rest) >= 3 and rest[0] == "sh" and rest[1] == "-ec" and EXECUTOR_MAIN in rest[2] \
        and "ephemeral_component.py" in rest[2]


def path_with(root: Path, path: str | None = None) -> str:
    """PATH with the venv first; its root too, so a sandbox binds all of it (see the module doc)."""
    return f"{root}:{root / 'bin'}:{path or os.environ.get('PATH') or '/usr/local/bin:/usr/bin:/bin'}"


def command_for(command: list[str], args: list[str], *, warm: bool = True,
                path: str | None = None) -> PreparedCommand | None:
    """The command to run for a lightweight component on the host runtime, its venv made ready;
    None when `command` has no pip-install preamble (run it unchanged). Blocks while a venv is
    built; raises PyEnvError when pip fails. `path`: the step's PATH to extend (default: ours).

    Call it on the engine's side, before the step starts: venvs are built under $WFEXEC_HOME, which
    a sandbox sees read-only. `args` are appended untouched, so they may still hold placeholders
    (`{{$}}`) that a launcher resolves later; the result's `env` must reach the step's env."""
    spec = parse_preamble(command)
    if spec is None:
        return None
    root = ensure_env(spec)
    env = {"PATH": path_with(root, path)}
    if warm and os.environ.get(WARM_ENV, "1") != "0" and is_standard_program(spec.rest):
        from wfexec.kfp.v2 import warm as warm_process

        client = warm_process.ensure_warm(root)
        if client is not None:
            return PreparedCommand([str(client), *spec.rest[2:], *args], env, root, warm=True)
    return PreparedCommand([*spec.rest, *args], env, root)


def launcher_env(command: list[str], task: str) -> dict[str, object] | None:
    """What the KFP v2 launcher (launcher.py, inside the step) needs to run a lightweight component
    in its venv, as JSON-ready data: `python`/`pythonpath` to run executor_main itself, or `warm`
    (the client and KFP's program, to be followed by SOURCE ARGS…) with `path` for the step's PATH.
    None when `command` is not a lightweight component's."""
    try:
        prepared = command_for(command, [])
    except PyEnvError as e:
        raise PyEnvError(f"task {task!r}: {e}") from None
    if prepared is None:
        return None
    root = prepared.pyenv
    return {"python": str(root / "bin" / "python"), "pythonpath": str(root), "key": root.name,
            "code_index": 6, "path": prepared.env["PATH"],
            "warm": prepared.command[:2] if prepared.warm else None}
