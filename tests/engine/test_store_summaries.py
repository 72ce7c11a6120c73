"""What `list` reads of each run (Store.run_summaries) is what the full record says, and what
estimatedDuration reads (Store.finished_run_metadata) is each ended run's metadata, latest first."""

from __future__ import annotations

from pathlib import Path

from wfexec.engine import api
from wfexec.engine.store import Store


def _wf(name: str, **spec: object) -> dict[str, object]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"generateName": f"{name}-", "labels": {"team": name}},
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x"}}],
                     "arguments": {"parameters": [{"name": "p", "value": "1"}]}, **spec}}


def test_summaries_carry_what_a_listing_shows(tmp_path: Path) -> None:
    store = Store(tmp_path / "runs.db")
    api.create_run(store, _wf("plain"), api.SubmitOptions())
    api.create_run(store, _wf("held", suspend=True, priority=5), api.SubmitOptions(parameters={"p": "2"}))
    full = {r.name: r for r in store.list_runs()}
    summaries = store.run_summaries()
    assert [r.name for r in summaries] == list(full)
    for s in summaries:
        r = full[s.name]
        assert (s.uid, s.namespace, s.phase, s.message, s.created_at, s.started_at, s.finished_at, s.engine_pid,
                s.control) == (r.uid, r.namespace, r.phase, r.message, r.created_at, r.started_at, r.finished_at,
                               r.engine_pid, r.control)
        assert s.manifest["metadata"] == r.manifest["metadata"]
        for key in ("priority", "suspend"):
            assert s.manifest["spec"].get(key) == r.manifest["spec"].get(key)
        assert s.options.get("parameters") == r.options.get("parameters")
    held = next(s for s in summaries if s.name.startswith("held-"))
    assert held.manifest["spec"] == {"priority": 5, "suspend": True} and held.options == {"parameters": {"p": "2"}}


def test_finished_run_metadata_is_latest_first_and_only_ended_runs(tmp_path: Path) -> None:
    store = Store(tmp_path / "runs.db")
    names = [api.create_run(store, _wf(f"w{i}"), api.SubmitOptions()).name for i in range(3)]
    store.update_run(names[0], phase="Succeeded", finished_at="2026-01-01T00:00:02Z")
    store.update_run(names[1], phase="Succeeded", finished_at="2026-01-01T00:00:05Z")
    store.update_run(names[2], phase="Failed", finished_at="2026-01-01T00:00:09Z")
    got = list(store.finished_run_metadata("Succeeded"))
    assert [n for n, _ in got] == [names[1], names[0]]
    assert got[0][1]["labels"] == {"team": "w1"} and got[0][1]["name"] == names[1]
