"""What `list` reads of each run (Store.run_summaries) is what the full record says, and the run
estimatedDuration reads (Store.latest_succeeded_like) is the last success of the same workflow, also in
a store made before runs had a workflow key."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from wfexec.engine import api
from wfexec.engine.store import Store
from wfexec.errors import RunExists


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


def _ended(store: Store, wf: dict[str, object], phase: str, at: str, **opts: object) -> str:
    name = api.create_run(store, wf, api.SubmitOptions(**opts)).name  # type: ignore[arg-type]
    store.update_run(name, phase=phase, finished_at=at)
    return name


def test_the_latest_success_of_the_same_workflow(tmp_path: Path) -> None:
    store = Store(tmp_path / "runs.db")
    older = _ended(store, _wf("w"), "Succeeded", "2026-01-01T00:00:02Z")
    newer = _ended(store, _wf("w"), "Succeeded", "2026-01-01T00:00:05Z")
    _ended(store, _wf("w"), "Failed", "2026-01-01T00:00:07Z")  # only successes count
    _ended(store, _wf("other"), "Succeeded", "2026-01-01T00:00:09Z")  # another workflow
    running = api.create_run(store, _wf("w"), api.SubmitOptions()).name
    assert store.latest_succeeded_like(running) == newer
    assert store.latest_succeeded_like(newer) == older  # never the run itself
    named = _ended(store, {**_wf("w"), "metadata": {"name": "fixed"}}, "Succeeded", "2026-01-01T00:00:03Z")
    assert store.latest_succeeded_like(named) is None  # a fixed name (no generateName) is a workflow of its own
    given = _ended(store, _wf("w"), "Succeeded", "2026-01-01T00:00:04Z", name="given")
    assert store.latest_succeeded_like(given) == newer  # --name on a file with generateName w-: still w-'s
    # a CronWorkflow's runs are one workflow whatever their names
    cron = {"labels": {"workflows.argoproj.io/cron-workflow": "nightly"}}
    first = _ended(store, {**_wf("a"), "metadata": {**cron, "name": "nightly-1"}}, "Succeeded", "2026-01-01T00:01:00Z")
    second = api.create_run(store, {**_wf("b"), "metadata": {**cron, "name": "nightly-2"}}, api.SubmitOptions()).name
    assert store.latest_succeeded_like(second) == first


def test_a_store_from_before_workflow_keys_gets_them_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = Store(path)
    done = _ended(store, _wf("w"), "Succeeded", "2026-01-01T00:00:02Z")
    later = api.create_run(store, _wf("w"), api.SubmitOptions()).name
    db = sqlite3.connect(path)
    db.execute("DROP INDEX runs_by_workflow")
    db.execute("ALTER TABLE runs DROP COLUMN workflow_key")  # the store as wfexec made it before
    db.commit()
    db.close()
    store.close()
    reopened = Store(path)
    assert reopened.latest_succeeded_like(later) == done
    assert reopened.get_run(done).phase == "Succeeded"  # nothing stored was lost
    assert Store(path).latest_succeeded_like(later) == done  # a second open finds the key there


def test_a_generated_name_that_is_taken_is_drawn_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Five letters or digits make 60 million names; a store with thousands of runs of one workflow meets
    a taken one now and then. The draws here are fixed so that the first is one."""
    store = Store(tmp_path / "runs.db")
    draws = iter(["aaaaa", "aaaaa", "bbbbb", "ccccc", *["ccccc"] * 5])
    monkeypatch.setattr(api, "_suffix", lambda: next(draws))
    assert api.create_run(store, _wf("w"), api.SubmitOptions()).name == "w-aaaaa"
    second = api.create_run(store, _wf("w"), api.SubmitOptions())
    assert second.name == "w-bbbbb" and second.manifest["metadata"]["name"] == "w-bbbbb"
    assert store.get_run("w-bbbbb").uid == second.uid
    api.create_run(store, _wf("w"), api.SubmitOptions())  # w-ccccc
    with pytest.raises(RunExists):  # taken five times in a row: said, not drawn for ever
        api.create_run(store, _wf("w"), api.SubmitOptions())
    with pytest.raises(RunExists):  # a name given is never changed
        api.create_run(store, _wf("w"), api.SubmitOptions(name="w-aaaaa"))


def test_latest_is_the_run_stored_last_when_two_share_a_second(tmp_path: Path) -> None:
    """created_at has whole seconds, and two short runs often start in the same one: `@latest` is then
    the one stored last, as `list` shows it first, whatever their names."""
    store = Store(tmp_path / "runs.db")
    for name in ("zeta-run", "alpha-run", "mid-run"):
        api.create_run(store, _wf("w"), api.SubmitOptions(name=name))
    with store._tx() as db:
        db.execute("UPDATE runs SET created_at='2026-12-07T17:30:18Z'")
    assert [r.name for r in store.list_runs()][0] == "mid-run"
    assert store.get_run("@latest").name == "mid-run"
