"""`wfexec template|cluster-template|cron`, `submit --from` and `submit -`, locally and against a server."""

from __future__ import annotations

import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: greet
  labels: {team: blue}
spec:
  entrypoint: say
  arguments: {parameters: [{name: msg, value: default}]}
  templates:
  - name: say
    inputs: {parameters: [{name: msg}]}
    container: {image: busybox, command: [sh, -c, "echo said {{inputs.parameters.msg}}"]}
"""

CRON = """\
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedules: ["0 3 * * *"]
  timezone: Europe/Paris
  concurrencyPolicy: Forbid
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      container: {image: busybox, command: [sh, -c, "echo from-cron"]}
"""

USES_REF = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: uses-ref-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: hello
        templateRef: {name: greet, template: say}
        arguments: {parameters: [{name: msg, value: from-stdin}]}
"""


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


class Cli:
    """`wfexec …` run in this process (as the console script runs it), its output captured."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.capsys, self.monkeypatch = capsys, monkeypatch
        monkeypatch.delenv("ARGO_SERVER", raising=False)

    def __call__(self, home: Path, *argv: str, stdin: str | None = None, env: dict[str, str] | None = None,
                 ok: bool = True) -> Result:
        from wfexec.cli.main import main

        with self.monkeypatch.context() as m:
            m.setenv("WFEXEC_HOME", str(home))
            for key, value in (env or {}).items():
                m.setenv(key, value)
            m.setattr(sys, "stdin", io.StringIO(stdin or ""))
            self.capsys.readouterr()
            code = main(list(argv))
            out, err = self.capsys.readouterr()
        res = Result(code, out, err)
        assert "Traceback" not in err, err
        if ok:
            assert code == 0, out + err
        return res


@pytest.fixture
def wfexec(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "greet.yaml").write_text(TEMPLATE)
    (tmp_path / "cron.yaml").write_text(CRON)
    (tmp_path / "cwt.yaml").write_text(TEMPLATE.replace("kind: WorkflowTemplate", "kind: ClusterWorkflowTemplate")
                                       .replace("name: greet", "name: shared"))
    return tmp_path


def test_local_template_and_cron_verbs(wfexec: Cli, tmp_path: Path, files: Path) -> None:
    home = tmp_path / "home"
    out = wfexec(home, "template", "create", str(files / "greet.yaml")).stdout
    assert "Name:" in out and "greet" in out and "Namespace:" in out
    assert wfexec(home, "template", "list", "-l", "team=blue").stdout.split() == ["NAME", "greet"]
    assert wfexec(home, "template", "list", "-l", "team!=blue").stdout.split() == ["NAME"]
    assert '"kind": "WorkflowTemplate"' in wfexec(home, "template", "get", "greet", "-o", "json").stdout
    assert "no linting errors" in wfexec(home, "template", "lint", str(files / "greet.yaml")).stdout
    dup = wfexec(home, "template", "create", str(files / "greet.yaml"), ok=False)
    assert dup.returncode == 1 and "already exists" in dup.stderr
    wrong = wfexec(home, "template", "create", str(files / "cron.yaml"), ok=False)
    assert "expected a WorkflowTemplate" in wrong.stderr and "cron.yaml" in wrong.stderr

    wfexec(home, "cluster-template", "create", str(files / "cwt.yaml"))
    assert "shared" in wfexec(home, "cluster-template", "list").stdout

    out = wfexec(home, "cron", "create", str(files / "cron.yaml")).stdout
    assert "Schedules:" in out and "0 3 * * *" in out and "ConcurrencyPolicy:" in out and "Forbid" in out
    assert "CronWorkflow 'nightly' suspended" in wfexec(home, "cron", "suspend", "nightly").stdout
    listed = wfexec(home, "cron", "list").stdout
    assert "nightly" in listed and "Europe/Paris" in listed and "true" in listed
    assert "resumed" in wfexec(home, "cron", "resume", "nightly").stdout
    bad = wfexec(home, "cron", "lint", "-", stdin=CRON.replace("0 3 * * *", "every day"), ok=False)
    assert bad.returncode == 1 and "-:5: spec.schedules[0]: 'every day' is not a cron schedule" in bad.stderr

    # submit --from each kind, and `submit -` whose templateRef resolves from the store.
    out = wfexec(home, "submit", "--from", "workflowtemplate/greet", "-p", "msg=by-from", "--wait", "-o", "name")
    assert "said by-from" in wfexec(home, "logs", out.stdout.strip()).stdout
    out = wfexec(home, "submit", "--from", "clusterworkflowtemplate/shared", "--wait", "-o", "name")
    assert "said default" in wfexec(home, "logs", out.stdout.strip()).stdout
    out = wfexec(home, "submit", "--from", "cronwf/nightly", "--wait", "-o", "json").stdout
    assert '"workflows.argoproj.io/cron-workflow": "nightly"' in out
    out = wfexec(home, "submit", "-", "--wait", "-o", "name", stdin=USES_REF)
    assert "said from-stdin" in wfexec(home, "logs", out.stdout.strip()).stdout

    assert "deleted" in wfexec(home, "template", "delete", "greet").stdout
    gone = wfexec(home, "submit", "-", stdin=USES_REF, ok=False)
    assert gone.returncode == 1 and "greet" in gone.stderr  # lint: the templateRef names nothing now
    missing = wfexec(home, "submit", "--from", "wftmpl/greet", ok=False)
    assert "not found" in missing.stderr
    assert "deleted" in wfexec(home, "cron", "delete", "--all").stdout


def test_cron_list_and_get_show_a_v3_schedule(wfexec: Cli, tmp_path: Path) -> None:
    """`schedule:` (Argo 3.x) and `schedules:` are one list to every view of a CronWorkflow."""
    home = tmp_path / "home"
    wfexec(home, "cron", "create", "-", stdin=CRON.replace('schedules: ["0 3 * * *"]', 'schedule: "0 3 * * *"'))
    header, row = wfexec(home, "cron", "list").stdout.splitlines()
    assert row[header.index("SCHEDULES"):].startswith("0 3 * * *")
    assert "Schedules:                0 3 * * *" in wfexec(home, "cron", "get", "nightly").stdout


def test_deleting_a_cron_workflow_deletes_the_runs_it_started(wfexec: Cli, tmp_path: Path) -> None:
    """As Kubernetes' garbage collector deletes the Workflows a deleted CronWorkflow owns: ended or still
    running (terminated first). A run it does not own stays."""
    home = tmp_path / "home"
    wfexec(home, "cron", "create", "-", stdin=CRON.replace('"echo from-cron"', '"sleep 30"'))
    owned = [wfexec(home, "submit", "--from", "cronwf/nightly", "-o", "name").stdout.strip() for _ in range(2)]
    other = wfexec(home, "submit", "-", "--wait", "-o", "name", stdin=USES_REF.replace(
        "    steps:\n    - - name: hello\n        templateRef: {name: greet, template: say}\n"
        "        arguments: {parameters: [{name: msg, value: from-stdin}]}\n",
        "    container: {image: busybox, command: [\"true\"]}\n")).stdout.strip()
    wfexec(home, "cron", "delete", "nightly")
    assert wfexec(home, "list", "-o", "name").stdout.split() == [other]
    for name in owned:
        assert not (home / "runs" / name).exists()


def test_a_cron_submitted_by_hand_has_a_scheduled_time(wfexec: Cli, tmp_path: Path) -> None:
    """As Argo's submit --from cronwf: the run is stamped with the time it was made, so a template that reads
    {{workflow.scheduledTime}} (Argo's own cron-workflow.yaml) runs (it ended in Error)."""
    home = tmp_path / "home"
    wfexec(home, "cron", "create", "-", stdin=CRON.replace('"echo from-cron"', '"echo at {{workflow.scheduledTime}}"'))
    name = wfexec(home, "submit", "--from", "cronwf/nightly", "--wait", "-o", "name").stdout.strip()
    logs = wfexec(home, "logs", name).stdout
    assert re.search(r"at 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", logs), logs


def test_remote_mode_against_a_server(wfexec: Cli, server, tmp_path: Path, files: Path) -> None:
    client_home = tmp_path / "client"  # the client's own store stays empty: everything goes to the server
    remote = {"ARGO_SERVER": f"127.0.0.1:{server.port}", "ARGO_NAMESPACE": "default"}
    hello = tmp_path / "hello.yaml"
    hello.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: rhello-}\n"
                     "spec:\n  entrypoint: main\n  arguments: {parameters: [{name: who, value: x}]}\n"
                     "  templates:\n  - name: main\n    container: {image: busybox, command: [sh, -c,"
                     " 'echo hello {{workflow.parameters.who}}']}\n")
    out = wfexec(client_home, "--argo-server", f"127.0.0.1:{server.port}", "submit", str(hello), "-p", "who=remote",
                 "--wait", "-o", "name").stdout.strip()
    assert out.startswith("rhello-")
    assert out in wfexec(client_home, "list", env=remote).stdout
    assert "Succeeded" in wfexec(client_home, "get", out, env=remote).stdout
    assert f"{out}: hello remote" in wfexec(client_home, "logs", out, env=remote).stdout
    assert out in server.wfexec("list").stdout  # the server's store has it

    wfexec(client_home, "template", "create", str(files / "greet.yaml"), env=remote)
    assert "greet" in server.wfexec("template", "list").stdout
    every = wfexec(client_home, "template", "list", "-A", env=remote).stdout.split()
    assert every[:2] == ["NAMESPACE", "NAME"] and "greet" in every
    sub = wfexec(client_home, "submit", "--from", "wftmpl/greet", "-p", "msg=over-http", "-w", "-o", "name",
                 env=remote).stdout.strip()
    assert "said over-http" in wfexec(client_home, "logs", sub, env=remote).stdout
    failing = wfexec(client_home, "submit", "-", env=remote, ok=False,
                     stdin=hello.read_text().replace("echo hello", "exit 4 #"))
    assert failing.returncode == 0  # submitted, not waited for
    slow = wfexec(client_home, "submit", "-", "-o", "name", env=remote,
                  stdin=hello.read_text().replace("echo hello", "sleep 2; echo hello")).stdout.strip()
    assert f"workflow {slow} suspended" in wfexec(client_home, "suspend", slow, env=remote).stdout
    assert '"suspend": true' in wfexec(client_home, "get", slow, "-o", "json", env=remote).stdout
    assert f"workflow {slow} resumed" in wfexec(client_home, "resume", slow, env=remote).stdout
    assert f"{slow} Succeeded" in wfexec(client_home, "wait", slow, env=remote).stdout
    assert f"Workflow '{out}' deleted" in wfexec(client_home, "delete", out, env=remote).stdout
    gone = wfexec(client_home, "get", out, env=remote, ok=False)
    assert gone.returncode == 1 and "not found" in gone.stderr and "HTTP 404" in gone.stderr
    wfexec(client_home, "template", "delete", "greet", env=remote)
    assert not (client_home / "runs.db").exists() or "greet" not in wfexec(client_home, "template", "list").stdout

    down = wfexec(client_home, "list", env={"ARGO_SERVER": "127.0.0.1:9"}, ok=False)
    assert down.returncode == 1 and "cannot reach the Argo Server" in down.stderr


GATED = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: gated-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - [{name: first, template: gate}, {name: second, template: gate}]
    - [{name: after, template: echo, arguments: {parameters: [{name: v, value: "{{steps.first.outputs.parameters.answer}}"}]}}]
  - name: gate
    suspend: {}
    outputs: {parameters: [{name: answer, valueFrom: {supplied: {}}}]}
  - name: echo
    inputs: {parameters: [{name: v}]}
    container: {image: busybox, command: [sh, -c, "echo got {{inputs.parameters.v}}"]}
"""


def test_remote_node_set_resume_and_retry_carry_their_selectors(wfexec: Cli, server, tmp_path: Path) -> None:
    from tests.server.workflows import wait_node

    remote = {"ARGO_SERVER": f"127.0.0.1:{server.port}", "ARGO_NAMESPACE": "default"}
    home = tmp_path / "client"
    name = wfexec(home, "submit", "-", "-o", "name", env=remote, stdin=GATED).stdout.strip()
    wait_node(server.url, name, "second", "Running")
    wfexec(home, "node", "set", name, "--node-field-selector", "displayName=first", "--output-parameter", "answer=yes",
           "--phase", "Succeeded", env=remote)
    wfexec(home, "resume", name, "--node-field-selector", "displayName=second", env=remote)
    assert f"{name} Succeeded" in wfexec(home, "wait", name, env=remote).stdout
    assert "got yes" in wfexec(home, "logs", name, env=remote).stdout
    # a retry's --restart-successful and --node-field-selector reach the server (a Succeeded run is retried)
    wfexec(home, "retry", name, "--restart-successful", "--node-field-selector", "displayName=after", env=remote)
    assert f"{name} Succeeded" in wfexec(home, "wait", name, env=remote).stdout
    missing = wfexec(home, "node", "set", name, "--node-field-selector", "displayName=first", "--message", "x",
                     env=remote, ok=False)
    assert missing.returncode == 1 and "already ended" in missing.stderr
    assert not (home / "runs.db").exists()  # all of it went to the server
