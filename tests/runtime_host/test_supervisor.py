"""The fork server's supervisor: one process runs many sandboxed containers, each as its emissary would.

Real fork server, supervisor and bubblewrap sandboxes, through HostBackend."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from tests.runtime_host.test_host_backend import Done, backend, marked_processes, pod, sh  # noqa: F401
from tests.support.waiting import wait_for
from wfexec.emissary.layout import SUPERVISED_MARK
from wfexec.pod import ContainerPlan, OutputParameterPlan
from wfexec.runtimes.host.backend import SUPERVISOR_ENV, HostBackend


def _session_leader(pid: int) -> bool:
    fields = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()
    return int(fields[3]) == pid


def test_containers_run_side_by_side_in_one_supervisor(tmp_path: Path, backend: HostBackend) -> None:  # noqa: F811
    dones = {}
    for i in range(4):
        p = pod(tmp_path, f"p{i}", sh(f"echo out-{i}; echo err-{i} >&2; printf v{i} > /tmp/v; sleep 0.5; exit {i}"),
                output_parameters=[OutputParameterPlan("v", "/tmp/v")])
        p.template = {"name": f"p{i}", "outputs": {"parameters": [{"name": "v", "valueFrom": {"path": "/tmp/v"}}]}}
        dones[i] = Done()
        backend.start(p, dones[i])
    pid_files = [tmp_path / f"p{i}" / "ctr" / "main" / "pid" for i in range(4)]
    wait_for(lambda: all(f.exists() for f in pid_files), what="every container named its supervisor")
    pids = {int(f.read_text()) for f in pid_files}
    assert len(pids) == 1, f"one supervisor runs them all, not a process each: {pids}"
    supervisor = pids.pop()
    assert _session_leader(supervisor), "the supervisor must outlive the engine: a session of its own"
    assert all((tmp_path / f"p{i}" / "ctr" / "main" / SUPERVISED_MARK).exists() for i in range(4))
    for i in range(4):
        r = dones[i].wait()
        assert r.exit_code == i and r.result == f"out-{i}" and r.parameters == {"v": f"v{i}"}, r
        assert r.logs["main"].read_text() == f"out-{i}\nerr-{i}\n"
    assert os.path.exists(f"/proc/{supervisor}"), "it stays for the next container while its server lives"


def test_a_stop_reaches_the_command_gracefully(tmp_path: Path, backend: HostBackend) -> None:  # noqa: F811
    """SIGTERM goes to the container's process group (the supervisor could not tell whose it was)."""
    p = pod(tmp_path, "stop", sh("trap 'echo termed > /tmp/t; exit 7' TERM; echo up; "
                                 "while :; do sleep 0.05; done"))
    done = Done()
    handle = backend.start(p, done)
    stdout = p.argo_dir / "ctr" / "main" / "stdout"
    wait_for(lambda: stdout.exists() and b"up" in stdout.read_bytes(), what="the trap to be set")
    backend.kill(handle, grace=10)
    r = done.wait(10)
    assert r.container_exit_codes == {"main": 7}, r
    assert (p.argo_dir / ".tmp" / "t").read_text() == "termed\n"


def test_an_orphan_that_left_its_group_ends_with_its_container(tmp_path: Path, backend: HostBackend) -> None:  # noqa: F811
    mark = f"orphan-{uuid.uuid4().hex}"
    done = Done()
    backend.start(pod(tmp_path, "orphan", sh(
        "setsid sh -c 'echo $$ > /tmp/left; exec sleep 300' & while [ ! -s /tmp/left ]; do sleep 0.01; done",
        env={"MARK": mark})), done)
    assert done.wait().phase == "Succeeded"
    wait_for(lambda: not marked_processes(mark), what="the setsid child to be killed", timeout=5)


def test_a_dead_supervisor_fails_its_containers_and_a_new_one_takes_the_next(
        tmp_path: Path, backend: HostBackend) -> None:  # noqa: F811
    mark = f"victim-{uuid.uuid4().hex}"
    first = Done()
    backend.start(pod(tmp_path, "victim", sh("echo up; sleep 300", env={"MARK": mark})), first)
    pid_file = tmp_path / "victim" / "ctr" / "main" / "pid"
    wait_for(lambda: (tmp_path / "victim" / "ctr" / "main" / "childpgid").exists(), what="the command to start")
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    r = first.wait(10)
    assert r.phase == "Failed" and "ended without an exit code" in r.message, r
    wait_for(lambda: not marked_processes(mark), what="its sandbox to end with it", timeout=5)
    second = Done()
    backend.start(pod(tmp_path, "after", sh("echo fine")), second)
    assert second.wait(15).result == "fine"


@pytest.mark.parametrize("setting", ["off"])
def test_turned_off_each_container_has_its_own_emissary(tmp_path: Path, setting: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SUPERVISOR_ENV, setting)
    b = HostBackend(None)
    b.check()
    try:
        dones = [Done(), Done()]
        for i, d in enumerate(dones):
            b.start(pod(tmp_path, f"e{i}", sh("sleep 0.3; echo ok")), d)
        pids = set()
        for i, d in enumerate(dones):
            assert d.wait().result == "ok"
            ctr = tmp_path / f"e{i}" / "ctr" / "main"
            assert not (ctr / SUPERVISED_MARK).exists()
            pids.add(int((ctr / "pid").read_text()))
        assert len(pids) == 2
    finally:
        b.close()


def test_a_container_set_keeps_its_emissaries(tmp_path: Path, backend: HostBackend) -> None:  # noqa: F811
    """Its containers wait on each other's files and retry inside the pod: the emissary's work."""
    p = pod(tmp_path, "cs", ContainerPlan(name="a", command=["sh", "-c", "echo a"]),
            ContainerPlan(name="main", command=["sh", "-c", "echo m"], dependencies=["a"]))
    p.template = {"name": "cs", "containerSet": {"containers": [{"name": "a"}, {"name": "main", "dependencies": ["a"]}]}}
    done = Done()
    backend.start(p, done)
    assert done.wait().container_exit_codes == {"a": 0, "main": 0}
    assert not any((p.argo_dir / "ctr" / n / SUPERVISED_MARK).exists() for n in ("a", "main"))


def test_many_containers_at_once_are_not_limited_by_the_usual_soft_limit_of_files(tmp_path: Path) -> None:
    """About six descriptors a running container, all in one process: the supervisor raises its soft
    limit. The fork server is started here under a low soft limit (this process's open descriptors plus
    64, at least 128: its own start needs a few), then twice that many containers' worth run at once."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = max(128, len(os.listdir("/proc/self/fd")) + 64)
    assert hard > 4 * low, f"this test needs a hard limit of files above {4 * low}, got {hard}"
    many = low // 3  # ~6 descriptors each: about twice the low limit
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    try:
        b = HostBackend(None)
        b.check()  # the fork server (and so its supervisor) inherits the low soft limit
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        dones = [Done() for _ in range(many)]
        for i, d in enumerate(dones):
            b.start(pod(tmp_path, f"m{i}", sh(f"sleep 2; echo {i}")), d)
        results = [d.wait(90) for d in dones]
        assert [r.result for r in results] == [str(i) for i in range(many)], \
            [r.message for r in results if r.phase != "Succeeded"][:3]
    finally:
        b.close()


def test_big_outputs_of_containers_running_together_are_kept_whole(tmp_path: Path, backend: HostBackend) -> None:  # noqa: F811
    """Several containers stream megabytes at once through one poll loop: each one's stdout whole and in
    order in its own files, its stderr lines in combined only, in their order (stdout and stderr are two
    pipes, read as their bytes come, so where a stderr line falls in stdout is not fixed)."""
    script = ("i=0; while [ $i -lt 3 ]; do head -c 1048576 /dev/zero | tr '\\0' '{c}'; echo err$i >&2; "
              "i=$((i+1)); done")
    dones = {}
    for c in "abc":
        dones[c] = Done()
        backend.start(pod(tmp_path, f"big-{c}", sh(script.format(c=c))), dones[c])
    for c, done in dones.items():
        assert done.wait(60).phase == "Succeeded"
        ctr = tmp_path / f"big-{c}" / "ctr" / "main"
        assert (ctr / "stdout").read_bytes() == c.encode() * (3 << 20)
        combined = (ctr / "combined").read_bytes()
        assert combined.replace(b"err0\n", b"").replace(b"err1\n", b"").replace(b"err2\n", b"") == c.encode() * (3 << 20)
        where = [combined.index(f"err{i}\n".encode()) for i in range(3)]  # two pipes: order within each only
        assert where == sorted(where), where


def test_a_container_whose_pipes_outlive_it_ends_once(tmp_path: Path) -> None:
    """A `setsid` child keeps the container's stdout open past its end: the supervisor stops reading
    after a grace (the drain), and the container is reported once, not once per pipe it closes."""
    keys: list[str] = []
    b = HostBackend(None)
    on_key = b._on_key
    b._on_key = lambda key: (keys.append(key), on_key(key))  # type: ignore[method-assign]
    b.check()
    mark = f"holder-{uuid.uuid4().hex}"
    try:
        done = Done()
        b.start(pod(tmp_path, "held", sh("setsid sh -c 'echo $$ > /tmp/left; exec sleep 300' & "
                                         "while [ ! -s /tmp/left ]; do sleep 0.01; done; echo bye",
                                         env={"MARK": mark})), done)
        r = done.wait(15)
        assert (r.phase, r.result) == ("Succeeded", "bye"), r
        time.sleep(0.5)  # a second report would come right after the first
        assert len(keys) == 1, keys
        wait_for(lambda: not marked_processes(mark), what="the setsid child to be killed", timeout=5)
    finally:
        b.close()
