"""An emissary killed outright (OOM, kill -9) leaves nothing behind: not while bwrap sets up, and
not while no engine watches (found on re-attach, by the sandbox's mount namespace).

Two gaps in bwrap 0.8's start, each played by a stand-in for bwrap, since a real kill lands in
them only now and then (in a loop of 300 pods whose emissaries were killed 0-9 ms after they
wrote their pid, ~35 commands outlived them before the fix, none after):

- The outer process clones the sandbox's first process, then lets it go on through an eventfd.
  If the outer dies in between (the emissary's death takes it: --die-with-parent), the clone
  waits forever, in the outer's process group: the command's own group does not exist yet.
- The sandbox process sets its own parent-death signal only after every mount. If the outer dies
  during the mounts, the command starts anyway, in a session of its own, and an emissary killed
  before it read bwrap's --info-fd never wrote that session's group to `childpgid`.

Then a sibling container's processes are told apart, and a re-attaching engine, which trusts no
pid file, still ends what a killed emissary left running."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.runtime_host.test_host_backend import Done, backend, marked_processes, pod, sh  # noqa: F401
from tests.runtime_host.test_sandbox_setup_retry import make_backend  # noqa: F401 - a fixture
from wfexec.runtimes.host.backend import HostBackend
from wfexec.runtimes.host.strays import sandbox_processes


def _wait_for(check: Callable[[], object], what: str, timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, what
        time.sleep(0.02)


def _names(pids: list[int]) -> list[str]:
    names = []
    for pid in pids:
        try:
            names.append(Path(f"/proc/{pid}/comm").read_text().strip())
        except OSError:
            continue
    return sorted(names)


def _kill_emissary_and_expect_nothing_left(pid_file: Path, done: Done, mark: str) -> None:
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    r = done.wait(10)
    assert r.phase == "Failed" and "ended without an exit code" in r.message, r
    end = time.monotonic() + 5
    while marked_processes(mark) and time.monotonic() < end:
        time.sleep(0.05)
    assert marked_processes(mark) == [], "a process of the sandbox outlived its emissary"


def test_a_clone_stranded_in_bwraps_setup_ends_with_its_emissary(
        tmp_path: Path, make_backend: Callable[[Path], HostBackend]) -> None:  # noqa: F811
    mark = f"wfexec-stranded-{os.getpid()}-{time.monotonic_ns()}"
    stranded = tmp_path / "stranded"
    wrapper = tmp_path / "bwrap"
    wrapper.write_text(f"""#!/bin/sh
export WFEXEC_TEST_MARK={mark}
sleep 300 &
echo $! > {stranded}
exec sleep 300
""")
    wrapper.chmod(0o755)
    done = Done()
    make_backend(wrapper).start(pod(tmp_path, "p", sh("echo never")), done)
    pid_file = tmp_path / "p" / "ctr" / "main" / "pid"
    _wait_for(lambda: stranded.exists() and stranded.read_text().strip() and pid_file.exists()
              and pid_file.read_text().strip(), "the stand-in bwrap did not start")
    # (the mark shows in /proc once each has exec'd sleep: `export` does not change a running process's)
    _wait_for(lambda: len(marked_processes(mark)) == 2, "the stand-in's two processes did not show")
    _kill_emissary_and_expect_nothing_left(pid_file, done, mark)


def test_a_command_that_outlived_bwrap_unseen_ends_with_its_emissary(
        tmp_path: Path, make_backend: Callable[[Path], HostBackend]) -> None:  # noqa: F811
    """The real bwrap, without --die-with-parent and with its --info-fd closed: the command runs
    in its own session and the emissary never learns its group, as after the second gap."""
    real = shutil.which("bwrap")
    assert real, "these tests need bubblewrap (apt-get install bubblewrap)"
    wrapper = tmp_path / "bwrap"
    wrapper.write_text(f"""#!/bin/bash
for a; do
  shift
  if [ "$skip" = info ]; then eval "exec $a>&-"; skip=; continue; fi
  case "$a" in --die-with-parent) continue;; --info-fd) skip=info; continue;; esac
  set -- "$@" "$a"
done
exec {real} "$@"
""")
    wrapper.chmod(0o755)
    mark = f"wfexec-unseen-{os.getpid()}-{time.monotonic_ns()}"
    done = Done()
    make_backend(wrapper).start(pod(tmp_path, "p", sh("sleep 300 & sleep 300", env={"MARK": mark})), done)
    pid_file = tmp_path / "p" / "ctr" / "main" / "pid"
    _wait_for(lambda: len(marked_processes(mark)) >= 3, "the command did not start")  # sh and two sleeps
    assert not (tmp_path / "p" / "ctr" / "main" / "childpgid").exists(), "the emissary was to know nothing"
    _kill_emissary_and_expect_nothing_left(pid_file, done, mark)


def test_a_sandboxs_processes_are_told_apart_from_a_sibling_containers(tmp_path: Path, backend: HostBackend) -> None:  # noqa: F811
    """Containers of one pod share its directory, each in a sandbox of its own."""
    done = Done()
    handle = backend.start(pod(tmp_path, "p", sh("sleep 300 & sleep 300", "a", env={"WHO": "a"}),
                               sh("sleep 300", "b", env={"WHO": "b"})), done)
    argo = tmp_path / "p"
    try:
        # (bwrap's outer processes carry the same environment, but live in the host's mount namespace)
        _wait_for(lambda: len(sandbox_processes(argo, "a")) == 3 and len(sandbox_processes(argo, "b")) == 2,
                  "the containers' commands were not found (a: sh and two sleeps; b: sh and a sleep)")
        for name in ("a", "b"):
            for pid in sandbox_processes(argo, name):
                assert f"WHO={name}".encode() in Path(f"/proc/{pid}/environ").read_bytes()
        assert sandbox_processes(argo, "c") == []
        assert sandbox_processes(tmp_path / "elsewhere", "a") == []
    finally:
        backend.kill(handle, 0)
        done.wait(10)


ENGINE = """
import sys, time
from pathlib import Path
from wfexec.pod import ContainerPlan, PodPlan
from wfexec.runtimes.host.backend import HostBackend
b = HostBackend(None)
b.check()
b.start(PodPlan(run_id="r", node_id="p", pod_name="p", argo_dir=Path(sys.argv[1]), template={"name": "p"},
                containers=[ContainerPlan(name="main", command=["sh", "-c", "sleep 300 & sleep 300"],
                                          env={"MARK": sys.argv[2]})]), lambda r: None)
print("started", flush=True)
time.sleep(120)
"""


def test_what_an_emissary_left_while_no_engine_watched_ends_on_reattach(tmp_path: Path) -> None:
    """The engine is SIGKILLed (its fork server ends, the emissary goes on); then the emissary is
    killed too. bwrap's parent-death signals take the command, not what the command started in
    the background. A new engine re-attaches: its pid files may be stale (after a reboot), so it
    trusts no group, but the sandbox's mount namespace still names the pod."""
    mark = f"wfexec-unwatched-{os.getpid()}-{time.monotonic_ns()}"
    argo = tmp_path / "p"
    engine = subprocess.Popen([sys.executable, "-c", ENGINE, str(argo), mark], stdout=subprocess.PIPE)
    try:
        assert engine.stdout is not None and engine.stdout.readline() == b"started\n"
        _wait_for(lambda: _names(marked_processes(mark)) == ["bwrap", "sh", "sleep", "sleep"],
                  "the command did not start")
    finally:
        engine.kill()
        engine.wait(10)
    os.kill(int((argo / "ctr" / "main" / "pid").read_text()), signal.SIGKILL)
    _wait_for(lambda: _names(marked_processes(mark)) == ["sleep", "sleep"], "bwrap's parent-death signals did not act")
    time.sleep(1.5)  # nothing else is watching: they stay
    assert _names(marked_processes(mark)) == ["sleep", "sleep"]
    second = HostBackend(None)
    second.check()
    try:
        done = Done()
        assert second.reattach(pod(tmp_path, "p", sh("sleep 300 & sleep 300")), done) is not None
        r = done.wait(10)
        assert r.phase == "Failed" and "ended without an exit code" in r.message, r
        _wait_for(lambda: marked_processes(mark) == [], "the background processes outlived their sandbox", 5)
    finally:
        second.close()
