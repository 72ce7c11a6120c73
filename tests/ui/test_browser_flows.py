"""The UI's flows in Chromium against a real `wfexec server`: submit from the form, watch the graph turn
green, download an artifact, read logs as they are written, retry and stop, submit from a template,
suspend a cron workflow, switch the executor."""

from __future__ import annotations

import io
import re
import shutil
import tarfile
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.ui.conftest import api, create_workflow, wait_for, wait_phase, workflow

pytestmark = pytest.mark.timeout(300)

FORM_WORKFLOW = textwrap.dedent("""\
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: form-}
    spec:
      entrypoint: main
      arguments:
        parameters:
        - {name: message, value: hello, description: what the step writes}
        - {name: size, value: small, enum: [small, large]}
      templates:
      - name: main
        steps:
        - - name: write
            template: write
            arguments: {parameters: [{name: m, value: "{{workflow.parameters.message}}-{{workflow.parameters.size}}"}]}
      - name: write
        inputs: {parameters: [{name: m}]}
        container:
          image: busybox
          command: [sh, -c, "sleep 2; echo {{inputs.parameters.m}}; printf %s {{inputs.parameters.m}} > /tmp/out.txt"]
        outputs: {artifacts: [{name: out, path: /tmp/out.txt}]}
    """)


def one_step(name: str, script: str, **spec: object) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": f"{name}-"},
            "spec": {"entrypoint": "main", **spec, "templates": [
                {"name": "main", "steps": [[{"name": name, "template": "run"}]]},
                {"name": "run", "container": {"image": "busybox", "command": ["sh", "-c", script]}}]}}


def open_run(page, server, name: str, query: str = "") -> None:
    page.goto(f"{server.url}/workflows/default/{name}{query}")
    page.wait_for_selector("#view[data-ready='1']")


def test_submit_from_the_form_watch_the_graph_turn_green_and_download_the_artifact(page, ui_server):
    page.goto(ui_server.url + "/submit")
    page.wait_for_selector("#view[data-ready='1']")
    page.fill("#manifest", FORM_WORKFLOW)
    page.wait_for_selector("#param-message")
    assert page.input_value("#param-message") == "hello"
    assert page.locator("#param-size option").all_inner_texts() == ["small", "large"]
    assert "what the step writes" in page.inner_text("#param-form")
    page.fill("#param-message", "from-the-form")
    page.select_option("#param-size", "large")
    page.fill("#labels", "team=ui")
    page.click("#submit-btn")
    page.wait_for_url(re.compile(r".*/workflows/default/form-[a-z0-9]+$"))
    name = page.url.rsplit("/", 1)[1]
    # The step sleeps 2 s: the page shows it running, then green, with no reload.
    page.wait_for_selector("svg.graph g.node.t-pod.running", timeout=30_000)
    page.wait_for_selector("svg.graph[data-phase='Succeeded'] g.node.t-pod.succeeded", timeout=60_000)
    assert "✓" in (page.text_content("svg.graph g.node.t-pod") or "")
    wf = workflow(ui_server, name)
    assert {p["name"]: p["value"] for p in wf["spec"]["arguments"]["parameters"]} == {
        "message": "from-the-form", "size": "large"}
    assert wf["metadata"]["labels"]["team"] == "ui"

    page.click("svg.graph g.node.t-pod")
    page.wait_for_selector("aside.panel a.artifact")
    assert "Succeeded" in page.inner_text("aside.panel") and "Exit code" in page.inner_text("aside.panel")
    assert "node=" in page.url  # the node has its own URL
    with page.expect_download() as info:
        page.click("aside.panel a.artifact[data-artifact='out']")
    got = Path(info.value.path()).read_bytes()
    href = page.get_attribute("aside.panel a.artifact", "href")
    assert got == requests.get(ui_server.url + href, timeout=30).content
    with tarfile.open(fileobj=io.BytesIO(got)) as tar:
        member = tar.extractfile(tar.getmembers()[0])
        assert member is not None and member.read() == b"from-the-form-large"


def two_halves(flag: Path) -> str:
    """A step's script: 20 lines, then a wait for `flag`, then 20 more."""
    return (f"for i in $(seq 1 20); do echo line-$i; done; while [ ! -e {flag} ]; do sleep 0.1; done; "
            "for i in $(seq 21 40); do echo line-$i; done")


@pytest.fixture
def flag() -> Iterator[Path]:
    """A file a step waits for (two_halves), outside the sandbox's private /tmp."""
    flag_dir = Path(tempfile.mkdtemp(prefix="wfexec-ui-", dir="/var/tmp"))
    try:
        yield flag_dir / "go"
    finally:  # a test that failed halfway leaves no step waiting for ever (their loops look every 0.1 s)
        for name in ("go", "other"):
            (flag_dir / name).touch()
        time.sleep(0.5)
        shutil.rmtree(flag_dir, ignore_errors=True)


def test_logs_follow_while_the_step_writes_them(page, ui_server, flag):
    # The step writes 20 lines, waits for the test's go-ahead, then writes 20 more: the second half can
    # only reach the page through a live follow.
    name = create_workflow(ui_server, one_step("talk", two_halves(flag)))
    open_run(page, ui_server, name)
    page.click("svg.graph g.node.t-pod", timeout=30_000)
    page.wait_for_selector("#logs")
    page.wait_for_function("document.querySelector('#logs').textContent.includes('line-20')", timeout=30_000)
    assert "line-21" not in page.inner_text("#logs")
    assert "Running" in page.inner_text("aside.panel")
    flag.touch()
    page.wait_for_function("document.querySelector('#logs').textContent.includes('line-40')", timeout=30_000)
    page.fill("#log-search", "line-3")
    page.wait_for_function("document.querySelector('#logs').textContent.split('\\n').length === 11")
    assert all("line-3" in line for line in page.inner_text("#logs").splitlines())


def search_the_first_half(page, server, name: str, node: str) -> None:
    """Open the run, pick the `node` running two_halves, and search its first half's lines for line-3."""
    open_run(page, server, name)
    page.click(node, timeout=30_000)
    page.wait_for_function("document.querySelector('#logs') && "
                           "document.querySelector('#logs').textContent.includes('line-20')", timeout=30_000)
    page.fill("#log-search", "line-3")
    page.wait_for_function("document.querySelector('#logs').textContent === 'line-3'")


def test_a_log_search_typed_while_the_step_runs_stays_when_it_ends(page, ui_server, flag):
    """The panel is drawn again when its node's phase changes: what the user typed in the log search, and
    the container picked, stay."""
    name = create_workflow(ui_server, one_step("typed", two_halves(flag)))
    search_the_first_half(page, ui_server, name, "svg.graph g.node.t-pod")
    flag.touch()
    wait_phase(ui_server, name, ("Succeeded",))
    page.wait_for_function("document.querySelector('aside.panel').textContent.includes('Succeeded')",
                           timeout=30_000)
    page.wait_for_function("document.querySelector('#logs').textContent.split('\\n').length === 11",
                           timeout=30_000)
    assert page.input_value("#log-search") == "line-3"


def test_a_change_elsewhere_in_the_run_leaves_the_panel_and_its_log_stream(page, ui_server, flag):
    """Another step ending changes the run (its progress) but not the shown node: the panel is not drawn
    again, so its log stream is not opened again and the search being typed keeps its focus."""
    other = flag.parent / "other"  # the fixture makes it at the end too
    wf = one_step("shown", two_halves(flag))
    wf["spec"]["templates"][0]["steps"][0].append({"name": "other", "template": "other"})
    wf["spec"]["templates"].append({"name": "other", "container": {"image": "busybox", "command": [
        "sh", "-c", f"while [ ! -e {other} ]; do sleep 0.1; done"]}})
    name = create_workflow(ui_server, wf)
    log_requests: list[str] = []
    page.on("request", lambda r: log_requests.append(r.url) if "/log?" in r.url else None)
    search_the_first_half(page, ui_server, name, "svg.graph g.node.t-pod[aria-label^='shown (Pod)']")
    opened = len(log_requests)
    other.touch()
    page.wait_for_selector("svg.graph g.node.t-pod.succeeded", timeout=30_000)  # the other step ended
    wait_for(lambda: workflow(ui_server, name)["status"].get("progress") == "1/2", 30, "the other step's end")
    page.wait_for_timeout(1000)  # time for the refresh the progress change brings
    assert len(log_requests) == opened, log_requests
    assert page.evaluate("document.activeElement && document.activeElement.id") == "log-search"
    assert page.text_content("#logs") == "line-3"
    flag.touch()
    wait_phase(ui_server, name, ("Succeeded",))


def test_retry_a_failed_run_and_stop_a_running_one(page, ui_server):
    flag_dir = Path(tempfile.mkdtemp(prefix="wfexec-ui-", dir="/var/tmp"))  # outside the sandbox's private /tmp
    try:
        flag = flag_dir / "go"
        name = create_workflow(ui_server, one_step("flaky", f"test -e {flag}"))
        wait_phase(ui_server, name, ("Failed",))
        open_run(page, ui_server, name)
        page.wait_for_selector("svg.graph[data-phase='Failed'] g.node.t-pod.failed")
        page.click("#centre-failed")
        assert page.evaluate("document.activeElement.classList.contains('failed')")
        flag.touch()
        page.click("#act-retry")
        page.wait_for_selector("svg.graph[data-phase='Succeeded'] g.node.t-pod.succeeded", timeout=60_000)
    finally:
        shutil.rmtree(flag_dir, ignore_errors=True)

    name = create_workflow(ui_server, one_step("long", "sleep 120"))
    open_run(page, ui_server, name)
    page.wait_for_selector("svg.graph g.node.t-pod.running", timeout=30_000)
    page.click("#act-stop")
    page.wait_for_selector("dialog#confirm[open]")
    page.click("#confirm-ok")
    page.wait_for_selector("svg.graph[data-phase='Failed']", timeout=60_000)
    assert "Stopped" in (workflow(ui_server, name)["status"].get("message") or "")


def test_submit_from_a_stored_template(page, ui_server):
    template = {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": "greeter"},
                "spec": {"entrypoint": "main", "arguments": {"parameters": [
                    {"name": "who", "value": "world", "description": "whom to greet"}]},
                    "templates": [{"name": "main", "container": {
                        "image": "busybox", "command": ["echo", "hello {{workflow.parameters.who}}"]}}]}}
    api(ui_server, "POST", "/api/v1/workflow-templates/default", {"namespace": "default", "template": template})
    page.goto(ui_server.url + "/workflow-templates")
    page.wait_for_selector("tr[data-name='greeter']")
    page.click("tr[data-name='greeter'] a.button")
    page.wait_for_selector("#param-who")
    assert page.input_value("#param-who") == "world"
    page.fill("#param-who", "templates")
    page.click("#submit-btn")
    page.wait_for_url(re.compile(r".*/workflows/default/greeter-[a-z0-9]+$"))
    page.wait_for_selector("svg.graph[data-phase='Succeeded']", timeout=60_000)
    wf = workflow(ui_server, page.url.rsplit("/", 1)[1])
    params = {p["name"]: p.get("value") for p in wf["spec"]["arguments"]["parameters"]}
    assert params["who"] == "templates"


def test_suspend_a_cron_workflow(page, ui_server):
    cron = {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": "nightly"},
            "spec": {"schedules": ["0 3 * * *"], "workflowSpec": {"entrypoint": "main", "templates": [
                {"name": "main", "container": {"image": "busybox", "command": ["true"]}}]}}}
    api(ui_server, "POST", "/api/v1/cron-workflows/default", {"namespace": "default", "cronWorkflow": cron})
    page.goto(ui_server.url + "/cron-workflows")
    row = "tr[data-name='nightly']"
    page.wait_for_selector(f"{row} td.next:not(:text('…'))")
    assert re.search(r"\d", page.inner_text(f"{row} td.next")), "the next scheduled time is shown"
    assert "active" in page.inner_text(f"{row} td.state")
    page.click(f"{row} button.cron-suspend")
    page.wait_for_selector(f"{row} td.state:has-text('suspended')")
    page.wait_for_selector(f"{row} td.next:has-text('suspended')")  # re-rendered after the state cell
    assert api(ui_server, "GET", "/api/v1/cron-workflows/default/nightly")["spec"]["suspend"] is True


def test_switch_the_executor(page, ui_server):
    page.goto(ui_server.url + "/executor")
    page.wait_for_selector("#executor-current")
    before = page.inner_text("#executor-current")
    target = "docker" if before == "emissary" else "emissary"
    assert page.inner_text("#executor-recommended") in ("docker", "emissary")
    try:
        switch_executor(page, ui_server, target)
    finally:  # later runs on this server keep the executor they started with
        api(ui_server, "PUT", "/api/v1/wfexec/executor", {"executor": before, "confirm": True})


def switch_executor(page, ui_server, target: str) -> None:
    page.select_option("#executor-pick", target)
    page.click("#executor-set")
    page.wait_for_selector("dialog#confirm[open]")
    page.click("#confirm-ok")
    # Where the doctor finds docker cannot work, the server refuses and the page asks once more.
    page.wait_for_function(f"document.querySelector('#executor-current')?.textContent === '{target}'"
                           " || document.querySelector('dialog#confirm[open]') !== null")
    if page.query_selector("dialog#confirm[open]"):
        assert "cannot work here" in page.inner_text("#confirm-text")
        page.click("#confirm-ok")
    page.wait_for_function(f"document.querySelector('#executor-current')?.textContent === '{target}'")
    config = (ui_server.home / "config.yaml").read_text()
    assert f"containerRuntimeExecutor: {target}" in config
    assert api(ui_server, "GET", "/api/v1/wfexec/executor")["executor"] == target
    wait_for(lambda: "written and read back" in page.inner_text("#banner"), 10, "the confirmation banner")
