"""Cached Python environments and the warm process for KFP lightweight components (kfp/v2/pyenv.py, warm*.py).

The components have KFP's own command shape (its preamble and program) with sources of our own. They run
in a real bubblewrap sandbox, as the host runtime runs a step, or through the engine itself.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from tests.support.runs import run_file
from wfexec.kfp.v2 import pyenv, warm

CORPUS_V2 = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "kfp-v2-pipelines"
KFP_VERSION = "2.14.3"  # the version most of the corpus pins

PREAMBLE = (
    "\nif ! [ -x \"$(command -v pip)\" ]; then\n    python3 -m ensurepip || python3 -m ensurepip --user"
    " || apt-get install python3-pip\nfi\n\nPIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet"
    " --no-warn-script-location {packages}'kfp=={kfp}' '--no-deps' 'typing-extensions>=3.7.4,<5;"
    " python_version<\"3.9\"' && \"$0\" \"$@\"\n"
)
PROGRAM = (
    'program_path=$(mktemp -d)\n\nprintf "%s" "$0" > "$program_path/ephemeral_component.py"\n'
    '_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main                         --component_module_path'
    '                         "$program_path/ephemeral_component.py"                         "$@"\n'
)
HEADER = "\nimport kfp\nfrom kfp import dsl\nfrom kfp.dsl import *\nfrom typing import *\n\n"

ADD = "def add(a: int, b: int) -> int:\n    import os\n    print('parent', os.getppid(), flush=True)\n    return a + b\n"
FAIL = "def fail():\n    raise ValueError('this component fails')\n"
SLEEP = ("def sleep(marker: str):\n    import os, time\n    open(marker, 'w').write(str(os.getpid()))\n"
         "    time.sleep(60)\n")


def component_command(source: str, *, packages: str = "", kfp: str = KFP_VERSION) -> list[str]:
    """What KFP's compiler emits for a lightweight component with `source` (one function)."""
    return ["sh", "-c", PREAMBLE.format(packages=packages, kfp=kfp), "sh", "-ec", PROGRAM, HEADER + source]


def executor_args(function: str, out_dir: str, parameters: dict | None = None) -> list[str]:
    executor_input = {"inputs": {"parameterValues": parameters or {}},
                      "outputs": {"parameters": {"Output": {"outputFile": f"{out_dir}/Output"}},
                                  "outputFile": f"{out_dir}/executor_output.json"}}
    return ["--executor_input", json.dumps(executor_input), "--function_to_execute", function]


@pytest.fixture(scope="module")
def shared_pyenvs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One venv directory for the module (a venv costs a pip install)."""
    return tmp_path_factory.mktemp("pyenvs")


@pytest.fixture
def pyenvs(shared_pyenvs: Path, monkeypatch: pytest.MonkeyPatch):
    """$WFEXEC_PYENV_DIR for one test; the warm processes are ended after it."""
    monkeypatch.setenv("WFEXEC_PYENV_DIR", str(shared_pyenvs))
    monkeypatch.setenv("WFEXEC_PYENV_IDLE", "30")
    yield shared_pyenvs
    for root in shared_pyenvs.iterdir():
        if root.is_dir():
            warm.stop_warm(root)


def sandbox(tmp: Path, root: Path) -> list[str]:
    """bwrap as the host runtime uses it: host root read-only, a private /tmp, the venv bound back."""
    assert shutil.which("bwrap"), "these tests need bubblewrap (apt-get install bubblewrap)"
    return ["bwrap", "--die-with-parent", "--new-session", "--ro-bind", "/", "/", "--dev-bind", "/dev", "/dev",
            "--proc", "/proc", "--bind", str(tmp), "/tmp", "--ro-bind", str(root), str(root)]


def run_in_sandbox(prepared: pyenv.PreparedCommand, tmp: Path, *extra: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, **prepared.env)
    return subprocess.Popen([*sandbox(tmp, prepared.pyenv), *extra, *prepared.command], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def warm_pid(root: Path) -> int:
    return int((root / "warm.pid").read_text())


# --- the preamble ----------------------------------------------------------------------------------------


def test_every_lightweight_component_of_the_corpus_is_understood():
    seen = 0
    for path in sorted(CORPUS_V2.glob("*/*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            executors = ((doc or {}).get("deploymentSpec") or {}).get("executors") or {}
            for name, executor in executors.items():
                command = (executor.get("container") or {}).get("command") or []
                spec = pyenv.parse_preamble(command)
                if "pip install" not in " ".join(command):
                    assert spec is None, f"{path.name} {name}"
                    continue
                seen += 1
                assert spec is not None, f"{path.name} {name}: preamble not understood"
                assert any(p.startswith("kfp==") for p in spec.packages), f"{path.name} {name}: {spec.installs}"
                assert pyenv.is_standard_program(spec.rest), f"{path.name} {name}"
    assert seen >= 100


def test_the_preamble_gives_each_pip_call_in_order_with_its_index():
    command = component_command(ADD, packages="--index-url https://example.test/simple 'yapf==0.40.2'  &&  "
                                "python3 -m pip install --quiet --no-warn-script-location ")
    spec = pyenv.parse_preamble(command)
    assert spec.installs == (("--index-url", "https://example.test/simple", "yapf==0.40.2"),
                             (f"kfp=={KFP_VERSION}", "--no-deps", 'typing-extensions>=3.7.4,<5; python_version<"3.9"'))
    plain = pyenv.parse_preamble(component_command(ADD))
    python = sys.executable
    assert pyenv.env_key(spec, python) != pyenv.env_key(plain, python)
    assert pyenv.env_key(plain, python) == pyenv.env_key(pyenv.parse_preamble(component_command(FAIL)), python)
    assert pyenv.parse_preamble(["sh", "-c", "echo hi", "x"]) is None
    assert pyenv.command_for(["python3", "-c", "print(1)"], []) is None


# --- the venv --------------------------------------------------------------------------------------------


def test_a_venv_is_built_once_for_concurrent_tasks_and_then_works_offline(pyenvs: Path, monkeypatch):
    spec = pyenv.parse_preamble(component_command(ADD))
    builds: list[Path] = []
    real_build = pyenv._build

    def counted(root: Path, *args) -> None:
        builds.append(root)
        real_build(root, *args)

    monkeypatch.setattr(pyenv, "_build", counted)
    roots: list[Path] = []
    threads = [threading.Thread(target=lambda: roots.append(pyenv.ensure_env(spec))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(roots)) == 1 and len(roots) == 3
    assert len(builds) <= 1  # none when an earlier test of this module built it
    root = roots[0]
    where = subprocess.run([str(root / "bin" / "python"), "-c", "import kfp; print(kfp.__file__)"],
                           capture_output=True, text=True, env={"_KFP_RUNTIME": "true"}, check=True).stdout
    assert where.startswith(str(root)), where
    assert not where.startswith(sys.prefix)

    # Offline: a pip that cannot reach any index. The cached venv is used; pip is not asked.
    offline = {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "", "WFEXEC_PYENV_DIR": str(pyenvs)}
    code = ("import json, sys; from wfexec.kfp.v2 import pyenv; "
            "p = pyenv.command_for(json.loads(sys.argv[1]), [], warm=False); print(p.pyenv)")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(component_command(ADD))], capture_output=True,
                          text=True, env=dict(os.environ, **offline))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(root)


def test_a_package_pip_cannot_install_is_a_clear_error_naming_it(pyenvs: Path, monkeypatch):
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    command = component_command(ADD, packages="'wfexec-no-such-package==0.0.1'  &&  python3 -m pip install ")
    with pytest.raises(pyenv.PyEnvError, match="wfexec-no-such-package==0.0.1"):
        pyenv.command_for(command, [])
    assert not list(pyenvs.glob("*/ready")) or all("wfexec-no-such" not in (r.parent / "spec.json").read_text()
                                                    for r in pyenvs.glob("*/ready"))


# --- the warm process ------------------------------------------------------------------------------------


def test_a_task_runs_in_the_warm_process_inside_the_sandbox(pyenvs: Path, tmp_path: Path):
    prepared = pyenv.command_for(component_command(ADD), executor_args("add", "/tmp/out", {"a": 3, "b": 4}))
    assert Path(prepared.command[0]).name == warm.CLIENT_NAME
    proc = run_in_sandbox(prepared, tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert json.loads((tmp_path / "out" / "executor_output.json").read_text()) == {"parameterValues": {"Output": 7}}
    assert f"parent {warm_pid(prepared.pyenv)}" in out  # forked by the warm process, not started afresh


def test_a_task_in_its_own_user_namespace_is_entered_too(pyenvs: Path, tmp_path: Path):
    prepared = pyenv.command_for(component_command(ADD), executor_args("add", "/tmp/out", {"a": 1, "b": 1}))
    proc = run_in_sandbox(prepared, tmp_path, "--unshare-user")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert json.loads((tmp_path / "out" / "executor_output.json").read_text()) == {"parameterValues": {"Output": 2}}
    assert f"parent {warm_pid(prepared.pyenv)}" in out


def test_a_failing_component_fails_the_step_with_its_traceback(pyenvs: Path, tmp_path: Path):
    prepared = pyenv.command_for(component_command(FAIL), executor_args("fail", "/tmp/out"))
    proc = run_in_sandbox(prepared, tmp_path)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "ValueError: this component fails" in err


def test_signals_reach_the_task_and_a_killed_client_takes_its_task_along(pyenvs: Path, tmp_path: Path):
    prepared = pyenv.command_for(component_command(SLEEP), executor_args("sleep", "/tmp/out", {"marker": "/tmp/pid"}))
    for how in (signal.SIGTERM, signal.SIGKILL):
        (tmp_path / "pid").unlink(missing_ok=True)
        proc = run_in_sandbox(prepared, tmp_path, start_new_session=True)
        deadline = time.monotonic() + 30
        while not (tmp_path / "pid").exists() or not (tmp_path / "pid").read_text():
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.02)
        task = int((tmp_path / "pid").read_text())
        os.killpg(proc.pid, how)  # as the emissary signals the command's group
        proc.communicate(timeout=30)
        if how == signal.SIGTERM:
            assert proc.returncode == -signal.SIGTERM  # bwrap passes on how its child ended
        deadline = time.monotonic() + 10
        while Path(f"/proc/{task}").exists() and "Z" not in _state(task):
            assert time.monotonic() < deadline, f"task {task} outlived its step ({how!r})"
            time.sleep(0.02)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_without_its_warm_process_the_task_still_runs(pyenvs: Path, tmp_path: Path):
    prepared = pyenv.command_for(component_command(ADD), executor_args("add", "/tmp/out", {"a": 2, "b": 5}))
    started_by = warm_pid(prepared.pyenv)
    warm.stop_warm(prepared.pyenv)
    proc = run_in_sandbox(prepared, tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert json.loads((tmp_path / "out" / "executor_output.json").read_text()) == {"parameterValues": {"Output": 7}}
    assert f"parent {started_by}" not in out


def test_the_host_runtime_runs_a_prepared_component(pyenvs: Path, tmp_path: Path, wfexec_home: Path):
    """Through the engine: emissary, fork server, sandbox; outputs read from the step's own /tmp."""
    prepared = pyenv.command_for(component_command(ADD), executor_args("add", "/tmp/kfp", {"a": 20, "b": 22}))
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "pyenv-"},
          "spec": {"entrypoint": "main", "templates": [{
              "name": "main",
              "container": {"image": "python:3.11", "command": prepared.command,
                            "env": [{"name": k, "value": v} for k, v in prepared.env.items()]},
              "outputs": {"parameters": [{"name": "executor-output",
                                          "valueFrom": {"path": "/tmp/kfp/executor_output.json"}}]}}]}}
    path = tmp_path / "wf.yaml"
    path.write_text(yaml.safe_dump(wf))
    done = run_file(path)
    assert done.phase == "Succeeded", done.message
    pod = done.pods()[0]
    outputs = {p["name"]: p.get("value") for p in pod["outputs"]["parameters"]}
    assert json.loads(outputs["executor-output"]) == {"parameterValues": {"Output": 42}}
    assert f"parent {warm_pid(prepared.pyenv)}" in done.log(pod)


def test_a_compiled_pipeline_runs_its_lightweight_tasks_in_the_warm_process(pyenvs: Path, tmp_path: Path,
                                                                             wfexec_home: Path):
    """KFP's own single-component pipeline (critical/add_numbers.yaml), its function made to say who
    started it: `wfexec submit`'s path (prepare, compile, launcher) goes through the venv's warm process."""
    from tests.support.runs import run_workflow
    from wfexec.kfp.v2.prepare import prepare_pipeline

    doc = yaml.safe_load((CORPUS_V2 / "critical" / "add_numbers.yaml").read_text())
    command = doc["deploymentSpec"]["executors"]["exec-add-numbers"]["container"]["command"]
    assert "    return a + b\n" in command[6]
    command[6] = command[6].replace("    return a + b\n", "    import os\n    print('parent', os.getppid())\n"
                                    "    return a + b\n")
    path = tmp_path / "add_numbers.yaml"
    path.write_text(yaml.safe_dump(doc))
    done = run_workflow(prepare_pipeline(str(path), {"a": "40", "b": "2"}).workflow)
    assert done.phase == "Succeeded", done.message
    [pod] = done.pods()
    assert {p["name"]: p.get("value") for p in pod["outputs"]["parameters"]}["p-Output"] == "42"
    warm_pids = {warm_pid(r) for r in pyenvs.iterdir() if (r / "warm.pid").exists()}
    said = [line.split()[1] for line in done.log(pod).splitlines() if line.startswith("parent ")]
    assert said and int(said[0]) in warm_pids, (said, warm_pids)


def test_with_the_warm_process_turned_off_the_task_runs_kfps_program_in_the_venv(pyenvs: Path, tmp_path: Path,
                                                                                   monkeypatch):
    monkeypatch.setenv("WFEXEC_PYENV_WARM", "0")
    prepared = pyenv.command_for(component_command(ADD), executor_args("add", "/tmp/out", {"a": 5, "b": 5}))
    assert prepared.command[:2] == ["sh", "-ec"] and not prepared.warm
    proc = run_in_sandbox(prepared, tmp_path)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert json.loads((tmp_path / "out" / "executor_output.json").read_text()) == {"parameterValues": {"Output": 10}}
