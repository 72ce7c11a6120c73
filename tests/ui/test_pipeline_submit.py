"""A KFP v2 pipeline IR on the submit page: the server describes its parameters for the form and compiles it
(as `wfexec submit` does) into the Workflow the page creates; a YAML syntax error is named at submit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
import yaml

from tests.kfp_v2.ir_builder import pipeline, task
from tests.ui.conftest import api, wait_phase, workflow

pytestmark = pytest.mark.timeout(300)

FLIP_COIN = Path("/work/shared/corpus/kfp-v2-pipelines/critical/flip_coin.yaml")


def echo_pipeline() -> str:
    """One container task echoing the pipeline's `count` (required integer) and `word` (string, defaulted)."""
    comp = {"executor": {"container": {"image": "alpine", "command": [
        "sh", "-c", 'echo "$0 $1"', "{{$.inputs.parameters['count']}}", "{{$.inputs.parameters['word']}}"]}},
        "inputDefinitions": {"parameters": {"count": {"parameterType": "NUMBER_INTEGER"},
                                            "word": {"parameterType": "STRING"}}}}
    tasks = {"echo": task("echo", inputs={"parameters": {"count": {"componentInputParameter": "count"},
                                                         "word": {"componentInputParameter": "word"}}})}
    inputs = {"count": {"parameterType": "NUMBER_INTEGER", "description": "how many"},
              "word": {"parameterType": "STRING", "defaultValue": "hi", "isOptional": True}}
    return yaml.safe_dump(pipeline("echo-pipeline", tasks, {"echo": comp}, inputs), sort_keys=False)


def test_the_server_describes_and_compiles_a_pipeline(ui_server):
    got = api(ui_server, "POST", "/api/v1/wfexec/manifests", {"text": echo_pipeline()})
    assert got["issues"] == [] and got["documents"] == []
    assert got["pipeline"] == {"name": "echo-pipeline", "parameters": [
        {"name": "count", "type": "NUMBER_INTEGER", "optional": False, "description": "how many"},
        {"name": "word", "type": "STRING", "optional": True, "default": "hi"}]}
    if FLIP_COIN.exists():
        flip = api(ui_server, "POST", "/api/v1/wfexec/manifests", {"text": FLIP_COIN.read_text()})
        assert flip["issues"] == [] and flip["pipeline"]["name"] == "conditional-execution-pipeline"

    compile_url = ui_server.url + "/api/v1/wfexec/pipelines/compile"
    bad = requests.post(compile_url, json={"namespace": "default", "text": echo_pipeline(),
                                           "parameters": {"count": "many"}}, timeout=60)
    assert bad.status_code == 400 and bad.json()["code"] == 3
    assert "NUMBER_INTEGER" in bad.json()["message"] and "/tmp" not in bad.json()["message"]
    not_ir = requests.post(compile_url, json={"text": "kind: Workflow\n"}, timeout=60)
    assert not_ir.status_code == 400 and "not a KFP v2 pipeline" in not_ir.json()["message"]
    ok = api(ui_server, "POST", "/api/v1/wfexec/pipelines/compile",
             {"namespace": "default", "text": echo_pipeline(), "parameters": {"count": "3"}})
    assert ok["workflow"]["kind"] == "Workflow"
    assert ok["workflow"]["metadata"]["generateName"] == "echo-pipeline-"


def test_submit_a_pipeline_from_the_form(page, ui_server):
    page.goto(ui_server.url + "/submit")
    page.wait_for_selector("#view[data-ready='1']")
    page.fill("#manifest", echo_pipeline())
    page.wait_for_selector("#param-count")
    assert page.input_value("#param-word") == "hi"
    assert "NUMBER_INTEGER" in page.inner_text("#param-form") and "how many" in page.inner_text("#param-form")
    assert page.locator("#lint-issues li").count() == 0
    page.fill("#param-count", "7")
    page.fill("#labels", "team=kfp")
    page.click("#submit-btn")
    page.wait_for_url(re.compile(r".*/workflows/default/echo-pipeline-[a-z0-9]+$"))
    name = page.url.rsplit("/", 1)[1]
    wf = wait_phase(ui_server, name, ("Succeeded", "Failed", "Error"))
    assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")
    wf = workflow(ui_server, name)
    assert wf["metadata"]["labels"]["team"] == "kfp"
    assert wf["metadata"]["annotations"]["wfexec.io/kfp-v2"] == "true"
    pods = [n for n in wf["status"]["nodes"].values() if n["type"] == "Pod"]
    log = requests.get(f"{ui_server.url}/api/v1/workflows/default/{name}/log",
                       params={"podName": pods[-1]["id"], "logOptions.container": "main"}, timeout=30).text
    assert "7 hi" in log


def test_a_bad_pipeline_parameter_is_named_and_nothing_is_submitted(page, ui_server):
    page.goto(ui_server.url + "/submit")
    page.wait_for_selector("#view[data-ready='1']")
    page.fill("#manifest", echo_pipeline())
    page.wait_for_selector("#param-count")
    page.fill("#param-count", "lots")
    page.click("#submit-btn")
    page.wait_for_selector("#banner.error:has-text('NUMBER_INTEGER')")
    assert page.url.endswith("/submit")


def test_a_syntax_error_is_named_at_submit(page, ui_server):
    page.goto(ui_server.url + "/submit")
    page.wait_for_selector("#view[data-ready='1']")
    page.fill("#manifest", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec: [\n")
    page.wait_for_selector(".gutter div.bad")
    page.click("#submit-btn")
    page.wait_for_selector("#banner.error")
    text = page.inner_text("#banner")
    assert "Nothing to submit" not in text
    assert "Fix the 1 issue(s) marked in the text first (line" in text and "syntax error" in text
