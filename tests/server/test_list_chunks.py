"""`wfexec list --chunk-size N` in remote mode: pages of `listOptions.limit`, followed by `continue`."""

from __future__ import annotations

import pytest

from tests.server.workflows import container_wf, create, record_client_params, wait_phase
from wfexec.cli.main import main


def test_remote_chunked_list_follows_continue(server, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    names = [create(server.url, container_wf("true", name="chunk-")) for _ in range(5)]
    for name in names:
        wait_phase(server.url, name)
    monkeypatch.setenv("WFEXEC_HOME", str(tmp_path))  # nothing local: every row comes from the server
    monkeypatch.setenv("ARGO_SERVER", server.url.split("://", 1)[1])
    calls = record_client_params(monkeypatch)
    assert main(["list", "-o", "name"]) == 0
    whole = capsys.readouterr().out.split()
    assert sorted(whole) == sorted(names) and len(calls) == 1
    calls.clear()
    assert main(["list", "-o", "name", "--chunk-size", "2"]) == 0
    assert capsys.readouterr().out.split() == whole
    assert [c.get("listOptions.limit") for c in calls] == [2, 2, 2]
    assert "listOptions.continue" not in calls[0] and all(c["listOptions.continue"] for c in calls[1:])
    calls.clear()
    assert main(["list", "-o", "json", "--chunk-size", "4"]) == 0
    assert len(calls) == 2 and '"chunk-' in capsys.readouterr().out
