"""Fifty clients at once, each creating a run, watching it and following its log, are all served; a
log reader that stops reading does not hold the run back."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.server.workflows import container_wf, create, wait_phase

CLIENTS = 50


def _client(url: str, i: int) -> tuple[str, list[str], str]:
    name = create(url, container_wf(f"echo client-{i}; sleep 0.5; echo bye-{i}", name=f"c{i}-"))
    final: dict[str, str] = {}

    def watch() -> None:
        with requests.get(f"{url}/api/v1/workflow-events/default", stream=True, timeout=300,
                          params={"listOptions.fieldSelector": f"metadata.name={name}"}) as resp:
            for line in resp.iter_lines():
                if line:
                    phase = json.loads(line)["result"]["object"].get("status", {}).get("phase")
                    if phase in ("Succeeded", "Failed", "Error"):
                        final["phase"] = phase
                        return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with requests.get(f"{url}/api/v1/workflows/default/{name}/log", stream=True, timeout=300,
                      params={"logOptions.follow": "true"}) as resp:
        lines = [json.loads(line)["result"]["content"] for line in resp.iter_lines() if line]
    watcher.join(300)
    return name, lines, final.get("phase", "none")


@pytest.mark.timeout(600)
def test_fifty_clients_create_watch_and_follow(server) -> None:
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(lambda i: _client(server.url, i), range(CLIENTS)))
    for i, (name, lines, phase) in enumerate(results):
        assert phase == "Succeeded", (name, phase)
        assert lines == [f"client-{i}", f"bye-{i}"], (name, lines)


def test_a_stalled_log_reader_does_not_hold_the_run(server) -> None:
    name = create(server.url, container_wf("for i in $(seq 1 20000); do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxx; done"))
    stalled = requests.get(f"{server.url}/api/v1/workflows/default/{name}/log", stream=True, timeout=120,
                           params={"logOptions.follow": "true"})
    next(stalled.iter_content(64))  # read a little, then stop reading
    assert wait_phase(server.url, name, timeout=60)["status"]["phase"] == "Succeeded"  # while it stalls
    stalled.close()
