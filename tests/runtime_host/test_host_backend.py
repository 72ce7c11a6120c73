"""HostBackend end to end: real fork server, real emissaries, real bubblewrap sandboxes."""

from __future__ import annotations

import os
import shutil
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.waiting import wait_for
from wfexec.pod import (
    ContainerPlan,
    OutputArtifactPlan,
    OutputParameterPlan,
    PodPlan,
    PodResult,
)
from wfexec.runtimes.host.backend import HostBackend


@pytest.fixture
def backend() -> Iterator[HostBackend]:
    assert shutil.which("bwrap"), "these tests need bubblewrap (apt-get install bubblewrap)"
    b = HostBackend(None)
    b.check()
    yield b
    b.close()


class Done:
    def __init__(self) -> None:
        self.event = threading.Event()
        self.results: list[PodResult] = []

    def __call__(self, r: PodResult) -> None:
        self.results.append(r)
        self.event.set()

    def wait(self, timeout: float = 15) -> PodResult:
        assert self.event.wait(timeout), "pod did not finish"
        assert len(self.results) == 1
        return self.results[0]


def pod(tmp: Path, name: str, *containers: ContainerPlan, **kw: object) -> PodPlan:
    return PodPlan(run_id="r", node_id=name, pod_name=name, argo_dir=tmp / name, containers=list(containers),
                   template={"name": name}, **kw)  # type: ignore[arg-type]


def sh(script: str, name: str = "main", role: str = "main", env: dict[str, str] | None = None,
       **kw: object) -> ContainerPlan:
    return ContainerPlan(name=name, role=role, command=["sh", "-c", script], env=env or {}, **kw)  # type: ignore[arg-type]


def marked_processes(mark: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if mark.encode() in Path(f"/proc/{entry}/environ").read_bytes():
                    found.append(int(entry))
            except OSError:
                pass
    return found


def test_pod_end_to_end(tmp_path: Path, backend: HostBackend) -> None:
    script = ("echo hello; echo oops >&2; printf v > /tmp/p.txt; echo q > /mnt/out/q; "
              "mkdir /tmp/adir; echo x > /tmp/adir/f; test -f /var/run/argo/template")
    p = pod(tmp_path, "e2e", sh(script), output_parameters=[
        OutputParameterPlan("p", "/tmp/p.txt"), OutputParameterPlan("q", "/mnt/out/q"),
        OutputParameterPlan("missing", "/tmp/none")], output_artifacts=[OutputArtifactPlan("a", "/tmp/adir")])
    p.template = {"name": "e2e", "outputs": {
        "parameters": [{"name": n, "valueFrom": {"path": path}} for n, path in
                       (("p", "/tmp/p.txt"), ("q", "/mnt/out/q"), ("missing", "/tmp/none"))],
        "artifacts": [{"name": "a", "path": "/tmp/adir"}]}}
    done = Done()
    backend.start(p, done)
    r = done.wait()
    assert (r.phase, r.exit_code, r.result) == ("Succeeded", 0, "hello")
    assert r.parameters == {"p": "v", "q": "q\n", "missing": None}
    assert r.artifacts["a"] is not None
    with tarfile.open(r.artifacts["a"]) as tf:
        assert "adir/f" in tf.getnames()
    assert b"oops" in r.logs["main"].read_bytes() and r.logs["main"].is_relative_to(p.argo_dir)
    assert r.container_exit_codes == {"main": 0}
    assert not Path("/mnt/out").exists(), "nothing may be created in the host's own directories"


def test_failure_message_and_missing_command(tmp_path: Path, backend: HostBackend) -> None:
    d1, d2 = Done(), Done()
    backend.start(pod(tmp_path, "f1", sh("exit 3")), d1)
    backend.start(pod(tmp_path, "f2", ContainerPlan(name="main", command=["no-such-cmd-xyz"])), d2)
    r1, r2 = d1.wait(), d2.wait()
    assert (r1.phase, r1.message, r1.exit_code) == ("Failed", "Error (exit code 3)", 3)
    assert r2.phase == "Failed" and r2.exit_code == 64 and "no-such-cmd-xyz" in r2.message


def test_private_tmp_between_parallel_pods(tmp_path: Path, backend: HostBackend) -> None:
    script = "echo {me} > /tmp/who; sleep 0.3; cat /tmp/who; ls /tmp | wc -l"
    a, b = Done(), Done()
    backend.start(pod(tmp_path, "a", sh(script.format(me="a"))), a)
    backend.start(pod(tmp_path, "b", sh(script.format(me="b"))), b)
    assert a.wait().result == "a\n1" and b.wait().result == "b\n1"
    assert not Path("/tmp/who").exists() or Path("/tmp/who").read_text() not in ("a\n", "b\n")


def test_private_dev_shm_and_working_devices(tmp_path: Path, backend: HostBackend) -> None:
    """/dev is the host's (cheaper for bwrap than its own), but /dev/shm is per pod, as /tmp is."""
    mark = f"wfexec-shm-{uuid.uuid4().hex}"
    script = (f"echo {{me}} > /dev/shm/{mark}; sleep 0.3; cat /dev/shm/{mark}; ls /dev/shm | wc -l; "
              "echo x > /dev/null && head -c 8 /dev/urandom | wc -c")
    a, b = Done(), Done()
    backend.start(pod(tmp_path, "a", sh(script.format(me="a"))), a)
    backend.start(pod(tmp_path, "b", sh(script.format(me="b"))), b)
    assert a.wait().result == "a\n1\n8" and b.wait().result == "b\n1\n8"
    assert not Path("/dev/shm", mark).exists()


def test_an_emissary_killed_outright_ends_its_pod(tmp_path: Path, backend: HostBackend) -> None:
    """The OOM killer or a kill -9 takes the emissary: no exit code, no word on the pipe. The pod
    must still end (Failed, saying so, as Argo fails an OOM-killed pod) instead of waiting forever, and its command must not linger."""
    mark = f"wfexec-oom-{uuid.uuid4().hex}"
    done = Done()
    backend.start(pod(tmp_path, "victim", sh("sleep 60", env={"MARK": mark})), done)
    pid_file = tmp_path / "victim" / "ctr" / "main" / "pid"
    end = time.monotonic() + 10
    while not (pid_file.exists() and pid_file.read_text().strip() and marked_processes(mark)):
        assert time.monotonic() < end, "the step did not start"
        time.sleep(0.02)
    os.kill(int(pid_file.read_text()), 9)
    result = done.wait(10)
    assert result.phase == "Failed" and "ended without an exit code" in result.message, result
    end = time.monotonic() + 5
    while marked_processes(mark) and time.monotonic() < end:
        time.sleep(0.05)
    assert marked_processes(mark) == []


def test_kill_with_grace_term_ignoring_child(tmp_path: Path, backend: HostBackend) -> None:
    mark = uuid.uuid4().hex
    d = Done()
    h = backend.start(pod(tmp_path, "k", sh("trap '' TERM; sleep 30 & wait; sleep 30", env={"MARK": mark})), d)
    time.sleep(0.5)
    t = time.monotonic()
    backend.kill(h, 0.3)
    r = d.wait(10)
    assert time.monotonic() - t < 5
    assert r.exit_code == 137 and r.phase == "Failed"
    assert marked_processes(mark) == []


def test_kill_reaches_a_cooperative_child(tmp_path: Path, backend: HostBackend) -> None:
    d = Done()
    h = backend.start(pod(tmp_path, "k2", sh("trap 'exit 9' TERM; while :; do sleep 0.05; done")), d)
    time.sleep(0.4)
    backend.kill(h, 10)
    assert d.wait(5).exit_code == 9


def test_deadline(tmp_path: Path, backend: HostBackend) -> None:
    d = Done()
    backend.start(pod(tmp_path, "dl", sh("sleep 30"), deadline_seconds=0.3, kill_grace_seconds=0.5), d)
    r = d.wait(10)
    assert (r.phase, r.message) == ("Failed", "Pod was active on the node longer than the specified deadline")


def test_init_containers_in_order_and_failure(tmp_path: Path, backend: HostBackend) -> None:
    ok = Done()
    backend.start(pod(tmp_path, "i1", sh("echo 1 >> /var/run/argo/order", "init1", "init"),
                      sh("echo 2 >> /var/run/argo/order", "init2", "init"),
                      sh("cat /var/run/argo/order")), ok)
    r = ok.wait()
    assert r.phase == "Succeeded" and r.result == "1\n2"
    bad = Done()
    backend.start(pod(tmp_path, "i2", sh("exit 4", "setup", "init"), sh("echo never")), bad)
    r = bad.wait()
    assert r.phase == "Failed" and "setup" in r.message and "exit code 4" in r.message
    assert "main" not in r.container_exit_codes


def test_sidecar_ignoring_term_does_not_hang(tmp_path: Path, backend: HostBackend) -> None:
    mark = uuid.uuid4().hex
    d = Done()
    t = time.monotonic()
    backend.start(pod(tmp_path, "sc", sh("trap '' TERM; while :; do sleep 0.05; done", "side", "sidecar",
                                         env={"MARK": mark}),
                      sh("sleep 0.2; echo main-done"), kill_grace_seconds=0.3), d)
    r = d.wait(10)
    assert r.phase == "Succeeded" and r.result == "main-done"
    assert time.monotonic() - t < 5
    assert r.container_exit_codes["side"] == 137
    assert marked_processes(mark) == []


def test_container_set_dependencies(tmp_path: Path, backend: HostBackend) -> None:
    d = Done()
    a = sh("sleep 0.2; echo a >> /var/run/argo/order", "a")
    b = sh("echo b >> /var/run/argo/order", "b", dependencies=["a"])
    m = sh("cat /var/run/argo/order", "main", dependencies=["b"])
    backend.start(pod(tmp_path, "cs", a, b, m), d)
    r = d.wait()
    assert r.phase == "Succeeded" and r.result == "a\nb"


def test_no_process_left_after_on_done(tmp_path: Path, backend: HostBackend) -> None:
    mark = uuid.uuid4().hex
    seen: list[list[int]] = []

    def on_done(r: PodResult) -> None:
        seen.append(marked_processes(mark))
        done(r)

    done = Done()
    backend.start(pod(tmp_path, "bg", sh("sleep 30 & sleep 30 & echo started", env={"MARK": mark})), on_done)
    assert done.wait().phase == "Succeeded"
    assert seen == [[]]


def test_reattach_after_engine_death(tmp_path: Path) -> None:
    first = HostBackend(None)
    first.check()
    p = pod(tmp_path, "ra", sh("sleep 0.8; printf done > /tmp/out"),
            output_parameters=[OutputParameterPlan("out", "/tmp/out")])
    p.template = {"name": "ra", "outputs": {"parameters": [{"name": "out", "valueFrom": {"path": "/tmp/out"}}]}}
    first.start(p, lambda r: None)
    time.sleep(0.3)
    assert first._server is not None
    first._server.close()  # the engine goes away without closing: its server ends, the emissary does not
    second = HostBackend(None)
    second.check()
    try:
        d = Done()
        assert second.reattach(p, d) is not None
        r = d.wait()
        assert r.phase == "Succeeded" and r.parameters == {"out": "done"}
        assert second.reattach(pod(tmp_path, "never-started", sh("true")), Done()) is None
    finally:
        second.close()


def test_image_note_and_ip(tmp_path: Path, backend: HostBackend) -> None:
    assert "alpine:3" in HostBackend.image_ignored_note("alpine:3")
    d = Done()
    h = backend.start(pod(tmp_path, "ip", sh("true")), d)
    assert backend.ip(h) == "127.0.0.1"
    d.wait()


def test_volumes_subpath_readonly_and_input_files(tmp_path: Path, backend: HostBackend) -> None:
    from wfexec.pod import InputFile, VolumeMount

    vol = tmp_path / "vol"
    (vol / "ro").mkdir(parents=True)
    (vol / "ro" / "given").write_text("given\n")
    staged = tmp_path / "staged.txt"
    staged.write_text("input!\n")
    c = sh("cat /in/data.txt /data/ro/given; echo w > /work/sub/out; echo x > /data/ro/nope || echo ro-ok",
           volume_mounts=[VolumeMount("v", "/work/sub", sub_path="s"), VolumeMount("v", "/data", read_only=True)])
    d = Done()
    backend.start(pod(tmp_path, "vol", c, volumes={"v": vol},
                      input_files=[InputFile(staged, "/in/data.txt")]), d)
    r = d.wait()
    assert r.phase == "Succeeded", r.logs["main"].read_text()
    assert r.result == "input!\ngiven\nro-ok"
    assert (vol / "s" / "out").read_text() == "w\n"
    assert not (vol / "ro" / "nope").exists()
    assert not Path("/in").exists() and not Path("/work/sub").exists()


def test_unsandboxed_mode_still_runs(tmp_path: Path) -> None:
    b = HostBackend({"sandbox": "none"})
    b.check()
    try:
        d = Done()
        # without a sandbox there is no /var/run/argo: the command sees host paths (documented limit)
        p = pod(tmp_path, "nb", sh(f"printf v > {tmp_path / 'nb' / 'x'}; echo $TMPDIR"),
                output_parameters=[OutputParameterPlan("x", str(tmp_path / "nb" / "x"))])
        p.template = {"name": "nb", "outputs": {"parameters": [{"name": "x", "valueFrom": {"path": str(tmp_path / "nb" / "x")}}]}}
        b.start(p, d)
        r = d.wait()
        assert r.phase == "Succeeded" and r.result == str(p.argo_dir / ".tmp")
        assert r.parameters == {"x": "v"}
    finally:
        b.close()


ENGINE = """
import sys, time
from pathlib import Path
from wfexec.pod import ContainerPlan, OutputParameterPlan, PodPlan
from wfexec.runtimes.host.backend import HostBackend
argo = Path(sys.argv[1])
b = HostBackend(None)
b.check()
p = PodPlan(run_id="r", node_id="n", pod_name="crash", argo_dir=argo,
            containers=[ContainerPlan(name="main", command=["sh", "-c", "sleep 1; printf survived > /tmp/o"])],
            template={"outputs": {"parameters": [{"name": "o", "valueFrom": {"path": "/tmp/o"}}]}},
            output_parameters=[OutputParameterPlan("o", "/tmp/o")])
b.start(p, lambda r: None)
print("started", flush=True)
time.sleep(60)
"""


def test_reattach_after_engine_sigkill(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    argo = tmp_path / "crash"
    engine = subprocess.Popen([sys.executable, "-c", ENGINE, str(argo)], stdout=subprocess.PIPE)
    assert engine.stdout is not None and engine.stdout.readline() == b"started\n"
    end = time.monotonic() + 20  # the emissary is forked and under way (a loaded machine may take a while)
    while not (argo / "ctr" / "main" / "childpgid").exists() and time.monotonic() < end:
        time.sleep(0.02)
    engine.send_signal(signal.SIGKILL)
    engine.wait(5)
    b = HostBackend(None)
    b.check()
    try:
        p = PodPlan(run_id="r", node_id="n", pod_name="crash", argo_dir=argo,
                    containers=[ContainerPlan(name="main", command=["sh", "-c", "exit 99"])], template={},
                    output_parameters=[OutputParameterPlan("o", "/tmp/o")])
        d = Done()
        assert b.reattach(p, d) is not None
        r = d.wait()
        assert (r.phase, r.parameters) == ("Succeeded", {"o": "survived"})
    finally:
        b.close()


def test_close_stops_running_pods(tmp_path: Path) -> None:
    mark = uuid.uuid4().hex
    b = HostBackend(None)
    b.check()
    d = Done()
    b.start(pod(tmp_path, "cl", sh("sleep 30 & sleep 30", env={"MARK": mark})), d)
    wait_for(lambda: len(marked_processes(mark)) >= 2, what="the step's two sleeps running")
    b.close()
    assert d.wait(30).phase == "Failed"
    wait_for(lambda: marked_processes(mark) == [], 10, "no process of the step left")
