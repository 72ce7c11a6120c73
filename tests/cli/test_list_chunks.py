"""`wfexec list --chunk-size N`: the store is read N runs at a time, and the listing is the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.runs import run_workflow
from wfexec.cli.main import main
from wfexec.engine.store import Store

QUICK = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "quick-"},
         "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {
             "image": "busybox", "command": ["true"]}}]}}


def test_chunked_listing_reads_pages_and_lists_the_same(wfexec_home: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    names = [run_workflow(QUICK).name for _ in range(5)]  # several within one second: ties in created_at
    pages: list[int] = []
    real_page = Store.runs_page

    def counted(self: Store, limit: int, after: tuple[str, int] | None = None):  # noqa: ANN202
        recs, nxt = real_page(self, limit, after)
        pages.append(len(recs))
        return recs, nxt

    monkeypatch.setattr(Store, "runs_page", counted)
    listings = {}
    for flags in ((), ("--chunk-size", "2"), ("--chunk-size", "5"), ("--chunk-size", "100")):
        pages.clear()
        assert main(["list", "-o", "name", *flags]) == 0
        listings[flags] = (capsys.readouterr().out.split(), list(pages))
    assert listings[()] == (names[::-1], [])  # newest first, the store read at once
    assert listings[("--chunk-size", "2")] == (names[::-1], [2, 2, 1])
    assert listings[("--chunk-size", "5")] == (names[::-1], [5, 0])
    assert listings[("--chunk-size", "100")] == (names[::-1], [5])
    assert main(["list", "-o", "name", "--chunk-size", "2", "--prefix", names[2]]) == 0  # filters apply per page
    assert capsys.readouterr().out.split() == [names[2]]
    assert main(["list", "--chunk-size", "-1"]) == 1
    assert "--chunk-size -1" in capsys.readouterr().err
