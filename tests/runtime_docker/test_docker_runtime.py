"""The docker runtime under both executors, on a real Docker daemon with locally built images."""

from __future__ import annotations

import tarfile
import threading
import time
from pathlib import Path

import pytest

from tests.runtime_docker.conftest import EXECUTORS, Waiter, make_pod, run_pod, wait_for_output
from tests.support.docker_daemon import containers_labelled
from tests.support.images import HELLO_MESSAGE, no_command_image
from wfexec.errors import ExecutorError, RuntimeUnavailable
from wfexec.executors.result import DEADLINE_MESSAGE
from wfexec.pod import ContainerPlan, OutputArtifactPlan, OutputParameterPlan, PodResult, VolumeMount
from wfexec.runtimes.docker.backend import DockerBackend

pytestmark = pytest.mark.docker


def sh(script: str, name: str = "main", **kw) -> ContainerPlan:
    return ContainerPlan(name, image="busybox", command=["sh", "-c"], args=[script], **kw)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_hello_world_without_command(backends, images, tmp_path: Path, executor: str) -> None:
    pod = make_pod(tmp_path, [ContainerPlan("main", image="hello-world")])
    res = run_pod(backends[executor], pod)
    assert res.phase == "Succeeded", res.message
    assert res.exit_code == 0
    assert HELLO_MESSAGE in res.result + "\n"
    assert HELLO_MESSAGE in res.logs["main"].read_text()


def _tgz_contents(path: Path | None) -> dict[str, bytes] | None:
    if path is None:
        return None
    with tarfile.open(path) as tar:
        return {m.name: (tar.extractfile(m).read() if m.isfile() else b"<dir>") for m in tar}


def _comparable(res: PodResult) -> dict:
    return {
        "phase": res.phase, "message": res.message, "exit_code": res.exit_code, "result": res.result,
        "parameters": res.parameters, "codes": res.container_exit_codes,
        "artifacts": {k: _tgz_contents(v) for k, v in res.artifacts.items()},
        "log": sorted(res.logs["main"].read_text().splitlines()),
        "log_files": sorted(res.logs),
    }


@pytest.mark.parametrize("exit_code", [0, 3])
def test_busybox_same_results_under_both_executors(backends, images, tmp_path: Path, exit_code: int) -> None:
    script = (
        "echo out-1; echo err-1 >&2; echo out-2; mkdir -p /tmp/out/sub; printf 'the value' > /tmp/out/param;"
        "echo a > /tmp/out/sub/a.txt; echo b > /tmp/out/b.txt; echo single > /tmp/single.txt;"
        f"exit {exit_code}"
    )
    params = [OutputParameterPlan("value", "/tmp/out/param"), OutputParameterPlan("missing", "/tmp/nowhere")]
    arts = [OutputArtifactPlan("dir", "/tmp/out"), OutputArtifactPlan("file", "/tmp/single.txt"),
            OutputArtifactPlan("absent", "/tmp/absent", optional=True)]
    results = {ex: run_pod(backends[ex], make_pod(tmp_path / ex, [sh(script)], params=params, artifacts=arts))
               for ex in EXECUTORS}
    emissary, docker_ = (_comparable(results[ex]) for ex in EXECUTORS)
    assert emissary == docker_
    assert docker_["phase"] == ("Succeeded" if exit_code == 0 else "Failed")
    assert docker_["exit_code"] == exit_code
    if exit_code:
        assert docker_["message"] == f"Error (exit code {exit_code})"
    assert docker_["result"] == "out-1\nout-2"
    assert docker_["parameters"] == {"value": "the value", "missing": None}
    assert docker_["artifacts"]["dir"]["out/sub/a.txt"] == b"a\n"
    assert docker_["artifacts"]["file"] == {"single.txt": b"single\n"}
    assert docker_["artifacts"]["absent"] is None
    assert docker_["log"] == ["err-1", "out-1", "out-2"]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_env_working_dir_user_and_limits(backends, images, tmp_path: Path, executor: str) -> None:
    script = ("echo $GREETING; pwd; id -u; "
              "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes")
    c = sh(script, env={"GREETING": "hello env"}, working_dir="/tmp",
           security_context={"runAsUser": 1234}, resources={"limits": {"memory": "64Mi", "cpu": "500m"}})
    res = run_pod(backends[executor], make_pod(tmp_path, [c]))
    assert res.phase == "Succeeded", res.message + res.logs["main"].read_text()
    assert res.result.splitlines() == ["hello env", "/tmp", "1234", str(64 * 1024 * 1024)]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_missing_image_is_a_clear_error(backends, images, tmp_path: Path, executor: str) -> None:
    pod = make_pod(tmp_path, [ContainerPlan("main", image="example.com/nowhere/missing:1.0", command=["true"],
                                            image_pull_policy="Always")], pod_name="my-step")
    with pytest.raises(RuntimeUnavailable) as err:
        backends[executor].start(pod, Waiter())
    text = str(err.value)
    assert "my-step" in text
    assert "image 'example.com/nowhere/missing:1.0' is not present locally; build or load it" in text
    assert "imagePullPolicy: Always" in text


def test_docker_executor_without_daemon(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/dead.sock")
    with pytest.raises(ExecutorError) as err:
        DockerBackend(None, executor="docker").check()
    text = str(err.value)
    assert "the docker executor needs the Docker daemon that runs the step's containers" in text
    assert "root-equivalent" in text
    assert "No such container" not in text

    from wfexec.runtimes.backends import make_backend

    with pytest.raises(ExecutorError):
        make_backend("docker", "docker", None)
    with pytest.raises(RuntimeUnavailable) as err:  # the emissary on the docker runtime needs it too
        DockerBackend(None, executor="emissary").check()
    assert "the docker runtime needs a running Docker daemon" in str(err.value)


def test_emissary_needs_a_command(backends, images, tmp_path: Path) -> None:
    image = no_command_image()
    pod = make_pod(tmp_path, [ContainerPlan("main", image=image)])
    with pytest.raises(ExecutorError) as err:
        backends["emissary"].start(pod, Waiter())
    text = str(err.value)
    assert "'tmpl'" in text and image in text
    assert "needs `command`" in text and "images:" in text and "wfexec migrate" in text
    # the `images:` index supplies it
    cfg = {"images": {image: {"cmd": ["/bin/sh", "-c", "echo from the images index"]}}}
    backend = DockerBackend(cfg, executor="emissary")
    try:
        res = run_pod(backend, make_pod(tmp_path / "b", [ContainerPlan("main", image=image)]))
    finally:
        backend.close()
    assert res.phase == "Succeeded", res.message
    assert res.result == "from the images index"


@pytest.mark.parametrize("executor", EXECUTORS)
def test_kill_with_grace(backends, images, tmp_path: Path, executor: str) -> None:
    script = "trap '' TERM; echo ready; while true; do sleep 0.1; done"
    pod = make_pod(tmp_path, [sh(script)])
    waiter = Waiter()
    handle = backends[executor].start(pod, waiter)
    wait_for_output(pod, "ready")
    t0 = time.monotonic()
    backends[executor].kill(handle, 1.0)
    res = waiter.result(30)
    elapsed = time.monotonic() - t0
    assert 0.9 <= elapsed < 10
    assert res.phase == "Failed"
    assert res.exit_code == 137
    assert res.message == "Error (exit code 137)"


@pytest.mark.parametrize("executor", EXECUTORS)
def test_term_stops_a_cooperative_process_quickly(backends, images, tmp_path: Path, executor: str) -> None:
    pod = make_pod(tmp_path, [sh("trap 'exit 143' TERM; echo ready; while true; do sleep 0.1; done")])
    waiter = Waiter()
    handle = backends[executor].start(pod, waiter)
    wait_for_output(pod, "ready")
    t0 = time.monotonic()
    backends[executor].kill(handle, 20)
    res = waiter.result(30)
    assert time.monotonic() - t0 < 10
    assert res.phase == "Failed"
    assert res.exit_code == 143


@pytest.mark.parametrize("executor", EXECUTORS)
def test_sidecar_shares_network_with_main(backends, images, tmp_path: Path, executor: str) -> None:
    main = sh("for i in $(seq 150); do wget -q -O - http://127.0.0.1:80/ && exit 0; sleep 0.1; done; exit 1")
    sidecar = ContainerPlan("web", role="sidecar", image="nginx")
    pod = make_pod(tmp_path, [main, sidecar], kill_grace_seconds=1)
    res = run_pod(backends[executor], pod)
    assert res.phase == "Succeeded", res.message + res.logs["main"].read_text()
    assert "wfexec test server" in res.result
    assert set(res.logs) == {"main", "web"}


@pytest.mark.parametrize("executor", EXECUTORS)
def test_labels_and_no_container_left(backends, images, tmp_path: Path, executor: str) -> None:
    pod = make_pod(tmp_path, [sh("sleep 2")], node_id="node-labels")
    label = f"wfexec.run={pod.run_id}"
    waiter = Waiter()
    backends[executor].start(pod, waiter)
    deadline = time.monotonic() + 10
    while not containers_labelled(label) and time.monotonic() < deadline:
        time.sleep(0.1)
    import docker

    client = docker.from_env()
    try:
        (c,) = client.api.containers(all=True, filters={"label": label})
        assert c["Labels"]["wfexec.node"] == "node-labels"
        assert c["Labels"]["wfexec.container"] == "main"
        assert c["Labels"]["wfexec.pod"] == pod.pod_name
        assert c["Labels"]["wfexec.executor"] == executor
        assert c["Labels"]["wfexec.role"] == "main"
    finally:
        client.close()
    assert waiter.result().phase == "Succeeded"
    assert containers_labelled(label) == []


@pytest.mark.parametrize("executor", EXECUTORS)
def test_init_containers_run_first_in_order(backends, images, tmp_path: Path, executor: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    mount = [VolumeMount("work", "/work")]
    inits = [sh("echo one >> /work/order", name="init-1", role="init", volume_mounts=mount),
             sh("echo two >> /work/order", name="init-2", role="init", volume_mounts=mount)]
    pod = make_pod(tmp_path, [*inits, sh("cat /work/order", volume_mounts=mount)], volumes={"work": work})
    res = run_pod(backends[executor], pod)
    assert res.phase == "Succeeded", res.message
    assert res.result == "one\ntwo"
    assert res.container_exit_codes == {"init-1": 0, "init-2": 0, "main": 0}


@pytest.mark.parametrize("executor", EXECUTORS)
def test_failing_init_container_fails_the_pod(backends, images, tmp_path: Path, executor: str) -> None:
    pod = make_pod(tmp_path, [sh("exit 5", name="init-1", role="init"), sh("echo never")])
    res = run_pod(backends[executor], pod)
    assert res.phase == "Failed"
    assert res.message == "init container init-1: Error (exit code 5)"
    assert "main" not in res.container_exit_codes


@pytest.mark.parametrize("executor", EXECUTORS)
def test_deadline_is_enforced(backends, images, tmp_path: Path, executor: str) -> None:
    pod = make_pod(tmp_path, [sh("exec sleep 60")], deadline_seconds=1.0, kill_grace_seconds=1)
    t0 = time.monotonic()
    res = run_pod(backends[executor], pod)
    assert time.monotonic() - t0 < 15
    assert res.phase == "Failed"
    assert res.message == DEADLINE_MESSAGE


@pytest.mark.parametrize("executor", EXECUTORS)
def test_daemon_ip_is_reachable_from_another_pod(backends, images, tmp_path: Path, executor: str) -> None:
    backend = backends[executor]
    server = make_pod(tmp_path / "s", [ContainerPlan("main", image="nginx")], daemon=True, kill_grace_seconds=1)
    waiter = Waiter()
    handle = backend.start(server, waiter)
    try:
        ip = backend.ip(handle)
        assert ip and ip != "127.0.0.1"
        client = sh(f"for i in $(seq 150); do wget -q -O - http://{ip}:80/ && exit 0; sleep 0.1; done; exit 1")
        res = run_pod(backend, make_pod(tmp_path / "c", [client]))
        assert res.phase == "Succeeded", res.message
        assert "wfexec test server" in res.result
    finally:
        backend.kill(handle, 1)
    assert waiter.result(30).phase in ("Failed", "Succeeded")


def test_reattach_finds_nothing_for_an_unknown_pod(backends, images, tmp_path: Path) -> None:
    pod = make_pod(tmp_path, [sh("true")], run_id="never-started")
    assert backends["docker"].reattach(pod, Waiter()) is None


def test_on_done_called_once_from_another_thread(backends, images, tmp_path: Path) -> None:
    calls: list[str] = []
    done = threading.Event()

    def on_done(res: PodResult) -> None:
        calls.append(threading.current_thread().name)
        done.set()

    t0 = time.monotonic()
    backends["docker"].start(make_pod(tmp_path, [sh("sleep 1")]), on_done)
    assert time.monotonic() - t0 < 1.0  # start() returns before the pod ends
    assert done.wait(30)
    time.sleep(0.2)
    assert len(calls) == 1 and calls[0] != threading.current_thread().name


def test_artifact_archive_none_matches(backends, images, tmp_path: Path) -> None:
    arts = [OutputArtifactPlan("raw", "/tmp/raw.txt", archive={"none": {}})]
    out = {}
    for ex in EXECUTORS:
        res = run_pod(backends[ex], make_pod(tmp_path / ex, [sh("echo raw > /tmp/raw.txt")], artifacts=arts))
        assert res.phase == "Succeeded"
        out[ex] = res.artifacts["raw"].read_bytes()
    assert out["emissary"] == out["docker"] == b"raw\n"


_CRASHING_ENGINE = r"""
import json, os, sys, time
from pathlib import Path
from wfexec.pod import ContainerPlan, OutputParameterPlan, PodPlan
from wfexec.runtimes.docker.backend import DockerBackend
spec = json.loads(sys.argv[1])
pod = PodPlan(run_id=spec["run_id"], node_id="node-1", pod_name="pod-1", argo_dir=Path(spec["argo_dir"]),
              containers=[ContainerPlan("main", image=spec["image"], command=["sh", "-c"], args=[spec["script"]])],
              template=spec["template"], output_parameters=[OutputParameterPlan("p", "/tmp/p")])
handle = DockerBackend(None, executor=spec["executor"]).start(pod, lambda r: None)
handle.started.wait(30)
print("started", flush=True)
os._exit(0)  # the engine dies: no thread collects, nothing is removed
"""


@pytest.mark.parametrize("executor", EXECUTORS)
def test_reattach_after_engine_crash(backends, images, tmp_path: Path, executor: str) -> None:
    import json
    import subprocess
    import sys

    script = "sleep 2; echo -n reattached > /tmp/p; echo done"
    params = [OutputParameterPlan("p", "/tmp/p")]
    pod = make_pod(tmp_path, [sh(script)], params=params)
    spec = {"run_id": pod.run_id, "argo_dir": str(pod.argo_dir), "image": images["busybox"], "script": script,
            "template": pod.template, "executor": executor}
    proc = subprocess.run([sys.executable, "-c", _CRASHING_ENGINE, json.dumps(spec)], capture_output=True,
                          text=True, timeout=60)
    assert proc.stdout.strip() == "started", proc.stderr
    assert containers_labelled(f"wfexec.run={pod.run_id}")  # still there, nobody follows it
    waiter = Waiter()
    handle = backends[executor].reattach(pod, waiter)
    assert handle is not None
    res = waiter.result(30)
    assert res.phase == "Succeeded", res.message
    assert res.result == "done"
    assert res.parameters == {"p": "reattached"}
    assert containers_labelled(f"wfexec.run={pod.run_id}") == []


def test_output_cut_beyond_max_output_bytes_matches(backends, images, tmp_path: Path) -> None:
    script = "i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done"
    out = {}
    for ex in EXECUTORS:
        res = run_pod(backends[ex], make_pod(tmp_path / ex, [sh(script)], max_output_bytes=100))
        assert res.phase == "Succeeded", res.message
        out[ex] = (res.result, res.logs["main"].read_text())
    assert out["emissary"] == out["docker"]
    assert out["docker"][0].startswith("line-0\nline-1\n")
    assert "[output cut: more than 100 bytes" in out["docker"][0]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_container_set_dependencies(backends, images, tmp_path: Path, executor: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    mount = [VolumeMount("work", "/work")]
    first = sh("sleep 1; echo first > /work/f", name="a", volume_mounts=mount)
    main = sh("cat /work/f", volume_mounts=mount, dependencies=["a"])
    res = run_pod(backends[executor], make_pod(tmp_path, [first, main], volumes={"work": work}))
    assert res.phase == "Succeeded", res.message
    assert res.result == "first"
    assert res.container_exit_codes == {"a": 0, "main": 0}


@pytest.mark.parametrize("executor", EXECUTORS)
def test_input_files_are_mounted(backends, images, tmp_path: Path, executor: str) -> None:
    from wfexec.pod import InputFile

    staged = tmp_path / "staged.txt"
    staged.write_text("staged input\n")
    pod = make_pod(tmp_path, [sh("cat /tmp/inputs/message")],
                   input_files=[InputFile(staged, "/tmp/inputs/message")])
    res = run_pod(backends[executor], pod)
    assert res.phase == "Succeeded", res.message
    assert res.result == "staged input"


@pytest.mark.parametrize("executor", EXECUTORS)
def test_container_removed_behind_our_back(backends, images, tmp_path: Path, executor: str) -> None:
    import subprocess

    pod = make_pod(tmp_path, [sh("sleep 30")], params=[OutputParameterPlan("p", "/tmp/p")])
    label = f"wfexec.run={pod.run_id}"
    waiter = Waiter()
    backends[executor].start(pod, waiter)
    deadline = time.monotonic() + 10
    while not (ids := containers_labelled(label)) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    subprocess.run(["docker", "rm", "-f", *ids], check=True, capture_output=True)
    res = waiter.result(30)
    assert res.phase in ("Error", "Failed")
    assert "No such container" not in res.message
    assert "removed" in res.message or res.exit_code == 137, res.message


@pytest.mark.parametrize("executor", EXECUTORS)
def test_image_with_its_own_python_is_untouched(backends, images, tmp_path: Path, executor: str) -> None:
    from tests.support.images import python_image

    code = "import os, sys; print(sys.prefix, os.environ.get('PYTHONHOME'), os.environ.get('PYTHONPATH'))"
    pod = make_pod(tmp_path, [ContainerPlan("main", image=python_image(), command=["python3", "-c", code])])
    res = run_pod(backends[executor], pod)
    assert res.phase == "Succeeded", res.message + res.logs["main"].read_text()
    assert res.result == "/usr None None"


def test_executor_config_object_maps_images_and_supplies_commands(images, tmp_path: Path) -> None:
    from wfexec.config import ExecutorConfig

    image = no_command_image()
    cfg = ExecutorConfig(image_map={"alpine:*": images["busybox"], "tools/*": image},
                         images={"tools/echo:1": {"cmd": ["/bin/sh", "-c", "echo indexed"]}})
    backend = DockerBackend(cfg, executor="emissary")
    try:
        res = run_pod(backend, make_pod(tmp_path / "a", [ContainerPlan("main", image="alpine:3.19",
                                                                       command=["echo", "mapped"])]))
        assert (res.phase, res.result) == ("Succeeded", "mapped")
        res = run_pod(backend, make_pod(tmp_path / "b", [ContainerPlan("main", image="tools/echo:1")]))
        assert (res.phase, res.result) == ("Succeeded", "indexed"), res.message
    finally:
        backend.close()


@pytest.mark.parametrize("executor", EXECUTORS)
def test_deadline_covers_init_containers(backends, images, tmp_path: Path, executor: str) -> None:
    pod = make_pod(tmp_path, [sh("exec sleep 60", name="init-1", role="init"), sh("echo never")],
                   deadline_seconds=1.0, kill_grace_seconds=1)
    t0 = time.monotonic()
    res = run_pod(backends[executor], pod)
    assert time.monotonic() - t0 < 15
    assert (res.phase, res.message) == ("Failed", DEADLINE_MESSAGE)
    assert "main" not in res.container_exit_codes
