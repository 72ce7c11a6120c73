"""`wfexec submit` with argo's flags, and the bad input it refuses before creating anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.cli.helpers import one_step, wfexec
from tests.conftest import CORPUS

EX = CORPUS / "argo-examples"
PARAMS = EX / "arguments-parameters.yaml"


def _names(home: Path) -> list[str]:
    return wfexec("list", "-o", "name", home=home, check=True).stdout.split()


def test_dry_runs_print_the_workflow_and_create_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    out = wfexec("submit", str(PARAMS), "--dry-run", "-p", "message=dry", "-l", "team=a", "--name", "dry-one",
                 home=home, check=True).stdout
    wf = YAML(typ="safe").load(out)
    assert wf["metadata"]["name"] == "dry-one" and wf["metadata"]["labels"] == {"team": "a"}
    assert wf["spec"]["arguments"]["parameters"] == [{"name": "message", "value": "dry"}]
    server = json.loads(wfexec("submit", str(PARAMS), "--server-dry-run", "-o", "json", home=home, check=True).stdout)
    assert server["kind"] == "Workflow"
    extra = YAML(typ="safe").load(wfexec("submit", str(PARAMS), "--server-dry-run", "-p", "extra=1", "-p",
                                         "message=m", home=home, check=True).stdout)
    # as argo submit -p: the given ones first, in order, an undeclared one too; then the declared rest
    assert extra["spec"]["arguments"]["parameters"] == [{"name": "extra", "value": "1"},
                                                        {"name": "message", "value": "m"}]
    assert _names(home) == []


def test_the_run_shows_the_parameters_it_ran_with_and_takes_undeclared_ones(tmp_path: Path) -> None:
    """`get -o json` is the Workflow the run ran: its spec.arguments hold the -p values, not the file's.
    A parameter the Workflow does not declare is taken, as argo does: a WorkflowTemplate whose entrypoint
    has an input and no spec.arguments runs with -p."""
    home = tmp_path / "home"
    wf = json.loads(wfexec("submit", str(PARAMS), "-p", "message=given", "--wait", "-o", "json", home=home,
                           check=True).stdout)
    assert wf["spec"]["arguments"]["parameters"] == [{"name": "message", "value": "given"}]
    got = json.loads(wfexec("get", wf["metadata"]["name"], "-o", "json", home=home, check=True).stdout)
    assert got["spec"]["arguments"] == wf["spec"]["arguments"]
    template = tmp_path / "tpl.yaml"
    template.write_text("""apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: print-message}
spec:
  entrypoint: print
  templates:
  - name: print
    inputs: {parameters: [{name: message}]}
    container: {image: busybox, command: [echo, "{{inputs.parameters.message}}"]}
""")
    wfexec("template", "create", str(template), home=home, check=True)
    run = wfexec("submit", "--from", "workflowtemplate/print-message", "-p", "message=hi", "--wait", "-o", "name",
                 home=home)
    assert run.returncode == 0, run.stderr
    assert wfexec("logs", run.stdout.strip(), home=home, check=True).stdout.strip().endswith("hi")


def test_parameter_file_labels_generate_name_and_service_account(tmp_path: Path) -> None:
    home = tmp_path / "home"
    pfile = tmp_path / "params.yaml"
    pfile.write_text("message: from the file\n")
    name = wfexec("submit", str(PARAMS), "--parameter-file", str(pfile), "--generate-name", "pf-", "-l", "a=1,b=2",
                  "--serviceaccount", "robot", "--wait", "-o", "name", home=home, check=True).stdout.strip()
    assert name.startswith("pf-")
    wf = json.loads(wfexec("get", name, "-o", "json", home=home, check=True).stdout)
    pod = next(n for n in wf["status"]["nodes"].values() if n["type"] == "Pod")
    assert pod["inputs"]["parameters"][0]["value"] == "from the file"
    assert wf["metadata"]["labels"] == {"a": "1", "b": "2", "workflows.argoproj.io/phase": "Succeeded",
                                        "workflows.argoproj.io/completed": "true"}
    assert wf["spec"]["serviceAccountName"] == "robot"
    assert "ServiceAccount:      robot" in wfexec("get", name, home=home, check=True).stdout
    over = wfexec("submit", str(PARAMS), "-f", str(pfile), "-p", "message=flag wins", "--wait", "-o", "json",
                  home=home, check=True).stdout
    pod = next(n for n in json.loads(over)["status"]["nodes"].values() if n["type"] == "Pod")
    assert pod["inputs"]["parameters"][0]["value"] == "flag wins"
    assert wfexec("list", "-l", "a=1", "-o", "name", home=home, check=True).stdout.split() == [name]
    assert wfexec("list", "-l", "a!=1", "-o", "name", home=home, check=True).stdout.split() != [name]


def test_from_a_stored_run_and_log(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = wfexec("submit", str(PARAMS), "-p", "message=again", "--wait", "-o", "name", home=home,
                   check=True).stdout.strip()
    logged = wfexec("submit", "--from", f"workflow/{first}", "--log", home=home, check=True).stdout
    assert logged.strip().endswith("again")
    assert len(_names(home)) == 2
    tmpl = wfexec("submit", "--from", "workflowtemplate/x", home=home)
    assert tmpl.returncode == 1 and "WorkflowTemplate 'x' not found" in tmpl.stderr


def test_every_workflow_in_a_file_is_submitted(tmp_path: Path) -> None:
    home = tmp_path / "home"
    one = one_step(tmp_path, "one", "echo 1").read_text()
    two = tmp_path / "two.yaml"
    two.write_text(one + "---\n" + one.replace("generateName: one-", "generateName: other-"))
    out = wfexec("submit", str(two), "--wait", home=home, check=True).stdout
    names = _names(home)
    assert len(names) == 2 and {n.split("-")[0] for n in names} == {"one", "other"}
    assert out.count("Succeeded") >= 2


@pytest.mark.parametrize(("args", "said"), [
    (["--entrypoint", "nope"], "--entrypoint 'nope': no template of that name (templates: print-message)"),
    (["--name", "Bad_Name"], "--name 'Bad_Name': a Workflow name must be lowercase"),
    (["-p", "message"], "expected NAME=VALUE"),
])
def test_bad_flags_are_refused_before_anything_runs(tmp_path: Path, args: list[str], said: str) -> None:
    home = tmp_path / "home"
    res = wfexec("submit", str(PARAMS), *args, home=home)
    assert res.returncode != 0 and said in res.stderr and "Traceback" not in res.stderr
    assert _names(home) == []


def test_bad_files_are_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    v2 = tmp_path / "v2.yaml"
    v2.write_text(one_step(tmp_path, "v2", "true").read_text().replace("argoproj.io/v1alpha1", "argoproj.io/v2"))
    res = wfexec("submit", str(v2), home=home)
    assert res.returncode == 1 and 'apiVersion: expected "argoproj.io/v1alpha1", got "argoproj.io/v2"' in res.stderr
    folder = wfexec("submit", str(tmp_path), home=home)
    assert folder.returncode == 1 and "is a directory" in folder.stderr and "find_documents" not in folder.stderr
    assert _names(home) == []


def test_parallelism_above_the_machines_cap_is_said(tmp_path: Path) -> None:
    home = tmp_path / "home"
    wf = one_step(tmp_path, "wide", "true", extra="  parallelism: 300\n")
    res = wfexec("submit", str(wf), "--parallelism", "4", "--wait", home=home, check=True)
    assert "spec.parallelism is 300, but this machine runs at most 4 pods at once" in res.stderr


def test_resubmit_and_retry_take_output_name(tmp_path: Path) -> None:
    home = tmp_path / "home"
    name = wfexec("submit", str(one_step(tmp_path, "f", "exit 1")), "--wait", "-o", "name", home=home).stdout.strip()
    again = wfexec("resubmit", name, "-o", "name", "--wait", home=home)
    # as Argo: drawn from the same generateName (`f-`), and labelled with the run it came from
    assert again.returncode == 1 and len(again.stdout.split()) == 1
    new = again.stdout.strip()
    assert new.startswith("f-") and len(new) == len(name) and new != name
    meta = json.loads(wfexec("get", new, "-o", "json", home=home, check=True).stdout)["metadata"]
    assert meta["generateName"] == "f-" and meta["labels"]["workflows.argoproj.io/resubmitted-from-workflow"] == name
    plain = one_step(tmp_path, "g", "true")
    plain.write_text(plain.read_text().replace("generateName: g-", "name: given"))
    wfexec("submit", str(plain), "--wait", home=home, check=True)
    assert wfexec("resubmit", "given", "-o", "name", home=home, check=True).stdout.startswith("given-")
