"""KFP v2 task settings, each on a small pipeline of its own: retries with backoff, cache hits."""

from __future__ import annotations

import re
from pathlib import Path

from tests.kfp_v2.helpers import outputs, param, pods, submit, wfexec
from tests.kfp_v2.ir_builder import container, pipeline, task, write

WS = "{{$.workspace_path}}"


def out_file(name: str) -> str:
    return "{{$.outputs.parameters['" + name + "'].output_file}}"


def test_retry_runs_again_with_backoff_until_it_succeeds(tmp_path: Path) -> None:
    flaky = container('n=$(cat "$0/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$0/count"; '
                      'printf %s $n > "$1"; [ $n -ge 3 ]', WS, out_file("attempts"),
                      outputs={"attempts": "NUMBER_INTEGER"})
    retry = {"maxRetryCount": 3, "backoffDuration": "1s", "backoffFactor": 2, "backoffMaxDuration": "10s"}
    file = write(tmp_path / "p.yaml", pipeline("retry", {"flaky": task("flaky", retryPolicy=retry)}, {"flaky": flaky}))
    wf = submit(tmp_path / "home", file)
    assert wf["status"]["phase"] == "Succeeded"
    attempts = sorted((n for n in wf["status"]["nodes"].values() if n["type"] == "Pod"),
                      key=lambda n: n["startedAt"])
    assert [n["displayName"].rsplit(".", 1)[-1] for n in attempts] == ["flaky(0)", "flaky(1)", "flaky(2)"]
    assert [n["phase"] for n in attempts] == ["Failed", "Failed", "Succeeded"]
    assert outputs(attempts[-1])["p-attempts"] == "3"
    retry_node = next(n for n in wf["status"]["nodes"].values() if n["type"] == "Retry")
    assert retry_node["phase"] == "Succeeded"


def test_retry_gives_up_after_max_retry_count(tmp_path: Path) -> None:
    fails = container('n=$(cat "$0/count" 2>/dev/null || echo 0); echo $((n+1)) > "$0/count"; exit 3', WS)
    file = write(tmp_path / "p.yaml", pipeline("retry-fails", {"fails": task("fails", retryPolicy={
        "maxRetryCount": 1, "backoffDuration": "0s"})}, {"fails": fails}))
    wf = submit(tmp_path / "home", file)
    assert wf["status"]["phase"] == "Failed"
    assert len([n for n in wf["status"]["nodes"].values() if n["type"] == "Pod"]) == 2


def _cache_pipeline(tmp_path: Path, enable: bool) -> Path:
    nonce = container('od -An -N8 -tx8 /dev/urandom | tr -d " \\n" > "$1"; printf "%s" "$0" > "$2"',
                      "{{$.inputs.parameters['text']}}", out_file("nonce"),
                      "{{$.outputs.artifacts['data'].path}}", inputs={"text": "STRING"},
                      outputs={"nonce": "STRING"})
    nonce["outputDefinitions"]["artifacts"] = {"data": {"artifactType": {"schemaTitle": "system.Dataset",
                                                                         "schemaVersion": "0.0.1"}}}
    read = container('cat "$0" > "$1"', "{{$.inputs.artifacts['data'].path}}", out_file("text"),
                     outputs={"text": "STRING"})
    read["inputDefinitions"] = {"artifacts": {"data": {"artifactType": {"schemaTitle": "system.Dataset",
                                                                        "schemaVersion": "0.0.1"}}}}
    tasks = {
        "nonce": task("nonce", cachingOptions={"enableCache": enable},
                      inputs={"parameters": {"text": {"componentInputParameter": "text"}}}),
        "read": task("read", cachingOptions={}, inputs={"artifacts": {"data": {"taskOutputArtifact": {
            "producerTask": "nonce", "outputArtifactKey": "data"}}}}),
    }
    doc = pipeline("cache", tasks, {"nonce": nonce, "read": read}, inputs={"text": {"parameterType": "STRING"}})
    return write(tmp_path / f"cache-{enable}.yaml", doc)


def test_a_second_run_with_the_same_inputs_is_taken_from_cache(tmp_path: Path) -> None:
    home = tmp_path / "home"
    file = _cache_pipeline(tmp_path, enable=True)
    first = submit(home, file, "text=hello")
    second = submit(home, file, "text=hello")
    other = submit(home, file, "text=other")
    for wf in (first, second, other):
        assert wf["status"]["phase"] == "Succeeded"
    assert outputs(pods(first, "nonce")[0])["cached"] == "false"
    assert outputs(pods(second, "nonce")[0])["cached"] == "true"
    assert param(second, "nonce", "nonce") == param(first, "nonce", "nonce")
    assert param(second, "read", "text") == ["hello"]  # the cached artifact is read downstream
    assert outputs(pods(second, "read")[0])["cached"] == "false"  # caching off for that task
    assert outputs(pods(other, "nonce")[0])["cached"] == "false"  # other inputs, other key
    shown = wfexec(home, "get", second["metadata"]["name"]).stdout
    assert re.search(r"nonce .*taken from cache", shown) and not re.search(r"read .*taken from cache", shown)
    assert param(other, "nonce", "nonce") != param(first, "nonce", "nonce")


def test_caching_off_runs_the_task_every_time(tmp_path: Path) -> None:
    home = tmp_path / "home"
    file = _cache_pipeline(tmp_path, enable=False)
    first, second = submit(home, file, "text=hello"), submit(home, file, "text=hello")
    assert outputs(pods(second, "nonce")[0])["cached"] == "false"
    assert param(second, "nonce", "nonce") != param(first, "nonce", "nonce")


def test_a_task_whose_metrics_it_never_wrote_is_still_taken_from_cache(tmp_path: Path) -> None:
    """A Metrics output that a task only logs to (or leaves alone) has no file; the cache entry still holds."""
    nonce = container('od -An -N8 -tx8 /dev/urandom | tr -d " \\n" > "$0"', out_file("nonce"),
                      outputs={"nonce": "STRING"})
    nonce["outputDefinitions"]["artifacts"] = {"metrics": {"artifactType": {"schemaTitle": "system.Metrics",
                                                                            "schemaVersion": "0.0.1"}}}
    file = write(tmp_path / "metrics.yaml", pipeline("metrics-cache", {"nonce": task("nonce", cachingOptions={
        "enableCache": True})}, {"nonce": nonce}))
    home = tmp_path / "home"
    first, second = submit(home, file), submit(home, file)
    assert first["status"]["phase"] == second["status"]["phase"] == "Succeeded"
    assert outputs(pods(second, "nonce")[0])["cached"] == "true"
    assert param(second, "nonce", "nonce") == param(first, "nonce", "nonce")
