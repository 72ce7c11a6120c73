"""KFP v2 corpus pipelines on the docker runtime, under both executors (emissary and docker).

Every image the corpus names (`python:3.11`, `registry.access.redhat.com/ubi9/python-311`, `alpine`…) is
mapped through the executor config's imageMap to one image the tests build from the host's Python:
busybox, Debian's python3.11 and stdlib, Debian's pip, and a wheelhouse holding the kfp wheels the
selected pipelines pin (pip is told to install from it: nothing is downloaded inside a container). So a
lightweight component's own preamble runs in the container as it would in `python:3.11`: pip installs
`kfp==X`, then `python3 -m kfp.dsl.executor_main` runs the function. The launcher (launcher.py) runs on
the image's python3, bound in read-only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support import images
from tests.support.docker_daemon import ensure_dockerd

CORPUS_V2 = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "kfp-v2-pipelines"
KFP_PYTHON_IMAGE = "wfexec-test/kfp-python:1"
# A lean selection: a single lightweight component, one with named-tuple and artifact outputs, a
# condition between lightweight tasks, and container components (no Python in the command).
PIPELINES = {
    "critical/add_numbers.yaml": {"a": "1", "b": "2"},
    "essential/lightweight_python_functions_with_outputs.yaml": {
        "first_message": "hello", "second_message": "world", "first_number": "2", "second_number": "3"},
    "critical/flip_coin.yaml": {},
    "critical/container_component_with_no_inputs.yaml": {},
}
SSL_MODULE = "/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so"


def _pinned_kfp() -> list[str]:
    """The kfp versions the selected pipelines install (their preambles pin one each)."""
    found: set[str] = set()
    for name in PIPELINES:
        text = (CORPUS_V2 / name).read_text()
        found.update(v for v in _words(text) if v.startswith("kfp=="))
    return sorted(found)


def _words(text: str) -> list[str]:
    return [w.strip("'\"\\") for w in text.replace("\\ ", " ").split()]


def _wheels(dest: Path) -> None:
    for req in _pinned_kfp():
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dest), req],
                              capture_output=True, text=True)
        assert done.returncode == 0, f"pip wheel {req}: {done.stderr.strip()[-500:]}"


def _build_kfp_python() -> None:
    root = images._busybox_rootfs()
    python = "/usr/bin/python3.11"
    root.host_file(python, "usr/bin/python3.11")
    root.symlink("usr/bin/python3", "python3.11")
    root.symlink("usr/bin/python", "python3.11")
    libs = set(images._ldd(python)) | set(images._ldd(SSL_MODULE))  # pip imports ssl
    for lib in sorted(libs):
        root.host_file(os.path.realpath(lib), lib)
    for tree in (Path("/usr/lib/python3.11"), Path("/usr/lib/python3/dist-packages/pip")):
        for path in sorted(tree.rglob("*")):
            rel = str(path)
            if "__pycache__" in path.parts or path.name == "EXTERNALLY-MANAGED" or \
                    (tree.name == "python3.11" and "test" in path.relative_to(tree).parts[:1]):
                continue  # python:3.11 lets pip install into its own Python, as Debian's marker would not
            if path.is_symlink():
                root.symlink(rel, os.readlink(path))
            elif path.is_dir():
                root.dir(rel)
            elif path.is_file():
                root.host_file(rel)
    with tempfile.TemporaryDirectory() as tmp:
        _wheels(Path(tmp))
        for wheel in sorted(Path(tmp).iterdir()):
            root.host_file(str(wheel), f"wheels/{wheel.name}")
    images._import(root.bytes(), KFP_PYTHON_IMAGE, [
        'CMD ["python3"]', "ENV PIP_NO_INDEX=1", "ENV PIP_FIND_LINKS=/wheels",
        "ENV PIP_DISABLE_PIP_VERSION_CHECK=1", "ENV PIP_ROOT_USER_ACTION=ignore",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])


@pytest.fixture(scope="module")
def docker_config(tmp_path_factory: pytest.TempPathFactory) -> str:
    ensure_dockerd()
    image = images._build_once(KFP_PYTHON_IMAGE, _build_kfp_python)
    path = tmp_path_factory.mktemp("docker-cfg") / "config.yaml"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "workflow-controller-configmap"},
                                "data": {"imageMap": {"*": image}}}))
    return str(path)


# Each pipeline once, each executor twice: a docker run of a pipeline takes tens of seconds on a busy
# machine (a container per task, pip installing kfp in each), so CI runs this lean selection.
CASES = [("critical/add_numbers.yaml", "emissary"), ("critical/add_numbers.yaml", "docker"),
         ("essential/lightweight_python_functions_with_outputs.yaml", "docker"),
         ("critical/flip_coin.yaml", "emissary"), ("critical/container_component_with_no_inputs.yaml", "docker")]


@pytest.mark.docker
@pytest.mark.parametrize(("name", "executor"), CASES)
def test_corpus_pipeline_succeeds_on_docker(name: str, executor: str, docker_config: str, tmp_path: Path):
    env = dict(os.environ, WFEXEC_HOME=str(tmp_path / "home"))
    wfexec = str(Path(sys.executable).with_name("wfexec"))
    params = [a for k, v in PIPELINES[name].items() for a in ("-p", f"{k}={v}")]
    done = subprocess.run([wfexec, "submit", "--wait", "--runtime", "docker", "--executor", executor,
                           "--config", docker_config, str(CORPUS_V2 / name), *params],
                          env=env, capture_output=True, text=True, timeout=600)
    got = subprocess.run([wfexec, "get", "@latest", "-o", "json"], env=env, capture_output=True, text=True)
    assert got.returncode == 0, done.stderr + got.stderr
    status = json.loads(got.stdout)["status"]
    assert status["phase"] == "Succeeded", (status.get("message"), done.stdout[-3000:], done.stderr[-2000:])
    assert done.returncode == 0
    pods = [n for n in status["nodes"].values() if n.get("type") == "Pod"]
    assert pods and all(n["phase"] == "Succeeded" for n in pods)
    if name == "critical/add_numbers.yaml":
        [pod] = pods
        assert {p["name"]: p.get("value") for p in pod["outputs"]["parameters"]}["p-Output"] == "3"
