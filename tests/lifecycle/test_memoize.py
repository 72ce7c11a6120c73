"""memoize-simple as Argo documents it: a second run is a cache hit with the first run's output, a
ConfigMap seeded in the config answers the first run, and `maxAge` expires entries."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.conftest import CORPUS
from tests.support.runs import run_file
from wfexec.engine.memo import MemoCache
from wfexec.engine.store import Store

EX = CORPUS / "argo-examples" / "memoize-simple.yaml"


def _stamp(delta: float = 0.0) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_second_run_is_a_hit_with_the_cached_output(wfexec_home: Path) -> None:
    first = run_file(EX)
    assert first.phase == "Succeeded", first.message
    (pod,) = first.pods()
    assert pod["memoizationStatus"] == {"hit": False, "key": "cache-key", "cacheName": "cache-config"}
    assert first.param(pod["displayName"], "hello") == "world"
    second = run_file(EX)
    assert second.phase == "Succeeded", second.message
    (hit,) = second.pods()
    assert hit["memoizationStatus"] == {"hit": True, "key": "cache-key", "cacheName": "cache-config"}
    assert second.param(hit["displayName"], "hello") == "world"
    assert not second.log(hit)  # no pod ran: no log
    (entry,) = MemoCache(Store()).entries("cache-config")
    assert entry[1] == "cache-key" and entry[2].node_id == pod["id"]
    cm = MemoCache(Store()).as_configmap("cache-config")
    assert json.loads(cm["data"]["cache-key"])["outputs"]["parameters"][0]["value"] == "world"


def test_seeded_configmap_answers_the_first_run(wfexec_home: Path) -> None:
    entry = {"nodeID": "memoized-hdckj", "outputs": {"parameters": [
        {"name": "hello", "value": "different world", "valueFrom": {"path": "/tmp/hello_world.txt"}}],
        "exitCode": "0"}, "creationTimestamp": _stamp(), "lastHitTimestamp": _stamp()}
    (wfexec_home / "configmaps").mkdir()
    (wfexec_home / "configmaps" / "cache.yaml").write_text(json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cache-config"},
         "data": {"cache-key": json.dumps(entry)}}))
    run = run_file(EX)
    assert run.phase == "Succeeded", run.message
    (pod,) = run.pods()
    assert pod["memoizationStatus"]["hit"] is True
    assert run.param(pod["displayName"], "hello") == "different world"


def test_entry_older_than_max_age_is_a_miss(wfexec_home: Path) -> None:
    entry = {"nodeID": "old", "outputs": {"parameters": [{"name": "hello", "value": "stale"}]},
             "creationTimestamp": _stamp(-60), "lastHitTimestamp": _stamp(-60)}
    (wfexec_home / "configmaps").mkdir()
    (wfexec_home / "configmaps" / "cache.yaml").write_text(json.dumps(
        {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "cache-config"},
         "data": {"cache-key": json.dumps(entry)}}))
    run = run_file(EX)  # maxAge is 10s
    (pod,) = run.pods()
    assert pod["memoizationStatus"]["hit"] is False
    assert run.param(pod["displayName"], "hello") == "world"


ARTIFACT_WF = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: memo-art-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: ada}]}
  templates:
  - name: main
    steps:
    - - name: make
        template: make
        arguments: {parameters: [{name: who, value: "{{workflow.parameters.who}}"}]}
    - - name: use
        template: use
        arguments: {artifacts: [{name: f, from: "{{steps.make.outputs.artifacts.f}}"}]}
  - name: make
    inputs: {parameters: [{name: who}]}
    memoize:
      key: "{{=sprig.upper(inputs.parameters.who)}}-v1"
      cache: {configMap: {name: art-cache}}
    container:
      image: busybox
      command: [sh, -c, "echo made for {{inputs.parameters.who}} $RANDOM > /tmp/f"]
    outputs: {artifacts: [{name: f, path: /tmp/f}]}
  - name: use
    inputs: {artifacts: [{name: f, path: /tmp/f}]}
    container: {image: busybox, command: [sh, -c, "cat /tmp/f"]}
"""


def test_expression_key_and_cached_artifacts(wfexec_home: Path, tmp_path: Path) -> None:
    src = tmp_path / "wf.yaml"
    src.write_text(ARTIFACT_WF)
    first = run_file(src)
    assert first.phase == "Succeeded", first.message
    made = first.by_display("make")
    assert made["memoizationStatus"] == {"hit": False, "key": "ADA-v1", "cacheName": "art-cache"}
    text = first.log(first.by_display("use"))
    assert text.startswith("made for ada")
    second = run_file(src)
    assert second.phase == "Succeeded", second.message
    assert second.by_display("make")["memoizationStatus"]["hit"] is True
    assert second.log(second.by_display("use")) == text  # the cached artifact, not a new one
    third = run_file(src, parameters={"who": "bob"})
    assert third.by_display("make")["memoizationStatus"] == {"hit": False, "key": "BOB-v1", "cacheName": "art-cache"}


def test_cache_cli_lists_and_deletes(wfexec_home: Path, capsys) -> None:  # noqa: ANN001
    from wfexec.cli.main import main

    run_file(EX)
    assert main(["cache", "list"]) == 0
    out = capsys.readouterr().out
    assert "cache-config" in out and "cache-key" in out
    assert main(["cache", "list", "-o", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "ConfigMap" and "cache-key" in doc["data"]
    assert main(["cache", "delete", "cache-config", "cache-key"]) == 0
    assert MemoCache(Store()).entries() == []
    assert main(["cache", "delete", "cache-config"]) == 1
