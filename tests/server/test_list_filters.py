"""`wfexec list` against a server picks the same runs as against the local store, for every filter flag:
phases, completed and `-l` go to the server as `listOptions.labelSelector`, the prefix and the times are
tested on its answer (as argo's CLI does)."""

from __future__ import annotations

import time

import pytest
import requests

from tests.server.workflows import container_wf, create, get, record_client_params, wait_phase
from wfexec.cli.main import main
from wfexec.cli.timespec import stamp
from wfexec.engine.log_lines import rfc3339nano


def _names(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[str]:
    assert main(["list", "-o", "name", *argv]) == 0
    return capsys.readouterr().out.split()


def test_remote_list_picks_the_runs_local_list_picks(server, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    early = [create(server.url, container_wf("true", name="lf-a-", labels={"team": "a"})),
             create(server.url, container_wf("exit 1", name="lf-b-", labels={"team": "b"}))]
    for name in early:
        wait_phase(server.url, name)
    early_end = max(stamp(get(server.url, n)["status"]["finishedAt"]).timestamp() for n in early)
    time.sleep(5)  # the two batches lie seconds apart, for --since and --older
    late = [create(server.url, container_wf("true", name="lf-a-", labels={"team": "a", "tier": "x"})),
            create(server.url, container_wf("sleep 120", name="lf-run-", labels={"team": "b"}))]
    wait_phase(server.url, late[0])
    wait_phase(server.url, late[1], ("Running",))
    late_start = min(stamp(get(server.url, n)["metadata"]["creationTimestamp"]).timestamp() for n in late)
    assert late_start - early_end >= 4
    middle = (early_end + late_start + 1) / 2  # store times are whole seconds: a finish may lie 1 s later

    sent = record_client_params(monkeypatch)
    monkeypatch.setenv("WFEXEC_HOME", str(server.home))
    cases = [[], ["--running"], ["--completed"], ["--status", "Failed"], ["--status", "running,succeeded"],
             ["--prefix", "lf-a-"], ["-l", "team=a"], ["-l", "team in (a,b)", "-l", "!tier"],
             ["--completed", "--running"], ["--status", "Succeeded", "--prefix", "lf-a-", "-l", "tier"],
             ["--since", "SINCE"], ["--older", "OLDER"], ["--older", "OLDER", "--prefix", "lf-b-"]]
    expected = {("--running",): {late[1]}, ("--completed",): {*early, late[0]}}
    for argv in cases:
        now = time.time()  # the times as durations from now, so that the middle between the batches divides
        argv = [f"{now - middle:.1f}s" if a in ("SINCE", "OLDER") else a for a in argv]
        monkeypatch.delenv("ARGO_SERVER", raising=False)
        local = _names(capsys, argv)
        monkeypatch.setenv("ARGO_SERVER", server.url.split("://", 1)[1])
        sent.clear()
        remote_names = _names(capsys, argv)
        assert sorted(remote_names) == sorted(local), argv  # (runs made in the same second may swap places)
        assert len(sent) == 1, argv
        if "--since" in argv or "--older" in argv:  # the API's own times too, a second wider
            assert {"createdAfter", "finishedBefore"} & set(sent[0]), sent
        if tuple(argv) in expected:
            assert set(local) == expected[tuple(argv)], argv
    # the flags do filter: spot checks of what the cases above compared
    monkeypatch.delenv("ARGO_SERVER")
    assert set(_names(capsys, ["--status", "Failed"])) == {early[1]}
    assert set(_names(capsys, ["-l", "team in (a,b)", "-l", "!tier"])) == {*early, late[1]}
    assert set(_names(capsys, ["--since", f"{time.time() - middle:.1f}s"])) == set(late)
    assert set(_names(capsys, ["--older", f"{time.time() - middle:.1f}s"])) == set(early)
    assert _names(capsys, ["--completed", "--running"]) == []

    monkeypatch.setenv("ARGO_SERVER", server.url.split("://", 1)[1])
    sent.clear()
    assert main(["list", "-o", "name", "--status", "Failed,Succeeded", "-l", "team=a", "--older", "1h"]) == 0
    capsys.readouterr()
    assert sent[0]["listOptions.labelSelector"] == ("team=a,workflows.argoproj.io/phase in (Failed,Succeeded),"
                                                    "workflows.argoproj.io/completed=true")
    assert main(["list", "--status", "Bogus"]) != 0
    assert "unknown phase 'Bogus'" in capsys.readouterr().err

    # the API's own name filter, as Argo's: `nameFilter` says how `metadata.name=` matches (Exact by default)
    for params, want in (({"listOptions.fieldSelector": "metadata.name=lf-a-", "nameFilter": "Prefix"},
                          {early[0], late[0]}),
                         ({"listOptions.fieldSelector": "metadata.name=-run-", "nameFilter": "Contains"}, {late[1]}),
                         ({"listOptions.fieldSelector": f"metadata.name={early[1]}"}, {early[1]}),
                         ({"listOptions.fieldSelector": "metadata.name=lf-a-"}, set())):
        for fields in ({}, {"fields": "items.metadata.name"}):  # the cached listing and the whole one
            r = requests.get(f"{server.url}/api/v1/workflows/default", params={**params, **fields}, timeout=30)
            assert {wf["metadata"]["name"] for wf in r.json().get("items") or []} == want, params
    r = requests.get(f"{server.url}/api/v1/workflows/default", params={"nameFilter": "Begins"}, timeout=30)
    assert r.status_code == 400 and "nameFilter" in r.json()["message"]
    between = rfc3339nano(int(middle * 1e9))  # and its times: createdAfter, finishedBefore (finished ones only)
    for params, want in (({"createdAfter": between}, set(late)), ({"finishedBefore": between}, set(early))):
        for fields in ({}, {"fields": "items.metadata.name"}):
            r = requests.get(f"{server.url}/api/v1/workflows/default", params={**params, **fields}, timeout=30)
            assert {wf["metadata"]["name"] for wf in r.json().get("items") or []} == want, params
    r = requests.get(f"{server.url}/api/v1/workflows/default", params={"createdAfter": "yesterday"}, timeout=30)
    assert r.status_code == 400 and "createdAfter" in r.json()["message"]

    # delete picks with the same flags: only the finished lf-b- run
    assert main(["delete", "--prefix", "lf-b-", "--completed"]) == 0
    assert early[1] in capsys.readouterr().out
    assert set(_names(capsys, [])) == {early[0], *late}
    assert main(["delete", late[1]]) == 0
