"""wfexec without its extras: the host runtime needs none of docker, kubernetes, boto3; asking
for what needs one says which extra to install, in one line, and exits non-zero.

The interpreter here has the extras installed (make test installs them), so they are hidden
from the wfexec process by an import hook that refuses them, as a venv without them would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HIDDEN = ("docker", "kubernetes", "boto3", "botocore")
HIDE_EXTRAS = f"""
import sys

class HideExtras:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {HIDDEN!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, HideExtras())
"""
RUN_CLI = "import sys; from wfexec.cli.main import main; sys.exit(main(sys.argv[1:]))"


def _env(home: Path) -> dict[str, str]:
    """A sitecustomize on PYTHONPATH hides the extras from this process and every Python it starts
    (the detached engine too)."""
    hook = home / "hide-extras"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(HIDE_EXTRAS)
    env = {**os.environ, "WFEXEC_HOME": str(home), "NO_COLOR": "1", "PYTHONPATH": str(hook)}
    env.pop("KUBECONFIG", None)
    return env


def wfexec(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", RUN_CLI, *args], cwd=ROOT, env=_env(home), text=True,
                          capture_output=True, timeout=120)


def test_the_hook_hides_them(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", "import subprocess, sys; "
                           "sys.exit(subprocess.call([sys.executable, '-c', 'import boto3']))"],
                          env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "No module named 'boto3'" in proc.stderr


def test_hello_world_runs_on_the_host(tmp_path: Path) -> None:
    proc = wfexec(tmp_path, "submit", "examples/hello-world.yaml", "--wait", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"]["phase"] == "Succeeded"
    logs = wfexec(tmp_path, "logs", "@latest")
    assert "hello world" in logs.stdout


@pytest.mark.parametrize(("args", "extra"), [
    (["submit", "examples/hello-world.yaml", "--runtime", "docker", "--wait"], "docker"),
    (["submit", "examples/hello-world.yaml", "--runtime", "docker", "--executor", "docker", "--wait"], "docker"),
    (["list", "--kube"], "kube"),
])
def test_asking_for_an_extra_says_what_to_install(tmp_path: Path, args: list[str], extra: str) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    proc = wfexec(tmp_path, *args, *(["--kubeconfig", str(kubeconfig)] if extra == "kube" else []))
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert f"pip install 'wfexec[{extra}]'" in lines[0]
    assert "Traceback" not in proc.stderr


def test_an_s3_artifact_says_what_to_install(tmp_path: Path) -> None:
    wf = tmp_path / "s3.yaml"
    wf.write_text("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: s3-}
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c, "echo hi > /tmp/out"]
    outputs:
      artifacts:
      - name: out
        path: /tmp/out
        s3: {bucket: b, key: out.tgz, endpoint: "127.0.0.1:9", insecure: true}
""")
    proc = wfexec(tmp_path, "submit", str(wf), "--wait", "-o", "json")
    assert proc.returncode != 0
    nodes = json.loads(proc.stdout)["status"]["nodes"]
    messages = " ".join(str(n.get("message") or "") for n in nodes.values())
    assert "pip install 'wfexec[s3]'" in messages, messages
